using Dsm.Emulation.CortexM3.Memory;
using Dsm.Emulation.CortexM3.Registers;
using Dsm.Emulation.CortexM3.State;
using Dsm.Emulation.CortexM3.SystemControl;
using Dsm.Emulation.CortexM3.Timing;
using Dsm.Peripherals.FM3.Clock;
using Dsm.Peripherals.FM3.Gpio;
using Dsm.Peripherals.FM3.Interrupts;
using Dsm.Peripherals.FM3.Misc;
using Dsm.Peripherals.FM3.Serial;
using Dsm.Peripherals.FM3.Timers;
using Dsm.Peripherals.FM3.Watchdog;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dsm.Peripherals.FM3;

/// <summary>What the machine gives the board: the core-side hooks the FM3 peripherals need.</summary>
/// <param name="Interrupts">The NVIC's external interrupt lines (48 on this part).</param>
/// <param name="RaiseNmi">Pends NMI (the machine wires it to the NVIC's NMI pend); the hardware watchdog and the NMIX pin use it.</param>
/// <param name="RequestReset">
/// Asks for a whole-chip reset (core and board) after a watchdog expiry; the board records the cause for RST_STR.
/// It is called from inside a timed event, so the machine should latch the request and reset between run slices.
/// </param>
/// <param name="PostHostInput">The machine's host-input queue, so idle UARTs wait for host bytes instead of polling; null polls.</param>
public sealed record Mb9bf506nWiring(IInterruptLines Interrupts, Action RaiseNmi, Action<Fm3ResetCause> RequestReset, Action<Action>? PostHostInput = null);

/// <summary>
/// The Fujitsu MB9BF506N (FM3, Cortex-M3): its memory map and the peripheral models firmware touches.
/// <see cref="Create"/> maps flash (512 KiB at 0), SRAM0 (32 KiB at 0x1FFF_8000), SRAM1 (32 KiB at
/// 0x2000_0000), the bit-band aliases and every peripheral window on a bus; blocks that are not
/// modelled get a window that reads zero and logs each offset once with the block's name.
/// </summary>
public sealed class Mb9bf506nBoard : IDisposable
{
    /// <summary>Board name for the command line (<c>--board mb9bf506n</c>).</summary>
    public const string BoardName = "mb9bf506n";

    /// <summary>Flash base address.</summary>
    public const uint FlashBase = 0x0000_0000;

    /// <summary>Flash size (512 KiB).</summary>
    public const uint FlashSize = 512 * 1024;

    /// <summary>SRAM0 (code bus) base address.</summary>
    public const uint Sram0Base = 0x1FFF_8000;

    /// <summary>SRAM0 size (32 KiB).</summary>
    public const uint Sram0Size = 32 * 1024;

    /// <summary>SRAM1 (system bus) base address.</summary>
    public const uint Sram1Base = 0x2000_0000;

    /// <summary>SRAM1 size (32 KiB).</summary>
    public const uint Sram1Size = 32 * 1024;

    /// <summary>External interrupt lines of the NVIC (IRQ 0..47).</summary>
    public const int ExternalInterruptCount = 48;

    /// <summary>Implemented NVIC priority bits.</summary>
    public const int NvicPriorityBits = 4;

    /// <summary>
    /// SCB CPUID. No source found states the FM3's core revision; r2p0 (0x412FC230) is chosen, the
    /// value another FM3 project implies with <c>__CM3_REV</c> 0x0200. UNCONFIRMED.
    /// </summary>
    public const uint CpuId = 0x412F_C230;

    /// <summary>Core clock at reset: the high-speed CR oscillator (4 MHz).</summary>
    public const uint ResetCoreClockHz = ClockResetGenerator.HighSpeedCrHz;

