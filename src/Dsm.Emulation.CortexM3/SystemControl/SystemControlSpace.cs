using Dsm.Emulation.CortexM3.Memory;
using Dsm.Emulation.CortexM3.State;
using Dsm.Emulation.CortexM3.Timing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dsm.Emulation.CortexM3.SystemControl;

/// <summary>Which reset the guest asked for through AIRCR.</summary>
public enum ResetRequest
{
    /// <summary>AIRCR.SYSRESETREQ: reset the whole system (core and peripherals).</summary>
    System,

    /// <summary>AIRCR.VECTRESET: reset the core only (architecturally for debuggers; UNPREDICTABLE from software).</summary>
    LocalCore,
}

/// <summary>
/// The System Control Space at 0xE000E000 (window 0x1000): ICTR, ACTLR, SysTick, the NVIC registers, the
/// SCB, the MPU registers, DEMCR and STIR, per ARMv7-M B3.2-B3.5. It owns the
/// <see cref="ExceptionController"/>, <see cref="SysTickTimer"/>, <see cref="MemoryProtectionUnit"/> and
/// <see cref="DataWatchpointTrace"/> (map the latter at 0xE0001000) and exposes the configuration the core
/// reads: <see cref="VectorTableOffset"/> and the CCR/SCR bits.
/// </summary>
/// <remarks>
/// Access sizes: IPR and SHPR are byte-accessible, CFSR byte/halfword; the NVIC set/clear banks accept any
/// width (a narrower write has zeros in the other lanes, which are no-ops). Other registers are
/// word-accessible: a narrower read returns the addressed bytes, a narrower write is ignored and logged.
/// Unprivileged access to the SCS is a BusFault the core must raise (see <see cref="PermitsUnprivilegedAccess"/>).
/// </remarks>
public sealed class SystemControlSpace : IMmioDevice, IStatefulComponent
{
    /// <summary>Base address of the SCS.</summary>
    public const uint BaseAddress = 0xE000_E000;

    /// <summary>Size of the SCS window.</summary>
    public const uint WindowSize = 0x1000;

    private const uint ScrSleepOnExit = 1u << 1;
    private const uint ScrSleepDeep = 1u << 2;
    private const uint ScrSendEventOnPend = 1u << 4;
    private const uint ScrWritableBits = ScrSleepOnExit | ScrSleepDeep | ScrSendEventOnPend;
    private const uint CcrNonBaseThreadEnable = 1u << 0;
    private const uint CcrUserSetPending = 1u << 1;
    private const uint CcrUnalignedTrap = 1u << 3;
    private const uint CcrDivideByZeroTrap = 1u << 4;
    private const uint CcrBusFaultIgnore = 1u << 8;
    private const uint CcrStackAlign = 1u << 9;
    private const uint CcrWritableBits = 0x31B;
    private const uint DemcrMonitorEnable = 1u << 16;
    private const uint DemcrMonitorPend = 1u << 17;
    private const uint DemcrTraceEnable = 1u << 24;
    private const uint DemcrWritableBits = 0x010F_07F1;
    private const uint VtorWritableBits = 0x3FFF_FF80;
    private const ushort StateVersion = 1;

    // Cortex-M3 feature registers (ID_PFR0 .. ID_ISAR4) and the SCS CoreSight identification.
    private static readonly uint[] FeatureIds =
    [
        0x0000_0030, 0x0000_0200, 0x0010_0000, 0x0000_0000,
        0x0000_0030, 0x0000_0000, 0x0000_0000, 0x0000_0000,
        0x0114_1110, 0x0211_1000, 0x2111_2231, 0x0111_1110, 0x0131_0102,
    ];

    private static readonly byte[] PeripheralIds = [0x04, 0, 0, 0, 0x00, 0xB0, 0x1B, 0x00, 0x0D, 0xE0, 0x05, 0xB1];

    private readonly SystemControlOptions _options;
    private readonly EventScheduler _scheduler;
    private readonly ILogger _logger;
    private readonly HashSet<uint> _logged = new();
    private Func<ulong> _clock;
    private uint _actlr;
    private uint _vtor;
    private uint _scr;
    private uint _ccr;
    private uint _demcr;

