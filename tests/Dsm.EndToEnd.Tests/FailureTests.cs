using System.Globalization;
using System.Text.RegularExpressions;
using Dsm.Cli;

namespace Dsm.EndToEnd.Tests;

/// <summary>
/// Failure injection with device and host as separate processes: whatever goes wrong, the system runs in
/// exactly one place, with no line lost or repeated, and a half-received system never runs on the host.
/// </summary>
[TestFixture]
public class FailureTests
{
    // Instruction counts of the trigger: about 1 s of guest time after reset.
    private const string Trigger = "at=7500000";

    // For tests that need the move to happen: a second trigger at 12 s of guest time should the first attempt
    // abort on a starved machine (after any first session has ended).
    private const string TriggerWithFallback = "at=7500000;after=12s";

    // The DSMC gives up after its reply timeout and retries (1 s x 3 in the sample): 6 s of guest time is past that.
    private const int LinesPastGivingUp = 60;

    [Test]
    [CancelAfter(180_000)]
    public async Task HostAbsent_TheDeviceRunsOnLocally()
    {
        using var device = Scenario.StartDevice(Repo.SampleFirmware, Scenario.UnusedPort(), Trigger);
        await device.WaitForErrorAsync("DSM trigger", Scenario.Long);
        int triggerSeq = Scenario.LastSequence(device.Out);
        await Scenario.WaitForSequenceAsync(device, triggerSeq + LinesPastGivingUp, Scenario.Long);
        device.Kill();

        var verdict = Scenario.LocalContinuity(device.Out);
        Assert.Multiple(() =>
        {
            Assert.That(device.Err, Has.Some.Contains("No migration host"), device.Transcript());
            Assert.That(verdict.Ok, Is.True, verdict.Detail);
        });
    }

    [Test]
    [CancelAfter(180_000)]
    public async Task HostKilledMidTransfer_TheDeviceRestoresAndContinues()
    {
        string state = Scenario.TempDirectory("killed-mid");
        using var host = await HostProcess.StartAsync(state);
        using var device = Scenario.StartDevice(Repo.SampleFirmware, host.Port, Trigger);
        await host.Process.WaitForErrorAsync("HELLO from device", Scenario.Long);
        host.Process.Kill();
        int triggerSeq = Scenario.LastSequence(device.Out);
        await Scenario.WaitForSequenceAsync(device, triggerSeq + LinesPastGivingUp, Scenario.Long);
        device.Kill();

        var verdict = Scenario.LocalContinuity(device.Out);
        Assert.Multiple(() =>
        {
            Assert.That(verdict.Ok, Is.True, verdict.Detail + "\n" + device.Transcript());
            Assert.That(Scenario.SaysMoved(device), Is.False);
            Assert.That(host.ConsoleLines, Is.Empty, "nothing ran on the host");
        });
        await AssertHostRunsNothingAfterRestartAsync(state);
    }

    // The sample's whole transfer is about 2.8 KB now that its flash comes from the host's store: 100 cuts in the
    // HELLO/offer, 1500 in the SRAM blocks.
    [TestCase(100)]
    [TestCase(1500)]
    [CancelAfter(180_000)]
    public async Task LinkCutMidStreamForGood_TheDeviceRestoresAndContinues(int deviceBytes)
    {
        string state = Scenario.TempDirectory("cut");
        using var host = await HostProcess.StartAsync(state);
        await using var proxy = new FaultyProxy(host.Port) { CutAfterDeviceBytes = deviceBytes, RefuseAfterCut = true };
        using var device = Scenario.StartDevice(Repo.SampleFirmware, proxy.Port, Trigger);
        await device.WaitForErrorAsync("DSM trigger", Scenario.Long);
        int triggerSeq = Scenario.LastSequence(device.Out);
        await Scenario.WaitForSequenceAsync(device, triggerSeq + LinesPastGivingUp, Scenario.Long);
        device.Kill();

        var verdict = Scenario.LocalContinuity(device.Out);
        Assert.Multiple(() =>
        {
            Assert.That(proxy.Cut, Is.True, "the proxy cut the link");
            Assert.That(verdict.Ok, Is.True, verdict.Detail + "\n" + device.Transcript());
            Assert.That(Scenario.SaysMoved(device), Is.False);
            Assert.That(host.ConsoleLines, Is.Empty, "nothing ran on the host\n" + host.Process.Transcript());
            Assert.That(host.StoredSystems, Is.Empty, "a half-received system is not kept");
        });
    }

