using System.Buffers;

namespace Dsm.Protocol.Tests;

/// <summary>
/// The C device half's receiver (here as a stopped device answering each COMMITTED with DONE) after host
/// bytes were lost. A FIFO-less UART overruns while the DSMC is busy, so a host frame can arrive with a hole;
/// the frame that follows must still be found (protocol.md 1: a failed frame skips one byte, not all of it).
/// Before this was so, the broken frame swallowed the next frame's header: a lost COMMITTED and a second of
/// downtime (the device's reply timeout) in about a third of the emulated FM3's migrations.
/// </summary>
[Parallelizable(ParallelScope.All)]
public class NativeReceiverTests
{
    private static readonly byte[] Digest = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    private static byte[] Committed(ushort sequence = 3) => Frame(new DigestMessage(MessageType.Committed, Digest), sequence);

    private static byte[] FlashRequest() => Frame(new FlashRequestMessage(0, true, 0, 128, Enumerable.Repeat((byte)0xFF, 16).ToArray()), 1);

    public static IEnumerable<TestCaseData> Streams()
    {
        byte[] request = FlashRequest();
        yield return new TestCaseData(Committed(), 1).SetName("Intact COMMITTED");
        yield return new TestCaseData(Concat(request[..27], Committed()), 1).SetName("COMMITTED after a request that lost its tail");
        yield return new TestCaseData(Concat(request[..16], request[17..], Committed()), 1).SetName("COMMITTED after a request that lost one byte");
        yield return new TestCaseData(Concat(request[..16], request[17..], request, Committed()), 1).SetName("Repeated request after a broken one, then COMMITTED");
        yield return new TestCaseData(Concat(Committed(), Committed(4)), 2).SetName("Two COMMITTED back to back");
        // A broken header that claims the longest host payload spans four COMMITTED frames; all of them are found.
        byte[] longHeader = [ProtocolConstants.Sync0, ProtocolConstants.Sync1, (byte)MessageType.FlashRequest, 0, 128, 0, 1, 0, 0x12, 0x34];
        yield return new TestCaseData(Concat(longHeader, Frame(new KeepaliveMessage(), 3), Committed(), Committed(), Committed(), Committed()), 4)
            .SetName("COMMITTED frames inside a broken long frame");
        yield return new TestCaseData(Concat([0x00, 0xD5, 0xD5, 0x4D, 0x31, 0x01, 0x20], Committed()), 1).SetName("COMMITTED after garbage with sync bytes");
        // The broken header's claimed length is never reached: the line falls silent with the COMMITTED inside it.
        // Waiting for the claimed bytes swallowed the host's repeats, a reply timeout each (seen at 1 Mbaud).
        yield return new TestCaseData(Concat(longHeader, Committed()), 1).SetName("COMMITTED inside a broken long frame, then silence");
    }

    [TestCaseSource(nameof(Streams))]
    public void TheStoppedDeviceAnswersEveryCommittedThatArrivedWhole(byte[] hostBytes, int expectedDone)
    {
        string scenario = Path.Combine(Path.GetTempPath(), $"dsm-scenario-{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(scenario, TestScenario.Serialize(TestScenario.Realistic(seed: 3)));
        try
        {
            var output = NativeDriver.RunDriver(hostBytes, "stopped", scenario);
            Assert.That(DoneFrames(output), Is.EqualTo(expectedDone));
        }
        finally
        {
            File.Delete(scenario);
        }
    }

    private static int DoneFrames(byte[] output)
    {
        var buffer = new ReadOnlySequence<byte>(output);
        var payload = new byte[ProtocolConstants.MaxPayloadLength];
        int done = 0;
        FrameCodec.ParseStatus status;
        while ((status = FrameCodec.TryParse(ref buffer, payload, out var frame, out _)) != FrameCodec.ParseStatus.NeedMoreData)
        {
            Assert.That(status, Is.EqualTo(FrameCodec.ParseStatus.Frame), "the device sends whole frames");
            Assert.That(frame.Type, Is.EqualTo(MessageType.Done));
            done++;
        }

        return done;
    }

    private static byte[] Frame<T>(T message, ushort sequence)
        where T : IProtocolMessage
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameCodec.Write(writer, message, sequence);
        return writer.WrittenSpan.ToArray();
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
