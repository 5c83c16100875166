using System.Collections.Concurrent;
using Dsm.Emulation.CortexM3;
using Dsm.Emulation.CortexM3.Boards;
using Dsm.Emulation.CortexM3.Elf;
using Dsm.Emulation.CortexM3.Timing;
using Dsm.Peripherals.FM3;
using Dsm.Peripherals.FM3.Serial;
using Dsm.Peripherals.Mps2;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dsm.Migration;

/// <summary>What starts a migration on an <see cref="EmulatedDevice"/>.</summary>
public abstract record DeviceTrigger
{
    /// <summary>Parses <c>after=2s</c>, <c>after=500ms</c>, <c>exti=N</c>, <c>nmi</c>, <c>watchdog</c> (FM3) or <c>console</c> (MPS2).</summary>
    /// <param name="text">The option value.</param>
    /// <returns>The trigger.</returns>
    /// <exception cref="FormatException">The text is not a trigger.</exception>
    public static DeviceTrigger Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text == "nmi")
        {
            return new NmiPin();
        }

        if (text == "watchdog")
        {
            return new WatchdogWarning();
        }

        if (text == "console")
        {
            return new ConsoleCommand();
        }

        if (text.StartsWith("exti=", StringComparison.Ordinal) && int.TryParse(text.AsSpan(5), out int channel) && channel is >= 0 and <= 15)
        {
            return new ExternalInterrupt(channel);
        }

        if (text.StartsWith("after=", StringComparison.Ordinal))
        {
            string value = text[6..];
            double factor = value.EndsWith("ms", StringComparison.Ordinal) ? 1e-3 : 1;
            string number = value.TrimEnd('s', 'm');
            if (double.TryParse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double amount) && amount > 0)
            {
                return new After(TimeSpan.FromSeconds(amount * factor), new BoardDefault());
            }
        }

        throw new FormatException($"'{text}' is not a trigger: use after=2s, after=500ms, exti=N (0-15), nmi, watchdog (FM3) or console (MPS2).");
    }

    /// <summary>The board's usual trigger: external interrupt 0 on the FM3, the console command byte on the MPS2.</summary>
    public sealed record BoardDefault : DeviceTrigger;

    /// <summary>The command byte on the console UART whose receive handler calls <c>dsmc_request()</c> (the MPS2 sample firmware).</summary>
    public sealed record ConsoleCommand : DeviceTrigger
    {
        /// <summary>The byte the MPS2 sample firmware takes as "migrate now".</summary>
        public const byte Byte = (byte)'M';
    }

    /// <summary>A falling edge on external-interrupt channel <paramref name="Channel"/> (the DSMC's default FM3 trigger).</summary>
    /// <param name="Channel">Channel 0-15.</param>
    public sealed record ExternalInterrupt(int Channel) : DeviceTrigger;

    /// <summary>A pulse on the NMIX pin: moves a system even with interrupts masked.</summary>
    public sealed record NmiPin : DeviceTrigger;

    /// <summary>The software watchdog's warning interrupt (IRQ 1), as a watchdog about to expire raises it.</summary>
    public sealed record WatchdogWarning : DeviceTrigger;

    /// <summary><paramref name="Then"/> after <paramref name="Delay"/> of the device's virtual time.</summary>
    /// <param name="Delay">Virtual time from reset.</param>
    /// <param name="Then">The trigger to fire.</param>
    public sealed record After(TimeSpan Delay, DeviceTrigger Then) : DeviceTrigger;
}

/// <summary>Options of an <see cref="EmulatedDevice"/>.</summary>
public sealed class EmulatedDeviceOptions
{
    /// <summary>The firmware ELF (with the DSMC linked in).</summary>
    public required string FirmwarePath { get; init; }

    /// <summary>The link to the host: <c>tcp:HOST:PORT</c> (or any <see cref="UartBackendSpec"/> backend).</summary>
    public required string Link { get; init; }

    /// <summary>The device's board: <c>mb9bf506n</c> (default) or <c>mps2-an385</c>.</summary>
    public string Board { get; init; } = Mb9bf506nBoard.BoardName;

