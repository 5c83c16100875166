using System.Buffers;

namespace Dsm.Protocol.Tests;

/// <summary>
/// A link that reconnected in the middle of a session (or a host that restarted): the device's first frames on
/// the new link belong to a session this receiver never saw. It ends that half at the device once and then
/// serves the device's next HELLO on the same link, instead of failing on every frame until the device gives up.
/// </summary>
[Parallelizable(ParallelScope.All)]
public class StaleSessionTests
{
    private static readonly MigrationReceiverOptions Fast = new() { FrameTimeout = TimeSpan.FromMilliseconds(500) };

    [Test]
    public async Task FramesOfAnEarlierSessionAreEndedOnceThenANewHelloIsServed()
    {
        var image = TestScenario.Realistic(seed: 31);
        var receiver = new MigrationReceiver(new FirmwareStore(), new SystemStore(), new KeyProvider(TestScenario.Key), Fast);
        var link = new Link();
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var receiving = receiver.ReceiveAsync(link.Host, guard.Token);

        // The old session goes on: a block, its CPU state, COMMIT and a repeated COMMIT.
        var stale = new FrameWriter(link.Device.Output);
        stale.Write(new BlockMessage(1, BlockEncoding.Zero, 0x1000, 4096, ReadOnlyMemory<byte>.Empty), 9);
        stale.Write(new CommitMessage(new byte[32], ReadOnlyMemory<byte>.Empty), 10);
        stale.Write(new CommitMessage(new byte[32], ReadOnlyMemory<byte>.Empty), 10);
        await link.Device.Output.FlushAsync(guard.Token);

        // Its device hears one ABORT (and gives the session up: the system runs on there) ...
        var answer = await ReadFrameAsync(link, guard.Token);
        Assert.That(answer.Type, Is.EqualTo(MessageType.Abort));

        // ... and migrates afresh later on the same link.
        var outcome = await new Emigrator(image, new EmigratorOptions { ReplyTimeout = TimeSpan.FromSeconds(5) }).RunAsync(link.Device, guard.Token);
        var result = await receiving;
        link.Close();
        Assert.That(outcome, Is.EqualTo(EmigrationOutcome.Moved));
        Assert.That(result.Completion, Is.EqualTo(MigrationCompletion.Moved));
        SessionTests.AssertSameSystem(image, result.System);
    }

    private static async Task<Frame> ReadFrameAsync(Link link, CancellationToken ct)
    {
        var payload = new byte[ProtocolConstants.MaxPayloadLength];
        while (true)
        {
            var read = await link.Device.Input.ReadAsync(ct);
            var buffer = read.Buffer;
            if (FrameCodec.TryParse(ref buffer, payload, out var frame, out _) == FrameCodec.ParseStatus.Frame)
            {
                link.Device.Input.AdvanceTo(buffer.Start);
                return frame;
            }

            link.Device.Input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }
}
