using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;

namespace Dsm.Peripherals.FM3.Serial;

/// <summary>A serial line over an <see cref="IDuplexPipe"/>: the pipe's input feeds the guest, guest bytes go to its output.</summary>
public sealed class PipeByteChannel : INotifyingByteChannel
{
    private readonly ConcurrentQueue<byte> _received = new();
    private readonly IDuplexPipe _pipe;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;

    /// <summary>Creates the channel and starts reading the pipe's input in the background.</summary>
    /// <param name="pipe">The pipe pair.</param>
    public PipeByteChannel(IDuplexPipe pipe)
    {
        ArgumentNullException.ThrowIfNull(pipe);
        _pipe = pipe;
        _reader = Task.Run(() => ReadLoopAsync(_stop.Token));
    }

    /// <inheritdoc />
    public event Action? BytesArrived;

    /// <inheritdoc />
    public bool TryReceive(out byte value) => _received.TryDequeue(out value);

    /// <inheritdoc />
    public void Send(byte value)
    {
        var span = _pipe.Output.GetSpan(1);
        span[0] = value;
        _pipe.Output.Advance(1);
        var flush = _pipe.Output.FlushAsync();
        if (!flush.IsCompleted)
        {
            flush.AsTask().GetAwaiter().GetResult();
        }
    }

    private async Task ReadLoopAsync(CancellationToken token)
    {
        try
        {
            while (true)
            {
                var result = await _pipe.Input.ReadAsync(token).ConfigureAwait(false);
                foreach (var segment in result.Buffer)
                {
                    foreach (byte b in segment.Span)
                    {
                        _received.Enqueue(b);
                    }
                }

                bool arrived = !result.Buffer.IsEmpty;
                _pipe.Input.AdvanceTo(result.Buffer.End); // the buffer is not to be touched after this
                if (arrived)
                {
                    BytesArrived?.Invoke();
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _reader.Wait(TimeSpan.FromSeconds(1));
        }
        catch (AggregateException)
        {
        }

        _pipe.Input.Complete();
        _pipe.Output.Complete();
        _stop.Dispose();
    }
}
