using Dsm.Emulation.CortexM3;
using Dsm.Emulation.CortexM3.Boards;
using Microsoft.Extensions.Logging;

namespace Dsm.Peripherals.Mps2.Tests;

/// <summary>A whole AN385 machine driven by bus accesses and virtual time (the core does not run).</summary>
internal sealed class Harness : IDisposable
{
    private const uint Ispr = 0xE000_E200;
    private const uint Icpr = 0xE000_E280;

    public Harness(BoardDefinition? board = null, Stream? console = null)
    {
        Machine = Machine.Create(board ?? Mps2An385.Board, new MachineOptions { StandardOutput = console }, new ListLoggerFactory(Log));
        Machine.Reset();
    }

    public Machine Machine { get; }

    public List<string> Log { get; } = new();

    public Mps2An385Board Board => Machine.GetDevice<Mps2An385Board>(Mps2An385.DeviceName);

    public ulong Now => Machine.Scheduler.Now;

    public void Write(uint address, uint value, int size = 4) =>
        Assert.That(Machine.Bus.TryWrite(address, size, value), Is.True, $"write 0x{address:X8}");

    public uint Read(uint address, int size = 4)
    {
        Assert.That(Machine.Bus.TryRead(address, size, out uint value), Is.True, $"read 0x{address:X8}");
        return value;
    }

    public void Advance(ulong cycles) => Machine.Scheduler.AdvanceTo(Machine.Scheduler.Now + cycles);

    /// <summary>Whether the NVIC holds <paramref name="irq"/> pending.</summary>
    public bool Pending(int irq) => (Read(Ispr) & (1u << irq)) != 0;

    /// <summary>Clears the pending bit (a level still asserted pends it again).</summary>
    public void ClearPending(int irq) => Write(Icpr, 1u << irq);

    public void Dispose() => Board.Dispose();

    private sealed class ListLoggerFactory(List<string> log) : ILoggerFactory, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (log)
            {
                log.Add(formatter(state, exception));
            }
        }
    }
}
