using Dsm.Emulation.CortexM3.State;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dsm.Emulation.CortexM3.SystemControl;

/// <summary>The kind of memory access the MPU is asked about.</summary>
public enum MemoryAccess
{
    /// <summary>A data read.</summary>
    Read,

    /// <summary>A data write.</summary>
    Write,

    /// <summary>An instruction fetch.</summary>
    Execute,
}

/// <summary>The MPU's decision on one access.</summary>
public enum MpuVerdict
{
    /// <summary>The access may proceed.</summary>
    Allowed,

    /// <summary>MemManage with MMFSR.IACCVIOL (instruction fetch denied or execute-never).</summary>
    InstructionAccessViolation,

    /// <summary>MemManage with MMFSR.DACCVIOL and MMFAR (data access denied).</summary>
    DataAccessViolation,
}

/// <summary>
/// The ARMv7-M PMSAv7 memory protection unit: TYPE, CTRL, RNR, RBAR, RASR (and aliases), and the permission
/// check the core applies to accesses. Regions are decoded when written so <see cref="Check"/> only compares.
/// </summary>
/// <remarks>
/// Not checked by the MPU, by the architecture: the Private Peripheral Bus (0xE0000000-0xE00FFFFF; its
/// privilege rule is a BusFault the core applies) and vector-table reads on exception entry (always the
/// default map).
/// </remarks>
public sealed class MemoryProtectionUnit : IStatefulComponent
{
    internal const uint CtrlEnable = 1;
    internal const uint CtrlHardFaultNmiEnable = 2;
    internal const uint CtrlPrivilegedDefault = 4;
    private const uint RasrImplementedBits = 0x173F_FF3F;
    private const ushort StateVersion = 1;

    private readonly ExceptionController _exceptions;
    private readonly ILogger _logger;
    private readonly uint[] _rbar;
    private readonly uint[] _rasr;
    private readonly Region[] _regions;
    private uint _control;
    private uint _regionNumber;
    private bool _loggedBadSize;

