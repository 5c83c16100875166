using System.Globalization;
using System.Text.Json;

namespace Dsm.Benchmarks.Density;

/// <summary>The figures of one hosted-system count.</summary>
internal sealed record DensityResult
{
    public const string Marker = "DENSITY-RESULT ";

    public const string TableHeader =
        "| N | lag p50 | lag p99 | lag max | wake-ups/s | scheduler busy | process CPU | CPU per system | guest/wall min | lag resets | GCs (pause) | managed/system | working set/system | beyond guest RAM | load (1/5/15) |\n" +
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|";

    public int Systems { get; init; }

    public TimeSpan LagP50 { get; init; }

    public TimeSpan LagP99 { get; init; }

    public TimeSpan LagMax { get; init; }

    public double WakeupsPerSecond { get; init; }

    /// <summary>Fraction of wall time the scheduler thread spent outside its wait.</summary>
    public double SchedulerBusy { get; init; }

    /// <summary>Process CPU time over wall time (1.0 = one core).</summary>
    public double ProcessCpu { get; init; }

    /// <summary>The slowest system's guest seconds per wall second over the window.</summary>
    public double SlowestGuestRate { get; init; }

    public long LagResets { get; init; }

    public long ManagedBytesPerSystem { get; init; }

    public long WorkingSetBytesPerSystem { get; init; }

    public long GuestRamBytes { get; init; }

    public double ConsoleLinesPerSecond { get; init; }

    /// <summary>Garbage collections (any generation) during the window: each stops the scheduler thread.</summary>
    public int Collections { get; init; }

    /// <summary>Total time the GC paused the process during the window.</summary>
    public TimeSpan GcPause { get; init; }

    public double AllocatedBytesPerSecond { get; init; }

    /// <summary>Every system kept real time: none gave up lost time and the slowest ran at least 99.9% of wall time.</summary>
    public bool KeptUp => LagResets == 0 && SlowestGuestRate >= 0.999;

    public string MemoryPerSystemText =>
        $"{Mib(WorkingSetBytesPerSystem)} MiB working set and {Mib(ManagedBytesPerSystem)} MiB managed per system, guest RAM {GuestRamBytes / 1024} KiB";

    public string TableRow(string load) =>
        FormattableString.Invariant(
            $"| {Systems} | {Ms(LagP50)} | {Ms(LagP99)} | {Ms(LagMax)} | {WakeupsPerSecond:F0} | {SchedulerBusy:P0} | {ProcessCpu:P0} | {ProcessCpu / Systems * 100:F3}% | {SlowestGuestRate:F3} | {LagResets} | {Collections} ({Ms(GcPause)}) | {Mib(ManagedBytesPerSystem)} MiB | {Mib(WorkingSetBytesPerSystem)} MiB | {Mib(Math.Max(ManagedBytesPerSystem, WorkingSetBytesPerSystem) - GuestRamBytes)} MiB | {load} |");

    public string Serialize() => JsonSerializer.Serialize(this);

    public static DensityResult? Deserialize(string json) => JsonSerializer.Deserialize<DensityResult>(json);

    private static string Ms(TimeSpan t) => (t.TotalMilliseconds).ToString("F3", CultureInfo.InvariantCulture) + " ms";

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024)).ToString("F2", CultureInfo.InvariantCulture);
}