    /// <summary>
    /// Flipped bits and dropped bytes on the line, or a link cut and reconnected: either recovered (the move
    /// completes; after a reconnection the DSMC's resent HELLO starts a fresh session) or cleanly aborted (the
    /// device runs on); never both, never a half.
    /// </summary>
    [TestCase("flip-to-host", 40)]
    [TestCase("flip-to-host", 2500)]
    [TestCase("flip-to-host", 2200)]
    [TestCase("drop-to-host", 1200)]
    [TestCase("drop-run-to-host", 1800)]
    [TestCase("flip-to-device", 20)]
    [TestCase("flip-to-device", 120)]
    [TestCase("drop-to-device", 60)]
    [TestCase("flip-every-97", 0)]
    [TestCase("cut-then-reconnect", 100)]
    [TestCase("cut-then-reconnect", 2000)]
    [CancelAfter(180_000)]
    public async Task CorruptOrDroppedBytes_RecoveredOrCleanlyAborted(string fault, int offset)
    {
        ByteFault flip = (o, b) => o == offset ? b ^ 0x10 : b;
        ByteFault drop = (o, b) => o == offset ? -1 : b;
        ByteFault dropRun = (o, b) => o >= offset && o < offset + 40 ? -1 : b;
        ByteFault flipEvery = (o, b) => o % 97 == 96 ? b ^ 0x01 : b;
        string state = Scenario.TempDirectory("faults");
        using var host = await HostProcess.StartAsync(state);
        await using var proxy = new FaultyProxy(host.Port)
        {
            CutAfterDeviceBytes = fault == "cut-then-reconnect" ? offset : null,
            ToHost = fault switch { "flip-to-host" => flip, "drop-to-host" => drop, "drop-run-to-host" => dropRun, "flip-every-97" => flipEvery, _ => null },
            ToDevice = fault switch { "flip-to-device" => flip, "drop-to-device" => drop, _ => null },
        };
        using var device = Scenario.StartDevice(Repo.SampleFirmware, proxy.Port, Trigger);
        await device.WaitForErrorAsync("DSM trigger", Scenario.Long);
        int triggerSeq = Scenario.LastSequence(device.Out);
        var exited = device.WaitForExitAsync(Scenario.Long);
        var ranOn = Scenario.WaitForSequenceAsync(device, triggerSeq + LinesPastGivingUp, Scenario.Long);
        await Task.WhenAny(exited, ranOn);
        // The sample's transfer is about 2.8 KB up and 146 B down: every offset above lies inside it.
        Assert.That(fault == "cut-then-reconnect" ? proxy.Cut : proxy.FaultedBytes > 0, Is.True, $"{fault}@{offset} never hit the session");
        if (ranOn.IsCompletedSuccessfully && !device.HasExited)
        {
            // Aborted: the device went on by itself; the host must hold nothing runnable.
            device.Kill();
            var local = Scenario.LocalContinuity(device.Out);
            TestContext.Out.WriteLine($"{fault}@{offset}: aborted, the device continued: {local.Detail}; host: " +
                string.Join(" | ", host.Process.Err.Where(l => l.Contains("warning: Migration", StringComparison.Ordinal) || l.Contains("fail:", StringComparison.Ordinal))));
            Assert.Multiple(() =>
            {
                Assert.That(local.Ok, Is.True, local.Detail + "\n" + device.Transcript());
                Assert.That(host.ConsoleLines, Is.Empty, "nothing ran on the host\n" + host.Process.Transcript());
                Assert.That(host.StoredSystems, Is.Empty, "an aborted system is not kept");
                // Damage in one place costs a frame or two, which NACKs bring back: only damage everywhere (the retry
                // budget) or a link whose host half lost the session may end it.
                Assert.That(fault, Is.AnyOf("flip-every-97", "cut-then-reconnect"), "this damage must be repaired, not end the session\n" + host.Process.Transcript());
            });
            return;
        }

        // Recovered: the move completed and the system continues on the host.
        Assert.That(await exited, Is.Zero, device.Transcript());
        Assert.That(Timeline.Of(device).Moved, Is.True, device.Transcript());
        await host.WaitForTaskALinesAsync(3, Scenario.Long);
        var verdict = ContinuityCheck.Evaluate(device.Out, host.ConsoleLines);
        TestContext.Out.WriteLine($"{fault}@{offset}: recovered, the system moved: {verdict.Detail}");
        Assert.That(verdict.Ok, Is.True, verdict.Detail + "\n" + device.Transcript() + "\n" + host.Process.Transcript());
    }

