using System.Collections.Concurrent;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Dsm.Emulation.CortexM3;
using Dsm.Emulation.CortexM3.Elf;
using Dsm.Peripherals.Mps2;

namespace Dsm.Benchmarks;

/// <summary>
/// Guest throughput of the Cortex-M3 engine on the committed compute kernels
/// (<c>tests/firmware/bin/bench_*.elf</c>, 1e8-3e8 guest instructions each) on the MPS2-AN385 board.
/// Each iteration builds a fresh machine (cold decoded-instruction cache, as <c>dsm run</c> has) in
/// <see cref="CreateMachine"/>, outside the measurement, and the measurement is one <see cref="Machine.Run"/>
/// to the guest's semihosting exit. The guest's output and exit code are checked against QEMU's recording
/// (<c>tests/firmware/expected</c>) after every iteration, so a fast but wrong engine fails the run.
/// The summary adds the guest instruction count, nanoseconds per guest instruction and guest MIPS.
/// </summary>
/// <remarks>
/// Run: <c>dotnet run -c Release --project benchmarks/Dsm.Benchmarks -- --filter '*Emulation*' --job short</c>.
/// The RTOS context-switch workload is <see cref="RtosStormBenchmarks"/>; state export/import is <see cref="MachineStateBenchmarks"/>.
/// </remarks>
[Config(typeof(GuestThroughputConfig))]
public class EmulationBenchmarks
{
    private ElfImage _image = null!;
    private string _expectedOutput = string.Empty;
    private int _expectedExitCode;
    private Machine _machine = null!;
    private MemoryStream _output = new();
    private RunResult? _result;

    /// <summary>The kernel: <c>bench_{Workload}.elf</c>.</summary>
    [ParamsSource(nameof(Workloads))]
    public string Workload { get; set; } = string.Empty;

    /// <summary>Every committed full-size kernel (bench_*.elf without the _quick ones), by name.</summary>
    public static IEnumerable<string> Workloads => BenchFirmware.Workloads();

    /// <summary>Reads the ELF image and QEMU's recorded output once per workload.</summary>
    [GlobalSetup]
    public void LoadImage()
    {
        _image = ElfImage.Load(BenchFirmware.ImagePath(Workload));
        (_expectedOutput, _expectedExitCode) = BenchFirmware.Expected(Workload);
    }

    /// <summary>A fresh machine with the image loaded and the core reset (not measured).</summary>
    [IterationSetup]
    public void CreateMachine()
    {
        _output = new MemoryStream();
        _machine = Machine.Create(Mps2An385.Board, new MachineOptions { StandardOutput = _output });
        _machine.LoadElf(_image);
        _machine.Reset();
        _result = null;
    }

    /// <summary>Runs the guest from reset to its semihosting exit.</summary>
    /// <returns>Guest instructions executed.</returns>
    [Benchmark]
    public ulong RunToExit()
    {
        _result = _machine.Run();
        return _result.Instructions;
    }

    /// <summary>Checks the run against QEMU's recording (not measured).</summary>
    [IterationCleanup]
    public void CheckRun()
    {
        if (_result is null)
        {
            return;
        }

        BenchFirmware.Check(Workload, _result, _output.ToArray(), _expectedOutput, _expectedExitCode);
    }

    /// <summary>Adds Instructions, ns/instr and Guest MIPS columns, computed from the median time.</summary>
    private sealed class GuestThroughputConfig : ManualConfig
    {
        public GuestThroughputConfig()
        {
            AddColumn(StatisticColumn.Median);
            AddColumn(GuestColumns.Create(benchmarkCase =>
                benchmarkCase.Parameters["Workload"] is string workload ? BenchFirmware.InstructionCount(workload) : null));
        }
    }
}

/// <summary>Summary columns derived from a guest instruction count and the median time.</summary>
internal static class GuestColumns
{
    /// <summary>Instructions, ns/instr and Guest MIPS columns.</summary>
    /// <param name="instructions">Guest instructions of one run of a case; null when unknown.</param>
    /// <returns>The columns.</returns>
    public static IColumn[] Create(Func<BenchmarkCase, ulong?> instructions) =>
    [
        new GuestColumn("Instructions", "Guest instructions per run (counted by the engine; architectural, so the same on every host)", 0, instructions, (count, _) => count.ToString(CultureInfo.InvariantCulture)),
        new GuestColumn("ns/instr", "Median host nanoseconds per guest instruction", 1, instructions, (count, medianNs) => (medianNs / count).ToString("F2", CultureInfo.InvariantCulture)),
        new GuestColumn("Guest MIPS", "Million guest instructions per host second, from the median time", 2, instructions, (count, medianNs) => (count / medianNs * 1e3).ToString("F1", CultureInfo.InvariantCulture)),
    ];

