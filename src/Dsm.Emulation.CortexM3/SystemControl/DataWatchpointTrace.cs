using Dsm.Emulation.CortexM3.Memory;
using Dsm.Emulation.CortexM3.State;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dsm.Emulation.CortexM3.SystemControl;

/// <summary>
/// The DWT unit at 0xE0001000 (window 0x1000): DWT_CTRL and the cycle counter CYCCNT, which counts core
/// cycles while DEMCR.TRCENA and CTRL.CYCCNTENA are both set. CYCCNT is computed from virtual time, never
/// ticked. The comparators are registers only (no watchpoints without a debugger); the profiling counters
/// read as written and do not count.
/// </summary>
public sealed class DataWatchpointTrace : IMmioDevice, IStatefulComponent
{
    private const uint CtrlCycleCounterEnable = 1;
    private const uint CtrlWritableBits = 0x007F_1FFF;
    private const ushort StateVersion = 1;
    private static readonly byte[] PeripheralIds = [0x04, 0, 0, 0, 0x02, 0xB0, 0x3B, 0x00, 0x0D, 0xE0, 0x05, 0xB1];

    private readonly ILogger _logger;
    private readonly HashSet<uint> _logged = new();
    private readonly uint[] _comparator;
    private readonly uint[] _mask;
    private readonly uint[] _function;
    private readonly byte[] _profileCounters = new byte[5];
    private Func<ulong> _clock;
    private uint _control;
    private bool _traceEnabled;
    private uint _cyclesAtBase;
    private ulong _baseTime;

    /// <summary>Creates the unit.</summary>
    /// <param name="comparators">Number of comparators (DWT_CTRL.NUMCOMP; Cortex-M3: 4).</param>
    /// <param name="clock">Virtual time in core cycles.</param>
    /// <param name="logger">Reports unmodelled use once per register.</param>
    public DataWatchpointTrace(int comparators, Func<ulong> clock, ILogger? logger = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(comparators);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(comparators, 15);
        ArgumentNullException.ThrowIfNull(clock);
        _clock = clock;
        _logger = logger ?? NullLogger.Instance;
        _comparator = new uint[comparators];
        _mask = new uint[comparators];
        _function = new uint[comparators];
        Reset();
    }

    /// <summary>CYCCNT now.</summary>
    public uint CycleCount => IsCounting ? unchecked(_cyclesAtBase + (uint)(_clock() - _baseTime)) : _cyclesAtBase;

    /// <inheritdoc />
    public string SectionName => "dwt";

    /// <summary>DEMCR.TRCENA, driven by the SCS.</summary>
    internal bool TraceEnabled
    {
        get => _traceEnabled;
        set
        {
            Fold();
            _traceEnabled = value;
        }
    }

    /// <summary>The virtual-time source (see <see cref="SystemControlSpace.Clock"/>).</summary>
    internal Func<ulong> Clock
    {
        get => _clock;
        set
        {
            Fold();
            _clock = value ?? throw new ArgumentNullException(nameof(value));
            _baseTime = _clock();
        }
    }

    private bool IsCounting => _traceEnabled && (_control & CtrlCycleCounterEnable) != 0;

    /// <summary>Returns the unit to its reset state (TRCENA is the SCS's and is reset there).</summary>
    public void Reset()
    {
        _control = 0;
        _cyclesAtBase = 0;
        _baseTime = _clock();
        Array.Clear(_comparator);
        Array.Clear(_mask);
        Array.Clear(_function);
        Array.Clear(_profileCounters);
    }

    /// <inheritdoc />
    public uint Read(uint offset, int size)
    {
        uint word = ReadWord(offset & ~3u);
        return size == 4 ? word : (word >> (int)(8 * (offset & 3))) & (size == 2 ? 0xFFFFu : 0xFFu);
    }

