using Dsm.Emulation.CortexM3.State;

namespace Dsm.Emulation.CortexM3.Timing;

/// <summary>
/// The machine's virtual clock and its timed events. Virtual time is counted in core cycles; peripherals
/// schedule callbacks at cycle deadlines and the run loop never lets the core run past the earliest one,
/// so a timer fires at the same instruction boundary in every run (deterministic) and a sleeping core
/// can jump straight to the next deadline.
/// </summary>
/// <remarks>
/// While the core executes a slice, <see cref="Now"/> includes the cycles it has run so far in the slice, so
/// a device that reads the time or schedules an event from a register access sees the instant of the access,
/// not the start of the slice. Events fire only between slices (<see cref="AdvanceTo"/>), each with
/// <see cref="Now"/> equal to its deadline.
/// </remarks>
public sealed class EventScheduler : IStatefulComponent
{
    private readonly List<TimedEvent> _queue = new();
    private ulong _now;
    private Func<ulong>? _coreCycles;
    private ulong _coreCyclesAtSliceStart;

    /// <summary>Creates a scheduler for a core clocked at <paramref name="coreClockHz"/>.</summary>
    /// <param name="coreClockHz">Core clock frequency in Hz (used to convert between cycles and seconds).</param>
    public EventScheduler(uint coreClockHz)
    {
        CoreClockHz = coreClockHz;
    }

    /// <summary>Current virtual time in core cycles, including the cycles the core has run in the slice it is executing.</summary>
    public ulong Now => _coreCycles is null ? _now : _now + (_coreCycles() - _coreCyclesAtSliceStart);

    /// <summary>Whether the core is executing a slice (between <see cref="BeginCoreSlice"/> and <see cref="EndCoreSlice"/>).</summary>
    internal bool InCoreSlice => _coreCycles is not null;

    /// <summary>
    /// Raised with the new deadline when scheduling makes an event the earliest of all. A run loop that let the core
    /// run up to the previous earliest deadline must end the slice at this one.
    /// </summary>
    public event Action<ulong>? EarliestDeadlineChanged;

    /// <summary>
    /// Core clock in Hz. Changing it (firmware reprogramming the PLL) does not move <see cref="Now"/>;
    /// peripherals that derive their timing from it reschedule themselves.
    /// </summary>
    public uint CoreClockHz { get; set; }

    /// <summary>The earliest pending deadline, or <see cref="ulong.MaxValue"/> when nothing is scheduled.</summary>
    public ulong NextDeadline => _queue.Count == 0 ? ulong.MaxValue : _queue[0].Deadline;

    /// <summary>Virtual time in seconds since reset.</summary>
    public double NowSeconds => CoreClockHz == 0 ? 0 : _now / (double)CoreClockHz;

    /// <summary>Converts a duration in seconds to core cycles at the current clock (at least one cycle).</summary>
    /// <param name="seconds">Duration.</param>
    /// <returns>Cycles.</returns>
    public ulong CyclesFromSeconds(double seconds) => Math.Max(1UL, (ulong)Math.Round(seconds * CoreClockHz));

    /// <summary>Creates an event that runs <paramref name="callback"/> each time its deadline is reached.</summary>
    /// <param name="name">Diagnostic name ("systick", "mfs0.tx").</param>
    /// <param name="callback">Runs at the deadline with the deadline's time; it may reschedule the event.</param>
    /// <returns>An unscheduled event.</returns>
    public TimedEvent CreateEvent(string name, Action<ulong> callback) => new(this, name, callback);

    /// <summary>
    /// Moves virtual time forward to <paramref name="time"/>, firing every event whose deadline is at or
    /// before it, in deadline order (ties in scheduling order).
    /// </summary>
    /// <param name="time">The new virtual time; must not be earlier than <see cref="Now"/>.</param>
    public void AdvanceTo(ulong time)
    {
        if (_coreCycles is not null)
        {
            throw new InvalidOperationException("Virtual time cannot be advanced while the core is executing a slice.");
        }

        if (time < _now)
        {
            throw new ArgumentOutOfRangeException(nameof(time), $"Virtual time cannot go back from {_now} to {time}.");
        }

        while (_queue.Count > 0 && _queue[0].Deadline <= time)
        {
            var due = _queue[0];
            _queue.RemoveAt(0);
            due.IsScheduled = false;
            _now = due.Deadline;
            due.Fire();
        }

        _now = time;
    }

