using Microsoft.Extensions.Logging;

namespace Dsm.Migration;

/// <summary>
/// Runs many hosted systems on a few threads. Each system runs in short slices paced against the wall
/// clock; between slices it waits in a queue ordered by the wall time it is next due (the end of its
/// quantum, or its next timer event while it sleeps). An idle system costs a queue entry, not a thread.
/// </summary>
internal sealed class SystemScheduler : IDisposable
{
    // Waits shorter than this are slept outside the lock with a precise sleep: Monitor.Wait counts whole milliseconds,
    // and a guest ticking at 1 kHz is nearly always due in less than one.
    private const long PreciseSleepBelowTicks = TimeSpan.TicksPerMillisecond;

    // A system due this soon is waited for by spinning: a sleep this short costs more kernel time (a context switch,
    // the wake-up latency) than it saves, and overshoots.
    private const long SpinBelowTicks = 50 * TimeSpan.TicksPerMillisecond / 1000;

    // A system runs this long after it is due, never before: its slice (which reaches one quantum past the time it
    // starts) then also covers a timer event one quantum after this one, so a 1 kHz tick with a 1 ms quantum needs a
    // wake-up every other tick. That second event runs up to one quantum early, as any slice may.
    private const long DueSlackTicks = 10;

    private readonly PriorityQueue<(HostedSystem System, long Version), long> _queue = new();
    private readonly Func<HostedSystem, long> _runSlice;
    private readonly ILogger _logger;
    private readonly Thread[] _workers;
    private readonly TimeProvider _time;
    private bool _stopping;

    /// <param name="workerCount">Threads that run slices.</param>
    /// <param name="runSlice">Runs one slice of a system; returns the wall tick it is next due, or long.MaxValue to park it.</param>
    /// <param name="time">The wall clock.</param>
    /// <param name="logger">Logger.</param>
    public SystemScheduler(int workerCount, Func<HostedSystem, long> runSlice, TimeProvider time, ILogger logger)
    {
        _runSlice = runSlice;
        _time = time;
        _logger = logger;
        _workers = new Thread[Math.Max(1, workerCount)];
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"dsm-host-{i}" };
            _workers[i].Start();
        }
    }

    /// <summary>Lateness of wake-ups and worker busy time.</summary>
    public SchedulerStatistics Statistics { get; } = new();

    public long NowTicks => WallClock.Ticks(_time);

    /// <summary>Makes <paramref name="system"/> due now (new arrival, host input, resume).</summary>
    public void Wake(HostedSystem system)
    {
        system.WakeRequested = true;
        Schedule(system, NowTicks);
    }

    /// <summary>Removes <paramref name="system"/> from scheduling; a slice in progress finishes first.</summary>
    public void Remove(HostedSystem system)
    {
        lock (_queue)
        {
            system.Scheduled = false;
        }
    }

    public void Schedule(HostedSystem system, long dueTicks)
    {
        lock (_queue)
        {
            if (_stopping)
            {
                return;
            }

            system.Scheduled = true;
            Enqueue(system, dueTicks);
            Monitor.PulseAll(_queue);
        }
    }

    // Under the lock. A system has at most one live queue entry: the one carrying its current version.
    private void Enqueue(HostedSystem system, long dueTicks)
    {
        long version = ++system.ScheduleVersion;
        system.NextWakeTicks = dueTicks;
        _queue.Enqueue((system, version), dueTicks);
    }

    private void WorkerLoop()
    {
        if (OperatingSystem.IsLinux())
        {
            PreciseSleep.ReduceTimerSlack();
        }

        while (true)
        {
            HostedSystem? system = null;
            long sleepTicks = 0;
            long spinUntil = 0;
            lock (_queue)
            {
                while (system is null && sleepTicks == 0 && spinUntil == 0)
                {
                    if (_stopping)
                    {
                        return;
                    }

                    if (!_queue.TryPeek(out var entry, out long due))
                    {
                        Wait(TimeSpan.TicksPerSecond);
                        continue;
                    }

                    if (!entry.System.Scheduled || entry.System.ScheduleVersion != entry.Version)
                    {
                        _queue.Dequeue(); // stale: rescheduled or removed since
                        continue;
                    }

                    long wait = due + DueSlackTicks - NowTicks;
                    if (wait <= 0)
                    {
                        _queue.Dequeue();
                        entry.System.ScheduleVersion++; // claimed: later Schedule calls enqueue afresh
                        system = entry.System;
                        Statistics.RecordLag(DueSlackTicks - wait);
                    }
                    else if (wait >= PreciseSleepBelowTicks)
                    {
                        Wait(Math.Min(wait, TimeSpan.TicksPerSecond));
                    }
                    else if (wait > SpinBelowTicks)
                    {
                        sleepTicks = wait - SpinBelowTicks;
                    }
                    else
                    {
                        spinUntil = due + DueSlackTicks;
                    }
                }
            }

            if (spinUntil != 0)
            {
                // Outside the lock: a new arrival is queued meanwhile and looked at next.
                long start = NowTicks;
                while (NowTicks < spinUntil)
                {
                    Thread.SpinWait(20);
                }

                Statistics.AddIdle(NowTicks - start);
                continue;
            }

            if (system is null)
            {
                long start = NowTicks;
                PreciseSleep.Sleep(sleepTicks);
                Statistics.AddIdle(NowTicks - start);
                continue;
            }

            long next;
            system.WakeRequested = false;
            try
            {
                next = _runSlice(system);
            }
            catch (Exception ex)
            {
                // A bug in a model must not take the host down: the system stops with a report.
                _logger.LogError(ex, "System {Id} stopped by an internal error", system.Id);
                system.Fault($"internal error while emulating: {ex}");
                next = long.MaxValue;
            }

            lock (_queue)
            {
                bool terminal = system.StopRequested || system.State is HostedSystemState.Faulted or HostedSystemState.Exited or HostedSystemState.Stopped;
                if (system.WakeRequested && !terminal)
                {
                    // An input arrived while the slice ran: its wake-up must not be lost behind a long sleep.
                    next = Math.Min(next, NowTicks);
                }

                if (system.Scheduled && !terminal && next != long.MaxValue)
                {
                    Enqueue(system, next);
                }
            }
        }
    }

    // Under the lock: waits whole milliseconds (at least one) for a new arrival or the next due time.
    private void Wait(long ticks)
    {
        long start = NowTicks;
        Monitor.Wait(_queue, (int)Math.Max(1, ticks / TimeSpan.TicksPerMillisecond));
        Statistics.AddIdle(NowTicks - start);
    }

    public void Dispose()
    {
        lock (_queue)
        {
            _stopping = true;
            Monitor.PulseAll(_queue);
        }

        foreach (var worker in _workers)
        {
            worker.Join();
        }
    }
}
