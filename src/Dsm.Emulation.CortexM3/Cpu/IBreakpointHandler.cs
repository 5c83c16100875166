namespace Dsm.Emulation.CortexM3.Cpu;

/// <summary>Gets first say over a BKPT instruction (semihosting uses BKPT 0xAB).</summary>
public interface IBreakpointHandler
{
    /// <summary>Handles <c>BKPT #immediate</c> executed at <see cref="CortexM3Cpu.CurrentInstructionAddress"/>.</summary>
    /// <param name="cpu">The core; registers may be read and written.</param>
    /// <param name="immediate">The BKPT's 8-bit immediate.</param>
    /// <returns>True if handled: execution continues after the BKPT. False: the core stops with <see cref="StopReason.Breakpoint"/>.</returns>
    bool OnBreakpoint(CortexM3Cpu cpu, byte immediate);
}
