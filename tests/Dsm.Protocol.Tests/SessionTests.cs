using Moq;
using System.Buffers;

namespace Dsm.Protocol.Tests;

public class SessionTests
{
    private static readonly MigrationReceiverOptions Fast = new() { FrameTimeout = TimeSpan.FromMilliseconds(500), KeepaliveInterval = TimeSpan.FromMilliseconds(50) };
    private static readonly EmigratorOptions DeviceFast = new() { ReplyTimeout = TimeSpan.FromMilliseconds(500) };

    internal static void AssertSameSystem(DeviceImage image, EmigratedSystem system)
    {
        Assert.That(system.Regions, Has.Count.EqualTo(image.Hello.Regions.Count));
        for (int i = 0; i < image.Hello.Regions.Count; i++)
        {
            if (image.Hello.Regions[i].Kind != RegionKind.DsmcPrivate)
            {
                Assert.That(system.Regions[i].Contents.Span.SequenceEqual(image.RegionContents[i].Span), Is.True, $"region {i} differs");
            }
        }

        var expectedCpu = new byte[image.CpuState.EncodedLength];
        image.CpuState.Encode(expectedCpu);
        var actualCpu = new byte[system.CpuState.EncodedLength];
        system.CpuState.Encode(actualCpu);
        Assert.That(actualCpu, Is.EqualTo(expectedCpu));
        Assert.That(system.Hello.ResumeAddress, Is.EqualTo(image.Hello.ResumeAddress));
    }

    private static Task<(MigrationResult? Result, ProtocolException? Error, EmigrationOutcome Outcome)> RunAsync(
        DeviceImage image, MigrationReceiver receiver, Func<long, byte, byte?>? damage = null) =>
        FilteredLink.RunAsync(image, DeviceFast, receiver, _ => false, damage);

    [Test]
    public async Task KeyedDeviceMovesWithFlashDiff()
    {
        var image = TestScenario.Realistic();
        var flash = image.RegionContents[0].ToArray();
        var stale = flash.ToArray();
        stale[5000] ^= 1; // block 1 differs
        stale[70000] ^= 1; // block 17 differs
        var store = new SystemStore();
        var receiver = new MigrationReceiver(new FirmwareStore(new() { [0] = stale }), store, new KeyProvider(TestScenario.Key), Fast);
        var (result, error, outcome) = await RunAsync(image, receiver);
        Assert.That(error, Is.Null);
        Assert.That(outcome, Is.EqualTo(EmigrationOutcome.Moved));
        Assert.That(result!.Completion, Is.EqualTo(MigrationCompletion.Moved));
        Assert.That(result.System.IsAuthenticated, Is.True);
        Assert.That(result.System.FlashBlocksReceived, Is.EqualTo(2));
        Assert.That(result.System.FlashBlocksFromStore, Is.EqualTo(30));
        Assert.That(store.Stored, Has.Count.EqualTo(1));
        AssertSameSystem(image, result.System);
    }

    [Test]
    public async Task KeylessDeviceWithACrcTranscriptMovesAndTheDigestIsItsCrc()
    {
        var image = TestScenario.Realistic(seed: 12, withKey: false, caps: DeviceCapabilities.Backchannel | DeviceCapabilities.CrcTranscript);
        var receiver = new MigrationReceiver(new FirmwareStore(), new SystemStore(), null, new MigrationReceiverOptions { FrameTimeout = Fast.FrameTimeout, KeepaliveInterval = Fast.KeepaliveInterval, RequireAuthentication = false });
        var (result, error, outcome) = await RunAsync(image, receiver, (i, b) => i == 2000 ? (byte)(b ^ 8) : b);
        Assert.That(error, Is.Null, error?.Message);
        Assert.That(outcome, Is.EqualTo(EmigrationOutcome.Moved));
        var digest = result!.System.TranscriptDigest.ToArray();
        Assert.That(digest, Has.Length.EqualTo(ProtocolConstants.DigestSize));
        Assert.That(digest[4..], Is.All.Zero);
        Assert.That(BitConverter.ToUInt32(digest, 0), Is.Not.Zero);
        AssertSameSystem(image, result.System);
    }

