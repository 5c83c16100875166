using System.Globalization;
using Dsm.Cli;

namespace Dsm.EndToEnd.Tests;

/// <summary>
/// The sample RTOS moves from a <c>dsm device</c> process to a <c>dsm host</c> process over loopback TCP at
/// seeded random instants (set DSM_E2E_SEED to replay another draw), each pinned to an instruction count and
/// to a kind of instant: anywhere, inside an interrupt handler, inside a critical section (NMI trigger, the
/// only one that gets in there) or in the middle of a console line. After the move no task A line may be
/// lost, repeated or altered, the RTOS tick and task C's timer reports must go on at their cadence.
/// </summary>
[TestFixture]
public class ContinuityTests
{
    private const int DefaultSeed = 20261126;
    private const int Trials = 52;

    public static int Seed => int.TryParse(Environment.GetEnvironmentVariable("DSM_E2E_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed) ? seed : DefaultSeed;

    public static IEnumerable<TestCaseData> Instants()
    {
        var random = new Random(Seed);
        string[] kinds = ["any", "isr", "critical", "midline"];
        for (int i = 0; i < Trials; i++)
        {
            string when = kinds[i % kinds.Length];
            // Critical sections mask the external interrupt: only the NMI reaches them. The others alternate.
            string via = when == "critical" || i % 8 >= 4 ? "nmi" : "exti=0";
            long at = random.NextInt64(1_500_000, 16_000_000);
            yield return new TestCaseData(at, when, via).SetName($"Trial{i:D2}_{when}_{via.Replace("=0", string.Empty, StringComparison.Ordinal)}_at{at}");
        }
    }

    [OneTimeSetUp]
    public void PrintSeed() => TestContext.Progress.WriteLine($"ContinuityTests: seed {Seed} (DSM_E2E_SEED={Seed} replays these {Trials} instants)");

    [TestCaseSource(nameof(Instants))]
    [CancelAfter(240_000)]
    public async Task TheSystemContinuesAcrossTheMove(long at, string when, string via)
    {
        TestContext.Out.WriteLine($"seed {Seed}: trigger at instruction {at}, when={when}, via={via}");
        string firmware = via == "nmi" ? await Repo.NmiFirmwareAsync() : Repo.SampleFirmware;
        string state = Scenario.TempDirectory("continuity");
        using var host = await HostProcess.StartAsync(state, Path.GetDirectoryName(firmware));
        using var device = Scenario.StartDevice(firmware, host.Port, $"at={at},when={when},via={via}");

        int code = await device.WaitForExitAsync(Scenario.Long);
        var timeline = Timeline.Of(device);
        Assert.That(code, Is.Zero, device.Transcript() + "\n" + host.Process.Transcript());
        Assert.That(timeline.Moved, Is.True, device.Transcript());
        await host.WaitForTaskALinesAsync(3, Scenario.Long);

        var verdict = ContinuityCheck.Evaluate(device.Out, host.ConsoleLines);
        TestContext.Out.WriteLine($"instant: instruction {timeline["trigger-instruction"]}, pc 0x{timeline["pc"]:X8}, ipsr {timeline["ipsr"]}, primask {timeline["primask"]}, basepri {timeline["basepri"]}, mid-line {timeline["midline"]}; {verdict.Detail}");
        Assert.Multiple(() =>
        {
            Assert.That(timeline["trigger-instruction"], Is.GreaterThanOrEqualTo(at));
            switch (when)
            {
                case "isr":
                    Assert.That(timeline["ipsr"], Is.Not.Zero, "the instant is inside a handler");
                    break;
                case "critical":
                    Assert.That(timeline["primask"] != 0 || timeline["basepri"] != 0, Is.True, "the instant is inside a critical section");
                    break;
                case "midline":
                    Assert.That(timeline["midline"], Is.EqualTo(1), "the instant is in the middle of a console line");
                    break;
            }

            Assert.That(verdict.Ok, Is.True, verdict.Detail + "\n" + device.Transcript() + "\n" + host.Process.Transcript());
            Assert.That(verdict.FirstHostSequence, Is.EqualTo(verdict.LastDeviceSequence + 1));
        });
        Directory.Delete(state, recursive: true);
    }
}
