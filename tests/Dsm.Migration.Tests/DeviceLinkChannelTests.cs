using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dsm.Migration.Tests;

public class DeviceLinkChannelTests
{
    [Test]
    public async Task GatheredBytesGoOutWhenTheTransmitterFallsIdleAndWithoutThatSoonAnyway()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var channel = new DeviceLinkChannel("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port, NullLogger.Instance);
        using var host = await listener.AcceptSocketAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await WaitForConnectionAsync(channel);
        Assert.That(await ReceiveAsync(host, 1), Is.EqualTo(new byte[] { 0 }));

        // A frame's bytes, then the transmitter idles: all of them arrive, in order.
        foreach (byte b in "HELLO"u8.ToArray())
        {
            channel.Send(b);
        }

        channel.TransmitterIdle();
        Assert.That(await ReceiveAsync(host, 5), Is.EqualTo("HELLO"u8.ToArray()));

        // A serial model that never reports idle: the bytes still arrive.
        channel.Send((byte)'x');
        channel.Send((byte)'y');
        Assert.That(await ReceiveAsync(host, 2), Is.EqualTo("xy"u8.ToArray()));

        // More than a batch while the transmitter stays busy: every byte, in order.
        var many = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        foreach (byte b in many)
        {
            channel.Send(b);
        }

        Assert.That(await ReceiveAsync(host, many.Length), Is.EqualTo(many));
        Assert.That(channel.BytesSent, Is.EqualTo(1 + 5 + 2 + many.Length));
    }

    // The channel counts bytes only while connected; its connect loop runs in the background.
    private static async Task WaitForConnectionAsync(DeviceLinkChannel channel)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            channel.Send(0);
            if (channel.BytesSent > 0 || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(10);
        }

        Assert.That(channel.BytesSent, Is.EqualTo(1), "the channel did not connect");
        channel.TransmitterIdle();
    }

    private static async Task<byte[]> ReceiveAsync(Socket socket, int count)
    {
        var received = new List<byte>();
        var buffer = new byte[1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (received.Count < count)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            Assert.That(n, Is.Positive, "the link closed");
            received.AddRange(buffer.AsSpan(0, n).ToArray());
        }

        return [.. received];
    }
}
