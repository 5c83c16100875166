using Dsm.Emulation.CortexM3.Boards;
using Dsm.Emulation.CortexM3.Memory;
using Dsm.Emulation.CortexM3.Registers;
using Dsm.Emulation.CortexM3.SystemControl;
using Dsm.Peripherals.FM3.Serial;
using Microsoft.Extensions.Logging;

namespace Dsm.Peripherals.Mps2;

/// <summary>
/// The Arm MPS2 board with the AN385 FPGA image (Cortex-M3), laid out as QEMU's <c>-M mps2-an385</c>:
/// ZBT SSRAM1 (4 MiB at 0, writable: code may be modified), block RAM (16 KiB at 0x01000000), ZBT SSRAM2/3
/// (4 MiB at 0x20000000), PSRAM (16 MiB at 0x21000000), both bit-band windows, the Cortex-M3 system control
/// space and the APB peripherals with the AN385's interrupt table:
/// <list type="table">
/// <item><term>0x40000000, 0x40001000</term><description>CMSDK timers 0 and 1: IRQ 8 and 9</description></item>
/// <item><term>0x40002000</term><description>CMSDK dual timer: IRQ 10</description></item>
/// <item><term>0x40004000..0x40007000, 0x40009000</term><description>CMSDK UARTs 0-4: RX/TX IRQ 0/1, 2/3, 4/5, 18/19, 20/21;
/// the overruns of UARTs 0-2 ORed onto IRQ 12 (those of UARTs 3 and 4 are not connected)</description></item>
/// <item><term>0x40028000</term><description>FPGA I/O (LEDs, buttons, 1 Hz/100 Hz/prescaled counters)</description></item>
/// <item><term>0x4002F000</term><description>SCC registers</description></item>
/// </list>
/// The rest of 0x40000000..0x4002FFFF (watchdog, GPIO, SPI, I2C, I2S) reads zero and ignores writes, each
/// offset logged once, as QEMU's unimplemented devices do. QEMU's RAM mirrors are not mapped; everything
/// else is unmapped (bus errors). UART0 writes to the machine's console unless a backend is given for it.
/// </summary>
public static class Mps2An385
{
    /// <summary>The board's name on command lines.</summary>
    public const string Name = "mps2-an385";

    /// <summary>Device name of the <see cref="Mps2An385Board"/> in the machine.</summary>
    public const string DeviceName = "board";

    /// <summary>Base address of UART0.</summary>
    public const uint Uart0Base = 0x4000_4000;

    /// <summary>Base addresses of UARTs 0-4.</summary>
    public static IReadOnlyList<uint> UartBases { get; } = [0x4000_4000, 0x4000_5000, 0x4000_6000, 0x4000_7000, 0x4000_9000];

    /// <summary>Receive IRQs of UARTs 0-4 (each transmit IRQ is one higher).</summary>
    public static IReadOnlyList<int> UartRxIrqs { get; } = [0, 2, 4, 18, 20];

    /// <summary>The IRQ that ORs the overrun interrupts of UARTs 0-2.</summary>
    public const int UartOverrunIrq = 12;

    /// <summary>Base addresses of CMSDK timers 0 and 1.</summary>
    public static IReadOnlyList<uint> TimerBases { get; } = [0x4000_0000, 0x4000_1000];

    /// <summary>IRQs of CMSDK timers 0 and 1.</summary>
    public static IReadOnlyList<int> TimerIrqs { get; } = [8, 9];

    /// <summary>Base address of the dual timer.</summary>
    public const uint DualTimerBase = 0x4000_2000;

    /// <summary>IRQ of the dual timer.</summary>
    public const int DualTimerIrq = 10;

    /// <summary>Base address of the FPGA I/O block.</summary>
    public const uint FpgaIoBase = 0x4002_8000;

    /// <summary>Base address of the SCC registers.</summary>
    public const uint SccBase = 0x4002_F000;

    /// <summary>Number of UARTs.</summary>
    public const int UartCount = 5;

    private const uint CoreClockHz = 25_000_000;

    private static readonly (string Name, uint Base, uint Size)[] UnmodelledWindows =
    [
        ("apb-reserved", 0x4000_3000, 0x1000), ("watchdog", 0x4000_8000, 0x1000), ("apb-reserved2", 0x4000_A000, 0x6000),
        ("ahb-gpio", 0x4001_0000, 0x1_0000), ("spi-i2c-i2s", 0x4002_0000, 0x8000), ("shield-i2c", 0x4002_9000, 0x6000),
    ];

    /// <summary>The board with UART0 on the machine's console and no other host channels.</summary>
    public static BoardDefinition Board { get; } = Definition();

