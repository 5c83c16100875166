using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Dsm.Emulation.CortexM3.Memory;

/// <summary>Receives notice that the guest stored into memory that holds decoded instructions.</summary>
public interface ICodeWriteObserver
{
    /// <summary>Called for a store of <paramref name="size"/> bytes at <paramref name="address"/> in a marked code page.</summary>
    /// <param name="region">The region written.</param>
    /// <param name="address">Guest address of the store.</param>
    /// <param name="size">Width of the store in bytes.</param>
    void OnCodeWritten(MemoryRegion region, uint address, int size);
}

/// <summary>
/// The guest's address space: RAM and ROM backed by arrays, device windows dispatched to
/// <see cref="IMmioDevice"/>s, and Cortex-M3 bit-band aliases. Little-endian. The Try* accessors
/// return false for a bus error (no region, or a write to ROM) and leave the fault policy to the CPU.
/// </summary>
public sealed class MemoryBus
{
    private readonly List<MemoryRegion> _regions = new();
    private readonly List<BitBandWindow> _bitBands = new();
    private MemoryRegion[] _sorted = [];
    private MemoryRegion? _lastHit;

    /// <summary>All regions, ordered by base address.</summary>
    public IReadOnlyList<MemoryRegion> Regions => _sorted;

    /// <summary>Changes whenever a region is added or a region's backing array is replaced (the CPU's fast maps cache them).</summary>
    internal int LayoutVersion { get; private set; }

    /// <summary>Told about stores into pages that hold decoded code. Set by the CPU's instruction cache.</summary>
    public ICodeWriteObserver? CodeWriteObserver { get; set; }

    /// <summary>Adds a RAM region.</summary>
    /// <param name="name">Diagnostic name.</param>
    /// <param name="baseAddress">First address.</param>
    /// <param name="size">Size in bytes.</param>
    /// <returns>The new region.</returns>
    public MemoryRegion AddRam(string name, uint baseAddress, uint size) => Add(new MemoryRegion(name, baseAddress, size, RegionKind.Ram, null));

    /// <summary>Adds a ROM (flash) region: host-loadable, guest read-only.</summary>
    /// <param name="name">Diagnostic name.</param>
    /// <param name="baseAddress">First address.</param>
    /// <param name="size">Size in bytes.</param>
    /// <param name="fill">What unprogrammed bytes read: 0xFF for erased flash.</param>
    /// <returns>The new region.</returns>
    public MemoryRegion AddRom(string name, uint baseAddress, uint size, byte fill = 0) =>
        Add(new MemoryRegion(name, baseAddress, size, RegionKind.Rom, null, fill));

    /// <summary>Adds a device window.</summary>
    /// <param name="name">Diagnostic name.</param>
    /// <param name="baseAddress">First address.</param>
    /// <param name="size">Size of the window in bytes.</param>
    /// <param name="device">The device that serves the window.</param>
    /// <returns>The new region.</returns>
    public MemoryRegion AddDevice(string name, uint baseAddress, uint size, IMmioDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return Add(new MemoryRegion(name, baseAddress, size, RegionKind.Device, device));
    }

    /// <summary>
    /// Adds a Cortex-M3 bit-band alias: each word at <c>aliasBase + byteOffset*32 + bit*4</c> reads and
    /// writes one bit of the byte at <c>targetBase + byteOffset</c>.
    /// </summary>
    /// <param name="aliasBase">Start of the alias window (0x22000000 or 0x42000000 on a Cortex-M3).</param>
    /// <param name="targetBase">Start of the bit-band region (0x20000000 or 0x40000000).</param>
    /// <param name="targetSize">Size of the bit-band region (1 MiB on a Cortex-M3).</param>
    public void AddBitBand(uint aliasBase, uint targetBase, uint targetSize = 0x100000)
    {
        _bitBands.Add(new BitBandWindow(aliasBase, targetBase, targetSize));
    }

    private MemoryRegion Add(MemoryRegion region)
    {
        if (region.Size == 0)
        {
            throw new ArgumentException($"Region '{region.Name}' is empty.");
        }

        if ((ulong)region.Base + region.Size > 0x1_0000_0000UL)
        {
            throw new ArgumentException($"Region '{region.Name}' runs past the end of the address space.");
        }

        foreach (var other in _regions)
        {
            if (region.Base < other.Base + (ulong)other.Size && other.Base < region.Base + (ulong)region.Size)
            {
                throw new ArgumentException($"Region {region} overlaps {other}.");
            }
        }

        _regions.Add(region);
        _sorted = _regions.OrderBy(r => r.Base).ToArray();
        LayoutVersion++;
        return region;
    }

