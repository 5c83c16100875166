namespace Dsm.Protocol.Tests;

/// <summary>
/// A host NACK that never reaches the device (on a FIFO-less UART it can die in an overrun while the device
/// transmits). The device then goes on to COMMIT and repeats it on its reply timeout; the host must take the
/// repeat as the sign that its NACK was lost and send it again, not wait for a silence that never comes.
/// </summary>
[Parallelizable(ParallelScope.All)]
public class LostNackTests
{
    // The host's silence timeout is far beyond the device's patience: only the repeat rule can save the session.
    private static readonly MigrationReceiverOptions Patient = new() { FrameTimeout = TimeSpan.FromMinutes(10) };
    private static readonly EmigratorOptions QuickDevice = new() { ReplyTimeout = TimeSpan.FromMilliseconds(300), MaxRetries = 3 };

    [TestCase(300L)]
    [TestCase(9000L)]
    public async Task ALostNackIsSentAgainWhenTheDeviceRepeatsAFrame(long corruptAt)
    {
        var image = TestScenario.Realistic(seed: 21);
        var receiver = new MigrationReceiver(new FirmwareStore(), new SystemStore(), new KeyProvider(TestScenario.Key), Patient);
        int nacks = 0;
        var (result, error, outcome) = await FilteredLink.RunAsync(image, QuickDevice, receiver,
            frame => FilteredLink.Type(frame) == MessageType.Nack && ++nacks == 1,
            (offset, b) => offset == corruptAt ? (byte)(b ^ 0x08) : b);
        Assert.That(nacks, Is.GreaterThanOrEqualTo(2), "the first NACK was dropped and another one sent");
        Assert.That(error, Is.Null, error?.Message);
        Assert.That(outcome, Is.EqualTo(EmigrationOutcome.Moved));
        SessionTests.AssertSameSystem(image, result!.System);
    }
}