    /// <summary>Creates the SCS and the units it owns for a board.</summary>
    /// <param name="options">Board parameters.</param>
    /// <param name="scheduler">The machine's virtual clock (SysTick and DWT count against it).</param>
    /// <param name="logger">Unmodelled and unpredictable accesses are logged once per register.</param>
    public SystemControlSpace(SystemControlOptions options, EventScheduler scheduler, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(scheduler);
        _options = options;
        _scheduler = scheduler;
        _logger = logger ?? NullLogger.Instance;
        _clock = () => scheduler.Now;
        Exceptions = new ExceptionController(options.ExternalInterrupts, options.PriorityBits);
        SysTick = new SysTickTimer(scheduler, Exceptions, options.SysTickReferenceDivider, options.SysTickCalibration);
        Mpu = new MemoryProtectionUnit(options.MpuRegions, Exceptions, _logger);
        Dwt = new DataWatchpointTrace(options.DwtComparators, _clock, _logger);
        ResetRegisters();
    }

    /// <summary>Raised when the guest requests a reset through AIRCR (the machine performs it after the current instruction).</summary>
    public event Action<ResetRequest>? ResetRequested;

    /// <summary>NVIC and system-exception state.</summary>
    public ExceptionController Exceptions { get; }

    /// <summary>The SysTick timer.</summary>
    public SysTickTimer SysTick { get; }

    /// <summary>The MPU (<see cref="MemoryProtectionUnit.RegionCount"/> 0 when the board has none).</summary>
    public MemoryProtectionUnit Mpu { get; }

    /// <summary>The DWT unit; map it with <c>bus.AddDevice("dwt", 0xE0001000, 0x1000, scs.Dwt)</c>.</summary>
    public DataWatchpointTrace Dwt { get; }

    /// <summary>
    /// Virtual time in core cycles for SysTick and DWT reads. Defaults to the scheduler's time; a machine that
    /// advances the scheduler once per instruction block can supply scheduler time plus the cycles run in the
    /// current block, so registers read mid-block are exact. Must never be behind the scheduler.
    /// </summary>
    public Func<ulong> Clock
    {
        get => _clock;
        set
        {
            _clock = value ?? throw new ArgumentNullException(nameof(value));
            SysTick.Clock = value;
            Dwt.Clock = value;
        }
    }

    /// <summary>VTOR: base address of the vector table (bits 29:7).</summary>
    public uint VectorTableOffset => _vtor;

    /// <summary>CCR.UNALIGN_TRP: every unaligned halfword/word access is a UsageFault.</summary>
    public bool UnalignedTrap => (_ccr & CcrUnalignedTrap) != 0;

    /// <summary>CCR.DIV_0_TRP: SDIV/UDIV by zero is a UsageFault (else the result is 0).</summary>
    public bool DivideByZeroTrap => (_ccr & CcrDivideByZeroTrap) != 0;

    /// <summary>CCR.STKALIGN: exception entry aligns the stack to 8 bytes (recording the adjustment in xPSR bit 9).</summary>
    public bool StackAlign8 => (_ccr & CcrStackAlign) != 0;

    /// <summary>CCR.NONBASETHRDENA: an exception return may enter Thread mode with other exceptions still active.</summary>
    public bool NonBaseThreadEnable => (_ccr & CcrNonBaseThreadEnable) != 0;

    /// <summary>CCR.BFHFNMIGN: data bus faults at execution priority -1 or -2 are ignored (load data UNKNOWN).</summary>
    public bool IgnoreBusFaultsAtNegativePriority => (_ccr & CcrBusFaultIgnore) != 0;

    /// <summary>SCR.SLEEPONEXIT: returning from the last handler to Thread mode sleeps instead of unstacking.</summary>
    public bool SleepOnExit => (_scr & ScrSleepOnExit) != 0;

    /// <summary>SCR.SLEEPDEEP: the sleep requested is deep sleep (the board decides what stops).</summary>
    public bool SleepDeep => (_scr & ScrSleepDeep) != 0;

    /// <inheritdoc />
    public string SectionName => "scb";

    /// <summary>All state sections of the system-control units, in load order.</summary>
    public IEnumerable<IStatefulComponent> StateComponents => [Exceptions, this, SysTick, Mpu, Dwt];