    /// <summary>The UART (MFS channel on the FM3, CMSDK UART on the MPS2) of the DSMC's link; both ports default to 1.</summary>
    public int LinkChannel { get; init; } = 1;

    /// <summary>The UART of the application's console.</summary>
    public int ConsoleChannel { get; init; }

    /// <summary>Where the console goes.</summary>
    public Stream? ConsoleOutput { get; init; }

    /// <summary>Real time (the link runs at its real baud rate) or deterministic (as fast as the host can).</summary>
    public PacingMode Pacing { get; init; } = PacingMode.RealTime;

    /// <summary>When to trigger the migration; null waits for <see cref="EmulatedDevice.Trigger"/>.</summary>
    public DeviceTrigger? Trigger { get; init; }
}

/// <summary>
/// The stand-in for a physical device: the Dsm engine running firmware from reset as the board would
/// (an FM3 MB9BF506N or an MPS2-AN385), with the DSMC's serial link bridged to a host. Used by
/// <c>dsm device</c> and <c>dsm demo</c>.
/// </summary>
public sealed class EmulatedDevice : IDisposable
{
    private readonly EmulatedDeviceOptions _options;
    private readonly ILogger _logger;
    private readonly DeviceBoard _board;
    private const byte DsmcStatusMoved = 2;
    private const double DrainSeconds = 0.25;
    private readonly uint? _statusAddress;
    private long _linkBytes;

    private EmulatedDevice(EmulatedDeviceOptions options, Machine machine, DeviceBoard board, ElfImage image, ILogger logger)
    {
        _options = options;
        Machine = machine;
        _board = board;
        _logger = logger;
        Image = image;
        // The DSMC records DSMC_STATUS_MOVED in its private state before it stops the device for good.
        _statusAddress = image.FindSymbol("dsmc_local")?.Address;
        board.Connect(machine, options.ConsoleChannel, options.LinkChannel, time =>
        {
            if (Interlocked.Increment(ref _linkBytes) == 1)
            {
                FirstLinkByteAt = time;
            }
        });
    }

    /// <summary>The machine running the firmware.</summary>
    public Machine Machine { get; }

    /// <summary>The firmware.</summary>
    public ElfImage Image { get; }

    /// <summary>Bytes the device sent on the link so far.</summary>
    public long LinkBytesSent => Interlocked.Read(ref _linkBytes);

    /// <summary>Virtual time (cycles) at which the trigger fired, or null.</summary>
    public ulong? TriggeredAt { get; private set; }

    /// <summary>Virtual time (cycles) of the first byte on the link, or null.</summary>
    public ulong? FirstLinkByteAt { get; private set; }

    /// <summary>Whether the DSMC stopped the device for good (the system moved).</summary>
    public bool Halted
    {
        get
        {
            Span<byte> status = stackalloc byte[1];
            return _statusAddress is { } address && Machine.Bus.TryPeek(address, status) && status[0] == DsmcStatusMoved;
        }
    }

    /// <summary>Creates the device, loads the firmware and resets it.</summary>
    /// <param name="options">Options.</param>
    /// <param name="loggerFactory">Loggers.</param>
    /// <returns>The device, ready to run.</returns>
    /// <exception cref="ArgumentException">The board is unknown or has no such trigger.</exception>
    public static EmulatedDevice Create(EmulatedDeviceOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        loggerFactory ??= NullLoggerFactory.Instance;
        var board = BoardFor(options.Board, options.ConsoleOutput)
            ?? throw new ArgumentException($"Board '{options.Board}' has no device model (use {Mb9bf506nBoard.BoardName} or {Mps2An385.Name}).", nameof(options));
        if (options.Trigger is { } trigger && !SupportsTrigger(options.Board, trigger))
        {
            throw new ArgumentException($"The {options.Board} device has no trigger {trigger}.", nameof(options));
        }

        var image = ElfImage.Load(options.FirmwarePath);
        var link = UartBackendSpec.Parse($"{options.LinkChannel}={options.Link}");
        var definition = board.Definition(options.ConsoleChannel, link);
        var machine = Machine.Create(definition, new MachineOptions { StandardOutput = options.ConsoleOutput, PacingMode = options.Pacing }, loggerFactory);
        try
        {
            machine.LoadElf(image);
            machine.Reset();
            return new EmulatedDevice(options, machine, board, image, loggerFactory.CreateLogger<EmulatedDevice>());
        }
        catch
        {
            MachineResources.Release(machine);
            throw;
        }
    }