    /// <summary>Creates an MPU.</summary>
    /// <param name="regionCount">Number of regions: 0 (no MPU) to 16; 8 on a Cortex-M3.</param>
    /// <param name="exceptions">Supplies the execution priority (HFNMIENA).</param>
    /// <param name="logger">Reports unpredictable programming once.</param>
    public MemoryProtectionUnit(int regionCount, ExceptionController exceptions, ILogger? logger = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(regionCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(regionCount, 16);
        ArgumentNullException.ThrowIfNull(exceptions);
        RegionCount = regionCount;
        _exceptions = exceptions;
        _logger = logger ?? NullLogger.Instance;
        _rbar = new uint[regionCount];
        _rasr = new uint[regionCount];
        _regions = new Region[regionCount];
    }

    /// <summary>Number of regions (MPU_TYPE.DREGION).</summary>
    public int RegionCount { get; }

    /// <summary>MPU_CTRL.ENABLE. The core needs to call <see cref="Check"/> for data accesses only while this is set.</summary>
    public bool Enabled => (_control & CtrlEnable) != 0;

    /// <summary>Incremented on every change of the configuration, so the core can drop cached permission decisions.</summary>
    public int Generation { get; private set; }

    /// <summary>Called after every change of the configuration (the core re-evaluates its fast paths).</summary>
    internal Action? Changed { get; set; }

    /// <inheritdoc />
    public string SectionName => "mpu";

    /// <summary>Whether the ARMv7-M default memory map makes <paramref name="address"/> execute-never (peripheral, device and system regions).</summary>
    /// <param name="address">A guest address.</param>
    /// <returns>True for 0x40000000-0x5FFFFFFF and 0xA0000000-0xFFFFFFFF.</returns>
    public static bool IsExecuteNeverByDefault(uint address) => address is (>= 0x4000_0000 and < 0x6000_0000) or >= 0xA000_0000;

    /// <summary>
    /// Decides an access. With the MPU disabled (or bypassed at negative execution priority without
    /// HFNMIENA) only the default map's execute-never applies.
    /// </summary>
    /// <param name="address">The address accessed.</param>
    /// <param name="access">Read, write or instruction fetch.</param>
    /// <param name="privileged">Whether the access is privileged (for exception stacking: the privilege of the mode being stacked).</param>
    /// <returns>Allowed, or the MemManage status bit to set.</returns>
    public MpuVerdict Check(uint address, MemoryAccess access, bool privileged)
    {
        bool useMpu = (_control & CtrlEnable) != 0
            && ((_control & CtrlHardFaultNmiEnable) != 0 || _exceptions.ExecutionPriority >= 0);
        if (!useMpu || (address >= 0xE000_0000 && address < 0xE010_0000))
        {
            return DefaultMap(address, access);
        }

        for (int i = _regions.Length - 1; i >= 0; i--)
        {
            ref readonly var region = ref _regions[i];
            if (!region.Enabled)
            {
                continue;
            }

            ulong offset = (ulong)address - region.Base;
            if (offset >= region.Size)
            {
                continue;
            }

            if (region.SubregionDisable != 0 && (region.SubregionDisable & (1 << (int)(offset / (region.Size >> 3)))) != 0)
            {
                // A disabled sub-region is not part of the region: lower-numbered regions or the background decide.
                continue;
            }

            return Permits(region.AccessPermission, access, privileged) && !(access == MemoryAccess.Execute && region.ExecuteNever)
                ? MpuVerdict.Allowed
                : Violation(access);
        }

        return privileged && (_control & CtrlPrivilegedDefault) != 0 ? DefaultMap(address, access) : Violation(access);
    }

    /// <summary>Returns the MPU to its reset state (disabled; region registers cleared).</summary>
    public void Reset()
    {
        _control = 0;
        _regionNumber = 0;
        Array.Clear(_rbar);
        Array.Clear(_rasr);
        for (int i = 0; i < _regions.Length; i++)
        {
            Decode(i);
        }

        NoteChanged();
    }

    /// <summary>Reads an MPU register by its SCS offset (0xD90..0xDB8).</summary>
    /// <param name="offset">Word offset in the SCS.</param>
    /// <returns>The value.</returns>
    internal uint Read(uint offset)
    {
        if (offset == 0xD90)
        {
            return (uint)RegionCount << 8;
        }

        if (RegionCount == 0)
        {
            return 0;
        }

        return offset switch
        {
            0xD94 => _control,
            0xD98 => _regionNumber,
            0xD9C or 0xDA4 or 0xDAC or 0xDB4 => (_rbar[_regionNumber] & ~0x1Fu) | (_regionNumber & 0xF),
            0xDA0 or 0xDA8 or 0xDB0 or 0xDB8 => _rasr[_regionNumber],
            _ => 0,
        };
    }

    /// <summary>Writes an MPU register by its SCS offset.</summary>
    /// <param name="offset">Word offset in the SCS.</param>
    /// <param name="value">The value.</param>
    internal void Write(uint offset, uint value)
    {
        if (RegionCount == 0)
        {
            return;
        }

        switch (offset)
        {
            case 0xD94:
                _control = value & (CtrlEnable | CtrlHardFaultNmiEnable | CtrlPrivilegedDefault);
                NoteChanged();
                break;
            case 0xD98:
                if ((value & 0xFF) < RegionCount)
                {
                    _regionNumber = value & 0xFF;
                }

                break;
            case 0xD9C or 0xDA4 or 0xDAC or 0xDB4:
                if ((value & 0x10) != 0)
                {
                    // VALID: the REGION field selects the region and updates RNR.
                    if ((value & 0xF) >= RegionCount)
                    {
                        return;
                    }

                    _regionNumber = value & 0xF;
                }

                _rbar[_regionNumber] = value & ~0x1Fu;
                Decode((int)_regionNumber);
                break;
            case 0xDA0 or 0xDA8 or 0xDB0 or 0xDB8:
                _rasr[_regionNumber] = value & RasrImplementedBits;
                Decode((int)_regionNumber);
                break;
        }
    }

    /// <inheritdoc />
    public void SaveState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteVersion(StateVersion);
        writer.WriteByte((byte)RegionCount);
        writer.WriteUInt32(_control);
        writer.WriteUInt32(_regionNumber);
        for (int i = 0; i < RegionCount; i++)
        {
            writer.WriteUInt32(_rbar[i]);
            writer.WriteUInt32(_rasr[i]);
        }
    }

