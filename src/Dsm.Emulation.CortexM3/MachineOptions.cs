using Dsm.Emulation.CortexM3.Timing;

namespace Dsm.Emulation.CortexM3;

/// <summary>Host-side settings of a <see cref="Machine"/>: where guest console I/O goes and how runs are sliced.</summary>
public sealed class MachineOptions
{
    /// <summary>Guest standard output: semihosting stdout and the board's console UART. Null discards it.</summary>
    public Stream? StandardOutput { get; init; }

    /// <summary>Guest standard error (semihosting stderr handle). Null discards it.</summary>
    public Stream? StandardError { get; init; }

    /// <summary>Guest standard input (semihosting SYS_READ/SYS_READC). Null means end of input.</summary>
    public Stream? StandardInput { get; init; }

    /// <summary>What SYS_GET_CMDLINE returns; null uses the loaded ELF's path, as QEMU does for <c>-kernel</c>.</summary>
    public string? CommandLine { get; init; }

    /// <summary>
    /// How <see cref="Machine.Run"/> relates virtual time to the wall clock: <see cref="PacingMode.Deterministic"/>
    /// (the default; repeatable, sleeps cost nothing) or <see cref="PacingMode.RealTime"/> (the guest is kept in step
    /// with the wall clock and sleeps really wait). <see cref="Machine.RunSlice"/> never waits whatever this says.
    /// </summary>
    public PacingMode PacingMode { get; init; } = PacingMode.Deterministic;

    /// <summary>Wall clock for real-time pacing and the semihosting time calls; null for the system clock.</summary>
    public TimeProvider? TimeProvider { get; init; }

    /// <summary>What SYS_ISTTY answers for console handles.</summary>
    public bool ConsoleIsInteractive { get; init; }

    /// <summary>
    /// Most instructions the core runs between host checks (cancellation, virtual-time events).
    /// Smaller is more responsive, larger is faster.
    /// </summary>
    public int SliceInstructions { get; init; } = 100_000;

    /// <summary>
    /// Called with the address of every instruction before it executes. Setting it makes the machine run
    /// one instruction at a time: for diagnostics, not speed.
    /// </summary>
    public Action<uint>? InstructionTrace { get; init; }
}