    private static readonly (string Name, uint Base, uint Size)[] UnmodelledBlocks =
    [
        ("mft0", 0x4002_0000, 0x1000), ("mft1", 0x4002_1000, 0x1000), ("mftppg", 0x4002_4000, 0x1000),
        ("qprc", 0x4002_6000, 0x1000), ("adc", 0x4002_7000, 0x1000), ("lvd", 0x4003_5000, 0x1000),
        ("usbclk", 0x4003_6000, 0x1000), ("canpre", 0x4003_7000, 0x1000), ("wc", 0x4003_A000, 0x1000),
        ("exbus", 0x4003_F000, 0x1000), ("usb0", 0x4004_2000, 0x1000), ("dmac", 0x4006_0000, 0x1000),
        ("can0", 0x4006_2000, 0x1000), ("can1", 0x4006_3000, 0x1000),
    ];

    private readonly List<Fm3Peripheral> _peripherals = new();
    private readonly List<IByteChannel> _ownedChannels = new();
    private readonly EventScheduler _scheduler;
    private readonly LateBoundInterrupts _irqs = new(ExternalInterruptCount);
    private Action? _raiseNmi;
    private Action<Fm3ResetCause>? _requestReset;
    private Fm3ResetCause _nextResetCause = Fm3ResetCause.PowerOn;

    private Mb9bf506nBoard(MemoryBus bus, EventScheduler scheduler, ILoggerFactory loggers, uint crTrimMirror, bool mapMemory, Action<string, uint, uint, IMmioDevice> mapDevice)
    {
        _scheduler = scheduler;
        var irqs = _irqs;
        var wiring = new Mb9bf506nWiring(irqs, () => _raiseNmi?.Invoke(), RequestReset);
        ILogger Log(string name) => loggers.CreateLogger($"Dsm.Peripherals.FM3.{name}");

        Clocks = Add(new ClockResetGenerator(scheduler, irqs, Log("Crg")));
        scheduler.CoreClockHz = Clocks.HclkHz;
        Clocks.ClocksChanged += () => scheduler.CoreClockHz = Clocks.HclkHz;
        FlashInterface = Add(new FlashInterface(crTrimMirror, Log("FlashInterface")));
        HardwareWatchdog = Add(new HardwareWatchdog(scheduler, Clocks, wiring.RaiseNmi, wiring.RequestReset, Log("HardwareWatchdog")));
        SoftwareWatchdog = Add(new SoftwareWatchdog(scheduler, Clocks, irqs, wiring.RequestReset, Log("SoftwareWatchdog")));
        DualTimer = Add(new DualTimer(scheduler, Clocks, irqs, Log("DualTimer")));
        BaseTimers = Add(new BaseTimers(scheduler, Clocks, irqs, Log("BaseTimers")));
        Add(new CrTrimming(Log("CrTrimming")));
        ExternalInterrupts = Add(new ExternalInterrupts(irqs, wiring.RaiseNmi, Log("ExternalInterrupts")));
        var monitor = Add(new InterruptRequestMonitor(Log("InterruptRequestMonitor")));
        Gpio = Add(new GpioPorts(Log("Gpio")));
        var serial = new MultiFunctionSerial[8];
        for (int n = 0; n < 8; n++)
        {
            serial[n] = Add(new MultiFunctionSerial(n, scheduler, Clocks, irqs, Log("Mfs")));
        }

        Serial = serial;
        Crc = Add(new CrcUnit(Log("Crc")));

        monitor.SetExceptionSource(() => (ExternalInterrupts.NmiRequested ? 1u : 0) | (HardwareWatchdog.InterruptRaised ? 2u : 0));
        monitor.SetSource(SoftwareWatchdog.Irq, () => SoftwareWatchdog.InterruptRaised ? 1u : 0);
        monitor.SetSource(ExternalInterrupts.IrqLow, () => ExternalInterrupts.Requests & 0xFF);
        monitor.SetSource(ExternalInterrupts.IrqHigh, () => ExternalInterrupts.Requests >> 8);
        monitor.SetSource(DualTimer.Irq, () => DualTimer.InterruptMonitor);
        foreach (var channel in serial)
        {
            var ch = channel;
            monitor.SetSource(ch.RxIrq, () => ch.InterruptRequests.Rx ? 1u : 0);
            monitor.SetSource(ch.TxIrq, () => ch.InterruptRequests.Tx ? 1u : 0);
        }

        monitor.SetSource(ClockResetGenerator.Irq, () => Clocks.InterruptMonitor);
        monitor.SetSource(BaseTimers.Irq, () => BaseTimers.InterruptMonitor);

        if (mapMemory)
        {
            bus.AddRom("flash", FlashBase, FlashSize);
            bus.AddRam("sram0", Sram0Base, Sram0Size);
            bus.AddRam("sram1", Sram1Base, Sram1Size);
            bus.AddBitBand(0x2200_0000, 0x2000_0000);
            bus.AddBitBand(0x4200_0000, 0x4000_0000);
        }

        foreach (var peripheral in _peripherals)
        {
            mapDevice(peripheral.Name, peripheral.BaseAddress, peripheral.Registers.Size, peripheral);
        }

        foreach (var (name, baseAddress, size) in UnmodelledBlocks)
        {
            mapDevice(name, baseAddress, size, new RegisterBank($"{name} (not modelled)", size, Log("Unmodelled")));
        }
    }

