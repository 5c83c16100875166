namespace Dsm.Emulation.CortexM3.Cpu;

/// <summary>Why <see cref="CortexM3Cpu.Run"/> returned.</summary>
public enum StopReason
{
    /// <summary>The instruction budget given to <see cref="CortexM3Cpu.Run"/> was used up.</summary>
    InstructionLimit,

    /// <summary>Something (a semihosting exit, the host) asked the core to stop.</summary>
    StopRequested,

    /// <summary>The guest executed a BKPT that no handler claimed.</summary>
    Breakpoint,

    /// <summary>The guest hit a fault the current configuration cannot deliver; <see cref="CortexM3Cpu.LastFault"/> says which.</summary>
    Fault,

    /// <summary>The core sleeps (WFI/WFE) and nothing can wake it.</summary>
    Sleeping,

    /// <summary>The core is locked up (a fault while handling a fault at a priority that cannot be escalated).</summary>
    Lockup,
}

/// <summary>The kinds of fault the core detects while executing.</summary>
public enum FaultKind
{
    /// <summary>An UNDEFINED encoding.</summary>
    UndefinedInstruction,

    /// <summary>An UNPREDICTABLE encoding, rejected rather than guessed.</summary>
    UnpredictableInstruction,

    /// <summary>Execution with the Thumb bit clear (EPSR.T = 0), or an interworking branch to an ARM address.</summary>
    InvalidState,

    /// <summary>An exception return with an invalid EXC_RETURN or an inconsistent state.</summary>
    InvalidExceptionReturn,

    /// <summary>Unaligned access where the architecture requires alignment (or CCR.UNALIGN_TRP is set).</summary>
    Unaligned,

    /// <summary>Integer division by zero with CCR.DIV_0_TRP set.</summary>
    DivideByZero,

    /// <summary>An instruction fetch from an address where nothing executable is mapped.</summary>
    InstructionBusError,

    /// <summary>A data access to an unmapped address or a write to read-only memory.</summary>
    DataBusError,

    /// <summary>An SVC with no exception model to take it.</summary>
    SupervisorCall,

    /// <summary>A coprocessor instruction (Cortex-M3 has none).</summary>
    NoCoprocessor,

    /// <summary>An instruction fetch the MPU denies (MemManage, MMFSR.IACCVIOL).</summary>
    InstructionAccessViolation,

    /// <summary>A data access the MPU denies (MemManage, MMFSR.DACCVIOL with MMFAR).</summary>
    DataAccessViolation,
}

/// <summary>A precise report of a fault: what, where, and the instruction's halfwords.</summary>
/// <param name="Kind">What went wrong.</param>
/// <param name="Pc">Address of the faulting instruction.</param>
/// <param name="FirstHalfword">The instruction's first halfword (0 if it could not be fetched).</param>
/// <param name="SecondHalfword">The second halfword of a 32-bit instruction, else null.</param>
/// <param name="Address">The data or fetch address involved, if any.</param>
public sealed record CpuFault(FaultKind Kind, uint Pc, ushort FirstHalfword, ushort? SecondHalfword, uint? Address)
{
    /// <summary>A one-line human-readable description.</summary>
    /// <returns>The description.</returns>
    public override string ToString()
    {
        string insn = SecondHalfword is { } second ? $"{FirstHalfword:X4} {second:X4}" : $"{FirstHalfword:X4}";
        string at = Address is { } a ? $", address 0x{a:X8}" : string.Empty;
        return $"{Kind} at pc=0x{Pc:X8} (instruction {insn}{at})";
    }
}
