namespace Dsm.Emulation.CortexM3.SystemControl;

/// <summary>
/// The board-specific facts of the System Control Space: how many interrupts and priority bits the NVIC
/// has, the CPUID, whether there is an MPU, and the SysTick reference clock.
/// </summary>
public sealed record SystemControlOptions
{
    /// <summary>Number of external interrupts, 0..240.</summary>
    public int ExternalInterrupts { get; init; } = 32;

    /// <summary>Implemented priority bits, 3..8 (FM3: 4; QEMU's AN385 model: 3).</summary>
    public int PriorityBits { get; init; } = 4;

    /// <summary>CPUID register value. The default is a Cortex-M3 r2p1 (0x412FC231), as on the FM3.</summary>
    public uint CpuId { get; init; } = 0x412F_C231;

    /// <summary>ACTLR reset value (DISMCYCINT, DISDEFWBUF, DISFOLD).</summary>
    public uint AuxiliaryControl { get; init; }

    /// <summary>Number of MPU regions: 8 on a Cortex-M3 with an MPU (FM3), 0 without.</summary>
    public int MpuRegions { get; init; } = 8;

    /// <summary>
    /// Core cycles per tick of the SysTick external reference clock (CSR.CLKSOURCE = 0). 0 means the board
    /// has no reference clock: CALIB.NOREF reads 1 and CLKSOURCE reads as 1. When a board's reference clock is
    /// not documented, 8 (core clock / 8) is the usual choice and the default.
    /// </summary>
    public uint SysTickReferenceDivider { get; init; } = 8;

    /// <summary>SYST_CALIB.TENMS and SKEW (bits 30 and 23:0); NOREF (bit 31) follows <see cref="SysTickReferenceDivider"/>.</summary>
    public uint SysTickCalibration { get; init; }

    /// <summary>CCR.STKALIGN after reset: set on Cortex-M3 r2p0 and later (and in QEMU), clear on r1.</summary>
    public bool StackAlignOnReset { get; init; } = true;

    /// <summary>Number of DWT comparators (Cortex-M3: 4).</summary>
    public int DwtComparators { get; init; } = 4;
}
