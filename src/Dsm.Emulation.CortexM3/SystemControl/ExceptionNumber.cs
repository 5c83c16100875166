namespace Dsm.Emulation.CortexM3.SystemControl;

/// <summary>ARMv7-M exception numbers (the value IPSR holds while the exception is active).</summary>
public static class ExceptionNumber
{
    /// <summary>Reset (priority -3).</summary>
    public const int Reset = 1;

    /// <summary>Non-maskable interrupt (priority -2).</summary>
    public const int Nmi = 2;

    /// <summary>HardFault (priority -1).</summary>
    public const int HardFault = 3;

    /// <summary>MemManage fault (MPU and execute-never violations).</summary>
    public const int MemManage = 4;

    /// <summary>BusFault (bus errors on fetch, data access, stacking).</summary>
    public const int BusFault = 5;

    /// <summary>UsageFault (undefined instruction, invalid state, unaligned, divide by zero...).</summary>
    public const int UsageFault = 6;

    /// <summary>Supervisor call (SVC instruction).</summary>
    public const int SVCall = 11;

    /// <summary>Debug monitor (inert unless DEMCR.MON_EN is set).</summary>
    public const int DebugMonitor = 12;

    /// <summary>PendSV (pended by ICSR.PENDSVSET).</summary>
    public const int PendSV = 14;

    /// <summary>SysTick.</summary>
    public const int SysTick = 15;

    /// <summary>The first external interrupt (IRQ 0).</summary>
    public const int FirstExternal = 16;

    /// <summary>Largest number of external interrupts an ARMv7-M NVIC on a Cortex-M3 can have.</summary>
    public const int MaxExternalInterrupts = 240;
}
