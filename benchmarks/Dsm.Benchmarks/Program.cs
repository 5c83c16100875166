using BenchmarkDotNet.Running;
using Dsm.Benchmarks.Migration;

namespace Dsm.Benchmarks;

/// <summary>
/// Entry point: pick suites with BenchmarkDotNet's command line (for example --filter '*Protocol*' --job short),
/// or run the migration-cost runner with <c>migration [options]</c>, the hosting-density ramp with
/// <c>--density [options]</c>, the idle engine cost with <c>--idle-cost N --record FILE</c> or the peripheral path's
/// warm-up with <c>--peripheral-warmup</c> (docs/performance.md).
/// </summary>
public static class Program
{
    /// <summary>Runs the selected benchmarks.</summary>
    /// <param name="args">BenchmarkDotNet arguments, or a runner's name and its options.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "migration")
        {
            return await MigrationCostRunner.RunAsync(args[1..]).ConfigureAwait(false);
        }

        if (args.Length > 0 && args[0] is "--density" or "--density-point")
        {
            return await Density.DensityBenchmark.RunAsync(args).ConfigureAwait(false);
        }

        if (args.Length > 0 && args[0] == "--peripheral-warmup")
        {
            return PeripheralWarmUp.Run(args);
        }

        if (args.Length > 0 && args[0] == "--idle-cost")
        {
            return Density.IdleCost.RunFromCommandLine(args);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