    [Test]
    [CancelAfter(180_000)]
    public async Task HostKilledRightAfterCommitted_RestartResumesTheSystemFromDisk()
    {
        string state = Scenario.TempDirectory("committed");
        IReadOnlyList<string> beforeKill = [];
        using var device = await KillHostRightAfterCommittedAsync(state, host => beforeKill = host.ConsoleLines);

        // The device got COMMITTED: it stops for good (the host may or may not have seen its DONE).
        Assert.That(await device.WaitForExitAsync(Scenario.Long), Is.Zero, device.Transcript());
        Assert.That(Timeline.Of(device).Moved, Is.True);

        // The operator knows the device stopped (it said so): the restarted host resumes the system from disk.
        using var restarted = await HostProcess.StartAsync(state, null, "--resume-committed");
        await restarted.Process.WaitForErrorAsync("restored from", Scenario.Long);
        await restarted.WaitForTaskALinesAsync(3, Scenario.Long);
        // The restarted host resumes the stored arrival, so its console continues the device's; whatever the
        // killed host printed in its last moments is printed again from the same instant.
        TestContext.Out.WriteLine($"the killed host printed {beforeKill.Count} line(s) after the move");
        var verdict = ContinuityCheck.Evaluate(device.Out, restarted.ConsoleLines);
        Assert.Multiple(() =>
        {
            Assert.That(verdict.Ok, Is.True, verdict.Detail + "\n" + restarted.Process.Transcript());
            Assert.That(verdict.FirstHostSequence, Is.EqualTo(verdict.LastDeviceSequence + 1));
        });
    }

    [Test]
    [CancelAfter(180_000)]
    public async Task HostKilledRightAfterCommitted_WithoutTheOperator_AnUnconfirmedSystemIsHeldNotRun()
    {
        // Killed at once, before the device's DONE can arrive (about 10 ms later): the hand-over stays unconfirmed.
        // If the kill's connection reset also took COMMITTED (a TCP artefact), the device runs on by itself: the
        // host must hold its copy all the same.
        string state = Scenario.TempDirectory("held");
        using var device = await KillHostRightAfterCommittedAsync(state, _ => { }, graceMilliseconds: 0);
        var exited = device.WaitForExitAsync(Scenario.Long);
        int triggerSeq = Scenario.LastSequence(device.Out);
        var ranOn = Scenario.WaitForSequenceAsync(device, triggerSeq + LinesPastGivingUp, Scenario.Long);
        // Waiting for lines fails when the device exits: only a success means it runs on.
        bool ranOnLocally = await Task.WhenAny(exited, ranOn) == ranOn && ranOn.IsCompletedSuccessfully;
        bool moved = !ranOnLocally && await exited == 0 && Timeline.Of(device).Moved;
        string handOver = File.ReadAllText(Directory.GetFiles(state, "*.state").Single()).Trim();
        TestContext.Out.WriteLine($"hand-over at the kill: {handOver}; the device {(moved ? "stopped" : "runs on")}");

        using var restarted = await HostProcess.StartAsync(state);
        var restored = await restarted.Process.WaitForErrorAsync(@"restored from .* \(hand-over (\w+)\)", Scenario.Long);
        Assert.That(restored.Groups[1].Value, Is.EqualTo(handOver));
        if (handOver == "Confirmed")
        {
            // DONE arrived before the kill: the host owns the system and resumes it by itself.
            Assert.That(moved, Is.True, "a confirmed hand-over comes from a stopped device");
            await restarted.WaitForTaskALinesAsync(3, Scenario.Long);
            return;
        }

        Assert.That(handOver, Is.AnyOf("Committed", "Stored"));
        await restarted.Process.WaitForErrorAsync("restored but held", Scenario.Long);
        await Task.Delay(1500);
        Assert.That(restarted.ConsoleLines, Is.Empty, "an unconfirmed system must not run by itself");
        if (!moved)
        {
            device.Kill();
            var local = Scenario.LocalContinuity(device.Out);
            Assert.That(local.Ok, Is.True, local.Detail);
        }
    }

