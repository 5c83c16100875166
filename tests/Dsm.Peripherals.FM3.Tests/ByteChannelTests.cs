using System.IO.Pipelines;
using System.Net;
using Dsm.Peripherals.FM3.Serial;

namespace Dsm.Peripherals.FM3.Tests;

/// <summary>The host ends of serial lines: bytes both ways, and arrival reports for receivers that wait instead of polling.</summary>
[Parallelizable(ParallelScope.All)]
public class ByteChannelTests
{
    [Test]
    public void PipeChannelCarriesBytesBothWays()
    {
        var toGuest = new Pipe();
        var fromGuest = new Pipe();
        using var channel = new PipeByteChannel(new DuplexPipe(toGuest.Reader, fromGuest.Writer));
        toGuest.Writer.WriteAsync("q"u8.ToArray()).AsTask().Wait();
        Assert.That(() => channel.TryReceive(out byte got) && got == 'q', Is.True.After(2000, 10));
        channel.Send((byte)'r');
        Assert.That(fromGuest.Reader.TryRead(out var result), Is.True);
        Assert.That(result.Buffer.FirstSpan[0], Is.EqualTo((byte)'r'));
    }

    [Test]
    public void StreamChannelWritesGuestBytesAndQueuesInput()
    {
        using var output = new MemoryStream();
        using var channel = new StreamByteChannel(new MemoryStream("in"u8.ToArray()), output, ownsStreams: false);
        channel.Send((byte)'o');
        Assert.That(output.ToArray(), Is.EqualTo("o"u8.ToArray()));
        var got = new List<byte>();
        Assert.That(() =>
        {
            while (channel.TryReceive(out byte b))
            {
                got.Add(b);
            }

            return got.Count == 2;
        }, Is.True.After(2000, 10));
        Assert.That(got, Is.EqualTo("in"u8.ToArray()));
    }

    [Test]
    public void TcpServerAndClientChannelsTalkOverLoopback()
    {
        using var server = TcpByteChannel.Listen(IPAddress.Loopback, 0);
        using var client = TcpByteChannel.Connect("127.0.0.1", server.ListenEndPoint!.Port);
        client.Send((byte)'c');
        Assert.That(() => server.TryReceive(out byte b) && b == 'c', Is.True.After(5000, 10));
        server.Send((byte)'s');
        Assert.That(() => client.TryReceive(out byte b) && b == 's', Is.True.After(5000, 10));
    }

    [Test]
    public void BackendSpecificationsParse()
    {
        Assert.Multiple(() =>
        {
            Assert.That(UartBackendSpec.Parse("0=stdio"), Is.EqualTo(new UartBackendSpec(0, "stdio")));
            Assert.That(UartBackendSpec.Parse("1=tcp:127.0.0.1:5000"), Is.EqualTo(new UartBackendSpec(1, "tcp", "127.0.0.1", 5000)));
            Assert.That(UartBackendSpec.Parse("7=tcp-listen:127.0.0.1:0"), Is.EqualTo(new UartBackendSpec(7, "tcp-listen", "127.0.0.1", 0)));
            Assert.That(() => UartBackendSpec.Parse("8=stdio"), Throws.TypeOf<FormatException>());
            Assert.That(() => UartBackendSpec.Parse("1=serial:/dev/ttyS0"), Throws.TypeOf<FormatException>());
            Assert.That(() => UartBackendSpec.Parse("1=tcp:localhost"), Throws.TypeOf<FormatException>());
        });
    }

    [Test]
    public void InMemoryChannelReportsEachNonEmptyEnqueue()
    {
        using var channel = new InMemoryByteChannel();
        int reports = 0;
        channel.BytesArrived += () => reports++;
        channel.Enqueue(ReadOnlySpan<byte>.Empty);
        Assert.That(reports, Is.Zero);
        channel.Enqueue("ab"u8);
        Assert.That((reports, channel.TryReceive(out byte first), first), Is.EqualTo((1, true, (byte)'a')));
    }

    [Test]
    public void StreamChannelReportsArrivalsAfterQueueingThem()
    {
        using var input = new ReportedBytes();
        using var channel = new StreamByteChannel(new MemoryStream("in"u8.ToArray()), null, ownsStreams: false);
        input.Follow(channel);
        Assert.That(input.WaitForFirst(), Is.EqualTo((byte)'i'), "the byte can be taken when the report comes");
    }

    [Test]
    public void PipeChannelReportsArrivals()
    {
        var toGuest = new Pipe();
        var fromGuest = new Pipe();
        using var input = new ReportedBytes();
        using var channel = new PipeByteChannel(new DuplexPipe(toGuest.Reader, fromGuest.Writer));
        input.Follow(channel);
        toGuest.Writer.WriteAsync("p"u8.ToArray()).AsTask().Wait();
        Assert.That(input.WaitForFirst(), Is.EqualTo((byte)'p'));
    }

    [Test]
    public void TcpServerChannelReportsArrivalsFromEachClient()
    {
        using var input = new ReportedBytes();
        using var server = TcpByteChannel.Listen(IPAddress.Loopback, 0);
        input.Follow(server);
        using var client = TcpByteChannel.Connect("127.0.0.1", server.ListenEndPoint!.Port);
        client.Send((byte)'t');
        Assert.That(input.WaitForFirst(), Is.EqualTo((byte)'t'));
    }

    // Takes a byte from the channel in its BytesArrived handler, as a UART does on the machine's thread after the report.
    private sealed class ReportedBytes : IDisposable
    {
        private readonly ManualResetEventSlim _received = new();
        private byte _first;

        public void Follow(INotifyingByteChannel channel)
        {
            channel.BytesArrived += () => Take(channel);

            // A channel that reads in the background may have reported before this subscription, as a UART attached
            // late would miss it: it looks once at what is queued (the MFS does on attach).
            Take(channel);
        }

        private void Take(IByteChannel channel)
        {
            lock (_received)
            {
                if (!_received.IsSet && channel.TryReceive(out byte b))
                {
                    _first = b;
                    _received.Set();
                }
            }
        }

        public byte WaitForFirst()
        {
            Assert.That(_received.Wait(TimeSpan.FromSeconds(10)), Is.True, "no arrival was reported");
            return _first;
        }

        public void Dispose() => _received.Dispose();
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
