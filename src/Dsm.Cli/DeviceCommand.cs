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
        on the FM3, the console command byte on the MPS2). FM3: exti=N (a falling edge on external interrupt
        N), nmi (the NMIX pin) or watchdog (the software watchdog's warning interrupt). MPS2: console (the
        byte 'M' on UART0, whose receive handler in the sample firmware calls dsmc_request). Without --baud the device runs as fast as the
        host can (the link is unthrottled); with --baud it runs in real time, so the link moves bytes at the
        rate the firmware programmed (which should be N). The command ends when the DSMC stops the device
        after a completed migration (exit code 0), or when the guest exits or faults.
        """;

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new OptionSpec("board", "NAME", "Device board: mb9bf506n (default) or mps2-an385", 'b'),
        new OptionSpec("link", "tcp:HOST:PORT", "Where the migration host listens"),
        new OptionSpec("baud", "N", "Run in real time: the link moves bytes at the firmware's baud rate (N)"),
        new OptionSpec("trigger", "T", "after=2s, after=500ms, exti=N, nmi, watchdog or console (default: none; the firmware may call dsmc_request)"),
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
        }, loggerFactory);
        var result = device.Run(cancellationToken);
        context.Out.Flush();
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
}
