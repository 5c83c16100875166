using Dsm.Emulation.CortexM3.Memory;
using Dsm.Emulation.CortexM3.SystemControl;

namespace Dsm.Emulation.CortexM3.Boards;

/// <summary>A RAM or ROM region of a board's memory map.</summary>
/// <param name="Name">Diagnostic name ("ssram1", "flash").</param>
/// <param name="Base">First address.</param>
/// <param name="Size">Size in bytes.</param>
/// <param name="Kind"><see cref="RegionKind.Ram"/> (guest-writable) or <see cref="RegionKind.Rom"/> (guest read-only, host-loadable).</param>
/// <param name="Fill">What an unwritten byte reads: 0xFF for erased flash, 0 otherwise.</param>
public sealed record MemoryRegionSpec(string Name, uint Base, uint Size, RegionKind Kind, byte Fill = 0);

/// <summary>A Cortex-M3 bit-band alias window.</summary>
/// <param name="AliasBase">Start of the alias window.</param>
/// <param name="TargetBase">Start of the bit-band region the alias maps onto.</param>
/// <param name="TargetSize">Size of the bit-band region.</param>
public sealed record BitBandSpec(uint AliasBase, uint TargetBase, uint TargetSize = 0x100000)
{
    /// <summary>The two windows every Cortex-M3 has: SRAM (0x22000000 → 0x20000000) and peripherals (0x42000000 → 0x40000000).</summary>
    public static IReadOnlyList<BitBandSpec> CortexM3Standard { get; } =
    [
        new BitBandSpec(0x2200_0000, 0x2000_0000),
        new BitBandSpec(0x4200_0000, 0x4000_0000),
    ];
}

/// <summary>
/// Everything that makes one board: its memory map, core configuration and devices. The engine knows
/// no boards; peripheral assemblies define them (e.g. the MPS2-AN385 in Dsm.Peripherals.Mps2) and the
/// host picks one by name.
/// </summary>
public sealed record BoardDefinition
{
    /// <summary>Short name used on command lines ("mps2-an385").</summary>
    public required string Name { get; init; }

    /// <summary>One-line description.</summary>
    public string Description { get; init; } = string.Empty;

    /// <summary>RAM and ROM regions. Addresses outside these, the bit-band windows and the devices are unmapped.</summary>
    public required IReadOnlyList<MemoryRegionSpec> Memory { get; init; }

    /// <summary>Bit-band alias windows.</summary>
    public IReadOnlyList<BitBandSpec> BitBands { get; init; } = BitBandSpec.CortexM3Standard;

    /// <summary>
    /// The core's board-specific configuration: CPUID, number of external interrupts, NVIC priority bits,
    /// MPU regions and the SysTick reference clock. The machine builds its System Control Space from it.
    /// </summary>
    public SystemControlOptions SystemControl { get; init; } = new();

    /// <summary>Core clock after reset, in Hz: the rate of virtual time.</summary>
    public uint CoreClockHz { get; init; } = 25_000_000;

    /// <summary>Creates and maps the board's devices; called once per machine after the memory is mapped.</summary>
    public Action<BoardContext>? AddDevices { get; init; }

    /// <inheritdoc />
    public override string ToString() => string.IsNullOrEmpty(Description) ? Name : $"{Name}: {Description}";
}
