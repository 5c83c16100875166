using Dsm.Emulation.CortexM3.State;
using Dsm.Emulation.CortexM3.Timing;

namespace Dsm.Peripherals.FM3;

/// <summary>
/// A down-counter clocked at <c>tickHz</c> in a core clocked at <c>coreHz</c>, kept as an anchor
/// (time, value) instead of being stepped: the current value is computed on demand and one timed
/// event fires on expiry, i.e. on the tick that would take the counter below zero (value + 1 ticks
/// after the anchor). The owner decides what expiry means (reload, stop, interrupt).
/// </summary>
internal sealed class Countdown
{
    private readonly EventScheduler _scheduler;
    private readonly TimedEvent _expiry;
    private readonly Action<ulong> _onExpiry;
    private ulong _anchorTime;
    private ulong _anchorValue;
    private ulong _tickHz;
    private ulong _coreHz;

    public Countdown(EventScheduler scheduler, string name, Action<ulong> onExpiry)
    {
        _scheduler = scheduler;
        _onExpiry = onExpiry;
        _expiry = scheduler.CreateEvent(name, Expire);
    }

    public bool Running { get; private set; }

    /// <summary>Current counter value.</summary>
    public ulong Value
    {
        get
        {
            if (!Running || _tickHz == 0 || _coreHz == 0)
            {
                return _anchorValue;
            }

            // 64-bit arithmetic whenever the product fits (a guest polls this in timeout loops); 128-bit past that.
            ulong delta = _scheduler.Now - _anchorTime;
            ulong elapsed = delta <= ulong.MaxValue / _tickHz
                ? delta * _tickHz / _coreHz
                : (ulong)((UInt128)delta * _tickHz / _coreHz);
            return elapsed >= _anchorValue ? 0 : _anchorValue - elapsed;
        }
    }

    /// <summary>Sets the rates; the count reached so far is kept.</summary>
    public void SetRate(ulong tickHz, ulong coreHz)
    {
        if (tickHz == _tickHz && coreHz == _coreHz)
        {
            return;
        }

        Rebase();
        _tickHz = tickHz;
        _coreHz = coreHz;
        Arm();
    }

    /// <summary>Loads <paramref name="value"/> now and counts from it.</summary>
    public void Start(ulong value)
    {
        _anchorValue = value;
        _anchorTime = _scheduler.Now;
        Running = true;
        Arm();
    }

    /// <summary>Loads a value without changing whether the counter runs.</summary>
    public void Load(ulong value)
    {
        _anchorValue = value;
        _anchorTime = _scheduler.Now;
        Arm();
    }

    /// <summary>Freezes the counter at its current value.</summary>
    public void Stop()
    {
        Rebase();
        Running = false;
        _expiry.Cancel();
    }

    /// <summary>Core cycles that <paramref name="ticks"/> ticks take at the current rates (rounded up).</summary>
    public ulong CyclesFor(ulong ticks) => _tickHz == 0 ? ulong.MaxValue : (ulong)(((UInt128)ticks * _coreHz + _tickHz - 1) / _tickHz);

    public void Save(StateWriter writer)
    {
        // Saved as is (no rebase): taking a snapshot must not change the run that follows it.
        writer.WriteBoolean(Running);
        writer.WriteUInt64(_anchorTime);
        writer.WriteUInt64(_anchorValue);
        writer.WriteUInt64(_tickHz);
        writer.WriteUInt64(_coreHz);
    }

    public void Load(StateReader reader)
    {
        Running = reader.ReadBoolean();
        _anchorTime = reader.ReadUInt64();
        _anchorValue = reader.ReadUInt64();
        _tickHz = reader.ReadUInt64();
        _coreHz = reader.ReadUInt64();
        if (Running)
        {
            Arm();
        }
        else
        {
            _expiry.Cancel();
        }
    }

    private void Rebase()
    {
        _anchorValue = Value;
        _anchorTime = _scheduler.Now;
    }

    private void Arm()
    {
        if (!Running || _tickHz == 0 || _coreHz == 0)
        {
            _expiry.Cancel();
            return;
        }

        // Ticks already elapsed at the anchor count from the anchor, so the deadline stays exact after a rebase.
        _expiry.ScheduleAt(_anchorTime + CyclesFor(_anchorValue + 1));
    }

    private void Expire(ulong time)
    {
        _anchorTime = time;
        _anchorValue = 0;
        _onExpiry(time);
    }
}
