using System.Diagnostics;
using Dsm.Migration;

namespace Dsm.Benchmarks.Density;

/// <summary>One point of the ramp, in a process of its own: N systems resumed from the captured record.</summary>
internal static class DensityPoint
{
    public static async Task<DensityResult> MeasureAsync(string recordPath, int count, DensityOptions options)
    {
        var (_, receivedAt, captured) = SystemRecord.Read(await File.ReadAllBytesAsync(recordPath).ConfigureAwait(false));
        string state = Directory.CreateTempSubdirectory("dsm-density-point-").FullName;
        try
        {
            // The state directory a host leaves behind with N migrated systems whose hand-over completed.
            var store = new SystemStore(state);
            await Parallel.ForEachAsync(Enumerable.Range(0, count), async (_, ct) =>
            {
                var id = Guid.NewGuid();
                await store.WriteRecordAsync(id, SystemRecord.Write(id, receivedAt, captured), ct).ConfigureAwait(false);
                await store.SetStateAsync(id, HandOverState.Confirmed, ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
            captured = null!;

            var (managedBefore, workingSetBefore) = Memory();
            var host = new MigrationHost(new MigrationHostOptions
            {
                StateDirectory = state,
                WorkerThreads = 1,
                // A woken guest runs at most this far ahead of the wall clock: within 1 ms on the early side too.
                Quantum = TimeSpan.FromMilliseconds(1),
                SnapshotInterval = TimeSpan.Zero,
                ResumeStoredSystems = true,
            });
            var restore = Stopwatch.StartNew();
            await host.StartAsync(CancellationToken.None).ConfigureAwait(false);
            restore.Stop();
            Console.Error.WriteLine($"restored and resumed {count} systems in {restore.Elapsed.TotalSeconds:F2} s");
            var systems = host.Systems;
            if (systems.Count != count || systems.Any(s => s.State is not (HostedSystemState.Running or HostedSystemState.Sleeping)))
            {
                throw new InvalidOperationException($"{systems.Count} of {count} systems resumed; states: {string.Join(", ", systems.Select(s => s.State).Distinct())}");
            }

            await Task.Delay(TimeSpan.FromSeconds(options.WarmupSeconds)).ConfigureAwait(false);

            var statistics = host.SchedulerStatistics!;
            var process = Process.GetCurrentProcess();
            long[] consoleBefore = systems.Select(s => s.Console.TotalBytes).ToArray();
            double[] virtualBefore = systems.Select(s => s.VirtualSeconds).ToArray();
            long resetsBefore = systems.Sum(s => s.Pacer!.LagResets);
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            var (gcsBefore, pauseBefore, allocatedBefore) = (GC.CollectionCount(0), GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes());
            var wall = Stopwatch.StartNew();
            statistics.Reset();

            await Task.Delay(TimeSpan.FromSeconds(options.Seconds)).ConfigureAwait(false);

            long wakeups = statistics.Wakeups;
            var busy = statistics.Busy;
            var p50 = statistics.LagPercentile(0.50);
            var p99 = statistics.LagPercentile(0.99);
            var max = statistics.MaxLag;
            double elapsed = wall.Elapsed.TotalSeconds;
            var (gcs, pause, allocated) = (GC.CollectionCount(0) - gcsBefore, GC.GetTotalPauseDuration() - pauseBefore, GC.GetTotalAllocatedBytes() - allocatedBefore);
            process.Refresh();
            var cpu = process.TotalProcessorTime - cpuBefore;
            // Reads of another thread's machine without its gate: figures only, a torn read costs nothing.
            double slowest = systems.Select((s, i) => (s.VirtualSeconds - virtualBefore[i]) / elapsed).Min();
            long consoleBytes = systems.Select((s, i) => s.Console.TotalBytes - consoleBefore[i]).Sum();
            long resets = systems.Sum(s => s.Pacer!.LagResets) - resetsBefore;
            var (managedAfter, workingSetAfter) = Memory();
            long guestRam = DensityBenchmark.GuestRamBytes(systems.First().Machine);
            GC.KeepAlive(host);
            return new DensityResult
            {
                Systems = count,
                LagP50 = p50,
                LagP99 = p99,
                LagMax = max,
                WakeupsPerSecond = wakeups / elapsed,
                SchedulerBusy = busy.TotalSeconds / elapsed,
                ProcessCpu = cpu.TotalSeconds / elapsed,
                SlowestGuestRate = slowest,
                LagResets = resets,
                ManagedBytesPerSystem = (managedAfter - managedBefore) / count,
                WorkingSetBytesPerSystem = (workingSetAfter - workingSetBefore) / count,
                GuestRamBytes = guestRam,
                ConsoleLinesPerSecond = consoleBytes / 31.0 / elapsed,
                Collections = gcs,
                GcPause = pause,
                AllocatedBytesPerSecond = allocated / elapsed,
            };

            // The host is not disposed: that would snapshot every system to disk; the process ends instead.
        }
        finally
        {
            try
            {
                Directory.Delete(state, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static (long Managed, long WorkingSet) Memory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long managed = GC.GetTotalMemory(forceFullCollection: true);
        var process = Process.GetCurrentProcess();
        process.Refresh();
        return (managed, process.WorkingSet64);
    }
}
