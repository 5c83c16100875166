namespace Dsm.Emulation.CortexM3.Timing;

/// <summary>How virtual time relates to the wall clock.</summary>
public enum PacingMode
{
    /// <summary>Virtual time comes from executed cycles only; the guest runs as fast as the host allows and sleeps cost nothing. Repeatable; tests use it.</summary>
    Deterministic,

    /// <summary>Virtual time is kept within a quantum of the wall clock: the guest neither runs ahead of nor falls behind real time.</summary>
    RealTime,
}

/// <summary>
/// Keeps a machine's virtual time in step with the wall clock (or not, in deterministic mode). A run loop
/// uses it like this:
/// <code>
/// pacer.Start(scheduler.Now);
/// while (running)
/// {
///     pacer.WaitUntilDue(scheduler.Now, token);              // real time: never run ahead of the wall clock
///     ulong end = pacer.SliceEnd(scheduler.Now);             // at most one quantum, never past the next event
///     /* run the core until virtual time reaches end, then scheduler.AdvanceTo(...) */
///     if (/* core sleeps and nothing can wake it */)
///         scheduler.AdvanceTo(pacer.Sleep(scheduler.Now, token)); // jump to the next event (waiting for it in real time)
/// }
/// </code>
/// </summary>
/// <remarks>
/// Real-time mode anchors a virtual instant to a wall-clock instant; virtual time t is due at
/// anchorWall + (t - anchorVirtual) / coreClock. When the host falls behind by more than
/// <see cref="MaxLag"/> (a paused process, a debugger, a long migration pause) the pacer re-anchors instead of
/// racing to catch up, so the guest experiences the pause as lost time rather than a burst of ticks.
/// Waits are rounded up to whole milliseconds (the resolution of timers), so the guest may trail the wall
/// clock by up to 1 ms but never runs ahead of it.
/// </remarks>
public sealed class Pacer
{
    private readonly EventScheduler _scheduler;
    private readonly TimeProvider _time;
    private readonly object _wakeLock = new();
    private CancellationTokenSource? _sleepWaker;
    private bool _wakeRequested;
    private long _anchorTimestamp;
    private ulong _anchorVirtual;
    private uint _anchorClockHz;
    private ulong _lastVirtual;

    /// <summary>Creates a pacer.</summary>
    /// <param name="scheduler">The machine's virtual clock (supplies the core clock and the next deadline).</param>
    /// <param name="mode">Deterministic or real-time.</param>
    /// <param name="timeProvider">Wall clock and timers; <see cref="TimeProvider.System"/> when null (tests inject a fake).</param>
    public Pacer(EventScheduler scheduler, PacingMode mode, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        _scheduler = scheduler;
        _time = timeProvider ?? TimeProvider.System;
        Mode = mode;
        Start(scheduler.Now);
    }

    /// <summary>The pacing mode.</summary>
    public PacingMode Mode { get; }

