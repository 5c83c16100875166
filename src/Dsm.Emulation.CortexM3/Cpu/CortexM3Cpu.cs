using Dsm.Emulation.CortexM3.Memory;

namespace Dsm.Emulation.CortexM3.Cpu;

/// <summary>
/// An ARMv7-M (Cortex-M3) core: the register file, special registers and the execution loop over the
/// decoded-instruction cache. Instructions are decoded once per address and executed from their
/// decoded form; stores into decoded code invalidate it.
/// </summary>
public sealed partial class CortexM3Cpu
{
    /// <summary>Creates a core attached to <paramref name="bus"/>. Call <see cref="Reset"/> before running.</summary>
    /// <param name="bus">The memory bus the core fetches from and loads/stores through.</param>
    public CortexM3Cpu(MemoryBus bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        Bus = bus;
        InitializeExecution();
    }

    /// <summary>The bus the core is attached to.</summary>
    public MemoryBus Bus { get; }

    /// <summary>Handler consulted on BKPT (semihosting); null means every BKPT stops the core.</summary>
    public IBreakpointHandler? BreakpointHandler { get; set; }

    /// <summary>
    /// Total cycles executed, by the core's timing model (see docs/cycle-model.md). Exact at every point of execution:
    /// a device accessed by an instruction sees the cycles up to and including that instruction's base cycles.
    /// Kept across <see cref="Reset"/>.
    /// </summary>
    public ulong Cycles { get => _cycles; internal set => _cycles = value; }

    /// <summary>Total instructions executed (an instruction skipped by a failed IT condition counts). Kept across <see cref="Reset"/>.</summary>
    public ulong Instructions { get => _instructions; internal set => _instructions = value; }

    /// <summary>The last fault that stopped the core, or null.</summary>
    public CpuFault? LastFault { get; internal set; }
}
