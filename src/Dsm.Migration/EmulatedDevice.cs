using Dsm.Emulation.CortexM3;
using Dsm.Emulation.CortexM3.Elf;
using Dsm.Emulation.CortexM3.Timing;
using Dsm.Peripherals.FM3;
using Dsm.Peripherals.FM3.Serial;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dsm.Migration;

/// <summary>What starts a migration on an <see cref="EmulatedDevice"/>.</summary>
public abstract record DeviceTrigger
{
    /// <summary>Parses <c>after=2s</c>, <c>after=500ms</c>, <c>exti=N</c>, <c>nmi</c> or <c>watchdog</c>.</summary>
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
                return new After(TimeSpan.FromSeconds(amount * factor), new ExternalInterrupt(0));
            }
        }

        throw new FormatException($"'{text}' is not a trigger: use after=2s, after=500ms, exti=N (0-15), nmi or watchdog.");
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

    /// <summary>The MFS channel of the DSMC's link (the FM3 port's default is 1).</summary>
    public int LinkChannel { get; init; } = 1;

    /// <summary>The MFS channel of the application's console.</summary>
    public int ConsoleChannel { get; init; }

    /// <summary>Where the console goes.</summary>
    public Stream? ConsoleOutput { get; init; }

    /// <summary>Real time (the link runs at its real baud rate) or deterministic (as fast as the host can).</summary>
    public PacingMode Pacing { get; init; } = PacingMode.RealTime;

    /// <summary>When to trigger the migration; null waits for <see cref="EmulatedDevice.Trigger"/>.</summary>
    public DeviceTrigger? Trigger { get; init; }
}

/// <summary>
/// The stand-in for a physical FM3 device: the Dsm engine running firmware from reset as the MB9BF506N
/// would, with the DSMC's serial link bridged to a host. Used by <c>dsm device</c> and <c>dsm demo</c>.
/// </summary>
public sealed class EmulatedDevice : IDisposable
{
    private readonly EmulatedDeviceOptions _options;
    private readonly ILogger _logger;
    private readonly Mb9bf506nBoard _board;
    private const byte DsmcStatusMoved = 2;
    private const double DrainSeconds = 0.25;
    private readonly uint? _statusAddress;
    private long _linkBytes;

    private EmulatedDevice(EmulatedDeviceOptions options, Machine machine, Mb9bf506nBoard board, ElfImage image, ILogger logger)
    {
        _options = options;
        Machine = machine;
        _board = board;
        _logger = logger;
        Image = image;
        // The DSMC records DSMC_STATUS_MOVED in its private state before it stops the device for good.
        _statusAddress = image.FindSymbol("dsmc_local")?.Address;
        board.Serial[options.LinkChannel].FrameTransmitted += (_, time) =>
        {
            if (Interlocked.Increment(ref _linkBytes) == 1)
            {
                FirstLinkByteAt = time;
            }
        };
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
    public static EmulatedDevice Create(EmulatedDeviceOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        loggerFactory ??= NullLoggerFactory.Instance;
        var image = ElfImage.Load(options.FirmwarePath);
        var link = UartBackendSpec.Parse($"{options.LinkChannel}={options.Link}");
        var board = Mb9bf506n.Definition([new UartBackendSpec(options.ConsoleChannel, "stdio"), link]);
        var machine = Machine.Create(board, new MachineOptions { StandardOutput = options.ConsoleOutput, PacingMode = options.Pacing }, loggerFactory);
        try
        {
            machine.LoadElf(image);
            machine.Reset();
            var fm3 = machine.GetDevice<Mb9bf506n.ResettableBoard>(Mb9bf506n.DeviceName).Board;
            return new EmulatedDevice(options, machine, fm3, image, loggerFactory.CreateLogger<EmulatedDevice>());
        }
        catch
        {
            MachineResources.Release(machine);
            throw;
        }
    }

    /// <summary>Fires <paramref name="trigger"/> (or the configured one) now; safe from any thread.</summary>
    /// <param name="trigger">The trigger; defaults to the configured one, else external interrupt 0.</param>
    public void Trigger(DeviceTrigger? trigger = null)
    {
        trigger ??= _options.Trigger is DeviceTrigger.After after ? after.Then : _options.Trigger ?? new DeviceTrigger.ExternalInterrupt(0);
        Machine.Post(() => Fire(trigger));
    }

    private void Fire(DeviceTrigger trigger)
    {
        TriggeredAt ??= Machine.Scheduler.Now;
        _logger.LogInformation("DSM trigger {Trigger} at {Seconds:F3} s virtual", trigger, Machine.Scheduler.NowSeconds);
        switch (trigger)
        {
            case DeviceTrigger.ExternalInterrupt exti:
                // Lines idle high: a low pulse is a falling edge, then the line returns high.
                _board.ExternalInterrupts.SetExternalInterruptLine(exti.Channel, false);
                _board.ExternalInterrupts.SetExternalInterruptLine(exti.Channel, true);
                break;
            case DeviceTrigger.NmiPin:
                _board.ExternalInterrupts.SetNmiPin(false);
                _board.ExternalInterrupts.SetNmiPin(true);
                break;
            case DeviceTrigger.WatchdogWarning:
                Machine.SystemControl.Exceptions.Pulse(1);
                break;
            case DeviceTrigger.After after:
                Fire(after.Then);
                break;
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
}
