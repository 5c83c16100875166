using System.Text;

namespace Dsm.Cli;

/// <summary>Process entry point of the <c>dsm</c> tool.</summary>
public static class Program
{
    /// <summary>Runs <c>dsm</c> on the process's console; Ctrl+C stops a running guest.</summary>
    /// <param name="args">Command-line arguments.</param>
    /// <returns>The exit code (see <see cref="ExitCodes"/>).</returns>
    public static async Task<int> Main(string[] args)
    {
        // Writers straight over the standard streams: guest bytes pass through unchanged (see TextWriterStream).
        var encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        await using var stdout = new StreamWriter(Console.OpenStandardOutput(), encoding) { AutoFlush = true };
        await using var stderr = new StreamWriter(Console.OpenStandardError(), encoding) { AutoFlush = true };
        await using var stdin = Console.OpenStandardInput();
        using var interrupt = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // The first Ctrl+C stops the guest cleanly; a second one ends the process.
            e.Cancel = !interrupt.IsCancellationRequested;
            interrupt.Cancel();
        };

        var context = new CliContext(stdout, stderr, stdin, BoardRegistry.CreateDefault(), !Console.IsInputRedirected && !Console.IsOutputRedirected);
        return await CliApp.RunAsync(args, context, interrupt.Token).ConfigureAwait(false);
    }
}