    /// <summary>Builds the board's peripherals and hands each window to <paramref name="mapDevice"/> (the machine's board context).</summary>
    internal static Mb9bf506nBoard Build(MemoryBus bus, EventScheduler scheduler, ILoggerFactory loggers, uint crTrimMirror, IEnumerable<UartBackendSpec> uarts,
        Stream? consoleOutput, Action<string, uint, uint, IMmioDevice> mapDevice)
    {
        var board = new Mb9bf506nBoard(bus, scheduler, loggers, crTrimMirror, mapMemory: false, mapDevice);
        board.AttachUarts(uarts, consoleOutput);
        return board;
    }

    /// <summary>Connects the board to the core: NVIC lines, NMI pend and whole-chip reset.</summary>
    /// <param name="interrupts">The NVIC's external interrupt lines.</param>
    /// <param name="raiseNmi">Pends NMI.</param>
    /// <param name="requestReset">Resets core and board (the machine then calls <see cref="Reset()"/>).</param>
    /// <param name="postHostInput">
    /// The machine's host-input queue (runs an action on the machine's thread; thread-safe). With it the UARTs wait
    /// for host bytes instead of polling idle lines (<see cref="MultiFunctionSerial.UseHostInputQueue"/>); null polls.
    /// </param>
    public void Connect(IInterruptLines interrupts, Action raiseNmi, Action<Fm3ResetCause> requestReset, Action<Action>? postHostInput = null)
    {
        ArgumentNullException.ThrowIfNull(interrupts);
        _raiseNmi = raiseNmi;
        _requestReset = requestReset;
        _irqs.Connect(interrupts);
        foreach (var channel in Serial)
        {
            channel.UseHostInputQueue(postHostInput);
        }
    }

    private void RequestReset(Fm3ResetCause cause)
    {
        _nextResetCause = cause;
        _requestReset?.Invoke(cause);
    }

    private void AttachUarts(IEnumerable<UartBackendSpec> uarts, Stream? consoleOutput = null)
    {
        foreach (var spec in uarts)
        {
            var channel = spec.Open(consoleOutput);
            if (channel is not null)
            {
                _ownedChannels.Add(channel);
                Serial[spec.Channel].Attach(channel);
            }
        }
    }

    /// <summary>Clock/reset generator (0x4001_0000); its HCLK drives the scheduler's core clock.</summary>
    public ClockResetGenerator Clocks { get; }

    /// <summary>Flash interface registers (0x4000_0000).</summary>
    public FlashInterface FlashInterface { get; }

    /// <summary>Hardware watchdog (0x4001_1000).</summary>
    public HardwareWatchdog HardwareWatchdog { get; }

    /// <summary>Software watchdog (0x4001_2000).</summary>
    public SoftwareWatchdog SoftwareWatchdog { get; }

    /// <summary>Dual timer (0x4001_5000).</summary>
    public DualTimer DualTimer { get; }

