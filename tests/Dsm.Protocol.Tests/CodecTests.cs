using System.Buffers;
using K4os.Compression.LZ4;

namespace Dsm.Protocol.Tests;

public class CodecTests
{
    [Test]
    public void Crc32MatchesTheStandardCheckValue()
    {
        Assert.That(Crc32.Compute("123456789"u8), Is.EqualTo(0xCBF43926u));
        var data = new byte[1000];
        new Random(3).NextBytes(data);
        uint split = ~Crc32.Update(Crc32.Update(0xFFFFFFFFu, data.AsSpan(0, 333)), data.AsSpan(333));
        Assert.That(split, Is.EqualTo(Crc32.Compute(data)));
    }

    [TestCase(1)]
    [TestCase(12)]
    [TestCase(13)]
    [TestCase(100)]
    [TestCase(4096)]
    public void Lz4EncoderOutputDecodesWithK4os(int length)
    {
        var random = new Random(length);
        foreach (var data in new[] { new byte[length], Enumerable.Range(0, length).Select(i => (byte)(i % 7)).ToArray(), Random(random, length), Mixed(random, length) })
        {
            var packed = new byte[Lz4BlockEncoder.MaxOutputLength(length)];
            int n = Lz4BlockEncoder.Encode(data, packed, new ushort[1 << ProtocolConstants.Lz4HashBits]);
            var back = new byte[length];
            Assert.That(LZ4Codec.Decode(packed.AsSpan(0, n), back), Is.EqualTo(length));
            Assert.That(back, Is.EqualTo(data));
        }
    }

    [Test]
    public void Lz4EncoderCompressesRepetitiveDataAndFallsBackOnNoise()
    {
        var table = new ushort[1 << ProtocolConstants.Lz4HashBits];
        var output = new byte[Lz4BlockEncoder.MaxOutputLength(4096)];
        Assert.That(Lz4BlockEncoder.Encode(new byte[4096], output, table), Is.LessThan(40));
        Assert.That(Lz4BlockEncoder.Encode(Random(new Random(1), 4096), output, table), Is.GreaterThan(4096));
    }

    [Test]
    public void FramesRoundTripAndSurviveGarbageAndCorruption()
    {
        var buffer = new ArrayBufferWriter<byte>();
        buffer.Write(new byte[] { 1, 2, ProtocolConstants.Sync0, 9, ProtocolConstants.Sync0, ProtocolConstants.Sync1, 0xEE });
        FrameCodec.Write(buffer, new NackMessage(7), 3);
        int corruptStart = buffer.WrittenCount;
        FrameCodec.Write(buffer, new NackMessage(8), 4);
        FrameCodec.Write(buffer, new KeepaliveMessage(), 5);
        var bytes = buffer.WrittenSpan.ToArray();
        bytes[corruptStart + ProtocolConstants.HeaderSize] ^= 0xFF;

        // Split into one-byte segments so every boundary case of the sequence parser is hit.
        var sequence = Segmented(bytes, 1);
        var payload = new byte[ProtocolConstants.MaxPayloadLength];
        var results = new List<(FrameCodec.ParseStatus, MessageType, ushort)>();
        while (true)
        {
            var status = FrameCodec.TryParse(ref sequence, payload, out var frame, out _);
            if (status == FrameCodec.ParseStatus.NeedMoreData)
            {
                break;
            }

            results.Add((status, frame.Type, frame.Sequence));
        }

        Assert.That(results, Is.EqualTo(new[]
        {
            (FrameCodec.ParseStatus.Frame, MessageType.Nack, (ushort)3),
            (FrameCodec.ParseStatus.Corrupt, default(MessageType), (ushort)0),
            (FrameCodec.ParseStatus.Frame, MessageType.Keepalive, (ushort)5),
        }));
    }

    [Test]
    public void AHostileLengthIsTreatedAsGarbage()
    {
        byte[] header = [ProtocolConstants.Sync0, ProtocolConstants.Sync1, (byte)MessageType.Block, 0, 0xFF, 0xFF, 0, 0];
        var sequence = new ReadOnlySequence<byte>([.. header, .. new byte[64]]);
        var status = FrameCodec.TryParse(ref sequence, new byte[ProtocolConstants.MaxPayloadLength], out _, out long discarded);
        Assert.That(status, Is.EqualTo(FrameCodec.ParseStatus.NeedMoreData));
        Assert.That(discarded, Is.EqualTo(header.Length + 64));
    }

