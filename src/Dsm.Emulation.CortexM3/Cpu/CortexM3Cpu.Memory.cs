using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Dsm.Emulation.CortexM3.Memory;
using Dsm.Emulation.CortexM3.SystemControl;

namespace Dsm.Emulation.CortexM3.Cpu;

/// <summary>
/// Data accesses. The fast path indexes a 256-entry table by address bits [31:24] to the one RAM/ROM
/// region in that 16 MiB slot and reads or writes its array directly; everything else (devices,
/// bit-band aliases, accesses straddling a region's end, bus errors, alignment traps) takes
/// <see cref="MemoryBus"/>'s general path.
/// </summary>
public sealed partial class CortexM3Cpu
{
    // Every slot empty: every access takes the general path (while the MPU is enabled).
    private static readonly FastRegion[] CheckedMap = CreateEmptyMap();

    // The maps the fast path uses: the region maps below, or CheckedMap while the MPU is enabled.
    private FastRegion[] _readMap = CheckedMap;
    private FastRegion[] _writeMap = CheckedMap;
    private FastRegion[] _regionReadMap = CheckedMap;
    private FastRegion[] _regionWriteMap = CheckedMap;
    private int _mappedLayoutVersion = -1;
    private uint _unalignedMask4;
    private uint _unalignedMask2;

    // The fault a failed access reports; read by the executor's fault exit.
    private FaultKind _pendingFault;
    private uint? _pendingFaultAddress;

    private static FastRegion[] CreateEmptyMap()
    {
        var map = new FastRegion[256];
        Array.Fill(map, FastRegion.Empty);
        return map;
    }

    /// <summary>Rebuilds the fast-path tables if regions were added or their backing arrays replaced since the last run.</summary>
    private void RefreshMemoryMap()
    {
        if (Bus.LayoutVersion == _mappedLayoutVersion)
        {
            return;
        }

        var regions = Bus.Regions;
        var readMap = CreateEmptyMap();
        var writeMap = CreateEmptyMap();
        foreach (var region in regions)
        {
            if (region.Data is null || region.Size < 4)
            {
                continue;
            }

            var fast = new FastRegion(region);
            uint firstSlot = region.Base >> 24, lastSlot = (uint)((region.Base + (ulong)region.Size - 1) >> 24);
            for (uint slot = firstSlot; slot <= lastSlot; slot++)
            {
                // First region wins a shared slot; the others take the general path, which is just slower.
                if (readMap[slot].Region is null)
                {
                    readMap[slot] = fast;
                }

                if (region.Kind == RegionKind.Ram && writeMap[slot].Region is null)
                {
                    writeMap[slot] = fast;
                }
            }
        }

        _regionReadMap = readMap;
        _regionWriteMap = writeMap;
        _mappedLayoutVersion = Bus.LayoutVersion;
        _code.OnLayoutChanged(); // a region joined or left a shared image: its decoded code goes with it
        SelectMemoryMaps();
    }

