using BenchmarkDotNet.Running;

namespace Dsm.Benchmarks;

/// <summary>Entry point: pick suites with BenchmarkDotNet's command line (for example --filter '*Protocol*' --job short).</summary>
public static class Program
{
    /// <summary>Runs the selected benchmarks.</summary>
    /// <param name="args">BenchmarkDotNet arguments.</param>
    /// <returns>Process exit code.</returns>
    public static int Main(string[] args)
    {
        // --density: the hosting-density ramp, a console runner of its own (see docs/performance.md).
        if (args.Length > 0 && args[0] is "--density" or "--density-point")
        {
            return Density.DensityBenchmark.RunAsync(args).GetAwaiter().GetResult();
        }

        if (args.Length > 0 && args[0] == "--idle-cost")
        {
            return Density.IdleCost.RunFromCommandLine(args);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
