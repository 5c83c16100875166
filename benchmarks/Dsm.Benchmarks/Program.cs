using BenchmarkDotNet.Running;

namespace Dsm.Benchmarks;

/// <summary>Entry point: pick suites with BenchmarkDotNet's command line (for example --filter '*Protocol*' --job short).</summary>
public static class Program
{
    /// <summary>Runs the selected benchmarks.</summary>
    /// <param name="args">BenchmarkDotNet arguments.</param>
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
