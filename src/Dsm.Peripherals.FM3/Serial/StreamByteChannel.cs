using System.Collections.Concurrent;

namespace Dsm.Peripherals.FM3.Serial;

/// <summary>
/// A serial line over streams: a background task copies the input stream into a queue (so the
/// emulator never waits for it) and guest bytes are written to the output stream as they complete.
/// </summary>
public sealed class StreamByteChannel : INotifyingByteChannel
{
    private readonly ConcurrentQueue<byte> _received = new();
    private readonly Stream? _input;
    private readonly Stream? _output;
    private readonly bool _ownsStreams;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;

    /// <summary>Creates a channel over an input and an output stream (either may be null, or both the same duplex stream).</summary>
    /// <param name="input">Bytes from the host to the guest; null for none.</param>
    /// <param name="output">Bytes from the guest to the host; null to discard.</param>
    /// <param name="ownsStreams">Whether disposing the channel disposes the streams.</param>
    public StreamByteChannel(Stream? input, Stream? output, bool ownsStreams = true)
    {
        _input = input;
        _output = output;
        _ownsStreams = ownsStreams;
        _reader = input is null ? Task.CompletedTask : Task.Run(() => ReadLoopAsync(input, _stop.Token));
    }

    /// <inheritdoc />
    public event Action? BytesArrived;

    /// <inheritdoc />
    public bool TryReceive(out byte value) => _received.TryDequeue(out value);

    /// <inheritdoc />
    public void Send(byte value)
    {
        if (_output is null)
        {
            return;
        }

        try
        {
            _output.WriteByte(value);
            _output.Flush();
        }
        catch (IOException)
        {
            // The host end went away: the line is idle, as a disconnected cable would leave it.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task ReadLoopAsync(Stream input, CancellationToken token)
    {
        var buffer = new byte[256];
        try
        {
            int count;
            while ((count = await input.ReadAsync(buffer, token).ConfigureAwait(false)) > 0)
            {
                for (int i = 0; i < count; i++)
                {
                    _received.Enqueue(buffer[i]);
                }

                BytesArrived?.Invoke();
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // End of input: nothing more will arrive.
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stop.Cancel();
        if (_ownsStreams)
        {
            _input?.Dispose();
            if (!ReferenceEquals(_input, _output))
            {
                _output?.Dispose();
            }
        }

        try
        {
            _reader.Wait(TimeSpan.FromSeconds(1));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }
}
