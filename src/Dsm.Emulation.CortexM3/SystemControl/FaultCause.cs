namespace Dsm.Emulation.CortexM3.SystemControl;

/// <summary>
/// A synchronous fault (or SVC/BKPT) the core reports to <see cref="ExceptionController.RaiseFault"/>. Each
/// names the exception it targets and the status bit it sets (CFSR, HFSR or DFSR).
/// </summary>
public enum FaultCause
{
    /// <summary>MemManage, MMFSR.IACCVIOL: instruction fetch from an MPU-denied or execute-never address.</summary>
    InstructionAccessViolation,

    /// <summary>MemManage, MMFSR.DACCVIOL with MMFAR: data access denied by the MPU.</summary>
    DataAccessViolation,

    /// <summary>MemManage, MMFSR.MUNSTKERR: MPU violation while unstacking on exception return.</summary>
    MemManageOnUnstacking,

    /// <summary>MemManage, MMFSR.MSTKERR: MPU violation while stacking on exception entry.</summary>
    MemManageOnStacking,

    /// <summary>BusFault, BFSR.IBUSERR: bus error on instruction fetch.</summary>
    InstructionBusError,

    /// <summary>BusFault, BFSR.PRECISERR with BFAR: precise bus error on a data access.</summary>
    PreciseDataBusError,

    /// <summary>BusFault, BFSR.UNSTKERR: bus error while unstacking.</summary>
    BusFaultOnUnstacking,

    /// <summary>BusFault, BFSR.STKERR: bus error while stacking.</summary>
    BusFaultOnStacking,

    /// <summary>UsageFault, UFSR.UNDEFINSTR: undefined instruction.</summary>
    UndefinedInstruction,

    /// <summary>UsageFault, UFSR.INVSTATE: execution with EPSR.T clear or an invalid IT/ICI state.</summary>
    InvalidState,

    /// <summary>UsageFault, UFSR.INVPC: invalid EXC_RETURN or exception-return integrity check failure.</summary>
    InvalidPc,

    /// <summary>UsageFault, UFSR.NOCP: coprocessor instruction.</summary>
    NoCoprocessor,

    /// <summary>UsageFault, UFSR.UNALIGNED: unaligned access that must fault (or CCR.UNALIGN_TRP).</summary>
    Unaligned,

    /// <summary>UsageFault, UFSR.DIVBYZERO: SDIV/UDIV by zero with CCR.DIV_0_TRP.</summary>
    DivideByZero,

    /// <summary>HardFault, HFSR.VECTTBL: bus error reading the vector table on exception entry.</summary>
    VectorTableReadError,

    /// <summary>SVC instruction: SVCall, escalated to HardFault (HFSR.FORCED) when it cannot be taken.</summary>
    SupervisorCall,

    /// <summary>BKPT with no debugger: DebugMonitor when DEMCR.MON_EN allows it, else HardFault with HFSR.DEBUGEVT; DFSR.BKPT is set.</summary>
    Breakpoint,
}

/// <summary>The result of reporting a fault.</summary>
/// <param name="Exception">The exception now pending (the fault's own handler or HardFault); 0 on lockup.</param>
/// <param name="Escalated">True when the fault was escalated to HardFault.</param>
/// <param name="Lockup">True when even HardFault cannot be taken: the core must enter lockup and report it.</param>
public readonly record struct FaultDelivery(int Exception, bool Escalated, bool Lockup);
