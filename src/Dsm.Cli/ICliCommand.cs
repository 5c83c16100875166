namespace Dsm.Cli;

/// <summary>One <c>dsm</c> sub-command (<c>run</c>; later <c>host</c>, <c>device</c>, <c>demo</c>).</summary>
public interface ICliCommand
{
    /// <summary>The word that selects the command.</summary>
    string Name { get; }

    /// <summary>One-line summary for <c>dsm --help</c>.</summary>
    string Summary { get; }

    /// <summary>Usage line after <c>dsm</c>, e.g. <c>run FILE.elf [options]</c>.</summary>
    string Usage { get; }

    /// <summary>Paragraph of help shown by <c>dsm NAME --help</c> above the options.</summary>
    string Description { get; }

    /// <summary>The options the command accepts (<c>--help</c> is added by the application).</summary>
    IReadOnlyList<OptionSpec> Options { get; }

    /// <summary>Runs the command.</summary>
    /// <param name="arguments">Parsed arguments.</param>
    /// <param name="context">Console and shared services.</param>
    /// <param name="cancellationToken">Fires on Ctrl+C.</param>
    /// <returns>The process exit code.</returns>
    Task<int> ExecuteAsync(CommandLineArguments arguments, CliContext context, CancellationToken cancellationToken);
}

/// <summary>What commands run with: the console and the board registry.</summary>
/// <param name="Out">Standard output (guest output goes here too).</param>
/// <param name="Error">Standard error: diagnostics, statistics, traces.</param>
/// <param name="Input">Standard input for the guest.</param>
/// <param name="Boards">Known boards.</param>
/// <param name="InputIsInteractive">Whether standard input and output are a terminal.</param>
public sealed record CliContext(TextWriter Out, TextWriter Error, Stream Input, BoardRegistry Boards, bool InputIsInteractive = false);