    [Test]
    [CancelAfter(240_000)]
    public async Task TheSameDeviceMigratesASecondTime_AfterAFailedFirstAttempt()
    {
        string state = Scenario.TempDirectory("second");
        using var host = await HostProcess.StartAsync(state);
        // The first attempt's link is cut mid-transfer; the second trigger, 4 s of guest time later, goes through.
        await using var proxy = new FaultyProxy(host.Port) { CutAfterDeviceBytes = 1000 };
        using var device = Scenario.StartDevice(Repo.SampleFirmware, proxy.Port, "at=7500000;at=40000000");
        Assert.That(await device.WaitForExitAsync(Scenario.Long), Is.Zero, device.Transcript());
        Assert.That(Timeline.Of(device).Moved, Is.True);
        await host.WaitForTaskALinesAsync(3, Scenario.Long);

        // Two sessions reached the host: the cut one and the one that moved the system. The device may have begun the
        // second on its second trigger, or on that trigger held pending while the cut session ran out its timeouts
        // (when the host's ABORT for the stale half was overrun too): either way it is a second attempt.
        Assert.That(host.Process.Err.Count(l => l.Contains("HELLO from device", StringComparison.Ordinal)), Is.GreaterThanOrEqualTo(2), host.Process.Transcript());
        var verdict = ContinuityCheck.Evaluate(device.Out, host.ConsoleLines);
        Assert.Multiple(() =>
        {
            Assert.That(proxy.Cut, Is.True);
            Assert.That(verdict.Ok, Is.True, verdict.Detail + "\n" + device.Transcript() + "\n" + host.Process.Transcript());
            Assert.That(host.StoredSystems, Has.Count.EqualTo(1), "only the completed attempt is stored");
            // The reconnected link carried the rest of the cut session: the host ends it once, no failing session per frame.
            Assert.That(host.Process.Err, Has.None.Contains("Expected HELLO"), host.Process.Transcript());
        });
    }

    [Test]
    [CancelAfter(180_000)]
    public async Task ASecondTriggerDuringTheSession_IsHeldPendingAndDoesNotDisturbIt()
    {
        // The second edge comes about 6 ms of guest time into the session (the DSM interrupt is active, so it pends).
        string state = Scenario.TempDirectory("retrigger");
        using var host = await HostProcess.StartAsync(state);
        using var device = Scenario.StartDevice(Repo.SampleFirmware, host.Port, "at=7500000;at=8000000");
        Assert.That(await device.WaitForExitAsync(Scenario.Long), Is.Zero, device.Transcript());
        await host.WaitForTaskALinesAsync(3, Scenario.Long);
        var verdict = ContinuityCheck.Evaluate(device.Out, host.ConsoleLines);
        var timeline = Timeline.Of(device);
        Assert.Multiple(() =>
        {
            Assert.That(verdict.Ok, Is.True, verdict.Detail + "\n" + device.Transcript() + "\n" + host.Process.Transcript());
            Assert.That(timeline.Moved, Is.True);
            Assert.That(timeline["trigger-instruction"], Is.EqualTo(7_500_000), "the instant is the first trigger's");
            Assert.That(device.Err, Has.One.Contains("during the migration session"), device.Transcript());
            Assert.That(host.Process.Err.Count(l => l.Contains("HELLO from device", StringComparison.Ordinal)), Is.EqualTo(1), "one session");
            Assert.That(host.StoredSystems, Has.Count.EqualTo(1));
        });
    }

    [Test]
    [CancelAfter(240_000)]
    public async Task TheSameDeviceMigratesASecondTime_ToTheSameHost()
    {
        // The device (same firmware, same device id) moves, then is started again and moves again: two systems, each continuous.
        string state = Scenario.TempDirectory("twice");
        using var host = await HostProcess.StartAsync(state);
        using (var first = Scenario.StartDevice(Repo.SampleFirmware, host.Port, TriggerWithFallback))
        {
            Assert.That(await first.WaitForExitAsync(Scenario.Long), Is.Zero, first.Transcript());
        }

        using var second = Scenario.StartDevice(Repo.SampleFirmware, host.Port, "at=9000000;after=12s");
        Assert.That(await second.WaitForExitAsync(Scenario.Long), Is.Zero, second.Transcript());
        await host.Process.WaitUntilAsync(_ => host.Process.Err.Count(l => l.Contains("first instruction", StringComparison.Ordinal)) == 2, Scenario.Long, "both systems running");
        Assert.That(host.StoredSystems, Has.Count.EqualTo(2));
        var ids = host.Process.Out.Select(l => Regex.Match(l, @"^\[([0-9a-f]{8})\]")).Where(m => m.Success).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.That(ids, Has.Count.EqualTo(2));
    }

