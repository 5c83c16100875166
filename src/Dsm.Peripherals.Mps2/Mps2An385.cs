using Dsm.Emulation.CortexM3.Boards;
using Dsm.Emulation.CortexM3.Memory;
using Dsm.Emulation.CortexM3.SystemControl;
using Microsoft.Extensions.Logging;

namespace Dsm.Peripherals.Mps2;

/// <summary>
/// The Arm MPS2 board with the AN385 FPGA image (Cortex-M3), laid out as QEMU's <c>-M mps2-an385</c>:
/// ZBT SSRAM1 (4 MiB at 0, writable: code may be modified), block RAM (16 KiB at 0x01000000), ZBT SSRAM2/3
/// (4 MiB at 0x20000000), PSRAM (16 MiB at 0x21000000), both bit-band windows, the Cortex-M3 system control
/// space, and UART0 at 0x40004000 writing to the machine's console. QEMU's RAM mirrors (0x00400000, 0x01004000.., 0x20400000) are not
/// mapped. Everything else is unmapped: accesses there are bus errors.
/// </summary>
public static class Mps2An385
{
    /// <summary>The board's name on command lines.</summary>
    public const string Name = "mps2-an385";

    /// <summary>Base address of UART0.</summary>
    public const uint Uart0Base = 0x4000_4000;

    /// <summary>The board definition.</summary>
    public static BoardDefinition Board { get; } = new()
    {
        Name = Name,
        Description = "Arm MPS2 with the AN385 FPGA image for Cortex-M3 (as QEMU's mps2-an385)",
        Memory =
        [
            new MemoryRegionSpec("ssram1", 0x0000_0000, 4 << 20, RegionKind.Ram),
            new MemoryRegionSpec("blockram", 0x0100_0000, 16 << 10, RegionKind.Ram),
            new MemoryRegionSpec("ssram23", 0x2000_0000, 4 << 20, RegionKind.Ram),
            new MemoryRegionSpec("psram", 0x2100_0000, 16 << 20, RegionKind.Ram),
        ],
        BitBands = BitBandSpec.CortexM3Standard,

        // As qemu-system-arm 7.2 (the CI's) reports them: a Cortex-M3 r0p1 with 32 external interrupts, all
        // 8 priority bits implemented, an 8-region MPU, STKALIGN set, and SysTick's reference clock at
        // 1 MHz (25 core cycles per tick) with TENMS 9999.
        SystemControl = new SystemControlOptions
        {
            CpuId = 0x410F_C231,
            ExternalInterrupts = 32,
            PriorityBits = 8,
            MpuRegions = 8,
            StackAlignOnReset = true,
            SysTickReferenceDivider = 25,
            SysTickCalibration = 0x270F,
        },
        CoreClockHz = 25_000_000,
        AddDevices = AddDevices,
    };

    private static void AddDevices(BoardContext context)
    {
        var uart0 = new CmsdkApbUart(context.ConsoleOutput, context.LoggerFactory.CreateLogger("Dsm.Peripherals.Mps2.Uart0"));
        context.AddDevice("uart0", Uart0Base, CmsdkApbUart.WindowSize, uart0);
    }
}
