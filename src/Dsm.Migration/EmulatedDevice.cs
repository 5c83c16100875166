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

        if (text == "console")
        {
            return new ConsoleCommand();
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
                return new After(TimeSpan.FromSeconds(amount * factor), new BoardDefault());
            }
        }

        throw new FormatException($"'{text}' is not a trigger: use after=2s, after=500ms, at=N[,when=isr|critical|midline][,via=nmi|exti=N|watchdog], exti=N (0-15), nmi, watchdog (FM3) or console (MPS2).");
    }

    private static AtInstruction ParseAt(string text)
    {
        var parts = text.Split(',');
        if (!ulong.TryParse(parts[0].AsSpan(3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ulong count))
        {
            throw new FormatException($"'{text}': at=N needs an instruction count.");
        }

        var when = InstantCondition.Any;
        DeviceTrigger then = new BoardDefault();
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

    /// <summary>Guest time the stopped device keeps serving its link (answering a repeated COMMITTED) before <see cref="EmulatedDevice.Run"/> returns.</summary>
    public TimeSpan StoppedLinger { get; init; } = TimeSpan.FromSeconds(0.25);
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
    private readonly uint? _statusAddress;
    private readonly DeviceLinkChannel? _link;
    private long _linkBytes;
    private int _lastConsoleByte = '\n';
    private bool _awaitingFirstByte = true;
    private uint? _dsmException;

    private EmulatedDevice(EmulatedDeviceOptions options, Machine machine, DeviceBoard board, ElfImage image, DeviceLinkChannel? link, ILogger logger)
    {
        _link = link;
        _options = options;
        Machine = machine;
        _board = board;
        _logger = logger;
        Image = image;
        // The DSMC records DSMC_STATUS_MOVED in its private state before it stops the device for good.
        _statusAddress = image.FindSymbol("dsmc_local")?.Address;
        board.Connect(machine, options.ConsoleChannel, options.LinkChannel, time =>
        {
            Interlocked.Increment(ref _linkBytes);
            if (_awaitingFirstByte)
            {
                // The first byte of the latest attempt (a failed attempt may precede it).
                _awaitingFirstByte = false;
                FirstLinkByteAt = time;
                FirstLinkByteWallClock = DateTimeOffset.UtcNow;
                // The DSMC sends from its handler: that exception is active for the whole session.
                _dsmException = Machine.Cpu.Ipsr;
            }
        }, frame => _lastConsoleByte = frame, link);
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
        // A TCP link reconnects in the background: an absent host is an unplugged cable, not an error.
        var tcpLink = link.Kind == "tcp" ? new DeviceLinkChannel(link.Host!, link.Port, loggerFactory.CreateLogger<EmulatedDevice>()) : null;
        var definition = board.Definition(options.ConsoleChannel, tcpLink is null ? link : null);
        var machine = Machine.Create(definition, new MachineOptions { StandardOutput = options.ConsoleOutput, PacingMode = options.Pacing }, loggerFactory);
        try
        {
            machine.LoadElf(image);
            machine.Reset();
            return new EmulatedDevice(options, machine, board, image, tcpLink, loggerFactory.CreateLogger<EmulatedDevice>());
        }
        catch
        {
            tcpLink?.Dispose();
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
        static DeviceTrigger Fired(DeviceTrigger t) => t switch { DeviceTrigger.After after => after.Then, DeviceTrigger.AtInstruction at => at.Then, _ => t };
        return BoardFor(board, null) is { } model && (trigger is DeviceTrigger.Several several
            ? several.Triggers.All(t => model.Fire(null, Fired(t), dryRun: true))
            : model.Fire(null, Fired(trigger), dryRun: true));
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
        trigger ??= _options.Trigger switch
        {
            DeviceTrigger.After after => after.Then,
            DeviceTrigger.AtInstruction at => at.Then,
            DeviceTrigger.Several => new DeviceTrigger.BoardDefault(),
            null => new DeviceTrigger.BoardDefault(),
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

        var cpu = Machine.Cpu;
        if (_dsmException is { } dsm && cpu.Ipsr == dsm && !Halted)
        {
            // The DSM interrupt is active: the edge only pends (taken after a session that fails, ignored after a
            // move). The session's instant and timings stay those of the trigger that started it.
            _logger.LogInformation("DSM trigger {Trigger} at {Seconds:F6} s virtual during the migration session: it stays pending",
                trigger, Machine.Scheduler.NowSeconds);
            _board.Fire(Machine, trigger, dryRun: false);
            return;
        }

        TriggeredAt = Machine.Scheduler.Now;
        _awaitingFirstByte = true;
        var instant = new TriggerInstant(cpu.Instructions, Machine.Scheduler.Now, cpu.Pc, cpu.Ipsr, cpu.Primask, cpu.Basepri, _lastConsoleByte != '\n', DateTimeOffset.UtcNow);
        TriggeredInstant = instant;
        _logger.LogInformation("DSM trigger {Trigger} at {Seconds:F6} s virtual: instruction {Instructions}, pc 0x{Pc:X8}, ipsr {Ipsr}, primask {Primask}, basepri 0x{Basepri:X2}, console {Line}",
            trigger, Machine.Scheduler.NowSeconds, instant.Instructions, instant.Pc, instant.Ipsr, instant.Primask, instant.Basepri, instant.MidLine ? "mid-line" : "between lines");
        if (!_board.Fire(Machine, trigger, dryRun: false))
        {
            _logger.LogError("The {Board} device has no trigger {Trigger}: nothing fired", _options.Board, trigger);
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

    /// <summary>What differs between the device boards: how the machine is built, how the link is watched, how triggers fire.</summary>
    private abstract class DeviceBoard
    {
        /// <summary>The board with the console and, unless <paramref name="link"/> is null (a channel attached in <see cref="Connect"/>), the link backend.</summary>
        public abstract BoardDefinition Definition(int consoleChannel, UartBackendSpec? link);

        /// <summary>Finds the board's devices and reports each byte the link UART sends, with its virtual time.</summary>
        public abstract void Connect(Machine machine, int consoleChannel, int linkChannel, Action<ulong> linkByteSent, Action<byte> consoleByteSent, IByteChannel? link);

        /// <summary>Fires <paramref name="trigger"/> (or only checks it with <paramref name="dryRun"/>); false when the board has no such trigger.</summary>
        public abstract bool Fire(Machine? machine, DeviceTrigger trigger, bool dryRun);
    }

    private sealed class Fm3DeviceBoard : DeviceBoard
    {
        private Mb9bf506nBoard? _board;

        public override BoardDefinition Definition(int consoleChannel, UartBackendSpec? link)
            => Mb9bf506n.Definition(link is null ? [new UartBackendSpec(consoleChannel, "stdio")] : [new UartBackendSpec(consoleChannel, "stdio"), link]);

        public override void Connect(Machine machine, int consoleChannel, int linkChannel, Action<ulong> linkByteSent, Action<byte> consoleByteSent, IByteChannel? link)
        {
            _board = machine.GetDevice<Mb9bf506n.ResettableBoard>(Mb9bf506n.DeviceName).Board;
            _board.Serial[linkChannel].FrameTransmitted += (_, time) => linkByteSent(time);
            _board.Serial[consoleChannel].FrameTransmitted += (frame, _) => consoleByteSent((byte)frame);
            if (link is not null)
            {
                _board.Serial[linkChannel].Attach(link);
            }
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

        public override BoardDefinition Definition(int consoleChannel, UartBackendSpec? link) => Mps2An385.Definition(link is null ? [] : [link]);

        public override void Connect(Machine machine, int consoleChannel, int linkChannel, Action<ulong> linkByteSent, Action<byte> consoleByteSent, IByteChannel? link)
        {
            var board = machine.GetDevice<Mps2An385Board>(Mps2An385.DeviceName);
            _console.Sent = consoleByteSent;
            board.Attach(consoleChannel, _console);
            if (link is not null)
            {
                board.Attach(linkChannel, link);
            }

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

        public Action<byte>? Sent { get; set; }

        public void Send(byte value)
        {
            Sent?.Invoke(value);
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
