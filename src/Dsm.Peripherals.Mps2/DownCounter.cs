using Dsm.Emulation.CortexM3.State;
using Dsm.Emulation.CortexM3.Timing;

namespace Dsm.Peripherals.Mps2;

/// <summary>
/// A down-counter ticking once every <see cref="Divider"/> core cycles, kept as an anchor (time, value) and
/// computed on demand. Reaching zero from a non-zero value is an event (one timed event per zero); one tick
/// later the counter takes <see cref="Reload"/>, or stays at zero when there is none. A counter anchored at
/// zero therefore waits one tick before it reloads and raises nothing for that zero, as the CMSDK timers do.
/// </summary>
internal sealed class DownCounter
{
    private readonly EventScheduler _scheduler;
    private readonly TimedEvent _zero;
    private readonly Action<ulong> _onZero;
    private ulong _anchorTime;
    private uint _anchorValue;

    public DownCounter(EventScheduler scheduler, string name, Action<ulong> onZero)
    {
        _scheduler = scheduler;
        _onZero = onZero;
        _zero = scheduler.CreateEvent(name, Zero);
    }

    public bool Running { get; private set; }

    /// <summary>The value taken one tick after reaching zero; null: stop at zero.</summary>
    public uint? Reload { get; private set; }

    /// <summary>Core cycles per tick (1 = the peripheral clock, which on the MPS2 is the core clock).</summary>
    public uint Divider { get; private set; } = 1;

    public uint Value => Running ? ValueAt(_scheduler.Now) : _anchorValue;

    /// <summary>Sets the value now; the counter keeps running or stays stopped.</summary>
    public void Set(uint value)
    {
        _anchorTime = _scheduler.Now;
        _anchorValue = value;
        Arm();
    }

    public void SetReload(uint? reload)
    {
        Rebase();
        Reload = reload;
        Arm();
    }

    public void SetDivider(uint divider)
    {
        if (divider == Divider)
        {
            return;
        }

        Rebase();
        Divider = Math.Max(1, divider);
        Arm();
    }

    public void Start()
    {
        if (!Running)
        {
            _anchorTime = _scheduler.Now;
            Running = true;
            Arm();
        }
    }

    public void Stop()
    {
        Rebase();
        Running = false;
        _zero.Cancel();
    }

    public void Save(StateWriter writer)
    {
        // As is, without a rebase: a snapshot must not change the run that follows it.
        writer.WriteBoolean(Running);
        writer.WriteUInt64(_anchorTime);
        writer.WriteUInt32(_anchorValue);
        writer.WriteBoolean(Reload.HasValue);
        writer.WriteUInt32(Reload ?? 0);
        writer.WriteUInt32(Divider);
    }

    public void Load(StateReader reader)
    {
        Running = reader.ReadBoolean();
        _anchorTime = reader.ReadUInt64();
        _anchorValue = reader.ReadUInt32();
        bool hasReload = reader.ReadBoolean();
        uint reload = reader.ReadUInt32();
        Reload = hasReload ? reload : null;
        uint divider = reader.ReadUInt32();
        if (divider == 0)
        {
            throw reader.Corrupt("a counter's clock divider is zero");
        }

        Divider = divider;
        Arm();
    }

    private uint ValueAt(ulong now)
    {
        ulong ticks = (now - _anchorTime) / Divider;
        if (ticks <= _anchorValue && (_anchorValue != 0 || ticks == 0))
        {
            return _anchorValue - (uint)ticks;
        }

        if (Reload is not { } reload)
        {
            return 0;
        }

        // Past the first zero: one tick later the reload value, then periods of reload + 1 ticks.
        ulong sinceReload = ticks - _anchorValue - 1;
        return reload - (uint)(sinceReload % ((ulong)reload + 1));
    }

    private void Rebase()
    {
        if (!Running)
        {
            return;
        }

        ulong now = _scheduler.Now;
        ulong ticks = (now - _anchorTime) / Divider;
        _anchorValue = ValueAt(now);
        _anchorTime += ticks * Divider; // stay on a tick boundary so no fraction of a tick is lost
    }

    private void Arm()
    {
        _zero.Cancel();
        if (!Running)
        {
            return;
        }

        ulong ticks;
        if (_anchorValue != 0)
        {
            ticks = _anchorValue;
        }
        else if (Reload is { } reload && reload != 0)
        {
            ticks = (ulong)reload + 1;
        }
        else
        {
            return; // parked at zero
        }

        _zero.ScheduleAt(_anchorTime + (ticks * Divider));
    }

    private void Zero(ulong time)
    {
        _anchorTime = time;
        _anchorValue = 0;
        _onZero(time);
        Arm();
    }
}
