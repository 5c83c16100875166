using System.Globalization;
using Dsm.Emulation.CortexM3;
using Dsm.Emulation.CortexM3.Cpu;
using Dsm.Emulation.CortexM3.Elf;
using Dsm.Emulation.CortexM3.Semihosting;
using Dsm.Emulation.CortexM3.Timing;
using Dsm.Peripherals.FM3;
using Microsoft.Extensions.Logging;

namespace Dsm.Cli;

/// <summary><c>dsm run FILE.elf</c>: loads an image, resets the board and runs it until the guest exits.</summary>
internal sealed class RunCommand : ICliCommand
{
    public string Name => "run";

    public string Summary => "Run an ELF firmware image until it exits through semihosting";

    public string Usage => "run FILE.elf [options] [-- GUEST-ARGUMENTS...]";

    public string Description =>
        $"""
        Loads FILE.elf into the board's memory, resets the core (SP and PC come from the vector table at
        address 0) and runs it until the guest exits through Arm semihosting (SYS_EXIT or
        SYS_EXIT_EXTENDED, as under qemu-system-arm -semihosting). Guest output (semihosting stdout and
        the board's console UART) goes to standard output, semihosting stderr to standard error. dsm
        exits with the guest's exit code. Arguments after -- are appended to the command line the guest
        reads with SYS_GET_CMDLINE (which starts with FILE.elf). Default board: {BoardRegistry.DefaultBoardName}.

        Time is deterministic by default: virtual time counts core cycles, and a guest sleeping in WFI/WFE
        jumps to its next timer event, so every run is the same. --realtime keeps virtual time in step with
        the wall clock instead (sleeps really wait), as a host running a migrated system does.
        --checkpoint-every N saves the whole machine to a state image every N instructions and continues on
        a new machine restored from it; the output is the same as without it.
        """;

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new OptionSpec("board", "NAME", $"Board to run on (default {BoardRegistry.DefaultBoardName})", 'b'),
        new OptionSpec("max-instructions", "N", "Stop with exit code 124 after N instructions (k/M/G suffixes allowed)", 'n'),
        new OptionSpec("stats", null, "Print instructions, cycles, host seconds and MIPS to standard error"),
        new OptionSpec("realtime", null, "Keep virtual time in step with the wall clock (default: deterministic, as fast as possible)"),
        new OptionSpec("checkpoint-every", "N", "Round-trip the machine through a state image every N instructions (k/M/G suffixes allowed)"),
        new OptionSpec("uart", "CH=BACKEND", "Connect UART CH (0-4 on mps2-an385, MFS 0-7 on mb9bf506n) to stdio, none, tcp:HOST:PORT or tcp-listen:HOST:PORT; repeatable", Repeatable: true),
        new OptionSpec("trace", null, "Print the address of every executed instruction to standard error (slow)"),
        new OptionSpec("verbose", null, "Log debug messages to standard error", 'v'),
    ];

    public Task<int> ExecuteAsync(CommandLineArguments arguments, CliContext context, CancellationToken cancellationToken)
    {
        if (arguments.Positional.Count != 1)
        {
            throw new UsageException(arguments.Positional.Count == 0 ? "run needs an ELF file" : $"run takes one ELF file, not {arguments.Positional.Count} arguments");
        }

        string path = arguments.Positional[0];
        string boardName = arguments.Get("board") ?? BoardRegistry.DefaultBoardName;
        var board = context.Boards.Create(boardName, arguments.GetAll("uart"));
        long maxInstructions = arguments.GetPositiveInteger("max-instructions", long.MaxValue);
        long checkpointEvery = arguments.GetPositiveInteger("checkpoint-every", 0);
        bool trace = arguments.Has("trace");
        var error = context.Error;

        ElfImage image;
        try
        {
            image = ElfImage.Load(path);
        }
        catch (ElfLoadException e)
        {
            error.WriteLine($"dsm: cannot run {path}: {e.Message}");
            return Task.FromResult(e.Problem == ElfProblem.Unreadable ? ExitCodes.Unreadable : ExitCodes.BadImage);
        }

        using var loggerFactory = LoggerFactory.Create(logging =>
        {
            var level = arguments.Has("verbose") ? LogLevel.Debug : LogLevel.Warning;
            logging.SetMinimumLevel(level);
            logging.AddProvider(new TextWriterLoggerProvider(error, level));
        });

        Machine? machine = null;
        var options = new MachineOptions
        {
            StandardOutput = new TextWriterStream(context.Out),
            StandardError = new TextWriterStream(error),
            StandardInput = context.Input,
            CommandLine = string.Join(' ', arguments.PassThrough.Prepend(path)),
            ConsoleIsInteractive = context.InputIsInteractive,
            PacingMode = arguments.Has("realtime") ? PacingMode.RealTime : PacingMode.Deterministic,
            InstructionTrace = trace ? pc => error.WriteLine($"trace: 0x{pc:X8} {machine?.DescribeAddress(pc)}".TrimEnd()) : null,
        };
        machine = Machine.Create(board, options, loggerFactory);
        var firstMachine = machine;
        try
        {
            try
            {
                machine.LoadElf(image);
            }
            catch (ElfLoadException e)
            {
                error.WriteLine($"dsm: cannot run {path}: {e.Message}");
                return Task.FromResult(ExitCodes.BadImage);
            }

            machine.Reset();
            RunResult result;
            if (checkpointEvery == 0)
            {
                result = machine.Run(maxInstructions, cancellationToken);
            }
            else
            {
                // Fresh machines are built without host channels: the first machine's channels move over.
                var bareBoard = context.Boards.Create(boardName, []);
                result = RunWithCheckpoints(ref machine, checkpointEvery, maxInstructions, () =>
                {
                    var fresh = Machine.Create(bareBoard, options, loggerFactory);
                    fresh.LoadElf(image);
                    return fresh;
                }, cancellationToken);
            }

            context.Out.Flush();
            if (arguments.Has("stats"))
            {
                WriteStatistics(error, result);
            }

            int exitCode = Conclude(path, result, error);
            error.Flush();
            return Task.FromResult(exitCode);
        }
        finally
        {
            ReleaseHostChannels(firstMachine);
        }
    }

    /// <summary>
    /// Runs <paramref name="machine"/> in stretches of <paramref name="interval"/> instructions; after each, exports its
    /// state and continues on a new machine that imported it. The results are summed into one.
    /// </summary>
    internal static RunResult RunWithCheckpoints(ref Machine machine, long interval, long maxInstructions, Func<Machine> createFresh, CancellationToken cancellationToken)
    {
        ulong instructions = 0, cycles = 0;
        var elapsed = TimeSpan.Zero;
        long remaining = maxInstructions;
        while (true)
        {
            var part = machine.Run(Math.Min(interval, remaining), cancellationToken);
            instructions += part.Instructions;
            cycles += part.Cycles;
            elapsed += part.Elapsed;
            remaining -= (long)Math.Min((ulong)remaining, part.Instructions);
            if (part.StopReason != StopReason.InstructionLimit || remaining == 0)
            {
                return part with { Instructions = instructions, Cycles = cycles, Elapsed = elapsed };
            }

            byte[] state = machine.ExportState();
            var fresh = createFresh();
            fresh.ImportState(state);
            MoveHostChannels(machine, fresh);
            machine = fresh;
        }
    }

    private static void MoveHostChannels(Machine from, Machine to)
    {
        if (from.Devices.GetValueOrDefault(Mb9bf506n.DeviceName) is Mb9bf506n.ResettableBoard source
            && to.Devices.GetValueOrDefault(Mb9bf506n.DeviceName) is Mb9bf506n.ResettableBoard target)
        {
            for (int channel = 0; channel < source.Board.Serial.Count; channel++)
            {
                target.Board.Serial[channel].Attach(source.Board.Serial[channel].Backend);
            }
        }
    }

    private static void ReleaseHostChannels(Machine machine)
    {
        if (machine.Devices.GetValueOrDefault(Mb9bf506n.DeviceName) is Mb9bf506n.ResettableBoard board)
        {
            board.Board.Dispose();
        }
    }

    private static int Conclude(string path, RunResult result, TextWriter error)
    {
        if (result.ExitCode is { } guestExitCode)
        {
            return guestExitCode;
        }

        if (result.Cancelled)
        {
            error.WriteLine($"dsm: {path}: interrupted after {result.Instructions} instructions.");
            return ExitCodes.Interrupted;
        }

        error.Write($"dsm: {path}: {result.FaultDescription}");
        return result.StopReason == StopReason.InstructionLimit ? ExitCodes.InstructionLimit : ExitCodes.GuestFault;
    }

    private static void WriteStatistics(TextWriter error, RunResult result)
    {
        var invariant = CultureInfo.InvariantCulture;
        error.WriteLine("dsm: statistics");
        error.WriteLine(string.Create(invariant, $"  guest instructions  {result.Instructions}"));
        error.WriteLine(string.Create(invariant, $"  guest cycles        {result.Cycles}"));
        error.WriteLine(string.Create(invariant, $"  host seconds        {result.Elapsed.TotalSeconds:F3}"));
        error.WriteLine(string.Create(invariant, $"  MIPS                {result.Mips:F2}"));
    }
}
