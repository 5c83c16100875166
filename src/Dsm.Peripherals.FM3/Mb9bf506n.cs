using Dsm.Emulation.CortexM3.Boards;
using Dsm.Emulation.CortexM3.Memory;
using Dsm.Emulation.CortexM3.SystemControl;
using Dsm.Peripherals.FM3.Serial;

namespace Dsm.Peripherals.FM3;

/// <summary>
/// The MB9BF506N as a <see cref="BoardDefinition"/> for the machine and the command line: a thin
/// adapter over <see cref="Mb9bf506nBoard"/>.
/// </summary>
public static class Mb9bf506n
{
    /// <summary>The RAM and ROM regions of the part.</summary>
    public static IReadOnlyList<MemoryRegionSpec> MemoryMap { get; } =
    [
        new MemoryRegionSpec("flash", Mb9bf506nBoard.FlashBase, Mb9bf506nBoard.FlashSize, RegionKind.Rom, Fill: 0xFF),   // erased flash
        new MemoryRegionSpec("sram0", Mb9bf506nBoard.Sram0Base, Mb9bf506nBoard.Sram0Size, RegionKind.Ram),
        new MemoryRegionSpec("sram1", Mb9bf506nBoard.Sram1Base, Mb9bf506nBoard.Sram1Size, RegionKind.Ram),
    ];

    /// <summary>Device name under which <see cref="Definition"/> registers the board with the machine.</summary>
    public const string DeviceName = "board";

    /// <summary>
    /// The board for <c>Machine.Create</c>: memory map, core configuration and an <c>AddDevices</c> that
    /// builds the peripherals, attaches the UART host channels ("stdio" writes to the machine's console
    /// stream) and registers each peripheral's window under its name and the board as device
    /// <see cref="DeviceName"/> (an <see cref="IResettable"/> wrapper whose <c>Board</c> is the board).
    /// The board drives the context's NVIC lines, pends NMI through it and asks it for system resets
    /// (the machine's reset then resets the board, which records the watchdog cause in RST_STR).
    /// Dispose the board when the machine is done to close the host channels.
    /// </summary>
    /// <param name="uarts">Host channels for MFS channels (<c>--uart</c> options); the board owns them.</param>
    /// <param name="crTrimMirror">Factory CR trim value in CRTRMM (0x3FF: untrimmed).</param>
    /// <returns>The definition.</returns>
    public static BoardDefinition Definition(IEnumerable<UartBackendSpec>? uarts = null, uint crTrimMirror = 0x3FF)
    {
        var specs = uarts?.ToList() ?? [];
        return new BoardDefinition
        {
            Name = Mb9bf506nBoard.BoardName,
            Description = "Fujitsu FM3 MB9BF506N: 512 KiB flash, 64 KiB SRAM, 80 MHz Cortex-M3",
            Memory = MemoryMap,
            BitBands = BitBandSpec.CortexM3Standard,
            SystemControl = new SystemControlOptions
            {
                CpuId = Mb9bf506nBoard.CpuId,
                ExternalInterrupts = Mb9bf506nBoard.ExternalInterruptCount,
                PriorityBits = Mb9bf506nBoard.NvicPriorityBits,
            },
            CoreClockHz = Mb9bf506nBoard.ResetCoreClockHz,
            AddDevices = context =>
            {
                var board = Mb9bf506nBoard.Build(context.Bus, context.Scheduler, context.LoggerFactory, crTrimMirror, specs, context.ConsoleOutput, context.AddDevice);
                board.Connect(context.Interrupts, context.PendNmi, _ => context.RequestSystemReset(), context.Post);
                context.Register(DeviceName, new ResettableBoard(board));
            },
        };
    }

    /// <summary>The board as the machine's device list holds it: resetting it resets the peripherals with the core.</summary>
    /// <param name="Board">The board.</param>
    public sealed record ResettableBoard(Mb9bf506nBoard Board) : IResettable
    {
        /// <inheritdoc />
        public void Reset() => Board.Reset();
    }
}
