using System.Text;

namespace Dsm.Migration;

/// <summary>
/// The console of a hosted system as the host sees it: the machine writes into it, the host reads the
/// recent output or subscribes to new output. Keeps a bounded tail so a quiet observer can catch up.
/// </summary>
public sealed class GuestConsole : Stream
{
    private readonly object _gate = new();
    private readonly byte[] _tail;
    private int _tailStart;
    private int _tailLength;
    private long _totalBytes;

    /// <summary>Creates a console keeping the last <paramref name="tailBytes"/> bytes.</summary>
    /// <param name="tailBytes">Size of the kept tail.</param>
    public GuestConsole(int tailBytes = 16 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tailBytes, 1);
        _tail = new byte[tailBytes];
    }

    /// <summary>Raised on the emulation thread for every chunk the guest writes; handlers must be quick.</summary>
    public event Action<ReadOnlyMemory<byte>>? Output;

    /// <summary>Bytes written since the system started on this host.</summary>
    public long TotalBytes
    {
        get
        {
            lock (_gate)
            {
                return _totalBytes;
            }
        }
    }

    /// <summary>The kept tail of the output.</summary>
    /// <returns>The most recent bytes, oldest first.</returns>
    public byte[] RecentOutput()
    {
        lock (_gate)
        {
            var result = new byte[_tailLength];
            int first = Math.Min(_tailLength, _tail.Length - _tailStart);
            Array.Copy(_tail, _tailStart, result, 0, first);
            Array.Copy(_tail, 0, result, first, _tailLength - first);
            return result;
        }
    }

    /// <summary>The kept tail decoded as UTF-8 text.</summary>
    /// <returns>The text.</returns>
    public string RecentText() => Encoding.UTF8.GetString(RecentOutput());

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        lock (_gate)
        {
            foreach (byte b in buffer)
            {
                int index = (_tailStart + _tailLength) % _tail.Length;
                _tail[index] = b;
                if (_tailLength < _tail.Length)
                {
                    _tailLength++;
                }
                else
                {
                    _tailStart = (_tailStart + 1) % _tail.Length;
                }
            }

            _totalBytes += buffer.Length;
        }

        Output?.Invoke(buffer.ToArray());
    }

    /// <inheritdoc />
    public override void WriteByte(byte value) => Write([value]);

    /// <inheritdoc />
    public override bool CanRead => false;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => true;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <inheritdoc />
    public override void Flush()
    {
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();
}
