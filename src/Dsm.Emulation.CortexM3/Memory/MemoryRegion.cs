namespace Dsm.Emulation.CortexM3.Memory;

/// <summary>What backs a region of the address space.</summary>
public enum RegionKind
{
    /// <summary>Readable and writable memory backed by a byte array (SRAM).</summary>
    Ram,

    /// <summary>Memory backed by a byte array that the guest can read and execute but not write (flash, ROM).</summary>
    Rom,

    /// <summary>A memory-mapped device; every access goes to its <see cref="IMmioDevice"/>.</summary>
    Device,
}

/// <summary>One contiguous window of the guest address space.</summary>
public sealed class MemoryRegion
{
    /// <summary>Granularity at which executed code is tracked for cache invalidation (bytes, a power of two).</summary>
    public const int CodePageSize = 256;

    internal const int CodePageShift = 8;

    internal MemoryRegion(string name, uint baseAddress, uint size, RegionKind kind, IMmioDevice? device, byte fill = 0)
    {
        Name = name;
        Base = baseAddress;
        Size = size;
        Kind = kind;
        Device = device;
        Fill = fill;
        if (kind != RegionKind.Device)
        {
            Data = new byte[size];
            if (fill != 0)
            {
                Array.Fill(Data, fill);
            }

            CodePages = new byte[(size + CodePageSize - 1) / CodePageSize];
        }
    }

    /// <summary>What an unwritten byte reads (0xFF for erased flash); snapshots leave such pages out.</summary>
    public byte Fill { get; }

    /// <summary>Name used in diagnostics and snapshots (e.g. "flash", "sram1", "mfs0").</summary>
    public string Name { get; }

    /// <summary>First guest address of the region.</summary>
    public uint Base { get; }

    /// <summary>Size in bytes.</summary>
    public uint Size { get; }

    /// <summary>What backs the region.</summary>
    public RegionKind Kind { get; }

    /// <summary>
    /// The backing store of RAM and ROM regions; null for devices. A ROM region may share it read-only with other
    /// machines' regions (<see cref="IsBackingShared"/>); the bus then copies it before the first host store.
    /// </summary>
    public byte[]? Data { get; private set; }

    /// <summary>Whether <see cref="Data"/> is a read-only image shared through a <see cref="SharedMemoryPool"/>.</summary>
    public bool IsBackingShared { get; private set; }

    /// <summary>The device of a <see cref="RegionKind.Device"/> region; null otherwise.</summary>
    public IMmioDevice? Device { get; }

    /// <summary>
    /// One mark per <see cref="CodePageSize"/> bytes: non-zero where decoded instructions exist, so a
    /// store into such a page must invalidate them. Null for devices (code never runs from MMIO).
    /// </summary>
    internal byte[]? CodePages { get; }

    /// <summary>Makes <paramref name="shared"/> (same size, same contents) the backing of this ROM region.</summary>
    internal void ShareBacking(byte[] shared)
    {
        Data = shared;
        IsBackingShared = true;
    }

    /// <summary>Copy-on-write: gives the region a private copy of a shared backing. Returns whether it had to.</summary>
    internal bool EnsurePrivateBacking()
    {
        if (!IsBackingShared)
        {
            return false;
        }

        Data = (byte[])Data!.Clone();
        IsBackingShared = false;
        return true;
    }

    /// <summary>Whether <paramref name="address"/> lies inside the region.</summary>
    /// <param name="address">A guest address.</param>
    public bool Contains(uint address) => address - Base < Size;

    /// <inheritdoc />
    public override string ToString() => $"{Name} [0x{Base:X8}..0x{Base + Size - 1:X8}] {Kind}";
}
