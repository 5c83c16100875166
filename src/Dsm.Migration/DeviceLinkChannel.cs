using System.Collections.Concurrent;
using System.Net.Sockets;
using Dsm.Peripherals.FM3.Serial;
using Microsoft.Extensions.Logging;

namespace Dsm.Migration;

/// <summary>
/// The emulated device's migration link over TCP, behaving like a serial cable whose far end may be
/// missing: it connects in the background and reconnects whenever the host goes away, and while no host
/// is there the device's bytes are lost as on an unplugged line. The device never waits for it, so a
/// host that is absent or dies only makes the DSMC time out and carry on locally.
/// </summary>
internal sealed class DeviceLinkChannel : IByteChannel
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(100);

    // Bytes gathered before they are sent while the transmitter stays busy: 0.64 ms at 1 Mbaud.
    private const int SendBatch = 64;

    // A serial model that never reports its transmitter idle still has its bytes forwarded this much later.
    private static readonly TimeSpan FlushFallback = TimeSpan.FromMilliseconds(1);
    private readonly ConcurrentQueue<byte> _received = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ILogger _logger;
    private readonly Task _loop;
    private readonly Timer _fallback;
    private readonly object _gatherLock = new();
    private readonly object _sendOrder = new();
    private byte[] _outgoing = new byte[4096];
    private byte[] _sending = new byte[4096];
    private int _outgoingCount;
    private Socket? _socket;
    private long _sent;
    private long _receivedCount;

    private int _disposed;

    public DeviceLinkChannel(string host, int port, ILogger logger)
    {
        _logger = logger;
        _loop = Task.Run(() => ConnectLoopAsync(host, port, _stop.Token));
        _fallback = new Timer(_ => Flush(), null, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>Bytes handed to a connected host.</summary>
    public long BytesSent => Interlocked.Read(ref _sent);

    /// <summary>Bytes the host sent that the device took.</summary>
    public long BytesReceived => Interlocked.Read(ref _receivedCount);

    public bool TryReceive(out byte value)
    {
        if (_received.TryDequeue(out value))
        {
            Interlocked.Increment(ref _receivedCount);
            return true;
        }

        return false;
    }

    public void Send(byte value)
    {
        if (Volatile.Read(ref _socket) is null || Volatile.Read(ref _disposed) != 0)
        {
            return; // no host (or the link is gone): the byte is lost on the line
        }

        // Gathered and written in one call when the transmitter falls idle (a frame's end) or a batch is full, as a
        // serial adapter forwards its FIFO. A system call per byte took most of a core at 1-4 Mbaud (a byte every
        // 2.5-10 µs); a sender thread of its own waited milliseconds for a core on a busy host.
        bool full;
        lock (_gatherLock)
        {
            if (_outgoingCount == _outgoing.Length)
            {
                Array.Resize(ref _outgoing, _outgoing.Length * 2);
            }

            _outgoing[_outgoingCount++] = value;
            full = _outgoingCount >= SendBatch;
            if (_outgoingCount == 1 && !full)
            {
                _fallback.Change(FlushFallback, Timeout.InfiniteTimeSpan);
            }
        }

        Interlocked.Increment(ref _sent);
        if (full)
        {
            Flush();
        }
    }

    public void TransmitterIdle() => Flush();

    public bool WantsTransmitterIdle => true;

    // Writes what has gathered. Callers: the emulation thread (idle, full batch) and the fallback timer.
    private void Flush()
    {
        lock (_sendOrder)
        {
            int count;
            lock (_gatherLock)
            {
                count = _outgoingCount;
                if (count == 0)
                {
                    return;
                }

                if (_sending.Length < _outgoing.Length)
                {
                    _sending = new byte[_outgoing.Length];
                }

                (_sending, _outgoing) = (_outgoing, _sending);
                _outgoingCount = 0;
            }

            try
            {
                Volatile.Read(ref _socket)?.Send(_sending.AsSpan(0, count));
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // The host went away; the reader notices and reconnects. These bytes are lost, as on a cut line.
            }
        }
    }

    private async Task ConnectLoopAsync(string host, int port, CancellationToken token)
    {
        bool announcedAbsent = false;
        var buffer = new byte[512];
        while (!token.IsCancellationRequested)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(host, port, token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                socket.Dispose();
                if (!announcedAbsent && !token.IsCancellationRequested)
                {
                    _logger.LogWarning("No migration host at {Host}:{Port} ({Reason}); the device runs on and keeps trying", host, port, ex.Message);
                    announcedAbsent = true;
                }

                await DelayAsync(token).ConfigureAwait(false);
                continue;
            }

            announcedAbsent = false;
            _logger.LogInformation("Link connected to the migration host at {Host}:{Port}", host, port);
            Volatile.Write(ref _socket, socket);
            try
            {
                int count;
                while ((count = await socket.ReceiveAsync(buffer, SocketFlags.None, token).ConfigureAwait(false)) > 0)
                {
                    for (int i = 0; i < count; i++)
                    {
                        _received.Enqueue(buffer[i]);
                    }
                }
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }

            Volatile.Write(ref _socket, null);
            socket.Dispose();
            if (!token.IsCancellationRequested)
            {
                _logger.LogWarning("The migration host at {Host}:{Port} closed the link; reconnecting", host, port);
                await DelayAsync(token).ConfigureAwait(false);
            }
        }
    }

    private static async Task DelayAsync(CancellationToken token)
    {
        try
        {
            await Task.Delay(RetryDelay, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose()
    {
        // The board that owns the UART may dispose its channels, and the device disposes the link as well.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        _fallback.Dispose();
        Flush(); // what the transmitter sent last
        Volatile.Read(ref _socket)?.Dispose();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(1));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }
}
