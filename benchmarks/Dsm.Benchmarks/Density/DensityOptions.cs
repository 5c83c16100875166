using System.Globalization;

namespace Dsm.Benchmarks.Density;

/// <summary>Command line of the density benchmark.</summary>
internal sealed class DensityOptions
{
    public IReadOnlyList<int> Counts { get; private init; } = [50, 100, 200, 300, 400, 500, 600, 800, 1000];

    public double Seconds { get; private init; } = 10;

    public double WarmupSeconds { get; private init; } = 3;

    public int StopAfterFailures { get; private init; } = 2;

    public string? Firmware { get; private init; }

    public int? Point { get; private init; }

    public string? RecordPath { get; private init; }

    public static DensityOptions Parse(string[] args)
    {
        var counts = new DensityOptions().Counts;
        double seconds = 10, warmup = 3;
        int stopAfter = 2;
        string? firmware = null, record = null;
        int? point = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--density":
                    break;
                case "--counts":
                    counts = Next().Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray();
                    break;
                case "--seconds":
                    seconds = double.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--warmup":
                    warmup = double.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--stop-after":
                    stopAfter = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--firmware":
                    firmware = Next();
                    break;
                case "--density-point":
                    point = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--record":
                    record = Next();
                    break;
                default:
                    throw new ArgumentException($"unknown density option {args[i]} (--counts N,N,.. --seconds S --warmup S --stop-after K --firmware ELF)");
            }
        }

        return new DensityOptions { Counts = counts, Seconds = seconds, WarmupSeconds = warmup, StopAfterFailures = stopAfter, Firmware = firmware, Point = point, RecordPath = record };
    }

    // The options a child process needs to measure one point the same way.
    public IEnumerable<string> PassThrough() =>
    [
        "--seconds", Seconds.ToString(CultureInfo.InvariantCulture),
        "--warmup", WarmupSeconds.ToString(CultureInfo.InvariantCulture),
    ];
}
