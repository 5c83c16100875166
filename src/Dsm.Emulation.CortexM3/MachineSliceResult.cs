using Dsm.Emulation.CortexM3.Cpu;

namespace Dsm.Emulation.CortexM3;

/// <summary>Why <see cref="Machine.RunSlice"/> returned.</summary>
public enum SliceOutcome
{
    /// <summary>Virtual time reached the limit; the guest is running and wants the next slice when the wall clock allows.</summary>
    TimeLimit,

    /// <summary>The instruction budget ran out before the time limit.</summary>
    InstructionLimit,

    /// <summary>
    /// The core sleeps (WFI/WFE) and nothing wakes it before the limit: virtual time went on to the limit (or stays
    /// where it is when nothing at all is scheduled). Run again at <see cref="MachineSliceResult.WakeAt"/> or after posting input.
    /// </summary>
    Sleeping,

    /// <summary>The guest exited through semihosting (<see cref="MachineSliceResult.ExitCode"/>).</summary>
    Exited,

    /// <summary>The guest cannot continue: a fault the core could not deliver, lockup or an unclaimed BKPT.</summary>
    Faulted,
}

/// <summary>The outcome of <see cref="Machine.RunSlice"/>: what happened and when the machine next needs the host (a value: a host runs slices by the million and allocates nothing for them).</summary>
public readonly record struct MachineSliceResult
{
    /// <summary>Why the slice ended.</summary>
    public required SliceOutcome Outcome { get; init; }

    /// <summary>Virtual time (core cycles) at the end of the slice.</summary>
    public ulong VirtualTime { get; init; }

    /// <summary>
    /// For <see cref="SliceOutcome.Sleeping"/>: the virtual time of the next timed event, which may wake the core;
    /// <see cref="ulong.MaxValue"/> when nothing is scheduled and only host input can. Otherwise <see cref="VirtualTime"/>.
    /// </summary>
    public ulong WakeAt { get; init; }

    /// <summary>Instructions executed by the slice.</summary>
    public ulong Instructions { get; init; }

    /// <summary>The guest's exit code once it has exited; otherwise null.</summary>
    public int? ExitCode { get; init; }

    /// <summary>For <see cref="SliceOutcome.Faulted"/>: the core's stop reason; otherwise null.</summary>
    public StopReason? StopReason { get; init; }

    /// <summary>For <see cref="SliceOutcome.Faulted"/> after a fault or lockup: the fault; otherwise null.</summary>
    public CpuFault? Fault { get; init; }

    /// <summary>For <see cref="SliceOutcome.Faulted"/>: a readable report of the core's state; otherwise null.</summary>
    public string? FaultDescription { get; init; }
}
