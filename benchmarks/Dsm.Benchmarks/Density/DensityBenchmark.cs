using System.Diagnostics;
using System.Globalization;
using System.Net;
using Dsm.Emulation.CortexM3;
using Dsm.Emulation.CortexM3.Memory;
using Dsm.Emulation.CortexM3.Timing;
using Dsm.Migration;

namespace Dsm.Benchmarks.Density;

/// <summary>
/// Hosting density: how many idle migrated systems one scheduler thread keeps within 1 ms of real time, and
/// what each costs in host memory. The idle firmware migrates once from an emulated device into a host; every
/// measured system is then created from that arrival record by a fresh <see cref="MigrationHost"/> resuming
/// its state directory, exactly as a restarted host resumes migrated systems. Each count N runs in a child
/// process of its own so that working-set figures start from a clean process.
/// </summary>
public static class DensityBenchmark
{
    /// <summary>Lateness allowed at the 99th percentile.</summary>
    public static readonly TimeSpan LagBudget = TimeSpan.FromMilliseconds(1);

    private const string DefaultFirmware = "samples/firmware/bin/idle-mb9bf506n-dsmc.elf";

    /// <summary>Runs the ramp (<c>--density</c>) or one point of it (<c>--density-point</c>, used by the ramp).</summary>
    /// <param name="args">Command line.</param>
    /// <returns>Process exit code.</returns>
    public static async Task<int> RunAsync(string[] args)
    {
        var options = DensityOptions.Parse(args);
        if (options.Point is { } count)
        {
            string? record = options.RecordPath;
            if (record is null)
            {
                // A point on its own (for profiling): capture first.
                record = Path.Combine(Directory.CreateTempSubdirectory("dsm-density-").FullName, "capture.system");
                await File.WriteAllBytesAsync(record, await CaptureAsync(Path.GetFullPath(options.Firmware ?? FindRepositoryFile(DefaultFirmware)), Path.GetDirectoryName(record)!).ConfigureAwait(false)).ConfigureAwait(false);
                Console.Error.WriteLine($"captured into {record}");
            }

            var point = await DensityPoint.MeasureAsync(record, count, options).ConfigureAwait(false);
            Console.WriteLine(DensityResult.Marker + point.Serialize());
            return 0;
        }

        return await RampAsync(options).ConfigureAwait(false);
    }

    private static async Task<int> RampAsync(DensityOptions options)
    {
        string work = Directory.CreateTempSubdirectory("dsm-density-").FullName;
        try
        {
            string firmware = Path.GetFullPath(options.Firmware ?? FindRepositoryFile(DefaultFirmware));
            Console.WriteLine($"# Hosting density, {DateTime.UtcNow:yyyy-MM-ddTHH:mmZ}, firmware {Path.GetFileName(firmware)}");
            Console.WriteLine($"# host: {Environment.ProcessorCount} CPUs, {CpuModel()}; .NET {Environment.Version}; one scheduler thread; " +
                              $"{options.WarmupSeconds} s warm-up, {options.Seconds} s measured per point");
            string record = Path.Combine(work, "capture.system");
            var capture = Stopwatch.StartNew();
            await File.WriteAllBytesAsync(record, await CaptureAsync(firmware, work).ConfigureAwait(false)).ConfigureAwait(false);
            Console.WriteLine($"# captured the idle system by a real migration in {capture.Elapsed.TotalSeconds:F1} s");
            Console.WriteLine();
            Console.WriteLine(DensityResult.TableHeader);
            DensityResult? best = null;
            int failures = 0;
            foreach (int n in options.Counts)
            {
                string load = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
                var result = RunPoint(record, n, options);
                if (result is null)
                {
                    Console.WriteLine($"| {n} | point failed (see standard error) |");
                    failures++;
                }
                else
                {
                    Console.WriteLine(result.TableRow(load));
                    if (result.LagP99 <= LagBudget && result.KeptUp)
                    {
                        best = result;
                        failures = 0;
                    }
                    else
                    {
                        failures++;
                    }
                }

                if (failures >= options.StopAfterFailures)
                {
                    break;
                }
            }

            Console.WriteLine();
            Console.WriteLine(best is null
                ? "# no count met p99 lag <= 1 ms"
                : $"# largest N with p99 lag <= 1 ms: {best.Systems} ({best.MemoryPerSystemText})");
            return 0;
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static DensityResult? RunPoint(string record, int count, DensityOptions options)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        string entry = typeof(DensityBenchmark).Assembly.Location;
        if (!Path.GetFileNameWithoutExtension(Environment.ProcessPath!).Equals(Path.GetFileNameWithoutExtension(entry), StringComparison.Ordinal))
        {
            start.ArgumentList.Add(entry); // running under the dotnet host
        }

        foreach (string argument in new[] { "--density-point", count.ToString(CultureInfo.InvariantCulture), "--record", record })
        {
            start.ArgumentList.Add(argument);
        }

        foreach (string argument in options.PassThrough())
        {
            start.ArgumentList.Add(argument);
        }

        using var child = Process.Start(start)!;
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        string? line = output.Split('\n').FirstOrDefault(l => l.StartsWith(DensityResult.Marker, StringComparison.Ordinal));
        return child.ExitCode == 0 && line is not null ? DensityResult.Deserialize(line[DensityResult.Marker.Length..].Trim()) : null;
    }

    // One real migration of the idle firmware from an emulated device into a host; returns the arrival record.
    private static async Task<byte[]> CaptureAsync(string firmware, string work)
    {
        string state = Path.Combine(work, "capture-state");
        await using var host = new MigrationHost(new MigrationHostOptions { StateDirectory = state, SnapshotInterval = TimeSpan.Zero, ResumeStoredSystems = false });
        await host.StartAsync(CancellationToken.None).ConfigureAwait(false);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var listening = new TaskCompletionSource<IPEndPoint>();
        var listen = host.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0), stop.Token, listening.SetResult);
        var endpoint = await listening.Task.ConfigureAwait(false);
        using (var device = EmulatedDevice.Create(new EmulatedDeviceOptions
        {
            FirmwarePath = firmware,
            Link = $"tcp:{endpoint.Address}:{endpoint.Port}",
            Pacing = PacingMode.Deterministic,
            Trigger = DeviceTrigger.Parse("after=1.5s"),
        }))
        {
            await Task.Run(() => device.Run(stop.Token), stop.Token).ConfigureAwait(false);
            if (!device.Halted)
            {
                throw new InvalidOperationException("The idle firmware did not migrate (is it built with the DSMC?).");
            }
        }

        await stop.CancelAsync().ConfigureAwait(false);
        await listen.ConfigureAwait(false);
        var stored = new SystemStore(state).List().Single();
        var system = host.Find(stored.Id) ?? throw new InvalidOperationException("The host lost the captured system.");
        await host.StopAsync(system.Id, CancellationToken.None).ConfigureAwait(false);
        return await File.ReadAllBytesAsync(stored.RecordPath).ConfigureAwait(false);
    }

    internal static string FindRepositoryFile(string relative)
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{relative} not found above {Environment.CurrentDirectory}; pass --firmware PATH.");
    }

    private static string CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }

    internal static long GuestRamBytes(Machine machine) => machine.Bus.Regions.Where(r => r.Kind == RegionKind.Ram).Sum(r => (long)r.Size);
}