    /// <inheritdoc />
    public void Write(uint offset, int size, uint value)
    {
        if (size != 4)
        {
            LogOnce(offset, $"{size}-byte write (DWT registers are word-accessible); ignored");
            return;
        }

        offset &= ~3u;
        switch (offset)
        {
            case 0x000:
                Fold();
                _control = value & CtrlWritableBits;
                if ((value & ~(CtrlCycleCounterEnable | 0x1FFEu)) != 0)
                {
                    LogOnce(offset, "event or trace packet enables written; trace output is not modelled");
                }

                return;
            case 0x004:
                _cyclesAtBase = value;
                _baseTime = _clock();
                return;
            case >= 0x008 and <= 0x018:
                _profileCounters[(offset - 8) / 4] = (byte)value;
                return;
        }

        if (offset >= 0x020 && offset < 0x020 + (16 * (uint)_comparator.Length))
        {
            int n = (int)((offset - 0x020) / 16);
            switch (offset & 0xF)
            {
                case 0x0: _comparator[n] = value; break;
                case 0x4: _mask[n] = value & 0x1F; break;
                case 0x8:
                    _function[n] = value & (n == 0 ? 0x000F_FDAFu : 0x000F_FD2Fu);
                    if ((value & 0xF) != 0)
                    {
                        LogOnce(offset, "comparator function enabled; watchpoints are not modelled");
                    }

                    break;
            }

            return;
        }

        LogOnce(offset, "write to an unmodelled or read-only register; ignored");
    }

    /// <inheritdoc />
    public void SaveState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteVersion(StateVersion);
        writer.WriteUInt32(_control);
        writer.WriteBoolean(_traceEnabled);
        writer.WriteUInt32(CycleCount);
        writer.WriteRaw(_profileCounters);
        writer.WriteByte((byte)_comparator.Length);
        for (int i = 0; i < _comparator.Length; i++)
        {
            writer.WriteUInt32(_comparator[i]);
            writer.WriteUInt32(_mask[i]);
            writer.WriteUInt32(_function[i]);
        }
    }

    /// <inheritdoc />
    public void LoadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.ReadVersion(StateVersion);
        uint control = reader.ReadUInt32();
        bool trace = reader.ReadBoolean();
        uint cycles = reader.ReadUInt32();
        var counters = new byte[_profileCounters.Length];
        for (int i = 0; i < counters.Length; i++)
        {
            counters[i] = reader.ReadByte();
        }

        int count = reader.ReadByte();
        if (count != _comparator.Length || (control & ~CtrlWritableBits) != 0)
        {
            throw reader.Corrupt($"image has {count} comparators and CTRL 0x{control:X8}; the machine has {_comparator.Length}");
        }

        var values = new uint[count * 3];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = reader.ReadUInt32();
        }

        _control = control;
        _traceEnabled = trace;
        _cyclesAtBase = cycles;
        _baseTime = _clock();
        counters.CopyTo(_profileCounters, 0);
        for (int i = 0; i < count; i++)
        {
            (_comparator[i], _mask[i], _function[i]) = (values[3 * i], values[(3 * i) + 1], values[(3 * i) + 2]);
        }
    }

    private uint ReadWord(uint offset)
    {
        switch (offset)
        {
            case 0x000:
                return ((uint)_comparator.Length << 28) | _control;
            case 0x004:
                return CycleCount;
            case >= 0x008 and <= 0x018:
                return _profileCounters[(offset - 8) / 4];
            case 0x01C:
                LogOnce(offset, "PCSR read; PC sampling is not modelled (reads 0)");
                return 0;
            case >= 0xFD0:
                return PeripheralIds[(offset - 0xFD0) / 4];
        }

        if (offset >= 0x020 && offset < 0x020 + (16 * (uint)_comparator.Length))
        {
            int n = (int)((offset - 0x020) / 16);
            return (offset & 0xF) switch
            {
                0x0 => _comparator[n],
                0x4 => _mask[n],
                0x8 => _function[n],
                _ => 0,
            };
        }

        LogOnce(offset, "read of an unmodelled register (reads 0)");
        return 0;
    }

    private void Fold()
    {
        _cyclesAtBase = CycleCount;
        _baseTime = _clock();
    }

    private void LogOnce(uint offset, string what)
    {
        if (_logged.Add(offset))
        {
            _logger.LogWarning("DWT 0x{Address:X8}: {What}.", 0xE000_1000 + offset, what);
        }
    }
}
