using System.Text;

namespace Dsm.Emulation.CortexM3.Semihosting;

/// <summary>
/// A write-only <see cref="Stream"/> over a <see cref="TextWriter"/>, for hosts that collect guest output
/// as text. Bytes are decoded as UTF-8 (a sequence split across writes is completed by the next write).
/// Over a <see cref="StreamWriter"/> the bytes go unchanged to its underlying stream instead.
/// </summary>
public sealed class TextWriterStream : Stream
{
    private readonly TextWriter _writer;
    private readonly Decoder _decoder = new UTF8Encoding(false).GetDecoder();

    /// <summary>Creates the stream.</summary>
    /// <param name="writer">Where the text goes.</param>
    public TextWriterStream(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _writer = writer;
    }

    /// <inheritdoc />
    public override bool CanRead => false;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => true;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_writer is StreamWriter { BaseStream: { CanWrite: true } raw } streamWriter)
        {
            // Keep the writer's own earlier text ahead of these bytes.
            streamWriter.Flush();
            raw.Write(buffer);
            return;
        }

        char[] chars = new char[_decoder.GetCharCount(buffer, flush: false)];
        int count = _decoder.GetChars(buffer, chars, flush: false);
        _writer.Write(chars, 0, count);
    }

    /// <inheritdoc />
    public override void WriteByte(byte value) => Write([value]);

    /// <inheritdoc />
    public override void Flush()
    {
        _writer.Flush();
        if (_writer is StreamWriter { BaseStream: { CanWrite: true } raw })
        {
            raw.Flush();
        }
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();
}
