using System.Buffers;
using FsCheck;
using FsCheck.Fluent;

namespace Dsm.Protocol.Tests;

/// <summary>Hostile and broken streams: typed errors only, bounded memory.</summary>
public class ValidationTests
{
    private static readonly MigrationReceiverOptions Options = new() { RequireAuthentication = false, FrameTimeout = TimeSpan.FromSeconds(2) };

    private static HelloMessage Hello(params RegionDescriptor[] regions) => new()
    {
        Capabilities = DeviceCapabilities.Lz4, IrqCount = 8, BoardId = "TEST", Regions = regions,
    };

    private static readonly HelloMessage TwoBlocks = Hello(new RegionDescriptor(RegionKind.Sram, 0x2000_0000, 8192), new RegionDescriptor(RegionKind.DsmcPrivate, 0x2000_2000, 256));

    private static byte[] Stream(HelloMessage hello, params IProtocolMessage[] messages)
    {
        var output = new ArrayBufferWriter<byte>();
        FrameCodec.Write(output, hello, 0);
        ushort sequence = 1;
        foreach (var message in messages)
        {
            FrameCodec.Write(output, message, sequence++);
        }

        return output.WrittenSpan.ToArray();
    }

    private static BlockMessage Raw(byte region, uint offset, uint length) => new(region, BlockEncoding.Raw, offset, length, new byte[length]);

    private static BlockMessage Zero(byte region, uint offset, uint length) => new(region, BlockEncoding.Zero, offset, length, ReadOnlyMemory<byte>.Empty);

    private static ProtocolErrorCode Receive(byte[] stream)
    {
        var receiver = new MigrationReceiver(new FirmwareStore(), new SystemStore(), null, Options);
        var error = Assert.ThrowsAsync<ProtocolException>(() => receiver.ReceiveAsync(Link.ReadOnly(stream), CancellationToken.None));
        return error!.ErrorCode;
    }

    public static IEnumerable<TestCaseData> BrokenStreams()
    {
        yield return new TestCaseData(Stream(TwoBlocks, Raw(0, 0, 4096), Raw(0, 2048, 4096)), ProtocolErrorCode.Overlap).SetName("Overlap");
        yield return new TestCaseData(Stream(TwoBlocks, Raw(0, 0, 4096), Raw(0, 0, 4096)), ProtocolErrorCode.Duplicate).SetName("Duplicate");
        yield return new TestCaseData(Stream(TwoBlocks, Raw(0, 4096, 4096)), ProtocolErrorCode.MissingBlock).SetName("Missing");
        yield return new TestCaseData(Stream(TwoBlocks, Zero(0, 0, 16384)), ProtocolErrorCode.Oversize).SetName("PastRegionEnd");
        yield return new TestCaseData(Stream(TwoBlocks, Raw(1, 0, 256)), ProtocolErrorCode.OutOfOrder).SetName("PrivateRegion");
        yield return new TestCaseData(Stream(TwoBlocks, Raw(0, 0, 4096), TestScenario.Cpu(8, 1)), ProtocolErrorCode.MissingBlock).SetName("CpuStateTooEarly");
        yield return new TestCaseData(Stream(TwoBlocks, Zero(0, 0, 8192), TestScenario.Cpu(9, 1)), ProtocolErrorCode.MalformedMessage).SetName("IrqCountMismatch");
        yield return new TestCaseData(Stream(TwoBlocks, new BlockMessage(0, BlockEncoding.Lz4, 0, 4096, new byte[] { 0x1F, 1 })), ProtocolErrorCode.BadCompression).SetName("BadLz4");
        yield return new TestCaseData(Stream(TwoBlocks, Zero(0, 0, 8192), TestScenario.Cpu(8, 1), new CommitMessage(new byte[32], ReadOnlyMemory<byte>.Empty)), ProtocolErrorCode.TranscriptMismatch).SetName("WrongDigest");
        yield return new TestCaseData(Stream(Hello(new RegionDescriptor(RegionKind.Sram, 0x2000_0000, 8192), new RegionDescriptor(RegionKind.Sram, 0x2000_1000, 8192))), ProtocolErrorCode.InvalidRegionTable).SetName("OverlappingRegions");
        yield return new TestCaseData(Stream(Hello(new RegionDescriptor(RegionKind.Sram, 0xFFFF_F000, 0x2000))), ProtocolErrorCode.InvalidRegionTable).SetName("RegionWraps");
        yield return new TestCaseData(Stream(TwoBlocks, Raw(0, 0, 4096)), ProtocolErrorCode.LinkClosed).SetName("Truncated");
    }

