using System.Text;
using Dsm.Emulation.CortexM3;
using Dsm.Emulation.CortexM3.Timing;
using Dsm.Migration;
using Dsm.Peripherals.FM3;
using Dsm.Protocol;

namespace Dsm.RoundTrip.Tests;

/// <summary>How the host side of a trial behaves.</summary>
public enum HostBehaviour
{
    /// <summary>Receives, stores and commits: the system moves.</summary>
    Accepts,

    /// <summary>Requires authentication the device cannot give: REJECT answers HELLO.</summary>
    Rejects,

    /// <summary>Cancels the session once the SRAM went out (the device waits for the flash request): ABORT.</summary>
    AbortsMidTransfer,

    /// <summary>Cannot store the received system: ABORT instead of COMMITTED.</summary>
    StorageFails,
}

/// <summary>What the device was doing at the trigger instant.</summary>
internal sealed record InstantState(
    ulong Time, int Ipsr, IReadOnlyList<int> Active, uint Primask, uint Basepri, uint Control, uint[] R, bool ConsoleBusy, bool MidLine)
{
    public bool InIsr => Ipsr != 0;

    public bool Masked => Primask != 0 || Basepri != 0;

    public string Classes => string.Join('+', new[]
    {
        InIsr ? "isr(" + string.Join(',', Active) + ")" : "thread",
        Primask != 0 ? "primask" : Basepri != 0 ? $"basepri=0x{Basepri:X2}" : null,
        ConsoleBusy ? "mfs0-busy" : MidLine ? "mid-line" : null,
    }.Where(c => c is not null));

    public static InstantState Observe(Machine machine, ReferenceRun reference)
    {
        ulong now = machine.Scheduler.Now;
        var cpu = machine.Cpu;
        var exceptions = machine.SystemControl.Exceptions;
        var active = Enumerable.Range(1, exceptions.ExceptionCount - 1).Where(exceptions.IsActive).ToList();
        int printed = reference.BytesBy(now);
        bool midLine = printed > 0 && reference.Console[printed - 1] != (byte)'\n';
        return new InstantState(now, (int)(cpu.Xpsr & 0x1FF), active, cpu.Primask, cpu.Basepri, cpu.Control,
            Enumerable.Range(0, 13).Select(cpu.GetRegister).ToArray(), reference.ConsoleBusyAt(now), midLine);
    }
}

/// <summary>The outcome of one trial.</summary>
internal sealed record TrialResult(InstantState Instant, string Outcome, long WireBytes, int LinesCompared, IReadOnlyList<string> Problems, string Timing = "")
{
    public bool Ok => Problems.Count == 0;

    public override string ToString() =>
        $"t={Instant.Time} ({Instant.Time / 80_000.0:F3} ms) [{Instant.Classes}] {Outcome}, {WireBytes} link bytes, {LinesCompared} lines compared {Timing}"
        + (Ok ? string.Empty : ": " + string.Join("; ", Problems));
}

/// <summary>
/// One in-engine round trip: the sample runs from a reference checkpoint to the trigger instant, the DSM
/// interrupt fires, the DSMC's link bytes go to a <see cref="MigrationReceiver"/> in memory, a second machine is
/// built from the stored record alone and resumed, and the console (device then host) is compared with the
/// uninterrupted reference run.
/// </summary>
internal static class RoundTrip
{
    /// <summary>Lines after the trigger instant's line that must match the reference.</summary>
    public const int WindowLines = 8;

    // The device is waiting for an answer once its link has been idle this many frame times (about 2.8 ms at
    // 115200 Bd): shorter pauses (it is computing the next frame) need no hand-over to the receiver.
    private const ulong QuietFrames = 32;
    private const byte StatusMoved = 2;
    private const double DeviceLimitSeconds = 8;
    private const double HostLimitSeconds = 2;

