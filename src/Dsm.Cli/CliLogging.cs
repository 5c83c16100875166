using Microsoft.Extensions.Logging;

namespace Dsm.Cli;

/// <summary>Logging for commands: one-line messages on standard error.</summary>
internal static class CliLogging
{
    public static ILoggerFactory Create(TextWriter error, LogLevel level) =>
        LoggerFactory.Create(logging =>
        {
            logging.SetMinimumLevel(level);
            logging.AddProvider(new TextWriterLoggerProvider(error, level));
        });
}