    /// <summary>Longest stretch the guest runs between wall-clock checks in real-time mode (default 1 ms).</summary>
    public TimeSpan Quantum { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>How far behind the wall clock the guest may fall before the pacer gives the time up and re-anchors (default 100 ms).</summary>
    public TimeSpan MaxLag { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Number of times the pacer re-anchored because the guest fell more than <see cref="MaxLag"/> behind.</summary>
    public long LagResets { get; private set; }

    /// <summary>
    /// Anchors virtual time <paramref name="virtualNow"/> to the wall clock's present. Call when the machine
    /// starts or resumes (after an import or a pause), so the time it was stopped is not counted as lag.
    /// </summary>
    /// <param name="virtualNow">The virtual time now, in core cycles.</param>
    public void Start(ulong virtualNow)
    {
        _anchorTimestamp = _time.GetTimestamp();
        _anchorVirtual = virtualNow;
        _anchorClockHz = _scheduler.CoreClockHz;
        _lastVirtual = virtualNow;
    }

    /// <summary>The virtual time up to which the core may run before the next call: the next event, and in real time at most one quantum ahead.</summary>
    /// <param name="virtualNow">The virtual time now.</param>
    /// <returns>The end of the slice (at least <paramref name="virtualNow"/> + 1).</returns>
    public ulong SliceEnd(ulong virtualNow)
    {
        ulong end = _scheduler.NextDeadline;
        if (Mode == PacingMode.RealTime)
        {
            ulong quantumEnd = virtualNow + _scheduler.CyclesFromSeconds(Quantum.TotalSeconds);
            end = Math.Min(end, quantumEnd);
        }

        return Math.Max(end, virtualNow + 1);
    }

    /// <summary>
    /// Real time: blocks until the wall clock reaches the instant <paramref name="virtualTime"/> is due, so the
    /// guest does not run ahead; returns at once when the guest is behind (re-anchoring when it is more than
    /// <see cref="MaxLag"/> behind). Deterministic: returns at once.
    /// </summary>
    /// <param name="virtualTime">The virtual time the machine has reached, in core cycles.</param>
    /// <param name="cancellationToken">Stops the wait.</param>
    public void WaitUntilDue(ulong virtualTime, CancellationToken cancellationToken)
    {
        if (Mode == PacingMode.Deterministic)
        {
            return;
        }

        TimeSpan ahead = WallTimeOf(virtualTime) - _time.GetElapsedTime(_anchorTimestamp);
        _lastVirtual = virtualTime;
        if (ahead > TimeSpan.Zero)
        {
            Task.Delay(WholeMilliseconds(ahead), _time, cancellationToken).GetAwaiter().GetResult();
        }
        else if (-ahead > MaxLag)
        {
            LagResets++;
            Start(virtualTime);
        }
    }

    /// <summary>
    /// The core sleeps (WFI/WFE) and nothing is pending: returns the virtual time to jump to. Deterministic:
    /// the next event's deadline at once (<see cref="ulong.MaxValue"/> when nothing is scheduled: nothing can ever
    /// wake the core). Real time: waits until the wall clock reaches the next deadline, or until
    /// <see cref="Wake"/> is called (host input), and returns the deadline or the virtual time of the wake-up.
    /// </summary>
    /// <param name="virtualNow">The virtual time now.</param>
    /// <param name="cancellationToken">Stops the wait (the machine is stopping); throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>The virtual time the machine should advance to (never earlier than <paramref name="virtualNow"/>).</returns>
    public ulong Sleep(ulong virtualNow, CancellationToken cancellationToken)
    {
        ulong deadline = Math.Max(_scheduler.NextDeadline, virtualNow);
        if (Mode == PacingMode.Deterministic)
        {
            return deadline;
        }

        CancellationTokenSource waker;
        lock (_wakeLock)
        {
            if (_wakeRequested)
            {
                _wakeRequested = false;
                return virtualNow;
            }

            waker = _sleepWaker = new CancellationTokenSource();
        }

        try
        {
            TimeSpan delay = deadline == ulong.MaxValue
                ? Timeout.InfiniteTimeSpan
                : WallTimeOf(deadline) - _time.GetElapsedTime(_anchorTimestamp);
            _lastVirtual = virtualNow;
            if (delay != Timeout.InfiniteTimeSpan && delay <= TimeSpan.Zero)
            {
                return deadline;
            }

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, waker.Token);
            try
            {
                Task.Delay(delay == Timeout.InfiniteTimeSpan ? delay : WholeMilliseconds(delay), _time, linked.Token).GetAwaiter().GetResult();
                return deadline;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Woken early: continue from the virtual time that corresponds to the wall clock now.
                return Math.Clamp(VirtualTimeOfWallNow(), virtualNow, deadline);
            }
        }
        finally
        {
            lock (_wakeLock)
            {
                _sleepWaker = null;
                _wakeRequested = false;
                waker.Dispose();
            }
        }
    }

    /// <summary>Ends a <see cref="Sleep"/> in progress, or the next one, early: something outside the guest (host I/O) needs the machine. Thread-safe.</summary>
    public void Wake()
    {
        lock (_wakeLock)
        {
            _wakeRequested = true;
            _sleepWaker?.Cancel();
        }
    }

    /// <summary>Timer waits have millisecond resolution: round up, so the guest lags by less than 1 ms rather than running ahead.</summary>
    private static TimeSpan WholeMilliseconds(TimeSpan delay) => TimeSpan.FromMilliseconds(Math.Ceiling(delay.TotalMilliseconds));

    private TimeSpan WallTimeOf(ulong virtualTime)
    {
        if (_scheduler.CoreClockHz != _anchorClockHz)
        {
            // The core clock changed (PLL reprogrammed) since the last time seen: the cycles up to then ran at
            // the old rate, later ones at the new.
            Rebase(Math.Max(_anchorVirtual, Math.Min(_lastVirtual, virtualTime)));
        }

        double cycles = virtualTime >= _anchorVirtual ? virtualTime - _anchorVirtual : -(double)(_anchorVirtual - virtualTime);
        return TimeSpan.FromSeconds(cycles / Math.Max(1u, _anchorClockHz));
    }

    private ulong VirtualTimeOfWallNow()
    {
        double seconds = _time.GetElapsedTime(_anchorTimestamp).TotalSeconds;
        return _anchorVirtual + (ulong)Math.Max(0, seconds * _anchorClockHz);
    }

    private void Rebase(ulong virtualTime)
    {
        double cycles = virtualTime >= _anchorVirtual ? virtualTime - _anchorVirtual : -(double)(_anchorVirtual - virtualTime);
        double seconds = cycles / Math.Max(1u, _anchorClockHz);
        _anchorTimestamp += (long)(seconds * _time.TimestampFrequency);
        _anchorVirtual = virtualTime;
        _anchorClockHz = _scheduler.CoreClockHz;
    }
}
