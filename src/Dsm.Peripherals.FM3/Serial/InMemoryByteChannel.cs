using System.Collections.Concurrent;

namespace Dsm.Peripherals.FM3.Serial;

/// <summary>A serial line held in memory: the host queues input and reads what the guest sent. Thread-safe.</summary>
public sealed class InMemoryByteChannel : INotifyingByteChannel
{
    private readonly ConcurrentQueue<byte> _toGuest = new();
    private readonly ConcurrentQueue<byte> _fromGuest = new();

    /// <summary>Queues bytes for the guest to receive.</summary>
    /// <param name="bytes">The bytes.</param>
    public void Enqueue(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            _toGuest.Enqueue(b);
        }

        if (!bytes.IsEmpty)
        {
            BytesArrived?.Invoke();
        }
    }

    /// <inheritdoc />
    public event Action? BytesArrived;

    /// <summary>Takes every byte the guest has sent so far.</summary>
    /// <returns>The bytes, oldest first.</returns>
    public byte[] TakeSent()
    {
        var bytes = new List<byte>();
        while (_fromGuest.TryDequeue(out byte b))
        {
            bytes.Add(b);
        }

        return bytes.ToArray();
    }

    /// <inheritdoc />
    public bool TryReceive(out byte value) => _toGuest.TryDequeue(out value);

    /// <inheritdoc />
    public void Send(byte value) => _fromGuest.Enqueue(value);

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
