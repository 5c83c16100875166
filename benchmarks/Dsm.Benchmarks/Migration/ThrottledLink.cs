using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;

namespace Dsm.Benchmarks.Migration;

/// <summary>
/// An in-process full-duplex serial line at a fixed baud rate (8N1: 10 bits per byte) in wall time. Each
/// direction has its own pump thread that hands bytes on when an ideal UART would have finished shifting
/// them out: byte k of a burst that found the line idle at t completes at t + (k+1)·10/baud. Deliveries
/// come in batches of about a millisecond (the sleep granularity), like a serial driver's FIFO interrupts.
/// </summary>
internal sealed class ThrottledLink : IDisposable
{
    private readonly Pipe _deviceOut = new();
    private readonly Pipe _hostIn = new();
    private readonly Pipe _hostOut = new();
    private readonly Pipe _deviceIn = new();
    private readonly Thread[] _pumps;
    private readonly double _ticksPerByte;
    private readonly LinkLog _log;

    public ThrottledLink(int baud, LinkLog log)
    {
        _ticksPerByte = 10.0 * Stopwatch.Frequency / baud;
        _log = log;
        Device = new DuplexPipe(_deviceIn.Reader, _deviceOut.Writer);
        Host = new DuplexPipe(_hostIn.Reader, _hostOut.Writer);
        _pumps =
        [
            new Thread(() => Pump(_deviceOut.Reader, _hostIn.Writer, _log.DeviceDelivered)) { IsBackground = true, Name = "link device->host" },
            new Thread(() => Pump(_hostOut.Reader, _deviceIn.Writer, _log.HostSent)) { IsBackground = true, Name = "link host->device" },
        ];
        foreach (var pump in _pumps)
        {
            pump.Start();
        }
    }

    /// <summary>The device's end.</summary>
    public IDuplexPipe Device { get; }

    /// <summary>The host's end.</summary>
    public IDuplexPipe Host { get; }

    private void Pump(PipeReader source, PipeWriter destination, Action<int> delivered)
    {
        long lineFreeAt = 0;
        try
        {
            while (true)
            {
                var result = source.ReadAsync().AsTask().GetAwaiter().GetResult();
                var buffer = result.Buffer;
                if (buffer.IsEmpty && result.IsCompleted)
                {
                    break;
                }

                long start = Math.Max(Stopwatch.GetTimestamp(), lineFreeAt);
                long length = buffer.Length;
                long sent = 0;
                while (sent < length)
                {
                    long now = Stopwatch.GetTimestamp();
                    long due = Math.Min(length, (long)((now - start) / _ticksPerByte));
                    if (due > sent)
                    {
                        foreach (var segment in buffer.Slice(sent, due - sent))
                        {
                            destination.Write(segment.Span);
                        }

                        destination.FlushAsync().AsTask().GetAwaiter().GetResult();
                        delivered((int)(due - sent));
                        sent = due;
                        continue;
                    }

                    double waitMs = (start + ((sent + 1) * _ticksPerByte) - now) * 1000.0 / Stopwatch.Frequency;
                    Thread.Sleep(Math.Max(1, (int)waitMs));
                }

                lineFreeAt = start + (long)(length * _ticksPerByte);
                source.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (InvalidOperationException)
        {
            // The other end completed its pipe: the session is over.
        }

        destination.Complete();
    }

    public void Dispose()
    {
        _deviceOut.Writer.Complete();
        _hostOut.Writer.Complete();
        foreach (var pump in _pumps)
        {
            pump.Join(TimeSpan.FromSeconds(2));
        }
    }
}