    /// <inheritdoc />
    public void LoadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.ReadVersion(StateVersion);
        int count = reader.ReadByte();
        if (count != RegionCount)
        {
            throw reader.Corrupt($"image has {count} MPU regions, the machine has {RegionCount}");
        }

        uint control = reader.ReadUInt32(), number = reader.ReadUInt32();
        if ((control & ~7u) != 0 || (count > 0 && number >= count) || (count == 0 && (number | control) != 0))
        {
            throw reader.Corrupt($"MPU_CTRL 0x{control:X} or MPU_RNR {number} is invalid");
        }

        var rbar = new uint[count];
        var rasr = new uint[count];
        for (int i = 0; i < count; i++)
        {
            rbar[i] = reader.ReadUInt32();
            rasr[i] = reader.ReadUInt32();
            if ((rbar[i] & 0x1F) != 0 || (rasr[i] & ~RasrImplementedBits) != 0)
            {
                throw reader.Corrupt($"region {i} registers have reserved bits set");
            }
        }

        _control = control;
        _regionNumber = number;
        rbar.CopyTo(_rbar, 0);
        rasr.CopyTo(_rasr, 0);
        for (int i = 0; i < count; i++)
        {
            Decode(i);
        }

        NoteChanged();
    }

    private void NoteChanged()
    {
        Generation++;
        Changed?.Invoke();
    }

    private static MpuVerdict DefaultMap(uint address, MemoryAccess access) =>
        access == MemoryAccess.Execute && IsExecuteNeverByDefault(address) ? MpuVerdict.InstructionAccessViolation : MpuVerdict.Allowed;

    private static MpuVerdict Violation(MemoryAccess access) =>
        access == MemoryAccess.Execute ? MpuVerdict.InstructionAccessViolation : MpuVerdict.DataAccessViolation;

    /// <summary>The PMSAv7 AP encodings: reads (and fetches) and writes allowed per privilege.</summary>
    private static bool Permits(int accessPermission, MemoryAccess access, bool privileged)
    {
        bool write = access == MemoryAccess.Write;
        return accessPermission switch
        {
            0b001 => privileged,
            0b010 => privileged || !write,
            0b011 => true,
            0b101 => privileged && !write,
            0b110 or 0b111 => !write,
            _ => false, // 000: no access; 100: reserved
        };
    }

    private void Decode(int index)
    {
        uint rasr = _rasr[index];
        int sizeField = (int)((rasr >> 1) & 0x1F);
        bool enabled = (rasr & 1) != 0;
        if (enabled && sizeField < 4)
        {
            // Regions below 32 bytes are UNPREDICTABLE; treat them as disabled.
            if (!_loggedBadSize)
            {
                _loggedBadSize = true;
                _logger.LogWarning("MPU region {Region} programmed with SIZE {Size} (< 32 bytes, UNPREDICTABLE); treated as disabled.", index, sizeField);
            }

            enabled = false;
        }

        ulong size = 1UL << (sizeField + 1);
        uint baseAddress = (uint)(_rbar[index] & ~(size - 1));
        _regions[index] = new Region(
            enabled,
            baseAddress,
            size,
            sizeField >= 7 ? (byte)(rasr >> 8) : (byte)0,
            (int)((rasr >> 24) & 7),
            (rasr & (1u << 28)) != 0);
        NoteChanged();
    }

    private readonly record struct Region(bool Enabled, uint Base, ulong Size, byte SubregionDisable, int AccessPermission, bool ExecuteNever);
}