    [Test]
    public void CrcTranscriptWithAKeyIsAMalformedHello()
    {
        var hello = TestScenario.Realistic().Hello with { Capabilities = DeviceCapabilities.Backchannel | DeviceCapabilities.HasKey | DeviceCapabilities.CrcTranscript };
        var ex = Assert.Throws<ProtocolException>(hello.Validate);
        Assert.That(ex!.ErrorCode, Is.EqualTo(ProtocolErrorCode.MalformedMessage));
        Assert.That(ex.Message, Does.Contain("CRC-32 transcript"));
    }

    [Test]
    public async Task UnknownFirmwareSendsAllFlash()
    {
        var image = TestScenario.Realistic(seed: 2);
        var receiver = new MigrationReceiver(new FirmwareStore(), new SystemStore(), new KeyProvider(TestScenario.Key), Fast);
        var (result, error, _) = await RunAsync(image, receiver);
        Assert.That(error, Is.Null);
        Assert.That(result!.System.FlashBlocksReceived, Is.EqualTo(32));
        AssertSameSystem(image, result.System);
    }

    [Test]
    public async Task CorruptedAndDroppedBytesAreRetransmitted()
    {
        var image = TestScenario.Realistic(seed: 3);
        var receiver = new MigrationReceiver(new FirmwareStore(), new SystemStore(), new KeyProvider(TestScenario.Key), Fast);
        var (result, error, outcome) = await RunAsync(image, receiver, (i, b) => i switch
        {
            300 => (byte)(b ^ 0x40),
            9000 => null,
            20_000 => (byte)(b ^ 1),
            _ => b,
        });
        Assert.That(error, Is.Null, error?.Message);
        Assert.That(outcome, Is.EqualTo(EmigrationOutcome.Moved));
        AssertSameSystem(image, result!.System);
    }

    [Test]
    public async Task WrongKeyFailsAuthenticationAndTheDeviceKeepsRunning()
    {
        var image = TestScenario.Realistic();
        var store = new SystemStore();
        var receiver = new MigrationReceiver(new FirmwareStore(), store, new KeyProvider(new byte[32]), Fast);
        var (_, error, outcome) = await RunAsync(image, receiver);
        Assert.That(error!.ErrorCode, Is.EqualTo(ProtocolErrorCode.AuthenticationFailed));
        Assert.That(outcome, Is.EqualTo(EmigrationOutcome.Aborted));
        Assert.That(store.Stored, Is.Empty);
    }

    [Test]
    public async Task UnknownDeviceIsRejectedWhenAuthenticationIsRequired()
    {
        var image = TestScenario.Realistic(withKey: false);
        var receiver = new MigrationReceiver(new FirmwareStore(), new SystemStore(), null, Fast);
        var (_, error, outcome) = await RunAsync(image, receiver);
        Assert.That(error!.ErrorCode, Is.EqualTo(ProtocolErrorCode.AuthenticationRequired));
        Assert.That(outcome, Is.EqualTo(EmigrationOutcome.Rejected));
    }

    [Test]
    public async Task StorageFailureAbortsTheSession()
    {
        var image = TestScenario.Realistic();
        var store = new SystemStore { Failure = new IOException("disk full"), Delay = () => Task.Delay(200) };
        var receiver = new MigrationReceiver(new FirmwareStore(), store, new KeyProvider(TestScenario.Key), Fast);
        var (_, error, outcome) = await RunAsync(image, receiver);
        Assert.That(error!.ErrorCode, Is.EqualTo(ProtocolErrorCode.StorageFailed));
        Assert.That(outcome, Is.EqualTo(EmigrationOutcome.Aborted));
    }