    /// <summary>Sets virtual time directly (state import). Scheduled events are kept; their owners re-arm them on import.</summary>
    /// <param name="time">The restored time.</param>
    public void RestoreNow(ulong time)
    {
        if (_coreCycles is not null)
        {
            throw new InvalidOperationException("Virtual time cannot be restored while the core is executing a slice.");
        }

        _now = time;
    }

    /// <summary>
    /// The core starts executing: until <see cref="EndCoreSlice"/>, <see cref="Now"/> follows <paramref name="coreCycles"/>
    /// (the core's cycle counter) from its present value.
    /// </summary>
    /// <param name="coreCycles">Reads the core's cycle counter.</param>
    internal void BeginCoreSlice(Func<ulong> coreCycles)
    {
        _coreCyclesAtSliceStart = coreCycles();
        _coreCycles = coreCycles;
    }

    /// <summary>The core stopped: virtual time moves forward by the cycles it ran, firing every event that became due.</summary>
    internal void EndCoreSlice()
    {
        if (_coreCycles is null)
        {
            return;
        }

        ulong time = Now;
        _coreCycles = null;
        AdvanceTo(time);
    }

    /// <summary>State section name: the scheduler's section holds virtual time and the core clock.</summary>
    public string SectionName => "scheduler";

    /// <inheritdoc />
    public void SaveState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteVersion(1);
        writer.WriteUInt64(_now);
        writer.WriteUInt32(CoreClockHz);
    }

    /// <summary>
    /// Restores virtual time and the core clock. Load this section before any component that schedules
    /// events: they re-arm relative to the restored time.
    /// </summary>
    /// <param name="reader">The section payload.</param>
    public void LoadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.ReadVersion(1);
        ulong now = reader.ReadUInt64();
        uint clock = reader.ReadUInt32();
        RestoreNow(now);
        CoreClockHz = clock;
    }

    internal void Insert(TimedEvent ev)
    {
        // Few events are live at once (a handful of timers and UARTs): a sorted list beats a heap here.
        int i = _queue.Count;
        while (i > 0 && _queue[i - 1].Deadline > ev.Deadline)
        {
            i--;
        }

        _queue.Insert(i, ev);
        if (i == 0)
        {
            EarliestDeadlineChanged?.Invoke(ev.Deadline);
        }
    }

    internal void Remove(TimedEvent ev) => _queue.Remove(ev);
}

/// <summary>A reusable timed event owned by a peripheral; scheduling it again moves its deadline.</summary>
public sealed class TimedEvent
{
    private readonly EventScheduler _scheduler;
    private readonly Action<ulong> _callback;

    internal TimedEvent(EventScheduler scheduler, string name, Action<ulong> callback)
    {
        _scheduler = scheduler;
        Name = name;
        _callback = callback;
    }

    /// <summary>Diagnostic name.</summary>
    public string Name { get; }

    /// <summary>Whether the event is waiting for its deadline.</summary>
    public bool IsScheduled { get; internal set; }

    /// <summary>The deadline in core cycles (meaningful while <see cref="IsScheduled"/>).</summary>
    public ulong Deadline { get; private set; }

    /// <summary>Schedules (or moves) the event to fire at absolute virtual time <paramref name="deadline"/>.</summary>
    /// <param name="deadline">Absolute time in core cycles; a time already passed fires at the next boundary.</param>
    public void ScheduleAt(ulong deadline)
    {
        Cancel();
        Deadline = Math.Max(deadline, _scheduler.Now);
        IsScheduled = true;
        _scheduler.Insert(this);
    }

    /// <summary>Schedules the event <paramref name="cycles"/> core cycles from now.</summary>
    /// <param name="cycles">Delay in core cycles.</param>
    public void ScheduleIn(ulong cycles) => ScheduleAt(_scheduler.Now + cycles);

    /// <summary>Removes the event from the queue if it is scheduled.</summary>
    public void Cancel()
    {
        if (IsScheduled)
        {
            _scheduler.Remove(this);
            IsScheduled = false;
        }
    }

    internal void Fire() => _callback(Deadline);

    /// <inheritdoc />
    public override string ToString() => IsScheduled ? $"{Name} @ {Deadline}" : $"{Name} (idle)";
}