    /// <summary>The board with host channels for its UARTs (<c>--uart N=stdio|none|tcp:H:P|tcp-listen:H:P</c>, N = 0..4).</summary>
    /// <param name="uarts">Backends; a UART without one is unconnected, except UART0, which then writes to the console.</param>
    /// <returns>The definition; the machine's <see cref="DeviceName"/> device owns the channels it opens.</returns>
    /// <exception cref="FormatException">A specification names a UART the board does not have.</exception>
    public static BoardDefinition Definition(IEnumerable<UartBackendSpec>? uarts = null)
    {
        var specs = uarts?.ToList() ?? [];
        foreach (var spec in specs)
        {
            if (spec.Channel >= UartCount)
            {
                throw new FormatException($"'{spec.Channel}={spec.Kind}': the {Name} has UARTs 0..{UartCount - 1}.");
            }
        }

        return new BoardDefinition
        {
            Name = Name,
            Description = "Arm MPS2 with the AN385 FPGA image for Cortex-M3 (as QEMU's mps2-an385)",
            Memory =
            [
                new MemoryRegionSpec("ssram1", 0x0000_0000, 4 << 20, RegionKind.Ram),
                new MemoryRegionSpec("blockram", 0x0100_0000, 16 << 10, RegionKind.Ram),
                new MemoryRegionSpec("ssram23", 0x2000_0000, 4 << 20, RegionKind.Ram),
                new MemoryRegionSpec("psram", 0x2100_0000, 16 << 20, RegionKind.Ram),
            ],
            BitBands = BitBandSpec.CortexM3Standard,

            // As qemu-system-arm 7.2 (the CI's) reports them: a Cortex-M3 r0p1 with 32 external interrupts, all
            // 8 priority bits implemented, an 8-region MPU, STKALIGN set, and SysTick's reference clock at
            // 1 MHz (25 core cycles per tick) with TENMS 9999.
            SystemControl = new SystemControlOptions
            {
                CpuId = 0x410F_C231,
                ExternalInterrupts = 32,
                PriorityBits = 8,
                MpuRegions = 8,
                StackAlignOnReset = true,
                SysTickReferenceDivider = 25,
                SysTickCalibration = 0x270F,
            },
            CoreClockHz = CoreClockHz,
            AddDevices = context => AddDevices(context, specs),
        };
    }

    private static void AddDevices(BoardContext context, IReadOnlyList<UartBackendSpec> specs)
    {
        ILogger Log(string name) => context.LoggerFactory.CreateLogger($"Dsm.Peripherals.Mps2.{name}");
        var board = new Mps2An385Board();
        for (int i = 0; i < TimerBases.Count; i++)
        {
            var timer = new CmsdkApbTimer($"timer{i}", context.Scheduler, context.Interrupts, TimerIrqs[i], Log("Timer"));
            board.Timers.Add(timer);
            context.AddDevice(timer.Name, TimerBases[i], Mps2Peripheral.WindowSize, timer);
        }

        board.DualTimer = new CmsdkDualTimer("dualtimer", context.Scheduler, context.Interrupts, DualTimerIrq, Log("DualTimer"));
        context.AddDevice(board.DualTimer.Name, DualTimerBase, Mps2Peripheral.WindowSize, board.DualTimer);

        var overrun = new SharedInterruptLine(context.Interrupts, UartOverrunIrq);
        for (int i = 0; i < UartCount; i++)
        {
            var irqs = new UartInterrupts(context.Interrupts, UartRxIrqs[i], UartRxIrqs[i] + 1, i < 3 ? overrun : null);
            var uart = new CmsdkApbUart($"uart{i}", context.Scheduler, irqs, Log("Uart"));
            board.Uarts.Add(uart);
            context.AddDevice(uart.Name, UartBases[i], CmsdkApbUart.WindowSize, uart);
        }

        board.FpgaIo = new Mps2FpgaIo("fpgaio", context.Scheduler, CoreClockHz, Log("FpgaIo"));
        context.AddDevice(board.FpgaIo.Name, FpgaIoBase, Mps2Peripheral.WindowSize, board.FpgaIo);
        board.Scc = new Mps2Scc("scc", Log("Scc"));
        context.AddDevice(board.Scc.Name, SccBase, Mps2Peripheral.WindowSize, board.Scc);
        foreach (var (name, baseAddress, size) in UnmodelledWindows)
        {
            context.Bus.AddDevice(name, baseAddress, size, new RegisterBank($"{name} (not modelled)", size, Log("Unmodelled")));
        }

        try
        {
            foreach (var spec in specs)
            {
                board.Attach(spec.Channel, spec.Open(context.ConsoleOutput));
            }
        }
        catch
        {
            board.Dispose();
            throw;
        }

        if (!specs.Any(s => s.Channel == 0))
        {
            board.Uarts[0].Attach(new OutputStreamChannel(context.ConsoleOutput));
        }

        context.Register(DeviceName, board);
    }
}

/// <summary>The AN385's peripherals in one machine, and the host channels their UARTs use (disposed with it).</summary>
public sealed class Mps2An385Board : IDisposable
{
    private readonly List<IByteChannel> _owned = new();

    internal Mps2An385Board()
    {
    }

    /// <summary>CMSDK UARTs 0-4.</summary>
    public List<CmsdkApbUart> Uarts { get; } = new();

    /// <summary>CMSDK timers 0 and 1.</summary>
    public List<CmsdkApbTimer> Timers { get; } = new();

    /// <summary>The dual timer.</summary>
    public CmsdkDualTimer DualTimer { get; internal set; } = null!;

    /// <summary>The FPGA I/O block.</summary>
    public Mps2FpgaIo FpgaIo { get; internal set; } = null!;

    /// <summary>The SCC registers.</summary>
    public Mps2Scc Scc { get; internal set; } = null!;

    /// <summary>Connects UART <paramref name="index"/> to <paramref name="channel"/>, which the board then owns.</summary>
    /// <param name="index">UART 0..4.</param>
    /// <param name="channel">The channel; null leaves the UART unconnected.</param>
    public void Attach(int index, IByteChannel? channel)
    {
        if (channel is not null)
        {
            _owned.Add(channel);
        }

        Uarts[index].Attach(channel);
    }

    /// <summary>Closes the host channels.</summary>
    public void Dispose()
    {
        foreach (var channel in _owned)
        {
            channel.Dispose();
        }

        _owned.Clear();
    }
}
