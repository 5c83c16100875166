using System.Reflection;
using System.Text;

namespace Dsm.Cli;

/// <summary>
/// The <c>dsm</c> application: picks the command, parses its options, prints help and version, and turns
/// every failure into a message and an exit code (see <see cref="ExitCodes"/>), never a stack trace.
/// Callable in-process: tests pass their own writers.
/// </summary>
public static class CliApp
{
    private static readonly OptionSpec HelpOption = new("help", null, "Show help", 'h');

    /// <summary>The commands, in help order.</summary>
    internal static IReadOnlyList<ICliCommand> Commands { get; } = [new RunCommand(), new DemoCommand(), new HostCommand(), new DeviceCommand()];

    /// <summary>The tool's version (the assembly's informational version without build metadata).</summary>
    public static string Version
    {
        get
        {
            string? version = typeof(CliApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
            return version?.Split('+')[0] ?? typeof(CliApp).Assembly.GetName().Version?.ToString() ?? "unknown";
        }
    }

    /// <summary>Runs <c>dsm</c> with <paramref name="args"/>; guest input is empty.</summary>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="stdout">Standard output.</param>
    /// <param name="stderr">Standard error.</param>
    /// <param name="cancellationToken">Stops a running guest (as Ctrl+C does).</param>
    /// <returns>The exit code.</returns>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default) =>
        RunAsync(args, new CliContext(stdout, stderr, Stream.Null, BoardRegistry.CreateDefault()), cancellationToken);

    /// <summary>Runs <c>dsm</c> with <paramref name="args"/> in <paramref name="context"/>.</summary>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="context">Console streams and boards.</param>
    /// <param name="cancellationToken">Stops a running guest (as Ctrl+C does).</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(context);
        var error = context.Error;
        try
        {
            if (args.Length == 0)
            {
                error.Write(GeneralHelp());
                return ExitCodes.Usage;
            }

            string first = args[0];
            if (first is "-h" or "--help" or "help")
            {
                if (first == "help" && args.Length > 1)
                {
                    return ShowCommandHelp(args[1], context);
                }

                context.Out.Write(GeneralHelp());
                return ExitCodes.Success;
            }

            if (first == "--version")
            {
                context.Out.WriteLine($"dsm {Version}");
                return ExitCodes.Success;
            }

            var command = Commands.FirstOrDefault(c => c.Name == first)
                ?? throw new UsageException(first.StartsWith('-') ? $"unknown option '{first}'" : $"unknown command '{first}'");
            var rest = args.Skip(1).ToList();
            var parsed = CommandLineArguments.Parse(rest, command.Options.Append(HelpOption).ToList());
            if (parsed.Has(HelpOption.Name))
            {
                context.Out.Write(CommandHelp(command));
                return ExitCodes.Success;
            }

            return await command.ExecuteAsync(parsed, context, cancellationToken).ConfigureAwait(false);
        }
        catch (UsageException e)
        {
            error.WriteLine($"dsm: {e.Message}");
            error.WriteLine("Run 'dsm --help' for usage.");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Never a stack trace: one paragraph naming what failed.
            error.WriteLine($"dsm: internal error ({e.GetType().Name}): {e.Message}");
            return ExitCodes.Internal;
        }
        finally
        {
            await context.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            await error.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static int ShowCommandHelp(string name, CliContext context)
    {
        var command = Commands.FirstOrDefault(c => c.Name == name) ?? throw new UsageException($"unknown command '{name}'");
        context.Out.Write(CommandHelp(command));
        return ExitCodes.Success;
    }

    internal static string GeneralHelp()
    {
        var text = new StringBuilder();
        text.AppendLine($"dsm {Version}: run Cortex-M3 firmware; live-migrate running IoT systems");
        text.AppendLine();
        text.AppendLine("Usage: dsm <command> [options]");
        text.AppendLine("       dsm <command> --help");
        text.AppendLine();
        text.AppendLine("Commands:");
        foreach (var command in Commands)
        {
            text.AppendLine($"  {command.Name,-8} {command.Summary}");
        }

        text.AppendLine();
        text.AppendLine("Options:");
        text.AppendLine("  -h, --help   Show this help");
        text.AppendLine("  --version    Show the version");
        text.AppendLine();
        text.AppendLine("Boards:");
        foreach (var board in BoardRegistry.CreateDefault().Boards)
        {
            text.AppendLine($"  {board.Name,-12} {board.Description}");
        }

        text.AppendLine();
        text.AppendLine(ExitCodes.HelpTable);
        return text.ToString();
    }

    internal static string CommandHelp(ICliCommand command)
    {
        var text = new StringBuilder();
        text.AppendLine($"Usage: dsm {command.Usage}");
        text.AppendLine();
        text.AppendLine(command.Description);
        text.AppendLine();
        text.AppendLine("Options:");
        var options = command.Options.Append(HelpOption).ToList();
        int width = options.Max(o => o.Synopsis.Length) + 2;
        foreach (var option in options)
        {
            text.AppendLine($"  {option.Synopsis.PadRight(width)}{option.Description}");
        }

        text.AppendLine();
        text.AppendLine(ExitCodes.HelpTable);
        return text.ToString();
    }
}
