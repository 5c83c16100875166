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
        if (text.Contains(';', StringComparison.Ordinal))
        {
            return new Several(text.Split(';').Select(Parse).ToList());
        }

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

        if (text.StartsWith("at=", StringComparison.Ordinal))
        {
            return ParseAt(text);
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

        throw new FormatException($"'{text}' is not a trigger: use after=2s, after=500ms, at=N[,when=isr|critical|midline][,via=nmi|exti=N|watchdog], exti=N (0-15), nmi or watchdog.");
    }

    private static AtInstruction ParseAt(string text)
    {
        var parts = text.Split(',');
        if (!ulong.TryParse(parts[0].AsSpan(3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ulong count))
        {
            throw new FormatException($"'{text}': at=N needs an instruction count.");
        }

        var when = InstantCondition.Any;
        DeviceTrigger then = new ExternalInterrupt(0);
        foreach (string part in parts.Skip(1))
        {
            if (part.StartsWith("when=", StringComparison.Ordinal) && Enum.TryParse(part[5..], ignoreCase: true, out InstantCondition parsed))
            {
                when = parsed;
            }
            else if (part.StartsWith("via=", StringComparison.Ordinal) && part[4..] is { } via && !via.StartsWith("a", StringComparison.Ordinal))
            {
                then = Parse(via);
            }
            else
            {
                throw new FormatException($"'{text}': unknown part '{part}' (use when=isr|critical|midline|any, via=nmi|exti=N|watchdog).");
            }
        }

        return new AtInstruction(count, when, then);
    }

    /// <summary>A falling edge on external-interrupt channel <paramref name="Channel"/> (the DSMC's default FM3 trigger).</summary>
    /// <param name="Channel">Channel 0-15.</param>
    public sealed record ExternalInterrupt(int Channel) : DeviceTrigger;

    /// <summary>A pulse on the NMIX pin: moves a system even with interrupts masked.</summary>
    public sealed record NmiPin : DeviceTrigger;

    /// <summary>The software watchdog's warning interrupt (IRQ 1), as a watchdog about to expire raises it.</summary>
    public sealed record WatchdogWarning : DeviceTrigger;

    /// <summary>
    /// <paramref name="Then"/> at the first instruction boundary at or after <paramref name="Count"/> instructions
    /// from reset where <paramref name="When"/> holds: a deterministic, reproducible instant.
    /// </summary>
    /// <param name="Count">Instructions executed since reset.</param>
    /// <param name="When">What the device must be doing at that instant.</param>
    /// <param name="Then">The trigger to fire.</param>
    public sealed record AtInstruction(ulong Count, InstantCondition When, DeviceTrigger Then) : DeviceTrigger;

    /// <summary>Several timed triggers (<c>T1;T2</c>), e.g. a second migration after a first that failed.</summary>
    /// <param name="Triggers">The triggers, each fired when its time comes.</param>
    public sealed record Several(IReadOnlyList<DeviceTrigger> Triggers) : DeviceTrigger;

    /// <summary><paramref name="Then"/> after <paramref name="Delay"/> of the device's virtual time.</summary>
    /// <param name="Delay">Virtual time from reset.</param>
    /// <param name="Then">The trigger to fire.</param>
    public sealed record After(TimeSpan Delay, DeviceTrigger Then) : DeviceTrigger;
}

/// <summary>What the device must be doing at an <see cref="DeviceTrigger.AtInstruction"/> instant.</summary>
public enum InstantCondition
{
    /// <summary>Any instruction boundary.</summary>
    Any,

    /// <summary>Inside an exception handler (IPSR not zero).</summary>
    Isr,

    /// <summary>Inside a critical section: PRIMASK set or BASEPRI raised.</summary>
    Critical,

    /// <summary>While the console is in the middle of a line (some of its characters sent, not the newline).</summary>
    MidLine,
}