    /// <summary>Whether the device model of <paramref name="board"/> can fire <paramref name="trigger"/>.</summary>
    /// <param name="board">Board name.</param>
    /// <param name="trigger">The trigger (a timed one is judged by what it fires).</param>
    /// <returns>False for an unknown board or a trigger the board does not have.</returns>
    public static bool SupportsTrigger(string board, DeviceTrigger trigger)
    {
        ArgumentNullException.ThrowIfNull(trigger);
        return BoardFor(board, null) is { } model && model.Fire(null, trigger is DeviceTrigger.After after ? after.Then : trigger, dryRun: true);
    }

    private static DeviceBoard? BoardFor(string name, Stream? consoleOutput) => name.ToLowerInvariant() switch
    {
        Mb9bf506nBoard.BoardName => new Fm3DeviceBoard(),
        Mps2An385.Name => new Mps2DeviceBoard(consoleOutput),
        _ => null,
    };

    /// <summary>Fires <paramref name="trigger"/> (or the configured one) now; safe from any thread.</summary>
    /// <param name="trigger">The trigger; defaults to the configured one, else the board's usual trigger.</param>
    public void Trigger(DeviceTrigger? trigger = null)
    {
        trigger ??= _options.Trigger is DeviceTrigger.After after ? after.Then : _options.Trigger ?? new DeviceTrigger.BoardDefault();
        Machine.Post(() => Fire(trigger));
    }

    private void Fire(DeviceTrigger trigger)
    {
        if (trigger is DeviceTrigger.After after)
        {
            Fire(after.Then);
            return;
        }

        TriggeredAt ??= Machine.Scheduler.Now;
        _logger.LogInformation("DSM trigger {Trigger} at {Seconds:F3} s virtual", trigger, Machine.Scheduler.NowSeconds);
        if (!_board.Fire(Machine, trigger, dryRun: false))
        {
            _logger.LogError("The {Board} device has no trigger {Trigger}: nothing fired", _options.Board, trigger);
        }
    }

