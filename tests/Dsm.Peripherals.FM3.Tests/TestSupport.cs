using System.Collections.Concurrent;
using Dsm.Emulation.CortexM3.Memory;
using Dsm.Emulation.CortexM3.SystemControl;
using Dsm.Emulation.CortexM3.Timing;
using Dsm.Peripherals.FM3;
using Dsm.Peripherals.FM3.Clock;
using Microsoft.Extensions.Logging;

namespace Dsm.Peripherals.FM3.Tests;

/// <summary>NVIC lines that remember each line's level and count rising edges.</summary>
internal sealed class RecordingInterruptLines : IInterruptLines
{
    public bool[] Levels { get; } = new bool[48];

    public int[] RisingEdges { get; } = new int[48];

    public int Count => 48;

    public void SetLevel(int irq, bool asserted)
    {
        if (asserted && !Levels[irq])
        {
            RisingEdges[irq]++;
        }

        Levels[irq] = asserted;
    }

    public void Pulse(int irq) => RisingEdges[irq]++;
}

/// <summary>A logger that keeps every message.</summary>
internal sealed class RecordingLogger : ILogger
{
    public List<string> Messages { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => Messages.Add(formatter(state, exception));
}

/// <summary>Hands out one recording logger for every category.</summary>
internal sealed class RecordingLoggerFactory(RecordingLogger logger) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => logger;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }
}

/// <summary>
/// A whole MB9BF506N board on a bus, driven by register accesses and virtual time. With <c>hostInputQueue</c> the board
/// gets a host-input queue as a machine gives it (<see cref="Mb9bf506nWiring.PostHostInput"/>): posted actions run at
/// the start of the next <see cref="Advance"/>, as a machine runs them at the next slice boundary.
/// </summary>
internal sealed class BoardHarness : IDisposable
{
    private readonly ConcurrentQueue<Action> _hostInputs = new();

    public BoardHarness(bool disableHardwareWatchdog = true, bool hostInputQueue = false)
    {
        Bus = new MemoryBus();
        Scheduler = new EventScheduler(Mb9bf506nBoard.ResetCoreClockHz);
        Board = Mb9bf506nBoard.Create(Bus, Scheduler,
            new Mb9bf506nWiring(Irqs, () => NmiCount++, cause => ResetRequests.Add(cause), hostInputQueue ? _hostInputs.Enqueue : null),
            new RecordingLoggerFactory(Logger));
        if (disableHardwareWatchdog)
        {
            DisableHardwareWatchdog();
        }
    }

    public MemoryBus Bus { get; }

    public EventScheduler Scheduler { get; }

    public RecordingInterruptLines Irqs { get; } = new();

    public RecordingLogger Logger { get; } = new();

    public Mb9bf506nBoard Board { get; }

    public int NmiCount { get; private set; }

    public List<Fm3ResetCause> ResetRequests { get; } = new();

    public uint Read(uint address, int size = 4)
    {
        Assert.That(Bus.TryRead(address, size, out uint value), Is.True, $"bus error reading 0x{address:X8}");
        return value;
    }

    public void Write(uint address, uint value, int size = 4)
        => Assert.That(Bus.TryWrite(address, size, value), Is.True, $"bus error writing 0x{address:X8}");

    /// <summary>Actions posted to the host-input queue and not yet run.</summary>
    public int PendingHostInputs => _hostInputs.Count;

    public void Advance(ulong cycles)
    {
        while (_hostInputs.TryDequeue(out var input))
        {
            input();
        }

        Scheduler.AdvanceTo(Scheduler.Now + cycles);
    }

    public void DisableHardwareWatchdog()
    {
        Write(0x4001_1C00, 0x1ACC_E551);
        Write(0x4001_1C00, 0xE533_1AAE);
        Write(0x4001_1008, 0, 1);
    }

    /// <summary>
    /// The vendor SystemInit's clock sequence (values of the FreeRTOS MB9BF506N copy): prescalers, main
    /// oscillator, PLL to 80 MHz, switch. Each poll loop advances virtual time as a spinning core would.
    /// Returns the number of polls.
    /// </summary>
    public int RunVendorClockSetup(uint apbc1 = 0x82)
    {
        const uint crg = 0x4001_0000;
        Write(crg + 0x10, 0x00, 1); // BSC_PSR: HCLK = master
        Write(crg + 0x14, 0x01, 1); // APBC0_PSR: /2
        Write(crg + 0x18, apbc1, 1); // APBC1_PSR
        Write(crg + 0x1C, 0x81, 1); // APBC2_PSR: /2, enabled
        Write(crg + 0x20, 0x83, 1); // SWC_PSR
        Write(crg + 0x28, 0x00, 1); // TTC_PSR
        Write(crg + 0x30, 0x5C, 1); // CSW_TMR
        Write(crg + 0x00, Read(crg, 1) | 0x02, 1);
        int polls = 0;
        while ((Read(crg + 0x04, 1) & 0x02) == 0)
        {
            Spin(ref polls);
        }

        Write(crg + 0x34, 0x00, 1); // PSW_TMR
        Write(crg + 0x38, 0x00, 1); // PLL_CTL1: K = 1, M = 1
        Write(crg + 0x3C, 0x13, 1); // PLL_CTL2: N = 20
        Write(crg + 0x00, Read(crg, 1) | 0x10, 1);
        while ((Read(crg + 0x04, 1) & 0x10) == 0)
        {
            Spin(ref polls);
        }

        Write(crg + 0x00, Read(crg, 1) | 0x40, 1); // RCS = PLL
        while ((Read(crg + 0x04, 1) & 0xE0) != (Read(crg, 1) & 0xE0))
        {
            Spin(ref polls);
        }

        return polls;
    }

    public void Dispose() => Board.Dispose();

    private void Spin(ref int polls)
    {
        Advance(100);
        Assert.That(++polls, Is.LessThan(1_000_000), "clock never became ready");
    }
}