    /// <summary>Base timers ch0..7 (0x4002_5000).</summary>
    public BaseTimers BaseTimers { get; }

    /// <summary>External interrupts and the NMIX pin (0x4003_0000).</summary>
    public ExternalInterrupts ExternalInterrupts { get; }

    /// <summary>GPIO ports (0x4003_3000).</summary>
    public GpioPorts Gpio { get; }

    /// <summary>MFS channels 0..7 in UART mode (0x4003_8000 + 0x100·n).</summary>
    public IReadOnlyList<MultiFunctionSerial> Serial { get; }

    /// <summary>CRC unit (0x4003_9000).</summary>
    public CrcUnit Crc { get; }

    /// <summary>Every modelled peripheral, in snapshot order.</summary>
    public IReadOnlyList<Fm3Peripheral> Peripherals => _peripherals;

    /// <summary>
    /// Builds the board on <paramref name="bus"/>: memory, bit-band aliases, peripheral windows, and the
    /// UARTs' host channels. Sets <paramref name="scheduler"/>'s core clock to HCLK and keeps it there.
    /// </summary>
    /// <param name="bus">An empty bus for this machine.</param>
    /// <param name="scheduler">The machine's virtual clock.</param>
    /// <param name="wiring">NVIC lines, NMI and reset hooks.</param>
    /// <param name="loggers">Logger factory; null discards logs.</param>
    /// <param name="uarts">Host channels to open for MFS channels (<c>--uart</c> options); the board owns and disposes them.</param>
    /// <param name="crTrimMirror">Factory CR trim value in CRTRMM (0x3FF: untrimmed).</param>
    /// <returns>The board.</returns>
    public static Mb9bf506nBoard Create(MemoryBus bus, EventScheduler scheduler, Mb9bf506nWiring wiring, ILoggerFactory? loggers = null,
        IEnumerable<UartBackendSpec>? uarts = null, uint crTrimMirror = 0x3FF)
    {
        ArgumentNullException.ThrowIfNull(bus);
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(wiring);
        var board = new Mb9bf506nBoard(bus, scheduler, loggers ?? NullLoggerFactory.Instance, crTrimMirror, mapMemory: true,
            (name, baseAddress, size, device) => bus.AddDevice(name, baseAddress, size, device));
        board.Connect(wiring.Interrupts, wiring.RaiseNmi, wiring.RequestReset, wiring.PostHostInput);
        board.AttachUarts(uarts ?? []);
        return board;
    }

    /// <summary>
    /// Resets every peripheral with the core's reset. RST_STR records the watchdog that requested the
    /// reset, if one did since the last reset, else a power-on reset.
    /// </summary>
    public void Reset()
    {
        var cause = _nextResetCause;
        _nextResetCause = Fm3ResetCause.PowerOn;
        Reset(cause);
    }

    /// <summary>Resets every peripheral, recording <paramref name="cause"/> in RST_STR.</summary>
    /// <param name="cause">Why the chip reset.</param>
    public void Reset(Fm3ResetCause cause)
    {
        Clocks.Reset(cause);
        foreach (var peripheral in _peripherals)
        {
            if (peripheral != Clocks)
            {
                peripheral.Reset();
            }
        }

        _scheduler.CoreClockHz = Clocks.HclkHz;
    }

    /// <summary>
    /// The snapshot sections of the board: one per peripheral, the clock tree first (the others' rates
    /// derive from it). Load them after the scheduler's time has been restored.
    /// </summary>
    public IReadOnlyList<IStatefulComponent> StatefulComponents => _peripherals;

    /// <summary>Disposes the host channels the board opened from <c>--uart</c> specifications.</summary>
    public void Dispose()
    {
        foreach (var channel in _ownedChannels)
        {
            channel.Dispose();
        }

        _ownedChannels.Clear();
    }

    private T Add<T>(T peripheral)
        where T : Fm3Peripheral
    {
        _peripherals.Add(peripheral);
        return peripheral;
    }
}
