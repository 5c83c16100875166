using Microsoft.Extensions.Logging;

namespace Dsm.Migration;

/// <summary>
/// Runs many hosted systems on a few threads. Each system runs in short slices paced against the wall
/// clock; between slices it waits in a queue ordered by the wall time it is next due (the end of its
/// quantum, or its next timer event while it sleeps). An idle system costs a queue entry, not a thread.
/// </summary>
internal sealed class SystemScheduler : IDisposable
{
    private readonly PriorityQueue<(HostedSystem System, long Version), long> _queue = new();
    private readonly Dictionary<HostedSystem, long> _versions = new();
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

    public long NowTicks => _time.GetTimestamp() * TimeSpan.TicksPerSecond / _time.TimestampFrequency;

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
            _versions.Remove(system);
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

            long version = _versions.TryGetValue(system, out long v) ? v + 1 : 1;
            _versions[system] = version;
            system.NextWakeTicks = dueTicks;
            _queue.Enqueue((system, version), dueTicks);
            Monitor.PulseAll(_queue);
        }
    }

    private void WorkerLoop()
    {
        long busySince = NowTicks;
        while (true)
        {
            HostedSystem system;
            lock (_queue)
            {
                while (true)
                {
                    if (_stopping)
                    {
                        return;
                    }

                    if (_queue.TryPeek(out var entry, out long due))
                    {
                        if (!_versions.TryGetValue(entry.System, out long current) || current != entry.Version)
                        {
                            _queue.Dequeue(); // stale: rescheduled or removed since
                            continue;
                        }

                        long wait = due - NowTicks;
                        if (wait <= 0)
                        {
                            _queue.Dequeue();
                            _versions[entry.System] = current + 1; // claimed: later Schedule calls enqueue afresh
                            system = entry.System;
                            Statistics.RecordLag(-wait);
                            break;
                        }

                        Statistics.AddBusy(NowTicks - busySince);
                        Monitor.Wait(_queue, TimeSpan.FromTicks(Math.Min(wait, TimeSpan.TicksPerSecond)));
                        busySince = NowTicks;
                    }
                    else
                    {
                        Statistics.AddBusy(NowTicks - busySince);
                        Monitor.Wait(_queue, TimeSpan.FromSeconds(1));
                        busySince = NowTicks;
                    }
                }
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
                bool stillScheduled = _versions.ContainsKey(system);
                bool terminal = system.StopRequested || system.State is HostedSystemState.Faulted or HostedSystemState.Exited or HostedSystemState.Stopped;
                if (system.WakeRequested && !terminal)
                {
                    // An input arrived while the slice ran: its wake-up must not be lost behind a long sleep.
                    next = Math.Min(next, NowTicks);
                }

                if (stillScheduled && !terminal && next != long.MaxValue)
                {
                    long version = _versions[system] + 1;
                    _versions[system] = version;
                    system.NextWakeTicks = next;
                    _queue.Enqueue((system, version), next);
                }
            }
        }
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