    /// <summary>Finds the region containing <paramref name="address"/>, or null.</summary>
    /// <param name="address">A guest address.</param>
    /// <returns>The region or null where nothing is mapped (bit-band aliases are not regions).</returns>
    public MemoryRegion? FindRegion(uint address)
    {
        var last = _lastHit;
        if (last is not null && address - last.Base < last.Size)
        {
            return last;
        }

        var sorted = _sorted;
        int lo = 0, hi = sorted.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >> 1;
            var r = sorted[mid];
            if (address < r.Base)
            {
                hi = mid - 1;
            }
            else if (address - r.Base >= r.Size)
            {
                lo = mid + 1;
            }
            else
            {
                _lastHit = r;
                return r;
            }
        }

        return null;
    }

    /// <summary>A guest read of 1, 2 or 4 bytes. Alignment is the CPU's business; the bus accepts any address.</summary>
    /// <param name="address">Guest address.</param>
    /// <param name="size">1, 2 or 4.</param>
    /// <param name="value">The value read, zero-extended.</param>
    /// <returns>False on a bus error (nothing mapped).</returns>
    public bool TryRead(uint address, int size, out uint value)
    {
        var region = FindRegion(address);
        if (region is null)
        {
            return TryReadBitBand(address, size, out value);
        }

        uint offset = address - region.Base;
        if (offset + (uint)size > region.Size)
        {
            // An access straddling the end of a region: split it so each byte is served by its owner.
            return TryReadSplit(address, size, out value);
        }

        var data = region.Data;
        if (data is null)
        {
            value = region.Device!.Read(offset, size);
            return true;
        }

        value = size switch
        {
            4 => BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((int)offset)),
            2 => BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan((int)offset)),
            _ => data[offset],
        };
        return true;
    }

    /// <summary>A guest write of 1, 2 or 4 bytes.</summary>
    /// <param name="address">Guest address.</param>
    /// <param name="size">1, 2 or 4.</param>
    /// <param name="value">The value; only the low <paramref name="size"/> bytes are stored.</param>
    /// <returns>False on a bus error (nothing mapped, or ROM).</returns>
    public bool TryWrite(uint address, int size, uint value)
    {
        var region = FindRegion(address);
        if (region is null)
        {
            return TryWriteBitBand(address, size, value);
        }

        uint offset = address - region.Base;
        if (offset + (uint)size > region.Size)
        {
            return TryWriteSplit(address, size, value);
        }

        switch (region.Kind)
        {
            case RegionKind.Device:
                region.Device!.Write(offset, size, value & SizeMask(size));
                return true;
            case RegionKind.Rom:
                return false;
        }

        var data = region.Data!;
        switch (size)
        {
            case 4: BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan((int)offset), value); break;
            case 2: BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan((int)offset), (ushort)value); break;
            default: data[offset] = (byte)value; break;
        }

        NoteStore(region, offset, size);
        return true;
    }

    /// <summary>Tells the code observer about a store into marked code pages. The CPU's fast store path calls it too.</summary>
    /// <param name="region">RAM region written.</param>
    /// <param name="offset">Offset of the store in the region.</param>
    /// <param name="size">Width of the store.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void NoteStore(MemoryRegion region, uint offset, int size)
    {
        var pages = region.CodePages!;
        if ((pages[offset >> MemoryRegion.CodePageShift] | pages[(offset + (uint)size - 1) >> MemoryRegion.CodePageShift]) != 0)
        {
            CodeWriteObserver?.OnCodeWritten(region, region.Base + offset, size);
        }
    }

    private bool TryReadSplit(uint address, int size, out uint value)
    {
        value = 0;
        for (int i = 0; i < size; i++)
        {
            if (!TryRead(address + (uint)i, 1, out uint b))
            {
                return false;
            }

            value |= b << (8 * i);
        }

        return true;
    }

    private bool TryWriteSplit(uint address, int size, uint value)
    {
        for (int i = 0; i < size; i++)
        {
            if (!TryWrite(address + (uint)i, 1, (value >> (8 * i)) & 0xFF))
            {
                return false;
            }
        }

        return true;
    }

    private bool TryReadBitBand(uint address, int size, out uint value)
    {
        if (!TryMapBitBand(address, size, out uint unitAddress, out int bit))
        {
            value = 0;
            return false;
        }

        if (!TryRead(unitAddress, size, out uint unit))
        {
            value = 0;
            return false;
        }

        value = (unit >> bit) & 1;
        return true;
    }

    private bool TryWriteBitBand(uint address, int size, uint value)
    {
        if (!TryMapBitBand(address, size, out uint unitAddress, out int bit))
        {
            return false;
        }

        // The bus matrix does a read-modify-write of the target at the alias access's width.
        if (!TryRead(unitAddress, size, out uint unit))
        {
            return false;
        }

        unit = (value & 1) != 0 ? unit | (1u << bit) : unit & ~(1u << bit);
        return TryWrite(unitAddress, size, unit);
    }

    private bool TryMapBitBand(uint address, int size, out uint unitAddress, out int bit)
    {
        foreach (var window in _bitBands)
        {
            uint aliasOffset = address - window.AliasBase;
            if (aliasOffset < window.TargetSize * 32)
            {
                uint byteAddress = window.TargetBase + (aliasOffset >> 5);
                unitAddress = byteAddress & ~(uint)(size - 1);
                bit = (int)((aliasOffset >> 2) & 7) + (int)(8 * (byteAddress - unitAddress));
                return true;
            }
        }

        unitAddress = 0;
        bit = 0;
        return false;
    }

    /// <summary>Host-side write that ignores guest permissions (loading images, importing state). Devices are not touched.</summary>
    /// <param name="address">First guest address.</param>
    /// <param name="bytes">Bytes to store.</param>
    /// <exception cref="ArgumentException">Part of the range is not RAM or ROM.</exception>
    public void Load(uint address, ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var region = FindRegion(address);
            if (region?.Data is null)
            {
                throw new ArgumentException($"Address 0x{address:X8} is not backed by RAM or ROM.");
            }

            uint offset = address - region.Base;
            int count = (int)Math.Min((uint)bytes.Length, region.Size - offset);
            if (region.EnsurePrivateBacking())
            {
                LayoutVersion++; // copy-on-write: the other machines sharing the image keep theirs
            }

            bytes[..count].CopyTo(region.Data!.AsSpan((int)offset));
            if (CodeWriteObserver is not null)
            {
                for (uint page = offset >> MemoryRegion.CodePageShift; page <= (offset + (uint)count - 1) >> MemoryRegion.CodePageShift; page++)
                {
                    if (region.CodePages![page] != 0)
                    {
                        CodeWriteObserver.OnCodeWritten(region, region.Base + (page << MemoryRegion.CodePageShift), MemoryRegion.CodePageSize);
                    }
                }
            }

            bytes = bytes[count..];
            address += (uint)count;
        }
    }

    /// <summary>
    /// Lets the ROM regions (flash) share their contents with other machines' through <paramref name="pool"/>: a region
    /// whose bytes equal an image already in the pool drops its own array and reads the pool's. Guest stores never
    /// reach ROM; a later host store (<see cref="Load"/>: a reset reloading an image, a state import that changes flash)
    /// first gives the region a private copy, so no machine ever sees another's change. Call between runs.
    /// </summary>
    /// <param name="pool">The images shared among machines, typically one per host.</param>
    /// <returns>Bytes of ROM now backed by an image another region already used.</returns>
    public long ShareReadOnlyMemory(SharedMemoryPool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        long saved = 0;
        foreach (var region in _sorted)
        {
            if (region.Kind != RegionKind.Rom || region.Data is null || region.IsBackingShared)
            {
                continue;
            }

            var shared = pool.Intern(region.Data);
            if (!ReferenceEquals(shared, region.Data))
            {
                saved += shared.Length;
            }

            region.ShareBacking(shared);
            LayoutVersion++;
        }

        return saved;
    }

    /// <summary>Host-side read of RAM or ROM contents (devices are not read: reads can have side effects).</summary>
    /// <param name="address">First guest address.</param>
    /// <param name="destination">Where to copy the bytes.</param>
    /// <returns>False if part of the range is not RAM or ROM.</returns>
    public bool TryPeek(uint address, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            var region = FindRegion(address);
            if (region?.Data is null)
            {
                return false;
            }

            uint offset = address - region.Base;
            int count = (int)Math.Min((uint)destination.Length, region.Size - offset);
            region.Data.AsSpan((int)offset, count).CopyTo(destination);
            destination = destination[count..];
            address += (uint)count;
        }

        return true;
    }

    private static uint SizeMask(int size) => size == 4 ? 0xFFFF_FFFFu : (1u << (8 * size)) - 1;

    private readonly record struct BitBandWindow(uint AliasBase, uint TargetBase, uint TargetSize);
}
