using System.Text;
using Dsm.Emulation.CortexM3.Semihosting;

namespace Dsm.Runtime.Tests;

public class TextWriterStreamTests
{
    [Test]
    public void DecodesUtf8SplitAcrossWrites()
    {
        var text = new StringWriter();
        var stream = new TextWriterStream(text);
        byte[] bytes = Encoding.UTF8.GetBytes("grüße €");
        foreach (byte b in bytes)
        {
            stream.WriteByte(b);
        }

        Assert.That(text.ToString(), Is.EqualTo("grüße €"));
    }

    [Test]
    public void PassesBytesUnchangedToAStreamWritersStream()
    {
        var raw = new MemoryStream();
        var writer = new StreamWriter(raw, new UTF8Encoding(false));
        writer.Write("text ");
        var stream = new TextWriterStream(writer);
        stream.Write([0xFF, 0x00, 0x41]);
        stream.Flush();
        Assert.That(raw.ToArray(), Is.EqualTo(new byte[] { (byte)'t', (byte)'e', (byte)'x', (byte)'t', (byte)' ', 0xFF, 0x00, 0x41 }), "earlier text first, then the raw bytes");
    }

    [Test]
    public void IsWriteOnly()
    {
        var stream = new TextWriterStream(new StringWriter());
        Assert.That(stream.CanWrite, Is.True);
        Assert.That(stream.CanRead, Is.False);
        Assert.That(stream.CanSeek, Is.False);
        Assert.Throws<NotSupportedException>(() => stream.ReadByte());
    }
}