    /// <summary>
    /// Runs the firmware until the DSMC stops the device after a completed migration, the guest exits or
    /// faults, or <paramref name="cancellationToken"/> fires. Fires a timed trigger when its time comes.
    /// </summary>
    /// <param name="cancellationToken">Stops the device.</param>
    /// <returns>The last run result.</returns>
    public RunResult Run(CancellationToken cancellationToken)
    {
        // Seconds of guest time, integrated slice by slice: the core clock changes when firmware starts the PLL.
        double guestSeconds = 0;
        var pending = _options.Trigger as DeviceTrigger.After;
        double? haltedAtSeconds = null;
        while (true)
        {
            ulong before = Machine.Scheduler.Now;
            var result = Machine.Run(20_000, cancellationToken);
            guestSeconds += (Machine.Scheduler.Now - before) / (double)Math.Max(1u, Machine.Scheduler.CoreClockHz);
            if (pending is not null && guestSeconds >= pending.Delay.TotalSeconds)
            {
                Fire(pending.Then);
                pending = null;
            }

            if (Halted)
            {
                // DONE may still sit in the serial port: give the stopped device time to drain its link and
                // to answer a repeated COMMITTED, as the physical device would while it idles.
                if (haltedAtSeconds is null)
                {
                    haltedAtSeconds = guestSeconds;
                    _logger.LogInformation("The DSMC stopped the device: the system lives on the host now");
                }
                else if (guestSeconds - haltedAtSeconds >= DrainSeconds)
                {
                    return result;
                }
            }

            if (result.Exited || result.Cancelled || result.StopReason is not Emulation.CortexM3.Cpu.StopReason.InstructionLimit)
            {
                return result;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => MachineResources.Release(Machine);

    /// <summary>What differs between the device boards: how the machine is built, how the link is watched, how triggers fire.</summary>
    private abstract class DeviceBoard
    {
        public abstract BoardDefinition Definition(int consoleChannel, UartBackendSpec link);

        /// <summary>Finds the board's devices and reports each byte the link UART sends, with its virtual time.</summary>
        public abstract void Connect(Machine machine, int consoleChannel, int linkChannel, Action<ulong> linkByteSent);

        /// <summary>Fires <paramref name="trigger"/> (or only checks it with <paramref name="dryRun"/>); false when the board has no such trigger.</summary>
        public abstract bool Fire(Machine? machine, DeviceTrigger trigger, bool dryRun);
    }

    private sealed class Fm3DeviceBoard : DeviceBoard
    {
        private Mb9bf506nBoard? _board;

        public override BoardDefinition Definition(int consoleChannel, UartBackendSpec link)
            => Mb9bf506n.Definition([new UartBackendSpec(consoleChannel, "stdio"), link]);

        public override void Connect(Machine machine, int consoleChannel, int linkChannel, Action<ulong> linkByteSent)
        {
            _board = machine.GetDevice<Mb9bf506n.ResettableBoard>(Mb9bf506n.DeviceName).Board;
            _board.Serial[linkChannel].FrameTransmitted += (_, time) => linkByteSent(time);
        }

        public override bool Fire(Machine? machine, DeviceTrigger trigger, bool dryRun)
        {
            if (dryRun)
            {
                return trigger is DeviceTrigger.ExternalInterrupt or DeviceTrigger.BoardDefault or DeviceTrigger.NmiPin or DeviceTrigger.WatchdogWarning;
            }

            var lines = _board!.ExternalInterrupts;
            switch (trigger)
            {
                case DeviceTrigger.ExternalInterrupt or DeviceTrigger.BoardDefault:
                    // Lines idle high: a low pulse is a falling edge, then the line returns high.
                    int channel = (trigger as DeviceTrigger.ExternalInterrupt)?.Channel ?? 0;
                    lines.SetExternalInterruptLine(channel, false);
                    lines.SetExternalInterruptLine(channel, true);
                    return true;
                case DeviceTrigger.NmiPin:
                    lines.SetNmiPin(false);
                    lines.SetNmiPin(true);
                    return true;
                case DeviceTrigger.WatchdogWarning:
                    machine!.SystemControl.Exceptions.Pulse(1);
                    return true;
                default:
                    return false;
            }
        }
    }

    /// <summary>The MPS2-AN385: console on a CMSDK UART that also takes the command byte, link on another.</summary>
    private sealed class Mps2DeviceBoard(Stream? consoleOutput) : DeviceBoard
    {
        private readonly ConsoleLine _console = new(consoleOutput);

        public override BoardDefinition Definition(int consoleChannel, UartBackendSpec link) => Mps2An385.Definition([link]);

        public override void Connect(Machine machine, int consoleChannel, int linkChannel, Action<ulong> linkByteSent)
        {
            var board = machine.GetDevice<Mps2An385Board>(Mps2An385.DeviceName);
            board.Attach(consoleChannel, _console);
            board.Uarts[linkChannel].ByteTransmitted += (_, time) => linkByteSent(time);
        }

        public override bool Fire(Machine? machine, DeviceTrigger trigger, bool dryRun)
        {
            if (trigger is not (DeviceTrigger.ConsoleCommand or DeviceTrigger.BoardDefault))
            {
                return false;
            }

            if (dryRun)
            {
                return true;
            }

            _console.Type(DeviceTrigger.ConsoleCommand.Byte);
            return true;
        }
    }

    /// <summary>A console UART's host end: output to a stream (flushed per line), input typed by the device model.</summary>
    private sealed class ConsoleLine(Stream? output) : IByteChannel
    {
        private readonly ConcurrentQueue<byte> _typed = new();

        public void Type(byte value) => _typed.Enqueue(value);

        public bool TryReceive(out byte value) => _typed.TryDequeue(out value);

        public void Send(byte value)
        {
            if (output is null)
            {
                return;
            }

            output.WriteByte(value);
            if (value == (byte)'\n')
            {
                output.Flush();
            }
        }

        public void Dispose()
        {
        }
    }
}