    [Test]
    public void MessagesRoundTrip()
    {
        var image = TestScenario.Realistic();
        AssertRoundTrip(image.Hello, p => HelloMessage.Decode(p), (a, b) => a with { DeviceId = b.DeviceId, BuildId = b.BuildId, Regions = b.Regions } == b
            && a.DeviceId.Span.SequenceEqual(b.DeviceId.Span) && a.Regions.SequenceEqual(b.Regions));
        var cpu = image.CpuState;
        var decoded = AssertRoundTrip(cpu, p => CpuStateMessage.Decode(p), (_, _) => true);
        Assert.Multiple(() =>
        {
            Assert.That(decoded.R, Is.EqualTo(cpu.R));
            Assert.That(decoded.NvicPriority.ToArray(), Is.EqualTo(cpu.NvicPriority.ToArray()));
            Assert.That(decoded.NvicActive, Is.EqualTo(cpu.NvicActive));
            Assert.That(decoded.IsExceptionActive(18) && decoded.IsExceptionActive(21) && !decoded.IsExceptionActive(3), Is.True);
            Assert.That(decoded.Basepri, Is.EqualTo(cpu.Basepri));
        });
        AssertRoundTrip(new AcceptMessage(new byte[16], AcceptOptions.FlashDiff), p => AcceptMessage.Decode(p), (a, b) => a.Options == b.Options);
        AssertRoundTrip(ReasonMessage.Reject(RejectReason.Busy, "busy\n"), p => ReasonMessage.Decode(MessageType.Reject, p), (a, b) => a == b && b.Text == "busy?");
        AssertRoundTrip(new FlashOfferMessage(2, true, 5, [1, 2, 3]), p => FlashOfferMessage.Decode(p), (a, b) => b.Crcs.SequenceEqual(a.Crcs) && b.IsLast);
        var request = AssertRoundTrip(new FlashRequestMessage(1, false, 0, 10, new byte[] { 0x81, 0x02 }), p => FlashRequestMessage.Decode(p), (_, _) => true);
        Assert.That(Enumerable.Range(0, 10).Where(request.IsRequested), Is.EqualTo(new[] { 0, 7, 9 }));
        AssertRoundTrip(new CommitMessage(new byte[32], new byte[32]), p => CommitMessage.Decode(p), (_, b) => b.HasMac);
        AssertRoundTrip(new NackMessage(513), p => NackMessage.Decode(p), (a, b) => a == b);
    }

    [Test]
    public void MalformedPayloadsGiveTypedErrors()
    {
        var hello = new byte[image().Hello.EncodedLength];
        image().Hello.Encode(hello);
        Assert.Multiple(() =>
        {
            Assert.That(Code(() => HelloMessage.Decode(hello.AsSpan(0, 20))), Is.EqualTo(ProtocolErrorCode.MalformedMessage));
            Assert.That(Code(() => HelloMessage.Decode([9, .. hello.AsSpan(1)])), Is.EqualTo(ProtocolErrorCode.UnsupportedVersion));
            Assert.That(Code(() => HelloMessage.Decode([.. hello, 0])), Is.EqualTo(ProtocolErrorCode.MalformedMessage));
            Assert.That(Code(() => BlockMessage.Decode(new byte[] { 0, 3, 0, 0, 0, 0, 0, 0, 0x01, 0x20, 0, 0, 1 })), Is.EqualTo(ProtocolErrorCode.Oversize));
            Assert.That(Code(() => BlockMessage.Decode(new byte[] { 0, 9, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 })), Is.EqualTo(ProtocolErrorCode.MalformedMessage));
            Assert.That(Code(() => BlockMessage.Decode(new byte[] { 0, 3, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 0xF0 }).DecodeInto(new byte[16])), Is.EqualTo(ProtocolErrorCode.BadCompression));
            Assert.That(Code(() => CpuStateMessage.Decode([2, 0, 0, 0])), Is.EqualTo(ProtocolErrorCode.UnsupportedVersion));
        });

        static DeviceImage image() => TestScenario.Realistic();
    }

    private static ProtocolErrorCode? Code(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (ProtocolException ex)
        {
            return ex.ErrorCode;
        }
    }

    private static T AssertRoundTrip<T>(T message, Func<byte[], T> decode, Func<T, T, bool> equal)
        where T : IProtocolMessage
    {
        var payload = new byte[message.EncodedLength];
        message.Encode(payload);
        var back = decode(payload);
        Assert.That(equal(message, back), Is.True, $"{message.Type} did not round-trip");
        var again = new byte[back.EncodedLength];
        back.Encode(again);
        Assert.That(again, Is.EqualTo(payload));
        return back;
    }

    internal static ReadOnlySequence<byte> Segmented(byte[] bytes, int size)
    {
        Segment? first = null, last = null;
        for (int i = 0; i < bytes.Length; i += size)
        {
            var memory = bytes.AsMemory(i, Math.Min(size, bytes.Length - i));
            last = last is null ? first = new Segment(memory, 0) : last.Append(memory);
        }

        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    private static byte[] Random(Random random, int length)
    {
        var data = new byte[length];
        random.NextBytes(data);
        return data;
    }

    private static byte[] Mixed(Random random, int length)
    {
        var data = new byte[length];
        for (int i = 0; i < length; i++)
        {
            data[i] = random.Next(0, 4) == 0 ? (byte)random.Next() : (byte)"abcdefgh"[i % 8];
        }

        return data;
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
