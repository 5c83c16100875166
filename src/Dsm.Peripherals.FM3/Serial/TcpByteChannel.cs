using System.Net;
using System.Net.Sockets;

namespace Dsm.Peripherals.FM3.Serial;

/// <summary>
/// A serial line over TCP, as client (connects at once) or server (accepts one client at a time in
/// the background; while no client is connected, guest output is dropped as on an unplugged line).
/// </summary>
public sealed class TcpByteChannel : INotifyingByteChannel
{
    private readonly TcpListener? _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private StreamByteChannel? _connection;

    private TcpByteChannel(TcpListener? listener, StreamByteChannel? connection)
    {
        _listener = listener;
        _connection = connection;
        if (connection is not null)
        {
            connection.BytesArrived += OnBytesArrived;
        }

        if (listener is not null)
        {
            _ = Task.Run(() => AcceptLoopAsync(listener, _stop.Token));
        }
    }

    /// <inheritdoc />
    public event Action? BytesArrived;

    /// <summary>The local end point a server channel listens on (useful with port 0).</summary>
    public IPEndPoint? ListenEndPoint => _listener?.LocalEndpoint as IPEndPoint;

    /// <summary>Connects to a TCP server.</summary>
    /// <param name="host">Host name or address.</param>
    /// <param name="port">Port.</param>
    /// <returns>The connected channel.</returns>
    public static TcpByteChannel Connect(string host, int port)
    {
        var client = new TcpClient { NoDelay = true };
        client.Connect(host, port);
        var stream = client.GetStream();
        return new TcpByteChannel(null, new StreamByteChannel(stream, stream));
    }

    /// <summary>Listens for a client on <paramref name="address"/>:<paramref name="port"/>.</summary>
    /// <param name="address">Local address (loopback for local tools).</param>
    /// <param name="port">Port; 0 picks a free one (see <see cref="ListenEndPoint"/>).</param>
    /// <returns>The listening channel.</returns>
    public static TcpByteChannel Listen(IPAddress address, int port)
    {
        var listener = new TcpListener(address, port);
        listener.Start(1);
        return new TcpByteChannel(listener, null);
    }

    /// <inheritdoc />
    public bool TryReceive(out byte value)
    {
        var connection = Volatile.Read(ref _connection);
        if (connection is null)
        {
            value = 0;
            return false;
        }

        return connection.TryReceive(out value);
    }

    /// <inheritdoc />
    public void Send(byte value) => Volatile.Read(ref _connection)?.Send(value);

    private void OnBytesArrived() => BytesArrived?.Invoke();

    private async Task AcceptLoopAsync(TcpListener listener, CancellationToken token)
    {
        try
        {
            while (!token.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(token).ConfigureAwait(false);
                client.NoDelay = true;
                var stream = client.GetStream();
                StreamByteChannel? previous;
                var connection = new StreamByteChannel(stream, stream);
                connection.BytesArrived += OnBytesArrived;
                lock (_gate)
                {
                    previous = _connection;
                    _connection = connection;
                }

                previous?.Dispose();
                OnBytesArrived(); // bytes may have come before the connection was published
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stop.Cancel();
        _listener?.Stop();
        lock (_gate)
        {
            _connection?.Dispose();
            _connection = null;
        }

        _stop.Dispose();
    }
}