    [Test]
    public async Task StoreThatThrowsBeforeReturningItsTaskAbortsTheSession()
    {
        var image = TestScenario.Realistic();
        var store = new Mock<IEmigratedSystemStore>();
        store.Setup(s => s.StoreAsync(It.IsAny<EmigratedSystem>(), It.IsAny<CancellationToken>())).Throws(new IOException("volume gone"));
        var receiver = new MigrationReceiver(new FirmwareStore(), store.Object, new KeyProvider(TestScenario.Key), Fast);
        var (_, error, outcome) = await RunAsync(image, receiver);
        Assert.That(error!.ErrorCode, Is.EqualTo(ProtocolErrorCode.StorageFailed));
        Assert.That(outcome, Is.EqualTo(EmigrationOutcome.Aborted));
    }

    [Test]
    public async Task SlowStorageIsCoveredByKeepalives()
    {
        var image = TestScenario.Realistic();
        var store = new SystemStore { Delay = () => Task.Delay(1500) };
        var receiver = new MigrationReceiver(new FirmwareStore(), store, new KeyProvider(TestScenario.Key), Fast);
        var (result, error, outcome) = await RunAsync(image, receiver);
        Assert.That(error, Is.Null);
        Assert.That(outcome, Is.EqualTo(EmigrationOutcome.Moved));
        Assert.That(result!.Completion, Is.EqualTo(MigrationCompletion.Moved));
    }

    [Test]
    public async Task UnsupportedVersionIsRejected()
    {
        var image = TestScenario.Realistic();
        var link = new Link();
        var hello = image.Hello with { Version = 2 };
        var bytes = new ArrayBufferWriter<byte>();
        FrameCodec.Write(bytes, hello, 0);
        await link.Device.Output.WriteAsync(bytes.WrittenMemory);
        var receiver = new MigrationReceiver(new FirmwareStore(), new SystemStore(), new KeyProvider(TestScenario.Key), Fast);
        var error = Assert.ThrowsAsync<ProtocolException>(() => receiver.ReceiveAsync(link.Host, CancellationToken.None));
        Assert.That(error!.ErrorCode, Is.EqualTo(ProtocolErrorCode.UnsupportedVersion));
        var reply = await new FrameReader(link.Device.Input).ReadAsync(CancellationToken.None);
        Assert.That(reply.Frame.Type, Is.EqualTo(MessageType.Reject));
        Assert.That(ReasonMessage.Decode(MessageType.Reject, reply.Frame.Payload.Span).Reason, Is.EqualTo((byte)RejectReason.UnsupportedVersion));
    }

    [Test]
    public async Task PushOnlyIsACopyUnlessTheDeviceSaysMove()
    {
        foreach (var (caps, expected) in new[] { (DeviceCapabilities.None, MigrationCompletion.Copied), (DeviceCapabilities.PushMove, MigrationCompletion.PushedMove) })
        {
            var image = TestScenario.Realistic(caps: caps);
            var bytes = new ArrayBufferWriter<byte>();
            new Emigrator(image).WritePushOnly(bytes);
            var receiver = new MigrationReceiver(new FirmwareStore(), new SystemStore(), new KeyProvider(TestScenario.Key), Fast);
            var result = await receiver.ReceiveAsync(Link.ReadOnly(bytes.WrittenSpan.ToArray()), CancellationToken.None);
            Assert.That(result.Completion, Is.EqualTo(expected));
            Assert.That(result.System.IsPushOnly && result.System.IsAuthenticated, Is.True);
            AssertSameSystem(image, result.System);
        }
    }

    [Test]
    public void PushOnlyLossCannotBeRepaired()
    {
        var bytes = new ArrayBufferWriter<byte>();
        new Emigrator(TestScenario.Realistic(caps: DeviceCapabilities.None)).WritePushOnly(bytes);
        var damaged = bytes.WrittenSpan.ToArray();
        damaged[500] ^= 0x10;
        var receiver = new MigrationReceiver(new FirmwareStore(), new SystemStore(), new KeyProvider(TestScenario.Key), Fast);
        var error = Assert.ThrowsAsync<ProtocolException>(() => receiver.ReceiveAsync(Link.ReadOnly(damaged), CancellationToken.None));
        Assert.That(error!.ErrorCode, Is.EqualTo(ProtocolErrorCode.TooManyRetries));
    }
}