/// <summary>Where the device was when the DSM trigger fired.</summary>
/// <param name="Instructions">Instructions executed since reset.</param>
/// <param name="Cycles">Virtual time (core cycles).</param>
/// <param name="Pc">The next instruction.</param>
/// <param name="Ipsr">The active exception (0 in thread mode).</param>
/// <param name="Primask">PRIMASK.</param>
/// <param name="Basepri">BASEPRI.</param>
/// <param name="MidLine">Whether the console was in the middle of a line.</param>
/// <param name="WallClock">When it fired, by the host's clock.</param>
public sealed record TriggerInstant(ulong Instructions, ulong Cycles, uint Pc, uint Ipsr, uint Primask, uint Basepri, bool MidLine, DateTimeOffset WallClock);

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

    /// <summary>Guest time the stopped device keeps serving its link (answering a repeated COMMITTED) before <see cref="EmulatedDevice.Run"/> returns.</summary>
    public TimeSpan StoppedLinger { get; init; } = TimeSpan.FromSeconds(0.25);
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
    private readonly uint? _statusAddress;
    private readonly DeviceLinkChannel? _link;
    private long _linkBytes;
    private int _lastConsoleByte = '\n';
    private bool _awaitingFirstByte = true;

    private EmulatedDevice(EmulatedDeviceOptions options, Machine machine, Mb9bf506nBoard board, ElfImage image, DeviceLinkChannel? link, ILogger logger)
    {
        _link = link;
        _options = options;
        Machine = machine;
        _board = board;
        _logger = logger;
        Image = image;
        // The DSMC records DSMC_STATUS_MOVED in its private state before it stops the device for good.
        _statusAddress = image.FindSymbol("dsmc_local")?.Address;
        board.Serial[options.LinkChannel].FrameTransmitted += (_, time) =>
        {
            Interlocked.Increment(ref _linkBytes);
            if (_awaitingFirstByte)
            {
                // The first byte of the latest attempt (a failed attempt may precede it).
                _awaitingFirstByte = false;
                FirstLinkByteAt = time;
                FirstLinkByteWallClock = DateTimeOffset.UtcNow;
            }
        };
        board.Serial[options.ConsoleChannel].FrameTransmitted += (frame, _) => _lastConsoleByte = frame & 0xFF;
        if (link is not null)
        {
            board.Serial[options.LinkChannel].Attach(link);
        }
    }

    /// <summary>The machine running the firmware.</summary>
    public Machine Machine { get; }

    /// <summary>The firmware.</summary>
    public ElfImage Image { get; }

    /// <summary>Bytes the device sent on the link so far.</summary>
    public long LinkBytesSent => Interlocked.Read(ref _linkBytes);

    /// <summary>Virtual time (cycles) at which the trigger fired, or null.</summary>
    public ulong? TriggeredAt { get; private set; }

    /// <summary>Virtual time (cycles) of the first byte on the link after the latest trigger, or null.</summary>
    public ulong? FirstLinkByteAt { get; private set; }

    /// <summary>The host's clock when the first byte left on the link, or null.</summary>
    public DateTimeOffset? FirstLinkByteWallClock { get; private set; }

    /// <summary>Where the device was when the trigger fired, or null.</summary>
    public TriggerInstant? TriggeredInstant { get; private set; }

    /// <summary>The host's clock when the DSMC stopped the device, or null.</summary>
    public DateTimeOffset? HaltedWallClock { get; private set; }

    /// <summary>Virtual time (cycles) at which the DSMC was seen to have stopped the device, or null.</summary>
    public ulong? HaltedAt { get; private set; }

    /// <summary>Bytes that reached a connected host (a TCP link), and bytes the device took from it.</summary>
    public (long Sent, long Received)? LinkTraffic => _link is null ? null : (_link.BytesSent, _link.BytesReceived);

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
        // A TCP link reconnects in the background: an absent host is an unplugged cable, not an error.
        var tcpLink = link.Kind == "tcp" ? new DeviceLinkChannel(link.Host!, link.Port, loggerFactory.CreateLogger<EmulatedDevice>()) : null;
        var board = Mb9bf506n.Definition(tcpLink is null ? [new UartBackendSpec(options.ConsoleChannel, "stdio"), link] : [new UartBackendSpec(options.ConsoleChannel, "stdio")]);
        var machine = Machine.Create(board, new MachineOptions { StandardOutput = options.ConsoleOutput, PacingMode = options.Pacing }, loggerFactory);
        try
        {
            machine.LoadElf(image);
            machine.Reset();
            var fm3 = machine.GetDevice<Mb9bf506n.ResettableBoard>(Mb9bf506n.DeviceName).Board;
            return new EmulatedDevice(options, machine, fm3, image, tcpLink, loggerFactory.CreateLogger<EmulatedDevice>());
        }
        catch
        {
            tcpLink?.Dispose();
            MachineResources.Release(machine);
            throw;
        }
    }

    /// <summary>Fires <paramref name="trigger"/> (or the configured one) now; safe from any thread.</summary>
    /// <param name="trigger">The trigger; defaults to the configured one, else external interrupt 0.</param>
    public void Trigger(DeviceTrigger? trigger = null)
    {
        trigger ??= _options.Trigger switch
        {
            DeviceTrigger.After after => after.Then,
            DeviceTrigger.AtInstruction at => at.Then,
            DeviceTrigger.Several => new DeviceTrigger.ExternalInterrupt(0),
            null => new DeviceTrigger.ExternalInterrupt(0),
            var t => t,
        };
        Machine.Post(() => Fire(trigger));
    }

    private void Fire(DeviceTrigger trigger)
    {
        if (trigger is DeviceTrigger.After or DeviceTrigger.AtInstruction)
        {
            Fire(trigger is DeviceTrigger.After a ? a.Then : ((DeviceTrigger.AtInstruction)trigger).Then);
            return;
        }

        TriggeredAt = Machine.Scheduler.Now;
        _awaitingFirstByte = true;
        var cpu = Machine.Cpu;
        var instant = new TriggerInstant(cpu.Instructions, Machine.Scheduler.Now, cpu.Pc, cpu.Ipsr, cpu.Primask, cpu.Basepri, _lastConsoleByte != '\n', DateTimeOffset.UtcNow);
        TriggeredInstant = instant;
        _logger.LogInformation("DSM trigger {Trigger} at {Seconds:F6} s virtual: instruction {Instructions}, pc 0x{Pc:X8}, ipsr {Ipsr}, primask {Primask}, basepri 0x{Basepri:X2}, console {Line}",
            trigger, Machine.Scheduler.NowSeconds, instant.Instructions, instant.Pc, instant.Ipsr, instant.Primask, instant.Basepri, instant.MidLine ? "mid-line" : "between lines");
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
        }
    }

    private readonly record struct QuietLink(long Traffic, double SinceGuestSeconds, long SinceWallTimestamp);

    // Unthrottled, the guest runs faster than real time: while the DSMC waits for the host in silence, its
    // reply timeouts (guest time) would expire before the host had that long in wall time. So during a session
    // the guest never outruns the wall clock while the link is quiet; bytes flowing run at full speed.
    private void KeepTimeoutsReal(double guestSeconds, ref QuietLink quiet)
    {
        if (_options.Pacing != PacingMode.Deterministic || TriggeredAt is null || Halted)
        {
            return;
        }

        long traffic = LinkBytesSent + (_link?.BytesReceived ?? 0);
        if (traffic != quiet.Traffic)
        {
            quiet = new QuietLink(traffic, guestSeconds, System.Diagnostics.Stopwatch.GetTimestamp());
            return;
        }

        double ahead = guestSeconds - quiet.SinceGuestSeconds - System.Diagnostics.Stopwatch.GetElapsedTime(quiet.SinceWallTimestamp).TotalSeconds;
        if (ahead > 0.001)
        {
            Thread.Sleep(TimeSpan.FromSeconds(Math.Min(ahead, 0.02)));
        }
    }

    private bool Holds(InstantCondition condition) => condition switch
    {
        InstantCondition.Isr => Machine.Cpu.Ipsr != 0,
        InstantCondition.Critical => Machine.Cpu.Primask != 0 || Machine.Cpu.Basepri != 0,
        InstantCondition.MidLine => _lastConsoleByte != '\n',
        _ => true,
    };

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
        var timed = (_options.Trigger is DeviceTrigger.Several several ? several.Triggers : _options.Trigger is null ? [] : [_options.Trigger])
            .Where(t => t is DeviceTrigger.After or DeviceTrigger.AtInstruction).ToList();
        double? haltedAtSeconds = null;
        var quiet = new QuietLink(-1, 0, 0);
        while (true)
        {
            ulong before = Machine.Scheduler.Now;
            long budget = 20_000;
            foreach (var at in timed.OfType<DeviceTrigger.AtInstruction>())
            {
                // Run exactly up to the instant, then one instruction at a time until the condition holds.
                ulong done = Machine.Cpu.Instructions;
                budget = Math.Min(budget, done < at.Count ? (long)Math.Min(20_000, at.Count - done) : 1);
            }

            var result = Machine.Run(budget, cancellationToken);
            guestSeconds += (Machine.Scheduler.Now - before) / (double)Math.Max(1u, Machine.Scheduler.CoreClockHz);
            KeepTimeoutsReal(guestSeconds, ref quiet);
            for (int i = 0; i < timed.Count; i++)
            {
                bool due = timed[i] switch
                {
                    DeviceTrigger.After after => guestSeconds >= after.Delay.TotalSeconds,
                    DeviceTrigger.AtInstruction at => Machine.Cpu.Instructions >= at.Count && Holds(at.When),
                    _ => false,
                };
                if (due)
                {
                    Fire(timed[i]);
                    timed.RemoveAt(i--);
                }
            }

            if (Halted)
            {
                // DONE may still sit in the serial port: give the stopped device time to drain its link and
                // to answer a repeated COMMITTED, as the physical device would while it idles.
                if (haltedAtSeconds is null)
                {
                    haltedAtSeconds = guestSeconds;
                    HaltedWallClock = DateTimeOffset.UtcNow;
                    HaltedAt = Machine.Scheduler.Now;
                    _logger.LogInformation("The DSMC stopped the device: the system lives on the host now");
                }
                else if (guestSeconds - haltedAtSeconds >= _options.StoppedLinger.TotalSeconds)
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
    public void Dispose()
    {
        MachineResources.Release(Machine);
        _link?.Dispose();
    }
}