    private sealed class GuestColumn(string name, string legend, int priority, Func<BenchmarkCase, ulong?> instructions, Func<ulong, double, string> format) : IColumn
    {
        public string Id => "Guest." + name;

        public string ColumnName => name;

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => priority;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => legend;

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
        {
            var statistics = summary[benchmarkCase]?.ResultStatistics;
            if (statistics is null || instructions(benchmarkCase) is not ulong count)
            {
                return "NA";
            }

            return format(count, statistics.Median);
        }

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public bool IsAvailable(Summary summary) => true;
    }
}

/// <summary>The committed benchmark firmware (tests/firmware) and how to find and check it.</summary>
public static class BenchFirmware
{
    private static readonly ConcurrentDictionary<string, ulong> InstructionCounts = new(StringComparer.Ordinal);

    /// <summary>The repository root: <c>DSM_REPO_ROOT</c> if set, else the first directory holding Dsm.sln above the binaries or the working directory.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>Directory of the committed images.</summary>
    public static string BinDirectory => Path.Combine(RepositoryRoot, "tests", "firmware", "bin");

    /// <summary>Names of the full-size kernels (bench_NAME.elf, not bench_NAME_quick.elf), sorted.</summary>
    /// <returns>The names.</returns>
    public static IEnumerable<string> Workloads() =>
        Directory.EnumerateFiles(BinDirectory, "bench_*.elf")
            .Select(p => Path.GetFileNameWithoutExtension(p)["bench_".Length..])
            .Where(n => !n.EndsWith("_quick", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>Path of a kernel's image.</summary>
    /// <param name="workload">Kernel name ("crc32").</param>
    /// <returns>The path.</returns>
    public static string ImagePath(string workload) => Path.Combine(BinDirectory, $"bench_{workload}.elf");

    /// <summary>QEMU's recorded stdout and exit code for a kernel.</summary>
    /// <param name="workload">Kernel name.</param>
    /// <returns>Output text and exit code.</returns>
    public static (string Output, int ExitCode) Expected(string workload)
    {
        string expected = Path.Combine(RepositoryRoot, "tests", "firmware", "expected", $"bench_{workload}");
        return (File.ReadAllText(expected + ".txt"), int.Parse(File.ReadAllText(expected + ".exitcode").Trim(), CultureInfo.InvariantCulture));
    }

    /// <summary>Throws unless a run exited with QEMU's exit code and printed QEMU's output.</summary>
    /// <param name="workload">Kernel name (for the message).</param>
    /// <param name="result">The run.</param>
    /// <param name="output">Guest stdout bytes.</param>
    /// <param name="expectedOutput">QEMU's stdout.</param>
    /// <param name="expectedExitCode">QEMU's exit code.</param>
    public static void Check(string workload, RunResult result, byte[] output, string expectedOutput, int expectedExitCode)
    {
        if (result.ExitCode != expectedExitCode)
        {
            throw new InvalidOperationException($"bench_{workload}: exit code {result.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "none"} ({result.StopReason}: {result.FaultDescription}), QEMU's is {expectedExitCode}.");
        }

        string text = System.Text.Encoding.UTF8.GetString(output);
        if (!string.Equals(text.ReplaceLineEndings("\n"), expectedOutput.ReplaceLineEndings("\n"), StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"bench_{workload}: output differs from QEMU's recording: got '{text.Trim()}', expected '{expectedOutput.Trim()}'.");
        }

        InstructionCounts.TryAdd(workload, result.Instructions);
    }

    /// <summary>
    /// Guest instructions one run of the kernel executes. The count is architectural (it depends only on the
    /// image), so the summary process obtains it by running the kernel once itself, after the measurements.
    /// </summary>
    /// <param name="workload">Kernel name.</param>
    /// <returns>The count.</returns>
    public static ulong InstructionCount(string workload) =>
        InstructionCounts.GetOrAdd(workload, static name =>
        {
            var output = new MemoryStream();
            var machine = Machine.Create(Mps2An385.Board, new MachineOptions { StandardOutput = output });
            machine.LoadElf(ImagePath(name));
            machine.Reset();
            var result = machine.Run();
            var (text, exitCode) = Expected(name);
            Check(name, result, output.ToArray(), text, exitCode);
            return result.Instructions;
        });

    private static string FindRepositoryRoot()
    {
        if (Environment.GetEnvironmentVariable("DSM_REPO_ROOT") is { Length: > 0 } configured)
        {
            return Path.GetFullPath(configured);
        }

        foreach (string start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Dsm.sln")))
                {
                    return directory.FullName;
                }
            }
        }

        throw new DirectoryNotFoundException($"No Dsm.sln above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}; set DSM_REPO_ROOT.");
    }
}
