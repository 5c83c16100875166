using Dsm.Emulation.CortexM3.State;
using Dsm.Emulation.CortexM3.Timing;

namespace Dsm.Emulation.CortexM3.SystemControl;

/// <summary>
/// The SysTick timer (SYST_CSR, RVR, CVR, CALIB). The counter is never ticked: its value is computed from
/// virtual time relative to an anchor (a time at which the counter held a known value), and a timed event
/// is scheduled only for the zero crossings that pend the SysTick exception.
/// </summary>
/// <remarks>
/// Counting: each tick decrements the counter; the tick after it reaches 0 reloads RVR. The transition
/// from 1 to 0 sets COUNTFLAG and, with TICKINT, pends exception 15. With RVR = 0 the counter stays at 0
/// after the next reload and nothing more happens. COUNTFLAG is derived lazily from the crossing times, so a
/// read between scheduler steps is exact.
/// </remarks>
public sealed class SysTickTimer : IStatefulComponent
{
    internal const uint CsrEnable = 1;
    internal const uint CsrTickInterrupt = 2;
    internal const uint CsrClockSource = 4;
    internal const uint CsrCountFlag = 1u << 16;
    private const uint CounterMask = 0x00FF_FFFF;
    private const ushort StateVersion = 1;

    private readonly ExceptionController _exceptions;
    private readonly TimedEvent _event;
    private readonly uint _referenceDivider;
    private readonly uint _calibration;
    private Func<ulong> _clock;
    private bool _enabled;
    private bool _tickInterrupt;
    private bool _coreClock;
    private uint _reload;
    private uint _heldValue;
    private ulong _anchorTime;
    private uint _anchorValue;
    private bool _countFlag;
    private ulong _flagClearedAt;

