using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dsm.Benchmarks.Migration;

/// <summary>
/// The host's log on standard error when <c>DSM_BENCH_LOG</c> names a level (for example <c>Debug</c>), so a round
/// that stalls can be read; otherwise nothing is logged, which keeps logging out of the measured times.
/// </summary>
internal static class StderrLoggerFactory
{
    public static ILoggerFactory Create()
    {
        string? level = Environment.GetEnvironmentVariable("DSM_BENCH_LOG");
        return level is null || !Enum.TryParse(level, ignoreCase: true, out LogLevel minimum)
            ? NullLoggerFactory.Instance
            : new Factory(minimum);
    }

    private sealed class Factory(LogLevel minimum) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, minimum);

        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

        public void Dispose()
        {
        }
    }

    private sealed class Logger(string category, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? string.Empty : " " + exception.Message)}");
            }
        }
    }
}
