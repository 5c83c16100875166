using System.Collections.Concurrent;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using Dsm.Emulation.CortexM3;
using Dsm.Emulation.CortexM3.Boards;
using Dsm.Emulation.CortexM3.Elf;
using Dsm.Peripherals.FM3;
using Dsm.Peripherals.FM3.Serial;
using Dsm.Peripherals.Mps2;

namespace Dsm.Benchmarks;

/// <summary>
/// Guest throughput on the sample RTOS (<c>samples/firmware/bin/app-BOARD-exit30.elf</c>): three tasks, a 1 kHz
/// SysTick, a PendSV switch on every delay, semaphore and round-robin turn, the board's application timer ISR,
/// 30 report lines on UART0 and a semihosting exit. Unlike the compute kernels, much of the work is exception
/// entry and return, so this is the engine's exception path under load. Each iteration builds a fresh machine
/// (not measured) and measures one <see cref="Machine.Run"/> to the exit; the output is checked after every
/// iteration (all 30 task A lines in sequence, no gap, the closing line), so a wrong engine fails the run.
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project benchmarks/Dsm.Benchmarks -- --filter '*Storm*' --job short</c>.</remarks>
[Config(typeof(StormConfig))]
public class RtosStormBenchmarks
{
    private static readonly ConcurrentDictionary<string, ulong> InstructionCounts = new(StringComparer.Ordinal);

    private ElfImage _image = null!;
    private BoardDefinition _board = null!;
    private Machine _machine = null!;
    private MemoryStream _output = new();
    private RunResult? _result;

    /// <summary>The board the sample was built for (its name in <c>dsm run --board</c>).</summary>
    [Params("mps2-an385", "mb9bf506n")]
    public string Board { get; set; } = string.Empty;

    /// <summary>Reads the image once per board.</summary>
    [GlobalSetup]
    public void LoadImage()
    {
        _image = ElfImage.Load(ImagePath(Board));
        _board = BoardFor(Board);
    }

    /// <summary>A fresh machine with the image loaded and the core reset (not measured).</summary>
    [IterationSetup]
    public void CreateMachine()
    {
        _output = new MemoryStream();
        _machine = Machine.Create(_board, new MachineOptions { StandardOutput = _output });
        _machine.LoadElf(_image);
        _machine.Reset();
        _result = null;
    }

    /// <summary>Runs the RTOS from reset to its semihosting exit after 30 report lines.</summary>
    /// <returns>Guest instructions executed.</returns>
    [Benchmark]
    public ulong RunToExit()
    {
        _result = _machine.Run();
        return _result.Instructions;
    }

    /// <summary>Checks the run's exit code and console output (not measured).</summary>
    [IterationCleanup]
    public void CheckRun()
    {
        if (_result is not null)
        {
            Check(Board, _result, _output.ToArray());
        }
    }

    private static string ImagePath(string board) =>
        Path.Combine(BenchFirmware.RepositoryRoot, "samples", "firmware", "bin", $"app-{board}-exit30.elf");

    // UART0 carries the console on both boards; the FM3 one must be routed to the machine's standard output.
    private static BoardDefinition BoardFor(string board) => board switch
    {
        "mps2-an385" => Mps2An385.Board,
        Mb9bf506nBoard.BoardName => Mb9bf506n.Definition([new UartBackendSpec(0, "stdio")]),
        _ => throw new ArgumentException($"No sample image for board '{board}'.", nameof(board)),
    };

    private static void Check(string board, RunResult result, byte[] output)
    {
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{board}: exit code {result.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "none"} ({result.StopReason}: {result.FaultDescription}), expected 0.");
        }

        string[] lines = System.Text.Encoding.ASCII.GetString(output).ReplaceLineEndings("\n").Split('\n');
        var taskA = lines.Where(l => l.StartsWith("A seq=", StringComparison.Ordinal)).ToList();
        bool inSequence = taskA.Count == 30 && taskA.Select((l, i) => l.StartsWith($"A seq={i + 1} tick={100 * (i + 1)} ", StringComparison.Ordinal)).All(ok => ok);
        if (!inSequence || !lines.Any(l => l.StartsWith("end lines=30 gaps=0 ", StringComparison.Ordinal)))
        {
            throw new InvalidOperationException($"{board}: the sample's report is not 30 task A lines in sequence ending with 'end lines=30 gaps=0'.");
        }

        InstructionCounts.TryAdd(board, result.Instructions);
    }

    // Architectural, so the summary process runs the sample once itself to learn it.
    private static ulong InstructionCount(string board) =>
        InstructionCounts.GetOrAdd(board, static name =>
        {
            var output = new MemoryStream();
            var machine = Machine.Create(BoardFor(name), new MachineOptions { StandardOutput = output });
            machine.LoadElf(ImagePath(name));
            machine.Reset();
            var result = machine.Run();
            Check(name, result, output.ToArray());
            return result.Instructions;
        });

    /// <summary>Adds Instructions, ns/instr and Guest MIPS columns, computed from the median time.</summary>
    private sealed class StormConfig : ManualConfig
    {
        public StormConfig()
        {
            AddColumn(StatisticColumn.Median);
            AddColumn(GuestColumns.Create(benchmarkCase =>
                benchmarkCase.Parameters["Board"] is string board ? InstructionCount(board) : null));
        }
    }
}
