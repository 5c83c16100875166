namespace Dsm.Protocol.Tests;

/// <summary>
/// Host behaviour that keeps the flash diff off the downtime: requests repeated when the device starts
/// listening, and erased flash past the stored image matched without crossing the link.
/// </summary>
[Parallelizable(ParallelScope.All)]
public class FlashDiffLatencyTests
{
    // Timeouts far beyond the test's guard: a session that relied on one would fail the guard, not pass slowly.
    private static readonly MigrationReceiverOptions Patient = new() { FrameTimeout = TimeSpan.FromMinutes(10) };
    private static readonly EmigratorOptions PatientDevice = new() { ReplyTimeout = TimeSpan.FromMinutes(10) };

    [Test]
    public async Task LostFlashRequestsAreRepeatedWhenTheSramIsIn()
    {
        // Like a FIFO-less UART that overruns while the device transmits: the first copy of each host
        // FLASH_REQUEST never arrives. The device would wait out its reply timeout unless the host repeats them.
        var image = TestScenario.Realistic(seed: 11);
        var stale = image.RegionContents[0].ToArray();
        stale[9000] ^= 1; // block 2 differs
        var receiver = new MigrationReceiver(new FirmwareStore(new() { [0] = stale }), new SystemStore(), new KeyProvider(TestScenario.Key), Patient);
        var (result, outcome, dropped) = await RunDroppingFirstRequestsAsync(image, receiver);
        Assert.That(dropped, Is.GreaterThan(0), "the test must have dropped a request");
        Assert.That(outcome, Is.EqualTo(EmigrationOutcome.Moved));
        Assert.That(result.Completion, Is.EqualTo(MigrationCompletion.Moved));
        Assert.That(result.System.FlashBlocksReceived, Is.EqualTo(1));
        SessionTests.AssertSameSystem(image, result.System);
    }

    [Test]
    public async Task ErasedFlashPastTheStoredImageIsNotRequested()
    {
        // TestScenario's firmware fills 3/8 of the flash; a store cuts its image after the last defined byte.
        var image = TestScenario.Realistic(seed: 12);
        var flash = image.RegionContents[0].ToArray();
        int end = Array.FindLastIndex(flash, b => b != 0xFF) + 1;
        var receiver = new MigrationReceiver(new FirmwareStore(new() { [0] = flash[..end] }), new SystemStore(), new KeyProvider(TestScenario.Key), Patient);
        var (result, outcome, _) = await RunDroppingFirstRequestsAsync(image, receiver);
        Assert.That(outcome, Is.EqualTo(EmigrationOutcome.Moved));
        Assert.That(result.System.FlashBlocksReceived, Is.Zero);
        Assert.That(result.System.FlashBlocksFromStore, Is.EqualTo(image.Hello.Regions[0].BlockCount));
        SessionTests.AssertSameSystem(image, result.System);
    }

    [Test]
    public async Task WrittenFlashPastTheStoredImageIsRequested()
    {
        // The application wrote a log record into erased flash: that block must cross the link.
        var image = TestScenario.Realistic(seed: 13);
        var flash = image.RegionContents[0].ToArray();
        int end = Array.FindLastIndex(flash, b => b != 0xFF) + 1;
        var written = flash.ToArray();
        written[^100] = 0x42;
        var device = image with { RegionContents = [written, image.RegionContents[1], image.RegionContents[2]] };
        var receiver = new MigrationReceiver(new FirmwareStore(new() { [0] = flash[..end] }), new SystemStore(), new KeyProvider(TestScenario.Key), Patient);
        var (result, outcome, _) = await RunDroppingFirstRequestsAsync(device, receiver);
        Assert.That(outcome, Is.EqualTo(EmigrationOutcome.Moved));
        Assert.That(result.System.FlashBlocksReceived, Is.EqualTo(1));
        SessionTests.AssertSameSystem(device, result.System);
    }

    private static async Task<(MigrationResult Result, EmigrationOutcome Outcome, int Dropped)> RunDroppingFirstRequestsAsync(DeviceImage image, MigrationReceiver receiver)
    {
        var seen = new HashSet<ushort>();
        int dropped = 0;
        var (result, error, outcome) = await FilteredLink.RunAsync(image, PatientDevice, receiver, frame =>
        {
            bool drop = FilteredLink.Type(frame) == MessageType.FlashRequest && seen.Add(FilteredLink.Sequence(frame));
            dropped += drop ? 1 : 0;
            return drop;
        });
        Assert.That(error, Is.Null, error?.Message);
        return (result!, outcome, dropped);
    }
}
