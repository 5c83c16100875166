using System.Collections.Concurrent;
using System.Text;
using Dsm.Emulation.CortexM3;

namespace Dsm.RoundTrip.Tests;

/// <summary>
/// One uninterrupted deterministic run of a sample from reset, shared by every trial: the console as the
/// application prints it (each byte with the virtual time its frame finished), the boot milestones, and
/// machine checkpoints from which trials start instead of from reset.
/// </summary>
internal sealed class ReferenceRun
{
    /// <summary>Trigger instants are drawn up to here (seconds of guest time).</summary>
    public const double InstantsUntilSeconds = 2.5;

    /// <summary>The reference goes on this long after the last instant: room for the comparison window.</summary>
    private const double TailSeconds = 1.6;

    private const double CheckpointEverySeconds = 0.04;
    private static readonly ConcurrentDictionary<string, Lazy<ReferenceRun>> Runs = new();
    private readonly List<Checkpoint> _checkpoints = [];

    private ReferenceRun(Sample sample)
    {
        Sample = sample;
        var (machine, board) = Sample.NewMachine();
        try
        {
            var bytes = new List<byte>();
            var times = new List<ulong>();
            board.Serial[Sample.ConsoleChannel].FrameTransmitted += (value, time) =>
            {
                bytes.Add((byte)value);
                times.Add(time);
            };
            machine.LoadElf(sample.Image);
            machine.Reset();
            _checkpoints.Add(new Checkpoint(machine.Scheduler.Now, machine.ExportState(), 0));

            // Boot: dsmc_init (the DSMC can be triggered from here on), then os_start clears PRIMASK.
            const ulong Step = 200;
            while (Sample.Peek32(machine, sample.DsmcConfig) == 0)
            {
                Sample.RunTo(machine, machine.Scheduler.Now + Step);
            }

            DsmcReadyAt = machine.Scheduler.Now;
            while (machine.Cpu.Primask != 0)
            {
                Sample.RunTo(machine, machine.Scheduler.Now + Step);
            }

            SchedulerStartedAt = machine.Scheduler.Now - Step;
            CoreClockHz = machine.Scheduler.CoreClockHz;
            ConsoleFrameCycles = board.Serial[Sample.ConsoleChannel].FrameCycles;
            InstantsUntil = (ulong)(InstantsUntilSeconds * CoreClockHz);
            End = InstantsUntil + (ulong)(TailSeconds * CoreClockHz);
            ulong every = (ulong)(CheckpointEverySeconds * CoreClockHz);
            for (ulong t = machine.Scheduler.Now; t < End; t += every)
            {
                Sample.RunTo(machine, t);
                _checkpoints.Add(new Checkpoint(machine.Scheduler.Now, machine.ExportState(), bytes.Count));
            }

            Sample.RunTo(machine, End);
            Console = bytes.ToArray();
            ConsoleTimes = times.ToArray();
            Lines = SplitLines(Console);
        }
        finally
        {
            Sample.Release(machine);
        }
    }

    public static ReferenceRun Of(Sample sample) =>
        Runs.GetOrAdd(sample.Path, _ => new Lazy<ReferenceRun>(() => new ReferenceRun(sample))).Value;

    public Sample Sample { get; }

    public uint CoreClockHz { get; }

    public ulong DsmcReadyAt { get; }

    /// <summary>Within a step of the instant os_start cleared PRIMASK (later instants have it clear).</summary>
    public ulong SchedulerStartedAt { get; }

    public ulong InstantsUntil { get; }

    public ulong End { get; }

    public ulong ConsoleFrameCycles { get; }

    /// <summary>Every console byte of the run.</summary>
    public byte[] Console { get; }

    /// <summary>When each console byte's frame finished.</summary>
    public ulong[] ConsoleTimes { get; }

    /// <summary>Complete lines, without their line ends.</summary>
    public IReadOnlyList<string> Lines { get; }

    /// <summary>Console bytes finished at or before <paramref name="time"/>.</summary>
    public int BytesBy(ulong time)
    {
        int index = Array.BinarySearch(ConsoleTimes, time);
        if (index < 0)
        {
            return ~index;
        }

        while (index + 1 < ConsoleTimes.Length && ConsoleTimes[index + 1] == time)
        {
            index++;
        }

        return index + 1;
    }

    /// <summary>Whether a console frame is on the line at <paramref name="time"/>.</summary>
    public bool ConsoleBusyAt(ulong time)
    {
        int next = BytesBy(time);
        return next < ConsoleTimes.Length && ConsoleTimes[next] - ConsoleFrameCycles <= time;
    }

    /// <summary>The latest checkpoint at or before <paramref name="time"/>.</summary>
    public Checkpoint CheckpointBefore(ulong time) => _checkpoints.Last(c => c.Time <= time);

    /// <summary>A machine in the state of the checkpoint.</summary>
    public Machine Restore(Checkpoint checkpoint)
    {
        var (machine, _) = Sample.NewMachine();
        try
        {
            machine.ImportState(checkpoint.State);
            return machine;
        }
        catch
        {
            Sample.Release(machine);
            throw;
        }
    }

    public static List<string> SplitLines(ReadOnlySpan<byte> bytes)
    {
        var lines = new List<string>();
        int start = 0;
        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\n')
            {
                lines.Add(Encoding.ASCII.GetString(bytes[start..i]).TrimEnd('\r'));
                start = i + 1;
            }
        }

        return lines;
    }

    public sealed record Checkpoint(ulong Time, byte[] State, int ConsoleBytes);
}
