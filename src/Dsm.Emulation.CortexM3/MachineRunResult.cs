using Dsm.Emulation.CortexM3.Cpu;

namespace Dsm.Emulation.CortexM3;

/// <summary>The outcome of <see cref="Machine.Run"/>.</summary>
public sealed record RunResult
{
    /// <summary>Why the core stopped.</summary>
    public required StopReason StopReason { get; init; }

    /// <summary>The guest's exit code when it stopped through semihosting SYS_EXIT/SYS_EXIT_EXTENDED; otherwise null.</summary>
    public int? ExitCode { get; init; }

    /// <summary>Whether the run ended because the cancellation token fired.</summary>
    public bool Cancelled { get; init; }

    /// <summary>Instructions executed by this run.</summary>
    public ulong Instructions { get; init; }

    /// <summary>Core cycles consumed by this run.</summary>
    public ulong Cycles { get; init; }

    /// <summary>Host wall-clock time the run took.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>The fault that stopped the core (for <see cref="Cpu.StopReason.Fault"/> and <see cref="Cpu.StopReason.Lockup"/>), else null.</summary>
    public CpuFault? Fault { get; init; }

    private readonly Func<string>? _describe;
    private string? _description;

    /// <summary>
    /// A readable multi-line report of the core's state (registers, xPSR, the instruction, symbols) when the
    /// run ended other than by a guest exit or cancellation; otherwise null. It shows the state at the end of the
    /// run even when read later.
    /// </summary>
    public string? FaultDescription
    {
        get => _description ??= _describe?.Invoke();
        init => _description = value;
    }

    /// <summary>Builds <see cref="FaultDescription"/> when first read (a run that merely used up its budget, the usual end of one slice of many).</summary>
    internal Func<string>? DescribeWhenRead
    {
        init => _describe = value;
    }

    /// <summary>Whether the guest exited through semihosting.</summary>
    public bool Exited => ExitCode is not null;

    /// <summary>Guest speed in millions of instructions per host second.</summary>
    public double Mips => Elapsed.TotalSeconds > 0 ? Instructions / Elapsed.TotalSeconds / 1e6 : 0;
}