    [TestCaseSource(nameof(BrokenStreams))]
    public void BrokenStreamsGiveTypedErrors(byte[] stream, ProtocolErrorCode expected) => Assert.That(Receive(stream), Is.EqualTo(expected));

    [Test]
    public void HugeAnnouncedMemoryIsRefusedBeforeAllocating()
    {
        var hello = Hello(Enumerable.Range(0, 16).Select(i => new RegionDescriptor(RegionKind.Sram, (uint)i << 28, 0x0FFF_FFFF)).ToArray());
        long before = GC.GetTotalAllocatedBytes(precise: true);
        Assert.That(Receive(Stream(hello)), Is.EqualTo(ProtocolErrorCode.Oversize));
        Assert.That(GC.GetTotalAllocatedBytes(precise: true) - before, Is.LessThan(16L << 20));
    }

    [Test]
    public void RandomBytesOnlyRaiseProtocolExceptions()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes => OnlyProtocolErrors(bytes))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    [Test]
    public void RandomBytesAfterAValidHelloOnlyRaiseProtocolExceptions()
    {
        var hello = Stream(TwoBlocks);
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes => OnlyProtocolErrors([.. hello, .. bytes]))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    [Test]
    public void MutatedValidStreamsOnlyRaiseProtocolExceptions()
    {
        var valid = File.ReadAllBytes(Path.Combine(TestContext.CurrentContext.TestDirectory, "Vectors", "push-odd-sizes.bin"));
        var mutation = from position in Gen.Choose(0, valid.Length - 1)
                       from value in Gen.Choose(0, 255)
                       from kind in Gen.Choose(0, 2)
                       select (position, (byte)value, kind);
        Prop.ForAll(mutation.ToArbitrary(), m =>
        {
            byte[] stream = m.kind switch
            {
                0 => valid.ToArray(),
                1 => valid[..m.position],
                _ => [.. valid[..m.position], m.Item2, .. valid[m.position..]],
            };
            if (m.kind == 0)
            {
                stream[m.position] ^= (byte)(m.Item2 | 1);
            }

            return OnlyProtocolErrors(stream);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    [Test]
    public void MessageDecodersOnlyRaiseProtocolExceptions()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes =>
        {
            foreach (var decode in new Action<byte[]>[]
            {
                p => HelloMessage.Decode(p), p => CpuStateMessage.Decode(p), p => FlashOfferMessage.Decode(p), p => FlashRequestMessage.Decode(p),
                p => CommitMessage.Decode(p), p => AcceptMessage.Decode(p), p => ReasonMessage.Decode(MessageType.Abort, p), p => NackMessage.Decode(p),
                p => { var b = BlockMessage.Decode(p); if (b.Length <= 1u << 16) { b.DecodeInto(new byte[b.Length]); } },
            })
            {
                try
                {
                    decode(bytes);
                }
                catch (ProtocolException)
                {
                }
            }

            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }

    private static bool OnlyProtocolErrors(byte[] stream)
    {
        var receiver = new MigrationReceiver(new FirmwareStore(), new SystemStore(), null, Options);
        try
        {
            receiver.ReceiveAsync(Link.ReadOnly(stream), CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (ProtocolException)
        {
        }

        return true;
    }
}