    [Test]
    [CancelAfter(240_000)]
    public async Task WrongKey_TheDeviceIsRejectedAndNothingRunsOnTheHost()
    {
        string firmware = await Repo.KeyedFirmwareAsync("devkey-A");
        string keys = Path.Combine(Scenario.TempDirectory("keys"), "keys.txt");
        File.WriteAllText(keys, "# device id (as in the firmware) and key\ndsm-sample-fm3 devkey-B\n");
        string state = Scenario.TempDirectory("wrong-key");
        using var host = await HostProcess.StartAsync(state, Path.GetDirectoryName(firmware), "--keys", keys);
        using var device = Scenario.StartDevice(firmware, host.Port, Trigger);
        await device.WaitForErrorAsync("DSM trigger", Scenario.Long);
        int triggerSeq = Scenario.LastSequence(device.Out);
        await Scenario.WaitForSequenceAsync(device, triggerSeq + LinesPastGivingUp, Scenario.Long);
        device.Kill();

        var verdict = Scenario.LocalContinuity(device.Out);
        Assert.Multiple(() =>
        {
            Assert.That(verdict.Ok, Is.True, verdict.Detail);
            Assert.That(Scenario.SaysMoved(device), Is.False);
            Assert.That(host.Process.Err, Has.Some.Contains("Authentication"), host.Process.Transcript());
            Assert.That(host.ConsoleLines, Is.Empty);
            Assert.That(host.StoredSystems, Is.Empty);
        });
    }

    [Test]
    [CancelAfter(240_000)]
    public async Task RightKey_TheDeviceMoves()
    {
        string firmware = await Repo.KeyedFirmwareAsync("devkey-A");
        string keys = Path.Combine(Scenario.TempDirectory("keys"), "keys.txt");
        File.WriteAllText(keys, $"{Convert.ToHexString("dsm-sample-fm3\0\0"u8)} hex:{Convert.ToHexString("devkey-A"u8)}\n");
        string state = Scenario.TempDirectory("right-key");
        using var host = await HostProcess.StartAsync(state, Path.GetDirectoryName(firmware), "--keys", keys);
        using var device = Scenario.StartDevice(firmware, host.Port, TriggerWithFallback);
        Assert.That(await device.WaitForExitAsync(Scenario.Long), Is.Zero, device.Transcript() + host.Process.Transcript());
        await host.WaitForTaskALinesAsync(3, Scenario.Long);
        var verdict = ContinuityCheck.Evaluate(device.Out, host.ConsoleLines);
        Assert.That(verdict.Ok, Is.True, verdict.Detail);
    }

    [Test]
    [CancelAfter(240_000)]
    public async Task UnkeyedDevice_IsRejectedByAHostThatRequiresKeys()
    {
        string keys = Path.Combine(Scenario.TempDirectory("keys"), "keys.txt");
        File.WriteAllText(keys, "dsm-sample-fm3 devkey-A\n");
        string state = Scenario.TempDirectory("no-key");
        using var host = await HostProcess.StartAsync(state, null, "--keys", keys);
        using var device = Scenario.StartDevice(Repo.SampleFirmware, host.Port, Trigger);
        await host.Process.WaitForErrorAsync("[Aa]uthentication", Scenario.Long);
        int triggerSeq = Scenario.LastSequence(device.Out);
        await Scenario.WaitForSequenceAsync(device, triggerSeq + 20, Scenario.Long);
        device.Kill();
        Assert.Multiple(() =>
        {
            Assert.That(Scenario.LocalContinuity(device.Out).Ok, Is.True);
            Assert.That(host.ConsoleLines, Is.Empty);
            Assert.That(host.StoredSystems, Is.Empty);
        });
    }

    // Starts a host and a device, and kills the host as soon as it logs that COMMITTED went out. The device must
    // get that first COMMITTED: nothing repeats it (a DSMC receiver that lost it to a broken frame before it
    // timed out and ran on locally; see NativeReceiverTests).
    private static async Task<DsmProcess> KillHostRightAfterCommittedAsync(string state, Action<HostProcess> beforeKill, int graceMilliseconds = 300)
    {
        var host = await HostProcess.StartAsync(state);
        var device = Scenario.StartDevice(Repo.SampleFirmware, host.Port, TriggerWithFallback);
        try
        {
            await host.Process.WaitForErrorAsync("committed: COMMITTED sent", Scenario.Long);
            // Killing a process whose socket holds unread bytes (the device's DONE) makes the kernel reset the
            // connection, which can discard a COMMITTED still in flight: a TCP artefact a serial line does not
            // have. A moment's grace lets COMMITTED reach the device.
            await Task.Delay(graceMilliseconds);
            host.Process.Kill();
            beforeKill(host);
            return device;
        }
        catch
        {
            device.Dispose();
            throw;
        }
        finally
        {
            host.Dispose();
        }
    }

    private static async Task AssertHostRunsNothingAfterRestartAsync(string state)
    {
        using var restarted = await HostProcess.StartAsync(state);
        await Task.Delay(1000);
        Assert.That(restarted.ConsoleLines, Is.Empty, "a restarted host runs nothing that never completed\n" + restarted.Process.Transcript());
    }
}
