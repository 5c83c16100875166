using System.Text;

namespace Dsm.Cli;

/// <summary>A write-only stream that hands complete text lines to a callback (guest consoles).</summary>
internal sealed class LineSplitter(Action<string> onLine) : Stream
{
    private readonly StringBuilder _pending = new();

    /// <summary>Hands over a last, unterminated line (a console cut mid-line by a migration).</summary>
    public void Complete()
    {
        lock (_pending)
        {
            if (_pending.Length > 0)
            {
                string line = _pending.ToString();
                _pending.Clear();
                onLine(line);
            }
        }
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        lock (_pending)
        {
            _pending.Append(Encoding.UTF8.GetString(buffer));
            while (true)
            {
                int newline = -1;
                for (int i = 0; i < _pending.Length; i++)
                {
                    if (_pending[i] == '\n')
                    {
                        newline = i;
                        break;
                    }
                }

                if (newline < 0)
                {
                    return;
                }

                string line = _pending.ToString(0, newline).TrimEnd('\r');
                _pending.Remove(0, newline + 1);
                onLine(line);
            }
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
