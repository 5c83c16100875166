using System.Net;
using System.Net.Sockets;

namespace Dsm.EndToEnd.Tests;

/// <summary>What the proxy does to one byte: pass it, replace it, or drop it.</summary>
/// <param name="Offset">Position of the byte in its direction's stream.</param>
/// <param name="Value">The byte.</param>
internal delegate int ByteFault(long Offset, byte Value);

/// <summary>
/// A loopback TCP proxy between device and host that corrupts or drops bytes (per direction) or cuts the
/// connection after a number of device bytes: the test's stand-in for a bad serial line.
/// A fault returns the byte to forward, or -1 to drop it.
/// </summary>
internal sealed class FaultyProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;
    private long _deviceBytes;
    private long _faultedBytes;
    private int _connections;

    public FaultyProxy(int targetPort)
    {
        _target = targetPort;
        _listener.Start();
        _accept = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Applied to bytes from the device to the host, on the first connection only.</summary>
    public ByteFault? ToHost { get; init; }

    /// <summary>Applied to bytes from the host to the device, on the first connection only.</summary>
    public ByteFault? ToDevice { get; init; }

    /// <summary>Cuts the first connection once this many device bytes have passed.</summary>
    public long? CutAfterDeviceBytes { get; init; }

    /// <summary>After the cut, refuse every new connection (the host is gone for good), else pass them untouched.</summary>
    public bool RefuseAfterCut { get; init; }

    /// <summary>Bytes the device sent through the proxy (all connections).</summary>
    public long DeviceBytes => Interlocked.Read(ref _deviceBytes);

    /// <summary>Bytes a fault changed or dropped (so a test knows its fault really hit the session).</summary>
    public long FaultedBytes => Interlocked.Read(ref _faultedBytes);

    /// <summary>Whether the first connection was cut.</summary>
    public bool Cut { get; private set; }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                var device = await _listener.AcceptSocketAsync(_stop.Token);
                bool first = Interlocked.Increment(ref _connections) == 1;
                _ = Task.Run(() => ServeAsync(device, first));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task ServeAsync(Socket device, bool first)
    {
        using var host = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        device.NoDelay = true;
        try
        {
            await host.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            device.Dispose();
            return;
        }

        using var link = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        var up = PumpAsync(device, host, first ? ToHost : null, countDevice: true, first ? CutAfterDeviceBytes : null, link);
        var down = PumpAsync(host, device, first ? ToDevice : null, countDevice: false, null, link);
        await Task.WhenAny(up, down);
        await link.CancelAsync();
        device.Dispose();
        host.Dispose();
        await Task.WhenAll(up, down);
    }

    private async Task PumpAsync(Socket from, Socket to, ByteFault? fault, bool countDevice, long? cutAfter, CancellationTokenSource link)
    {
        var buffer = new byte[4096];
        var output = new byte[4096];
        long offset = 0;
        try
        {
            int count;
            while ((count = await from.ReceiveAsync(buffer, SocketFlags.None, link.Token)) > 0)
            {
                int n = 0;
                for (int i = 0; i < count; i++, offset++)
                {
                    if (cutAfter is { } limit && offset >= limit)
                    {
                        Cut = true;
                        if (RefuseAfterCut)
                        {
                            _listener.Stop();
                        }

                        if (n > 0)
                        {
                            await to.SendAsync(output.AsMemory(0, n), SocketFlags.None, link.Token);
                        }

                        return;
                    }

                    int value = fault is null ? buffer[i] : fault(offset, buffer[i]);
                    if (value != buffer[i])
                    {
                        Interlocked.Increment(ref _faultedBytes);
                    }

                    if (value >= 0)
                    {
                        output[n++] = (byte)value;
                    }
                }

                if (countDevice)
                {
                    Interlocked.Add(ref _deviceBytes, count);
                }

                await to.SendAsync(output.AsMemory(0, n), SocketFlags.None, link.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accept;
        _stop.Dispose();
    }
}