    /// <summary>The fast path's maps: the region maps, or none (every access checked on the general path) while the MPU is enabled.</summary>
    private void SelectMemoryMaps()
    {
        _mpuEnabled = _scs is not null && _scs.Mpu.Enabled;
        _readMap = _mpuEnabled ? CheckedMap : _regionReadMap;
        _writeMap = _mpuEnabled ? CheckedMap : _regionWriteMap;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref FastRegion Slot(FastRegion[] map, uint address) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(map), (nint)(address >> 24));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref byte At(byte[] data, uint offset) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(data), (nint)offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Read32(uint address, out uint value)
    {
        ref var r = ref Slot(_readMap, address);
        uint offset = address - r.Base;
        if (offset < r.Limit4 && (address & _unalignedMask4) == 0)
        {
            value = Unsafe.ReadUnaligned<uint>(ref At(r.Data, offset));
            return true;
        }

        return ReadSlow(address, 4, out value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Read16(uint address, out uint value)
    {
        ref var r = ref Slot(_readMap, address);
        uint offset = address - r.Base;
        if (offset < r.Limit2 && (address & _unalignedMask2) == 0)
        {
            value = Unsafe.ReadUnaligned<ushort>(ref At(r.Data, offset));
            return true;
        }

        return ReadSlow(address, 2, out value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Read8(uint address, out uint value)
    {
        ref var r = ref Slot(_readMap, address);
        uint offset = address - r.Base;
        if (offset < r.Limit1)
        {
            value = At(r.Data, offset);
            return true;
        }

        return ReadSlow(address, 1, out value);
    }

    /// <summary>The value a failed <see cref="Load32"/>/<see cref="Load16"/>/<see cref="Load8"/> returns (bit 32 set).</summary>
    private const ulong LoadFailed = 1UL << 32;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong Load32(uint address)
    {
        ref var r = ref Slot(_readMap, address);
        uint offset = address - r.Base;
        if (offset < r.Limit4 && (address & _unalignedMask4) == 0)
        {
            return Unsafe.ReadUnaligned<uint>(ref At(r.Data, offset));
        }

        return LoadSlow(address, 4);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong Load16(uint address)
    {
        ref var r = ref Slot(_readMap, address);
        uint offset = address - r.Base;
        if (offset < r.Limit2 && (address & _unalignedMask2) == 0)
        {
            return Unsafe.ReadUnaligned<ushort>(ref At(r.Data, offset));
        }

        return LoadSlow(address, 2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong Load8(uint address)
    {
        ref var r = ref Slot(_readMap, address);
        uint offset = address - r.Base;
        if (offset < r.Limit1)
        {
            return At(r.Data, offset);
        }

        return LoadSlow(address, 1);
    }

    /// <summary>The general path of the Load* helpers: the value, or <see cref="LoadFailed"/> with the fault recorded.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ulong LoadSlow(uint address, int size) => ReadSlow(address, size, out uint value) ? value : LoadFailed;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Write32(uint address, uint value)
    {
        ref var r = ref Slot(_writeMap, address);
        uint offset = address - r.Base;
        if (offset < r.Limit4 && (address & _unalignedMask4) == 0)
        {
            Unsafe.WriteUnaligned(ref At(r.Data, offset), value);
            if ((At(r.CodePages, offset >> MemoryRegion.CodePageShift) | At(r.CodePages, (offset + 3) >> MemoryRegion.CodePageShift)) != 0)
            {
                Bus.NoteStore(r.Region!, offset, 4);
            }

            return true;
        }

        return WriteSlow(address, 4, value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Write16(uint address, uint value)
    {
        ref var r = ref Slot(_writeMap, address);
        uint offset = address - r.Base;
        if (offset < r.Limit2 && (address & _unalignedMask2) == 0)
        {
            Unsafe.WriteUnaligned(ref At(r.Data, offset), (ushort)value);
            if ((At(r.CodePages, offset >> MemoryRegion.CodePageShift) | At(r.CodePages, (offset + 1) >> MemoryRegion.CodePageShift)) != 0)
            {
                Bus.NoteStore(r.Region!, offset, 2);
            }

            return true;
        }

        return WriteSlow(address, 2, value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Write8(uint address, uint value)
    {
        ref var r = ref Slot(_writeMap, address);
        uint offset = address - r.Base;
        if (offset < r.Limit1)
        {
            At(r.Data, offset) = (byte)value;
            if (At(r.CodePages, offset >> MemoryRegion.CodePageShift) != 0)
            {
                Bus.NoteStore(r.Region!, offset, 1);
            }

            return true;
        }

        return WriteSlow(address, 1, value);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool ReadSlow(uint address, int size, out uint value)
    {
        if (UnalignedTrap && (address & (uint)(size - 1)) != 0)
        {
            value = 0;
            return DataFault(FaultKind.Unaligned, address);
        }

        if (_mpuEnabled && !MpuPermitsData(address, size, MemoryAccess.Read))
        {
            value = 0;
            return DataFault(FaultKind.DataAccessViolation, address);
        }

        if (address >= PpbBase && DeniedToUnprivileged(address, isWrite: false))
        {
            value = 0;
            return DataFault(FaultKind.DataBusError, address);
        }

        if (Bus.TryRead(address, size, out value))
        {
            return true;
        }

        return DataFault(FaultKind.DataBusError, address);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool WriteSlow(uint address, int size, uint value)
    {
        if (UnalignedTrap && (address & (uint)(size - 1)) != 0)
        {
            return DataFault(FaultKind.Unaligned, address);
        }

        if (_mpuEnabled && !MpuPermitsData(address, size, MemoryAccess.Write))
        {
            return DataFault(FaultKind.DataAccessViolation, address);
        }

        if (address >= PpbBase && DeniedToUnprivileged(address, isWrite: true))
        {
            return DataFault(FaultKind.DataBusError, address);
        }

        if (size < 4)
        {
            value &= (1u << (8 * size)) - 1;
        }

        return Bus.TryWrite(address, size, value) || DataFault(FaultKind.DataBusError, address);
    }

    /// <summary>Records the fault of a failed data access for the executor's fault exit.</summary>
    /// <returns>False, for the caller to return.</returns>
    private bool DataFault(FaultKind kind, uint address)
    {
        _pendingFault = kind;
        _pendingFaultAddress = address;
        return false;
    }

    /// <summary>An access that must be aligned (LDM/STM, LDRD/STRD, exclusives) regardless of CCR.UNALIGN_TRP.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool CheckAligned(uint address, uint mask) => (address & mask) == 0 || DataFault(FaultKind.Unaligned, address);

    /// <summary>
    /// A RAM or ROM region as the fast path sees it: limits precomputed per access width. A struct held in the map array
    /// itself, so an access reads its fields with one load fewer than through a reference.
    /// </summary>
    private readonly struct FastRegion
    {
        /// <summary>A slot without a region: every limit 0, so every access takes the general path.</summary>
        public static readonly FastRegion Empty = new(null, 0, new byte[4], new byte[1], 0);

        public FastRegion(MemoryRegion region)
            : this(region, region.Base, region.Data!, region.CodePages!, region.Size)
        {
        }

        private FastRegion(MemoryRegion? region, uint baseAddress, byte[] data, byte[] codePages, uint size)
        {
            Region = region;
            Base = baseAddress;
            Data = data;
            CodePages = codePages;
            Limit1 = size;
            Limit2 = size == 0 ? 0 : size - 1;
            Limit4 = size == 0 ? 0 : size - 3;
        }

        public MemoryRegion? Region { get; }

        public uint Base { get; }

        /// <summary>Offsets below this admit a 1-byte access.</summary>
        public uint Limit1 { get; }

        /// <summary>Offsets below this admit a 2-byte access.</summary>
        public uint Limit2 { get; }

        /// <summary>Offsets below this admit a 4-byte access.</summary>
        public uint Limit4 { get; }

        public byte[] Data { get; }

        public byte[] CodePages { get; }
    }
}
