using Dsm.Emulation.CortexM3;
using Dsm.Emulation.CortexM3.Boards;
using Dsm.Protocol;
using Microsoft.Extensions.Logging;

namespace Dsm.Migration;

/// <summary>
/// Builds a machine from what a device sent: its memory, the CPU registers at the DSMC's resume address,
/// and the state software cannot write back (IPSR, handler mode, active exceptions). Everything else, the
/// IO-control registers, is restored by the DSMC's second half running inside the machine.
/// </summary>
public static class SystemImporter
{
    /// <summary>Creates and loads the machine for <paramref name="system"/>.</summary>
    /// <param name="system">The received system.</param>
    /// <param name="board">The board the device announced.</param>
    /// <param name="options">Machine options (console streams, pacing).</param>
    /// <param name="loggerFactory">Loggers for the machine.</param>
    /// <returns>A machine whose next instruction is the DSMC's resume address.</returns>
    /// <exception cref="MigrationException">The system does not fit the board or its CPU state is inconsistent.</exception>
    public static Machine Build(EmigratedSystem system, BoardDefinition board, MachineOptions? options, ILoggerFactory? loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(board);
        Validate(system, board);
        var machine = Machine.Create(board, options, loggerFactory);
        try
        {
            Load(machine, system);
            return machine;
        }
        catch
        {
            MachineResources.Release(machine);
            throw;
        }
    }

    /// <summary>
    /// Loads <paramref name="system"/> into <paramref name="machine"/>, a machine of <paramref name="board"/> fresh from
    /// <see cref="Machine.Create"/> (built ahead, while the system streamed in). The machine is left to the caller
    /// when the system does not fit.
    /// </summary>
    /// <param name="system">The received system.</param>
    /// <param name="board">The board the machine was created from.</param>
    /// <param name="machine">The machine, not yet run.</param>
    /// <exception cref="MigrationException">The system does not fit the board or its CPU state is inconsistent.</exception>
    public static void LoadInto(EmigratedSystem system, BoardDefinition board, Machine machine)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(board);
        ArgumentNullException.ThrowIfNull(machine);
        Validate(system, board);
        Load(machine, system);
    }

    /// <summary>Checks that a system can be hosted on a board before anything is built.</summary>
    /// <param name="system">The received system.</param>
    /// <param name="board">The board.</param>
    /// <exception cref="MigrationException">It cannot.</exception>
    public static void Validate(EmigratedSystem system, BoardDefinition board)
    {
        var hello = system.Hello;
        var cpu = system.CpuState;
        if (!string.Equals(hello.BoardId, board.Name, StringComparison.OrdinalIgnoreCase))
        {
            throw new MigrationException($"The device is a '{hello.BoardId}', the board given is '{board.Name}'.");
        }

        if (hello.IrqCount > board.SystemControl.ExternalInterrupts)
        {
            throw new MigrationException($"The device has {hello.IrqCount} interrupts; board '{board.Name}' has {board.SystemControl.ExternalInterrupts}.");
        }

        if (cpu.Pc != hello.ResumeAddress)
        {
            throw new MigrationException($"CPU state PC 0x{cpu.Pc:X8} is not the announced resume address 0x{hello.ResumeAddress:X8}.");
        }

        uint ipsr = cpu.Xpsr & 0x1FF;
        if (ipsr == 0 || !cpu.IsExceptionActive((int)ipsr))
        {
            throw new MigrationException($"The captured system is not inside an active exception (IPSR {ipsr}); the DSMC resumes only in its handler.");
        }

        if ((cpu.Xpsr & (1u << 24)) == 0)
        {
            throw new MigrationException("The captured xPSR has the Thumb bit clear.");
        }

        int exceptionCount = 16 + board.SystemControl.ExternalInterrupts;
        for (int n = exceptionCount; n < 256; n++)
        {
            if (cpu.IsExceptionActive(n))
            {
                throw new MigrationException($"Exception {n} is active on the device but board '{board.Name}' has only {exceptionCount} exceptions.");
            }
        }

        foreach (var region in system.Regions)
        {
            var d = region.Descriptor;
            if (!CoveredByMemory(board, d.Base, d.End))
            {
                throw new MigrationException($"Region {d.Kind} 0x{d.Base:X8}+0x{d.Size:X} is not memory of board '{board.Name}'.");
            }

            if (region.Contents.Length > d.Size)
            {
                throw new MigrationException($"Region 0x{d.Base:X8} carries {region.Contents.Length} bytes for a size of {d.Size}.");
            }
        }
    }

    // Whether [start, end) lies in RAM or ROM of the board, possibly across adjacent regions (the FM3's
    // SRAM0 and SRAM1 are contiguous and devices send them as one range).
    private static bool CoveredByMemory(BoardDefinition board, ulong start, ulong end)
    {
        ulong cursor = start;
        while (cursor < end)
        {
            var region = board.Memory.FirstOrDefault(m => m.Kind != Emulation.CortexM3.Memory.RegionKind.Device && cursor >= m.Base && cursor < (ulong)m.Base + m.Size);
            if (region is null)
            {
                return false;
            }

            cursor = (ulong)region.Base + region.Size;
        }

        return true;
    }

    private static void Load(Machine machine, EmigratedSystem system)
    {
        foreach (var region in system.Regions)
        {
            if (region.Descriptor.Kind != Protocol.RegionKind.DsmcPrivate && !region.Contents.IsEmpty)
            {
                machine.Bus.Load(region.Descriptor.Base, region.Contents.Span);
            }
        }

        var s = system.CpuState;
        var cpu = machine.Cpu;

        // IPSR first: it selects handler mode, and with it which banked stack pointer r13 is.
        cpu.Xpsr = s.Xpsr;
        cpu.Control = s.Control;
        cpu.Msp = s.Msp;
        cpu.Psp = s.Psp;
        for (int i = 0; i < 13; i++)
        {
            cpu.SetRegister(i, s.R[i]);
        }

        cpu.Lr = s.Lr;
        cpu.Pc = s.Pc;
        cpu.Primask = s.Primask;
        cpu.Faultmask = s.Faultmask;
        cpu.Basepri = s.Basepri;

        var exceptions = machine.SystemControl.Exceptions;
        int exceptionCount = 16 + machine.Board.SystemControl.ExternalInterrupts;
        for (int n = 1; n < exceptionCount; n++)
        {
            if (s.IsExceptionActive(n))
            {
                exceptions.SetActive(n, true);
            }
        }

        exceptions.MasksChanged();
    }
}
