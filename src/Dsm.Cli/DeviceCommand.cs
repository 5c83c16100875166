using Dsm.Emulation.CortexM3.Timing;
using Dsm.Migration;
using Microsoft.Extensions.Logging;

namespace Dsm.Cli;

/// <summary><c>dsm device</c>: the stand-in for a physical device (FM3 or MPS2-AN385), whose DSMC emigrates to a host.</summary>
internal sealed class DeviceCommand : ICliCommand
{
    public string Name => "device";

    public string Summary => "Run firmware as a device (FM3 or MPS2-AN385) whose DSMC migrates it to a host";

    public string Usage => "device FIRMWARE.elf --link tcp:HOST:PORT [--board mb9bf506n|mps2-an385] [--baud N] [--trigger T]";

    public string Description =>
        """
        Runs FIRMWARE.elf (with the DSMC linked in) from reset on the Dsm engine as the board would run it
        (default mb9bf506n). The DSMC's link (MFS channel 1, or CMSDK UART1 on mps2-an385) is bridged to the
        host at --link; the console (MFS channel 0 / UART0) goes to standard output. --trigger starts the
        migration: after=2s (the board's usual trigger after two seconds of guest time: external interrupt 0
        on the FM3, the console command byte on the MPS2), at=N (the board's usual trigger at instruction N;
        with when=isr, when=critical or when=midline at the first instant from N on where the device is in a
        handler, has interrupts masked, or is in the middle of a console line; via= picks the trigger to fire).
        FM3: exti=N (a falling edge on external interrupt N), nmi (the NMIX pin) or watchdog (the software
        watchdog's warning interrupt). MPS2: console (the byte 'M' on UART0, whose receive handler in the
        sample firmware calls dsmc_request). Several triggers: T1;T2. Without --baud the device runs as fast as the
        host can (the link is unthrottled); with --baud it runs in real time, so the link moves bytes at the
        rate the firmware programmed (which should be N). A missing host is an unplugged cable: the device runs
        on and reconnects when the host appears. On exit a "dsm: timeline:" line gives the trigger instant
        and the wall-clock times (Unix microseconds) of the trigger, the first link byte and the stop. The command ends when the DSMC stops the device
        after a completed migration (exit code 0), or when the guest exits or faults.
        """;

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new OptionSpec("board", "NAME", "Device board: mb9bf506n (default) or mps2-an385", 'b'),
        new OptionSpec("link", "tcp:HOST:PORT", "Where the migration host listens"),
        new OptionSpec("baud", "N", "Run in real time: the link moves bytes at the firmware's baud rate (N)"),
        new OptionSpec("trigger", "T", "after=2s, after=500ms, at=N[,when=isr|critical|midline][,via=T], exti=N, nmi, watchdog or console (default: none; the firmware may call dsmc_request)"),
        new OptionSpec("linger", "SECONDS", "Guest seconds the stopped device keeps answering on its link before the command ends (default 0.25)"),
        new OptionSpec("verbose", null, "Log debug messages to standard error", 'v'),
    ];

    public Task<int> ExecuteAsync(CommandLineArguments arguments, CliContext context, CancellationToken cancellationToken)
    {
        if (arguments.Positional.Count != 1)
        {
            throw new UsageException("device needs one firmware ELF file");
        }

        string board = (arguments.Get("board") ?? "mb9bf506n").ToLowerInvariant();
        if (board is not ("mb9bf506n" or "mps2-an385"))
        {
            throw new UsageException($"board '{board}' has no DSMC device model here (use mb9bf506n or mps2-an385)");
        }

        string link = arguments.Get("link") ?? throw new UsageException("device needs --link tcp:HOST:PORT");
        DeviceTrigger? trigger;
        try
        {
            trigger = arguments.Get("trigger") is { } t ? DeviceTrigger.Parse(t) : null;
        }
        catch (FormatException e)
        {
            throw new UsageException(e.Message);
        }

        if (trigger is not null && !EmulatedDevice.SupportsTrigger(board, trigger))
        {
            throw new UsageException($"the {board} device has no trigger '{arguments.Get("trigger")}'");
        }

        using var loggerFactory = CliLogging.Create(context.Error, arguments.Has("verbose") ? LogLevel.Debug : LogLevel.Information);
        using var device = EmulatedDevice.Create(new EmulatedDeviceOptions
        {
            FirmwarePath = arguments.Positional[0],
            Board = board,
            Link = link,
            ConsoleOutput = new Emulation.CortexM3.Semihosting.TextWriterStream(context.Out),
            Pacing = arguments.Has("baud") ? PacingMode.RealTime : PacingMode.Deterministic,
            Trigger = trigger,
            StoppedLinger = TimeSpan.FromSeconds(ParseSeconds(arguments.Get("linger") ?? "0.25")),
        }, loggerFactory);
        var result = device.Run(cancellationToken);
        context.Out.Flush();
        WriteTimeline(device, context.Error);
        if (device.Halted)
        {
            context.Error.WriteLine($"dsm: the system moved to the host ({device.LinkBytesSent} bytes on the link); the device has stopped");
            return Task.FromResult(ExitCodes.Success);
        }

        if (result.Cancelled)
        {
            return Task.FromResult(ExitCodes.Interrupted);
        }

        if (result.Exited)
        {
            return Task.FromResult(result.ExitCode ?? 0);
        }

        context.Error.WriteLine($"dsm: the device stopped without migrating:\n{result.FaultDescription}");
        return Task.FromResult(ExitCodes.GuestFault);
    }

    private static double ParseSeconds(string text) =>
        double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double seconds) && seconds >= 0
            ? seconds
            : throw new UsageException($"--linger '{text}': expected a number of seconds");

    // One machine-readable line for tests and downtime measurements (times in Unix microseconds).
    private static void WriteTimeline(EmulatedDevice device, TextWriter error)
    {
        var i = device.TriggeredInstant;
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var line = new System.Text.StringBuilder("dsm: timeline:");
        line.Append(inv, $" clock-hz={device.Machine.Scheduler.CoreClockHz} instructions={device.Machine.Cpu.Instructions} link-bytes={device.LinkBytesSent}");
        if (device.LinkTraffic is { } traffic)
        {
            line.Append(inv, $" wire-sent={traffic.Sent} wire-received={traffic.Received}");
        }

        if (i is not null)
        {
            line.Append(inv, $" trigger-instruction={i.Instructions} trigger-cycles={i.Cycles} pc=0x{i.Pc:X8} ipsr={i.Ipsr} primask={i.Primask} basepri={i.Basepri} midline={(i.MidLine ? 1 : 0)} trigger-wall={Micros(i.WallClock)}");
        }

        if (device.FirstLinkByteAt is { } first)
        {
            line.Append(inv, $" first-byte-cycles={first}");
        }

        if (device.FirstLinkByteWallClock is { } firstWall)
        {
            line.Append(inv, $" first-byte-wall={Micros(firstWall)}");
        }

        if (device.HaltedWallClock is { } halted)
        {
            line.Append(inv, $" halted-wall={Micros(halted)} halted-cycles={device.HaltedAt}");
        }

        line.Append(inv, $" moved={(device.Halted ? 1 : 0)} pc-now=0x{device.Machine.Cpu.Pc:X8}");
        error.WriteLine(line.ToString());
    }

    internal static long Micros(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
}