    /// <summary>Connects the core: its masks set the execution priority, it receives VECTCLRACTIVE and SEVONPEND.</summary>
    /// <param name="core">The CPU.</param>
    public void AttachCore(IExceptionCore core)
    {
        ArgumentNullException.ThrowIfNull(core);
        Exceptions.Core = core;
    }

    /// <summary>System reset: every SCS register, the NVIC, SysTick, MPU and DWT return to their reset values.</summary>
    public void Reset()
    {
        Exceptions.Reset();
        SysTick.Reset();
        Mpu.Reset();
        Dwt.Reset();
        ResetRegisters();
    }

    /// <summary>
    /// Whether an unprivileged access to <paramref name="offset"/> is permitted. Only a write to STIR with
    /// CCR.USERSETMPEND is; every other unprivileged SCS access must be a precise BusFault, raised by the core.
    /// </summary>
    /// <param name="offset">Offset in the SCS.</param>
    /// <param name="isWrite">True for a write.</param>
    /// <returns>True if permitted.</returns>
    public bool PermitsUnprivilegedAccess(uint offset, bool isWrite) => isWrite && (offset & ~3u) == 0xF00 && (_ccr & CcrUserSetPending) != 0;

    /// <inheritdoc />
    public uint Read(uint offset, int size)
    {
        uint word = ReadWord(offset & ~3u);
        if (size == 4)
        {
            return word;
        }

        return (word >> (int)(8 * (offset & 3))) & (size == 2 ? 0xFFFFu : 0xFFu);
    }

    /// <inheritdoc />
    public void Write(uint offset, int size, uint value)
    {
        uint word = offset & ~3u;
        int shift = (int)(8 * (offset & 3));
        uint lanes = (size == 4 ? 0xFFFF_FFFFu : (1u << (8 * size)) - 1) << shift;
        uint shifted = (value << shift) & lanes;

        if (word is >= 0x100 and < 0x340)
        {
            WriteNvicBank(word, shifted);
            return;
        }

        if (word is >= 0x400 and < 0x4F0 || word is >= 0xD18 and < 0xD24)
        {
            int firstException = word < 0xD00 ? (int)(word - 0x400) + ExceptionNumber.FirstExternal : (int)(word - 0xD14);
            for (int lane = 0; lane < 4; lane++)
            {
                int exception = firstException + lane;
                if ((lanes & (0xFFu << (8 * lane))) != 0 && exception < Exceptions.ExceptionCount)
                {
                    Exceptions.SetPriority(exception, (shifted >> (8 * lane)) & 0xFF);
                }
            }

            return;
        }

        if (word == 0xD28)
        {
            Exceptions.Cfsr &= ~shifted;
            return;
        }

        if (size != 4)
        {
            LogOnce(word, $"{size}-byte write to a word-only register; ignored");
            return;
        }

        WriteWord(word, value);
    }