    /// <summary>
    /// An instant where <paramref name="holds"/> is true: the first stretch from <paramref name="start"/> (probed in
    /// steps of <paramref name="stepCycles"/>) during which it holds, at <paramref name="depth"/> (0..1) of its length.
    /// </summary>
    public static ulong Seek(ReferenceRun reference, ulong start, Func<Machine, bool> holds, ulong stepCycles, double depth)
    {
        var machine = reference.Restore(reference.CheckpointBefore(start));
        try
        {
            Sample.RunTo(machine, start);
            ulong giveUp = start + (ulong)(0.2 * reference.CoreClockHz);
            while (!holds(machine))
            {
                if (machine.Scheduler.Now > giveUp)
                {
                    throw new InvalidOperationException($"No instant of the wanted kind within 200 ms after {start}.");
                }

                Sample.RunTo(machine, machine.Scheduler.Now + stepCycles);
            }

            ulong entered = machine.Scheduler.Now;
            while (holds(machine))
            {
                Sample.RunTo(machine, machine.Scheduler.Now + 1);
            }

            return entered + (ulong)(depth * (machine.Scheduler.Now - entered));
        }
        finally
        {
            Sample.Release(machine);
        }
    }

    /// <summary>
    /// Runs a trial at <paramref name="start"/>, or, with <paramref name="seek"/>, at the first instant from
    /// there (in steps of <paramref name="stepCycles"/>) where <paramref name="seek"/> holds.
    /// </summary>
    public static TrialResult Run(ReferenceRun reference, ulong start, HostBehaviour host = HostBehaviour.Accepts,
        Func<Machine, bool>? seek = null, ulong stepCycles = 16)
    {
        var sample = reference.Sample;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var checkpoint = reference.CheckpointBefore(start);
        var machine = reference.Restore(checkpoint);
        var problems = new List<string>();
        var deviceConsole = new List<byte>(reference.Console.AsSpan(0, checkpoint.ConsoleBytes).ToArray());
        try
        {
            var board = Sample.BoardOf(machine);
            board.Serial[Sample.ConsoleChannel].FrameTransmitted += (value, _) => deviceConsole.Add((byte)value);
            Sample.RunTo(machine, start);
            if (seek is not null)
            {
                ulong giveUp = start + (ulong)(0.2 * reference.CoreClockHz);
                while (!seek(machine))
                {
                    if (machine.Scheduler.Now > giveUp)
                    {
                        throw new InvalidOperationException($"No instant of the wanted kind within 200 ms after {start}.");
                    }

                    Sample.RunTo(machine, machine.Scheduler.Now + stepCycles);
                }
            }

            var instant = InstantState.Observe(machine, reference);
            var setupTime = clock.Elapsed;
            ulong instructionsAtInstant = machine.Cpu.Instructions;
            int linesAtInstant = ReferenceRun.SplitLines(reference.Console.AsSpan(0, reference.BytesBy(instant.Time))).Count;

            // The link and the receiver.
            var linkUart = board.Serial[Sample.LinkChannel];
            using var link = new LockstepLink(() => machine.Scheduler.Now, () => QuietFrames * Math.Max(1, linkUart.FrameCycles));
            linkUart.Attach(link);
            var images = new FirmwareImageStore();
            images.Add(sample.Image);
            var store = new MemoryStore(host == HostBehaviour.StorageFails);
            using var cancel = new CancellationTokenSource();
            var receiver = new MigrationReceiver(images, store, options: new MigrationReceiverOptions
            {
                RequireAuthentication = host == HostBehaviour.Rejects,
                FrameTimeout = TimeSpan.FromSeconds(60),
            });
            var session = Task.Run(() => receiver.ReceiveAsync(link.HostEnd, cancel.Token));
            link.Serve(session);
            if (host == HostBehaviour.AbortsMidTransfer)
            {
                int handOvers = 0;
                // At the first hand-over after the SRAM went out: the device is listening (for FLASH_REQUEST) then.
                link.AtHandOver = sent =>
                {
                    if (sent >= 2000 && ++handOvers == 1)
                    {
                        cancel.Cancel();
                        link.WaitForReceiverEnd();
                    }
                };
            }

            // The DSM interrupt: a falling edge on EXTI ch0, or a pulse on NMIX.
            if (sample.UsesNmi)
            {
                board.ExternalInterrupts.SetNmiPin(false);
                board.ExternalInterrupts.SetNmiPin(true);
            }
            else
            {
                board.ExternalInterrupts.SetExternalInterruptLine(0, false);
                board.ExternalInterrupts.SetExternalInterruptLine(0, true);
            }

            ulong deviceLimit = instant.Time + (ulong)(DeviceLimitSeconds * reference.CoreClockHz);
            ulong slice = reference.CoreClockHz / 1000;
            byte status;
            while ((status = Sample.Peek8(machine, sample.DsmcStatus)) == 0 || (status == StatusMoved && !session.IsCompleted))
            {
                if (machine.Scheduler.Now > deviceLimit)
                {
                    throw new InvalidOperationException($"The DSMC neither moved nor returned within {DeviceLimitSeconds} s of guest time (status {status}, {link.BytesFromDevice} link bytes).");
                }

                Sample.RunTo(machine, machine.Scheduler.Now + slice);
            }

            string outcome;
            var deviceTime = clock.Elapsed;
            string deviceWork = $"device {(machine.Scheduler.Now - instant.Time) * 1000.0 / reference.CoreClockHz:F0} ms guest, {(machine.Cpu.Instructions - instructionsAtInstant) / 1e6:F0} M instructions";
            int compared;
            if (status == StatusMoved)
            {
                // Bytes the console UART still had in flight leave the stopped device.
                Sample.RunTo(machine, machine.Scheduler.Now + (3 * reference.ConsoleFrameCycles));
                var result = session.GetAwaiter().GetResult();
                outcome = $"moved ({result.Completion}, flash blocks: {result.System.FlashBlocksReceived} sent, {result.System.FlashBlocksFromStore} from the store)";
                if (host != HostBehaviour.Accepts || result.Completion != MigrationCompletion.Moved)
                {
                    problems.Add($"the session ended {result.Completion} with a host that {host}");
                }

                var system = store.System ?? throw new InvalidOperationException("COMMITTED without a stored system.");
                CheckCapture(sample, instant, system.CpuState, problems);
                var hostConsole = Resume(system, reference, sample, instant, deviceConsole, linesAtInstant, problems);
                compared = Compare(reference, deviceConsole, hostConsole, linesAtInstant, problems);
            }
            else
            {
                outcome = $"returned (outcome {Sample.Peek8(machine, sample.DsmcStatus + 1)})";
                if (host == HostBehaviour.Accepts)
                {
                    problems.Add("the DSMC gave up although the host accepts");
                }

                if (!((IAsyncResult)session).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(30)) || session.Status == TaskStatus.RanToCompletion)
                {
                    problems.Add($"the receiver session ended {session.Status}, expected to fail");
                }

                if (host == HostBehaviour.Accepts)
                {
                    // Why the host went quiet (a rare failure under full-suite load was reported without this).
                    problems.Add($"receiver: {session.Status}, {session.Exception?.GetBaseException().Message ?? "no exception"}; " +
                        $"{link.BytesToDevice} bytes to the device, {link.HandOvers} hand-overs");
                }

                // The device goes on by itself: its whole console must be the reference's.
                RunUntilLines(machine, deviceConsole, linesAtInstant + WindowLines + 1, instant.Time + (ulong)((DeviceLimitSeconds + 1) * reference.CoreClockHz));
                int before = problems.Count;
                compared = Compare(reference, deviceConsole, [], linesAtInstant, problems);
                if (problems.Count > before)
                {
                    problems.Add("the device is at " + Describe(machine, sample));
                }
            }

            string timing = deviceWork + $" (wall: setup {setupTime.TotalMilliseconds:F0} ms, device {(deviceTime - setupTime).TotalMilliseconds:F0} ms with {link.HandOvers} hand-overs, " +
                $"after {(clock.Elapsed - deviceTime).TotalMilliseconds:F0} ms)";
            if (problems.Count > 0)
            {
                problems.Add("link timeline (virtual time:bytes so far):" + link.Timeline);
            }

            return new TrialResult(instant, outcome, link.BytesFromDevice, compared, problems, timing);
        }
        finally
        {
            Sample.Release(machine);
        }
    }

    // The capture must be the interrupted context exactly: the DSMC's exception in IPSR, every exception that
    // was active still active (the DSM interrupt preempted them), r0-r12 and the masks as at the instant.
    private static void CheckCapture(Sample sample, InstantState instant, CpuStateMessage cpu, List<string> problems)
    {
        if ((cpu.Xpsr & 0x1FF) != sample.DsmException)
        {
            problems.Add($"captured IPSR {cpu.Xpsr & 0x1FF}, expected the DSM exception {sample.DsmException}");
        }

        if (instant.Primask != 0 && !sample.UsesNmi)
        {
            return; // the IRQ waits for PRIMASK to clear: the capture is at a later instant
        }

        var activeAtCapture = Enumerable.Range(1, 63).Where(n => n != sample.DsmException && cpu.IsExceptionActive(n)).ToList();
        if (!activeAtCapture.SequenceEqual(instant.Active))
        {
            problems.Add($"active exceptions at capture [{string.Join(',', activeAtCapture)}], at the instant [{string.Join(',', instant.Active)}]");
        }

        for (int i = 0; i < 13; i++)
        {
            if (cpu.R[i] != instant.R[i])
            {
                problems.Add($"captured r{i} 0x{cpu.R[i]:X8}, at the instant 0x{instant.R[i]:X8}");
            }
        }

        // CONTROL.SPSEL reads 0 in handler mode (the thread's stack choice lives in EXC_RETURN); nPRIV must match.
        if (cpu.Basepri != instant.Basepri || (cpu.Control & 1) != (instant.Control & 1))
        {
            problems.Add($"captured BASEPRI 0x{cpu.Basepri:X2} CONTROL {cpu.Control}, at the instant 0x{instant.Basepri:X2} {instant.Control}");
        }

        uint threadStack = instant.InIsr ? 0u : instant.Control & 2;
        if ((cpu.ExcReturn & 4) != threadStack << 1)
        {
            problems.Add($"captured EXC_RETURN 0x{cpu.ExcReturn:X8} does not return to the {(threadStack != 0 ? "process" : "main")} stack in use at the instant");
        }
    }

    // A second machine from the stored record alone (written and read back as the host stores it), resumed.
    private static List<byte> Resume(EmigratedSystem received, ReferenceRun reference, Sample sample, InstantState instant,
        List<byte> deviceConsole, int linesAtInstant, List<string> problems)
    {
        var (_, _, system) = SystemRecord.Read(SystemRecord.Write(Guid.NewGuid(), DateTimeOffset.UnixEpoch, received));
        var machine = SystemImporter.Build(system, Mb9bf506n.Definition(), new MachineOptions { PacingMode = PacingMode.Deterministic }, null);
        var hostConsole = new List<byte>();
        try
        {
            if (instant.Primask != 0 && sample.UsesNmi && Sample.Peek32(machine, sample.DsmcSave) != 1)
            {
                problems.Add("PRIMASK = 1 at the instant but the save area says otherwise");
            }

            var board = Sample.BoardOf(machine);
            board.Serial[Sample.ConsoleChannel].FrameTransmitted += (value, _) => hostConsole.Add((byte)value);
            var combined = new ObservedConsole(deviceConsole, hostConsole);
            ulong limit = (ulong)(HostLimitSeconds * reference.CoreClockHz);
            int wanted = linesAtInstant + WindowLines + 1;
            while (combined.Lines < wanted)
            {
                if (machine.Scheduler.Now > limit)
                {
                    problems.Add($"the host printed only {combined.Lines - linesAtInstant} lines after the instant in {HostLimitSeconds} s");
                    break;
                }

                var slice = machine.RunSlice(machine.Scheduler.Now + (reference.CoreClockHz / 100));
                if (slice.Outcome is SliceOutcome.Faulted or SliceOutcome.Exited)
                {
                    problems.Add($"the resumed system stopped: {slice.Outcome} {slice.FaultDescription}");
                    break;
                }
            }
        }
        finally
        {
            Sample.Release(machine);
        }

        return hostConsole;
    }

    private static string Describe(Machine machine, Sample sample)
    {
        var cpu = machine.Cpu;
        var exceptions = machine.SystemControl.Exceptions;
        var active = Enumerable.Range(1, exceptions.ExceptionCount - 1).Where(exceptions.IsActive);
        var pending = Enumerable.Range(1, exceptions.ExceptionCount - 1).Where(exceptions.IsPending);
        var enabled = Enumerable.Range(16, exceptions.ExceptionCount - 16).Where(exceptions.IsEnabled);
        return $"pc 0x{cpu.Pc:X8} ({sample.Image.DescribeAddress(cpu.Pc)}), xpsr 0x{cpu.Xpsr:X8}, primask {cpu.Primask}, basepri 0x{cpu.Basepri:X2}, " +
            $"active [{string.Join(',', active)}], pending [{string.Join(',', pending)}], enabled [{string.Join(',', enabled)}], time {machine.Scheduler.Now}, " +
            string.Join(' ', new uint[] { 0x00, 0x04, 0x08, 0x10, 0x14, 0x20, 0x24, 0x28, 0x30, 0x34 }.Select(o => machine.Bus.TryRead(0x4001_5000 + o, 4, out uint v) ? $"dt+{o:X2}={v:X8}" : "?"));
    }

    private static void RunUntilLines(Machine machine, List<byte> console, int lines, ulong limit)
    {
        while (ReferenceRun.SplitLines(console.ToArray()).Count < lines && machine.Scheduler.Now < limit)
        {
            Sample.RunTo(machine, machine.Scheduler.Now + (machine.Scheduler.CoreClockHz / 100));
        }
    }

    // Device bytes then host bytes must be the reference's bytes, up to the window's end; the continuity verdict
    // (sequence numbers, checksums, no GAP or fatal line) must agree.
    internal static int Compare(ReferenceRun reference, List<byte> device, List<byte> host, int linesAtInstant, List<string> problems)
    {
        var all = device.Concat(host).ToArray();
        var lines = ReferenceRun.SplitLines(all);
        int wanted = Math.Min(linesAtInstant + WindowLines + 1, reference.Lines.Count);
        if (lines.Count < wanted)
        {
            problems.Add($"only {lines.Count} lines, {wanted} wanted");
        }

        for (int i = 0; i < Math.Min(lines.Count, reference.Lines.Count); i++)
        {
            if (lines[i] != reference.Lines[i])
            {
                problems.Add($"line {i} is '{lines[i]}', the uninterrupted run printed '{reference.Lines[i]}'");
                break;
            }
        }

        var verdict = Dsm.Cli.ContinuityCheck.Evaluate(lines.Take(linesAtInstant).ToList(), lines.Skip(linesAtInstant).ToList());
        if (!verdict.Ok)
        {
            problems.Add("continuity: " + verdict.Detail);
        }

        return Math.Max(0, Math.Min(lines.Count, reference.Lines.Count) - linesAtInstant);
    }

    /// <summary>Counts complete lines of the device's console followed by the host's.</summary>
    private sealed class ObservedConsole(List<byte> device, List<byte> host)
    {
        private readonly int _deviceLines = device.Count(b => b == (byte)'\n');

        public int Lines => _deviceLines + host.Count(b => b == (byte)'\n');
    }

    /// <summary>The host's durable store, in memory; or one that fails.</summary>
    private sealed class MemoryStore(bool fails) : IEmigratedSystemStore
    {
        public EmigratedSystem? System { get; private set; }

        public Task StoreAsync(EmigratedSystem system, CancellationToken cancellationToken)
        {
            if (fails)
            {
                return Task.FromException(new IOException("disk full (injected)"));
            }

            System = system;
            return Task.CompletedTask;
        }
    }
}