    /// <summary>Creates the timer.</summary>
    /// <param name="scheduler">The machine's virtual clock.</param>
    /// <param name="exceptions">Where the SysTick exception is pended.</param>
    /// <param name="referenceDivider">Core cycles per external reference tick; 0 = no reference clock.</param>
    /// <param name="calibration">SYST_CALIB SKEW and TENMS bits.</param>
    public SysTickTimer(EventScheduler scheduler, ExceptionController exceptions, uint referenceDivider, uint calibration)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(exceptions);
        _exceptions = exceptions;
        _referenceDivider = referenceDivider;
        _calibration = (calibration & 0x40FF_FFFF) | (referenceDivider == 0 ? 1u << 31 : 0);
        _event = scheduler.CreateEvent("systick", OnZeroCrossing);
        _clock = () => scheduler.Now;
        Reset();
    }

    /// <summary>
    /// Current virtual time in core cycles, at least the scheduler's time; the machine may supply a finer one
    /// (scheduler time plus cycles run in the current block) so mid-block reads are exact.
    /// </summary>
    internal Func<ulong> Clock
    {
        get => _clock;
        set => _clock = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>The counter value now (SYST_CVR), without side effects.</summary>
    public uint CurrentValue => _enabled ? ValueAtTick(TicksAt(_clock())) : _heldValue;

    /// <summary>Whether the counter is enabled (CSR.ENABLE).</summary>
    public bool IsEnabled => _enabled;

    /// <inheritdoc />
    public string SectionName => "systick";

    private ulong Divider => _coreClock ? 1UL : _referenceDivider;

    /// <summary>Returns the timer to its reset state.</summary>
    public void Reset()
    {
        _event.Cancel();
        _enabled = false;
        _tickInterrupt = false;
        _coreClock = _referenceDivider == 0;
        _reload = 0;
        _heldValue = 0;
        _anchorTime = 0;
        _anchorValue = 0;
        _countFlag = false;
        _flagClearedAt = 0;
    }

    /// <summary>SYST_CSR read: returns COUNTFLAG and clears it.</summary>
    /// <returns>The register value.</returns>
    internal uint ReadControl()
    {
        ulong now = _clock();
        uint value = (_enabled ? CsrEnable : 0) | (_tickInterrupt ? CsrTickInterrupt : 0) | (_coreClock ? CsrClockSource : 0);
        if (CountFlagAt(now))
        {
            value |= CsrCountFlag;
        }

        ClearCountFlag(now);
        return value;
    }

    /// <summary>SYST_CSR write.</summary>
    /// <param name="value">The value written.</param>
    internal void WriteControl(uint value)
    {
        ulong now = _clock();
        bool enable = (value & CsrEnable) != 0;
        bool coreClock = _referenceDivider == 0 || (value & CsrClockSource) != 0;
        if (_enabled)
        {
            // Fold the count so far under the old clock before anything changes.
            Reanchor(now);
            if (!enable)
            {
                _heldValue = _anchorValue;
            }
        }
        else if (enable)
        {
            _anchorTime = now;
            _anchorValue = _heldValue;
        }

        _enabled = enable;
        _tickInterrupt = (value & CsrTickInterrupt) != 0;
        _coreClock = coreClock;
        Reschedule(now);
    }

    /// <summary>SYST_RVR read.</summary>
    /// <returns>The reload value.</returns>
    internal uint ReadReload() => _reload;

    /// <summary>SYST_RVR write: takes effect at the next reload.</summary>
    /// <param name="value">The value written (24 bits used).</param>
    internal void WriteReload(uint value)
    {
        ulong now = _clock();
        if (_enabled)
        {
            Reanchor(now);
        }

        _reload = value & CounterMask;
        Reschedule(now);
    }

    /// <summary>SYST_CVR read.</summary>
    /// <returns>The counter.</returns>
    internal uint ReadCurrent() => CurrentValue;

    /// <summary>SYST_CVR write: any value clears the counter to 0 and clears COUNTFLAG.</summary>
    internal void WriteCurrent()
    {
        ulong now = _clock();
        ClearCountFlag(now);
        _heldValue = 0;
        _anchorTime = now;
        _anchorValue = 0;
        Reschedule(now);
    }

    /// <summary>SYST_CALIB read.</summary>
    /// <returns>NOREF, SKEW and TENMS.</returns>
    internal uint ReadCalibration() => _calibration;

    /// <inheritdoc />
    public void SaveState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteVersion(StateVersion);
        writer.WriteBoolean(_enabled);
        writer.WriteBoolean(_tickInterrupt);
        writer.WriteBoolean(_coreClock);
        writer.WriteUInt32(_reload);
        writer.WriteUInt32(_heldValue);
        writer.WriteUInt64(_anchorTime);
        writer.WriteUInt32(_anchorValue);
        writer.WriteBoolean(_countFlag);
        writer.WriteUInt64(_flagClearedAt);
    }

    /// <inheritdoc />
    public void LoadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.ReadVersion(StateVersion);
        bool enabled = reader.ReadBoolean(), tickInterrupt = reader.ReadBoolean(), coreClock = reader.ReadBoolean();
        uint reload = reader.ReadUInt32(), held = reader.ReadUInt32();
        ulong anchorTime = reader.ReadUInt64();
        uint anchorValue = reader.ReadUInt32();
        bool countFlag = reader.ReadBoolean();
        ulong flagClearedAt = reader.ReadUInt64();
        if (((reload | held | anchorValue) & ~CounterMask) != 0)
        {
            throw reader.Corrupt("counter values exceed 24 bits");
        }

        if (!coreClock && _referenceDivider == 0)
        {
            throw reader.Corrupt("the external reference clock is selected but this board has none");
        }

        (_enabled, _tickInterrupt, _coreClock, _reload, _heldValue) = (enabled, tickInterrupt, coreClock, reload, held);
        (_anchorTime, _anchorValue, _countFlag, _flagClearedAt) = (anchorTime, anchorValue, countFlag, flagClearedAt);
        Reschedule(_clock());
    }

    private ulong TicksAt(ulong time) => time <= _anchorTime ? 0 : (time - _anchorTime) / Divider;

    private uint ValueAtTick(ulong tick)
    {
        if (tick <= _anchorValue)
        {
            return _anchorValue - (uint)tick;
        }

        if (_reload == 0)
        {
            return 0;
        }

        ulong sinceReload = tick - _anchorValue - 1;
        return _reload - (uint)(sinceReload % (_reload + 1UL));
    }

    /// <summary>The first tick after <paramref name="tick"/> at which the counter goes from 1 to 0, or ulong.MaxValue.</summary>
    private ulong FirstCrossingAfter(ulong tick)
    {
        if (_anchorValue > 0 && tick < _anchorValue)
        {
            return _anchorValue;
        }

        if (_reload == 0)
        {
            return ulong.MaxValue;
        }

        ulong period = _reload + 1UL;
        ulong periods = tick < _anchorValue ? 1 : ((tick - _anchorValue) / period) + 1;
        return _anchorValue + (periods * period);
    }

    private ulong TimeOfTick(ulong tick) => tick == ulong.MaxValue ? ulong.MaxValue : _anchorTime + (tick * Divider);

    private bool CountFlagAt(ulong now)
    {
        if (_countFlag)
        {
            return true;
        }

        if (!_enabled)
        {
            return false;
        }

        ulong clearedTick = _flagClearedAt <= _anchorTime ? 0 : (_flagClearedAt - _anchorTime) / Divider;
        return TimeOfTick(FirstCrossingAfter(clearedTick)) <= now;
    }

    private void ClearCountFlag(ulong now)
    {
        _countFlag = false;
        _flagClearedAt = now;
    }

    /// <summary>Moves the anchor to the last tick boundary at or before <paramref name="now"/>, latching COUNTFLAG if a crossing happened.</summary>
    private void Reanchor(ulong now)
    {
        _countFlag = CountFlagAt(now);
        ulong ticks = TicksAt(now);
        uint value = ValueAtTick(ticks);
        _anchorTime += ticks * Divider;
        _anchorValue = value;
    }

    private void Reschedule(ulong now)
    {
        if (!_enabled || !_tickInterrupt)
        {
            // Without TICKINT nothing observable happens at a crossing: COUNTFLAG is computed on demand.
            _event.Cancel();
            return;
        }

        ulong deadline = TimeOfTick(FirstCrossingAfter(TicksAt(now)));
        if (deadline == ulong.MaxValue)
        {
            _event.Cancel();
        }
        else
        {
            _event.ScheduleAt(deadline);
        }
    }

    private void OnZeroCrossing(ulong time)
    {
        if (_tickInterrupt)
        {
            _exceptions.SetPending(ExceptionNumber.SysTick);
        }

        Reschedule(time);
    }
}