    /// <inheritdoc />
    public void SaveState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteVersion(StateVersion);
        writer.WriteUInt32(_actlr);
        writer.WriteUInt32(_vtor);
        writer.WriteUInt32(_scr);
        writer.WriteUInt32(_ccr);
        writer.WriteUInt32(_demcr);
    }

    /// <inheritdoc />
    public void LoadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.ReadVersion(StateVersion);
        uint actlr = reader.ReadUInt32(), vtor = reader.ReadUInt32(), scr = reader.ReadUInt32();
        uint ccr = reader.ReadUInt32(), demcr = reader.ReadUInt32();
        if ((actlr & ~7u) != 0 || (vtor & ~VtorWritableBits) != 0 || (scr & ~ScrWritableBits) != 0
            || (ccr & ~CcrWritableBits) != 0 || (demcr & ~DemcrWritableBits) != 0)
        {
            throw reader.Corrupt("a register has reserved bits set");
        }

        (_actlr, _vtor, _ccr) = (actlr, vtor, ccr);
        SetScr(scr);
        SetDemcr(demcr);
    }

    private void ResetRegisters()
    {
        _actlr = _options.AuxiliaryControl & 7;
        _vtor = 0;
        _ccr = _options.StackAlignOnReset ? CcrStackAlign : 0;
        SetScr(0);
        SetDemcr(0);
    }

    private void SetScr(uint value)
    {
        _scr = value & ScrWritableBits;
        Exceptions.SendEventOnPend = (_scr & ScrSendEventOnPend) != 0;
    }

    private void SetDemcr(uint value)
    {
        // MON_PEND is the DebugMonitor pending bit itself, kept by the exception controller.
        _demcr = value & DemcrWritableBits & ~DemcrMonitorPend;
        Exceptions.SetEnabled(ExceptionNumber.DebugMonitor, (value & DemcrMonitorEnable) != 0);
        Dwt.TraceEnabled = (value & DemcrTraceEnable) != 0;
    }

    private uint ReadWord(uint offset)
    {
        switch (offset)
        {
            case 0x004:
                return Exceptions.ExternalInterruptCount == 0 ? 0 : (uint)((Exceptions.ExternalInterruptCount + 31) / 32) - 1;
            case 0x008:
                return _actlr;
            case 0x010:
                return SysTick.ReadControl();
            case 0x014:
                return SysTick.ReadReload();
            case 0x018:
                return SysTick.ReadCurrent();
            case 0x01C:
                return SysTick.ReadCalibration();
            case >= 0x100 and < 0x340:
                return ReadNvicBank(offset);
            case >= 0x400 and < 0x4F0:
            case >= 0xD18 and < 0xD24:
                return ReadPriorityBytes(offset);
            case 0xD00:
                return _options.CpuId;
            case 0xD04:
                return ReadIcsr();
            case 0xD08:
                return _vtor;
            case 0xD0C:
                return 0xFA05_0000u | ((uint)Exceptions.PriorityGroup << 8);
            case 0xD10:
                return _scr;
            case 0xD14:
                return _ccr;
            case 0xD24:
                return ReadShcsr();
            case 0xD28:
                return Exceptions.Cfsr;
            case 0xD2C:
                return Exceptions.Hfsr;
            case 0xD30:
                return Exceptions.Dfsr;
            case 0xD34:
                return Exceptions.Mmfar;
            case 0xD38:
                return Exceptions.Bfar;
            case 0xD3C:
                return Exceptions.Afsr;
            case >= 0xD40 and <= 0xD70:
                return FeatureIds[(offset - 0xD40) / 4];
            case 0xD88:
                return 0; // CPACR: no coprocessors on a Cortex-M3
            case >= 0xD90 and <= 0xDB8:
                return Mpu.Read(offset);
            case 0xDF0 or 0xDF4 or 0xDF8:
                LogOnce(offset, "debug register read; no debugger is modelled (reads 0)");
                return 0;
            case 0xDFC:
                return _demcr | (Exceptions.IsPending(ExceptionNumber.DebugMonitor) ? DemcrMonitorPend : 0);
            case 0xF00:
                return 0; // STIR is write-only
            case >= 0xFD0:
                return PeripheralIds[(offset - 0xFD0) / 4];
            default:
                LogOnce(offset, "read of a reserved or unmodelled register (reads 0)");
                return 0;
        }
    }

    private void WriteWord(uint offset, uint value)
    {
        switch (offset)
        {
            case 0x008:
                _actlr = value & 7;
                break;
            case 0x010:
                SysTick.WriteControl(value);
                break;
            case 0x014:
                SysTick.WriteReload(value);
                break;
            case 0x018:
                SysTick.WriteCurrent();
                break;
            case 0xD04:
                WriteIcsr(value);
                break;
            case 0xD08:
                _vtor = value & VtorWritableBits;
                break;
            case 0xD0C:
                WriteAircr(value);
                break;
            case 0xD10:
                SetScr(value);
                break;
            case 0xD14:
                _ccr = value & CcrWritableBits;
                break;
            case 0xD24:
                WriteShcsr(value);
                break;
            case 0xD2C:
                Exceptions.Hfsr &= ~value;
                break;
            case 0xD30:
                Exceptions.Dfsr &= ~value;
                break;
            case 0xD34:
                Exceptions.Mmfar = value;
                break;
            case 0xD38:
                Exceptions.Bfar = value;
                break;
            case 0xD3C:
                Exceptions.Afsr &= ~value;
                break;
            case 0xD88:
                break; // CPACR: RAZ/WI without coprocessors
            case >= 0xD90 and <= 0xDB8:
                Mpu.Write(offset, value);
                break;
            case 0xDFC:
                SetDemcr(value);
                if ((value & DemcrMonitorPend) != 0)
                {
                    Exceptions.SetPending(ExceptionNumber.DebugMonitor);
                }
                else
                {
                    Exceptions.ClearPending(ExceptionNumber.DebugMonitor);
                }

                break;
            case 0xF00:
                WriteStir(value);
                break;
            case 0x004 or 0x01C or 0xD00 or 0xD28 or (>= 0xD40 and <= 0xD70) or >= 0xFD0:
                break; // read-only
            default:
                LogOnce(offset, "write to a reserved or unmodelled register; ignored");
                break;
        }
    }

    private uint ReadNvicBank(uint offset)
    {
        int bank = (int)((offset - 0x100) >> 7);
        int firstException = ExceptionNumber.FirstExternal + (int)(((offset - 0x100) & 0x7F) / 4 * 32);
        uint value = 0;
        for (int bit = 0; bit < 32 && firstException + bit < Exceptions.ExceptionCount; bit++)
        {
            int exception = firstException + bit;
            bool set = bank switch
            {
                0 or 1 => Exceptions.IsEnabled(exception),
                2 or 3 => Exceptions.IsPending(exception),
                4 => Exceptions.IsActive(exception),
                _ => false,
            };
            if (set)
            {
                value |= 1u << bit;
            }
        }

        return value;
    }

    private void WriteNvicBank(uint offset, uint value)
    {
        int bank = (int)((offset - 0x100) >> 7);
        int firstException = ExceptionNumber.FirstExternal + (int)(((offset - 0x100) & 0x7F) / 4 * 32);
        for (int bit = 0; bit < 32 && firstException + bit < Exceptions.ExceptionCount; bit++)
        {
            if ((value & (1u << bit)) == 0)
            {
                continue;
            }

            int exception = firstException + bit;
            switch (bank)
            {
                case 0: Exceptions.SetEnabled(exception, true); break;
                case 1: Exceptions.SetEnabled(exception, false); break;
                case 2: Exceptions.SetPending(exception); break;
                case 3: Exceptions.ClearPending(exception); break;
                default: break; // IABR is read-only
            }
        }
    }

    private uint ReadPriorityBytes(uint offset)
    {
        int firstException = offset < 0xD00 ? (int)(offset - 0x400) + ExceptionNumber.FirstExternal : (int)(offset - 0xD14);
        uint value = 0;
        for (int lane = 0; lane < 4; lane++)
        {
            int exception = firstException + lane;
            if (exception < Exceptions.ExceptionCount && ExceptionController.HasConfigurablePriority(exception))
            {
                value |= (uint)Exceptions.GetPriority(exception) << (8 * lane);
            }
        }

        return value;
    }

    private uint ReadIcsr()
    {
        uint value = (Exceptions.Core?.Ipsr ?? 0) & 0x1FF;
        if (Exceptions.ReturnsToBase)
        {
            value |= 1u << 11;
        }

        value |= ((uint)Exceptions.PendingException & 0x1FF) << 12;
        if (Exceptions.IsInterruptPending)
        {
            value |= 1u << 22;
        }

        if (Exceptions.IsPending(ExceptionNumber.SysTick))
        {
            value |= 1u << 26;
        }

        if (Exceptions.IsPending(ExceptionNumber.PendSV))
        {
            value |= 1u << 28;
        }

        if (Exceptions.IsPending(ExceptionNumber.Nmi))
        {
            value |= 1u << 31;
        }

        return value;
    }

    private void WriteIcsr(uint value)
    {
        if ((value & (1u << 31)) != 0)
        {
            Exceptions.SetPending(ExceptionNumber.Nmi);
        }

        // Writing a set bit and its clear bit together is UNPREDICTABLE; the set wins here.
        if ((value & (1u << 28)) != 0)
        {
            Exceptions.SetPending(ExceptionNumber.PendSV);
        }
        else if ((value & (1u << 27)) != 0)
        {
            Exceptions.ClearPending(ExceptionNumber.PendSV);
        }

        if ((value & (1u << 26)) != 0)
        {
            Exceptions.SetPending(ExceptionNumber.SysTick);
        }
        else if ((value & (1u << 25)) != 0)
        {
            Exceptions.ClearPending(ExceptionNumber.SysTick);
        }
    }

    private void WriteAircr(uint value)
    {
        if ((value >> 16) != 0x05FA)
        {
            return; // without VECTKEY the write is ignored
        }

        Exceptions.PriorityGroup = (int)((value >> 8) & 7);
        if ((value & 2) != 0)
        {
            LogOnce(0xD0C | 0x1000, "VECTCLRACTIVE written outside debug state (UNPREDICTABLE); clearing all active exceptions");
            Exceptions.ClearAllActive();
        }

        if ((value & 4) != 0)
        {
            ResetRequested?.Invoke(ResetRequest.System);
        }
        else if ((value & 1) != 0)
        {
            LogOnce(0xD0C | 0x2000, "VECTRESET written outside debug state (UNPREDICTABLE); requesting a core reset");
            ResetRequested?.Invoke(ResetRequest.LocalCore);
        }
    }

    private static readonly (int Bit, int Exception)[] ShcsrActiveBits =
    [
        (0, ExceptionNumber.MemManage), (1, ExceptionNumber.BusFault), (3, ExceptionNumber.UsageFault),
        (7, ExceptionNumber.SVCall), (8, ExceptionNumber.DebugMonitor), (10, ExceptionNumber.PendSV), (11, ExceptionNumber.SysTick),
    ];

    private static readonly (int Bit, int Exception)[] ShcsrPendingBits =
    [
        (12, ExceptionNumber.UsageFault), (13, ExceptionNumber.MemManage), (14, ExceptionNumber.BusFault), (15, ExceptionNumber.SVCall),
    ];

    private static readonly (int Bit, int Exception)[] ShcsrEnableBits =
    [
        (16, ExceptionNumber.MemManage), (17, ExceptionNumber.BusFault), (18, ExceptionNumber.UsageFault),
    ];

    private uint ReadShcsr()
    {
        uint value = 0;
        foreach (var (bit, exception) in ShcsrActiveBits)
        {
            value |= Exceptions.IsActive(exception) ? 1u << bit : 0;
        }

        foreach (var (bit, exception) in ShcsrPendingBits)
        {
            value |= Exceptions.IsPending(exception) ? 1u << bit : 0;
        }

        foreach (var (bit, exception) in ShcsrEnableBits)
        {
            value |= Exceptions.IsEnabled(exception) ? 1u << bit : 0;
        }

        return value;
    }

    private void WriteShcsr(uint value)
    {
        // The active bits are writable on ARMv7-M (an OS may use this for context switching); writing them
        // inconsistently with the stacked state makes a later exception return fail its integrity check.
        foreach (var (bit, exception) in ShcsrActiveBits)
        {
            if (Exceptions.IsActive(exception) != ((value & (1u << bit)) != 0))
            {
                Exceptions.SetActive(exception, (value & (1u << bit)) != 0);
            }
        }

        foreach (var (bit, exception) in ShcsrPendingBits)
        {
            if ((value & (1u << bit)) != 0)
            {
                Exceptions.SetPending(exception);
            }
            else
            {
                Exceptions.ClearPending(exception);
            }
        }

        foreach (var (bit, exception) in ShcsrEnableBits)
        {
            Exceptions.SetEnabled(exception, (value & (1u << bit)) != 0);
        }
    }

    private void WriteStir(uint value)
    {
        bool privileged = Exceptions.Core?.IsPrivileged ?? true;
        if (!privileged && (_ccr & CcrUserSetPending) == 0)
        {
            return;
        }

        int irq = (int)(value & 0x1FF);
        if (irq < Exceptions.ExternalInterruptCount)
        {
            Exceptions.SetPending(ExceptionNumber.FirstExternal + irq);
        }
    }

    private void LogOnce(uint key, string what)
    {
        if (_logged.Add(key))
        {
            _logger.LogWarning("SCS 0x{Address:X8}: {What}.", BaseAddress + (key & 0xFFF), what);
        }
    }
}
