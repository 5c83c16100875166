using Microsoft.Extensions.Logging;

namespace Dsm.Cli;

/// <summary>
/// Writes log messages synchronously to a <see cref="TextWriter"/> (the CLI's standard error) as
/// <c>dsm: warning: message</c>, so they interleave correctly with guest output and reach in-process callers.
/// </summary>
internal sealed class TextWriterLoggerProvider(TextWriter writer, LogLevel minimumLevel) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(writer, minimumLevel);

    public void Dispose()
    {
    }

    private sealed class Logger(TextWriter writer, LogLevel minimumLevel) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimumLevel && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            string level = logLevel switch
            {
                LogLevel.Trace => "trace",
                LogLevel.Debug => "debug",
                LogLevel.Information => "info",
                LogLevel.Warning => "warning",
                LogLevel.Error => "error",
                _ => "critical",
            };
            string message = formatter(state, exception);
            if (exception is not null)
            {
                message += $" ({exception.Message})";
            }

            lock (writer)
            {
                writer.WriteLine($"dsm: {level}: {message}");
            }
        }
    }
}
