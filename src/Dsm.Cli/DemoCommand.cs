using System.Diagnostics;
using System.Net;
using Dsm.Emulation.CortexM3.Timing;
using Dsm.Migration;
using Microsoft.Extensions.Logging;

namespace Dsm.Cli;

/// <summary><c>dsm demo</c>: a live migration in one process, device and host side by side.</summary>
internal sealed class DemoCommand : ICliCommand
{
    public string Name => "demo";

    public string Summary => "Migrate a running system (FM3 or MPS2-AN385) into a host, live, and show it carry on";

    public string Usage => "demo [--board mb9bf506n|mps2-an385] [--firmware FILE.elf] [--trigger T] [--lines N] [--realtime]";

    public string Description =>
        """
        Starts a migration host and an emulated device (MB9BF506N by default, or --board mps2-an385) running
        the sample RTOS application with the DSMC linked in (embedded in dsm; --firmware picks another image).
        After the trigger (default: the board's usual trigger after 1.5 s of guest time: external interrupt 0
        on the FM3, the console command byte on the MPS2) the DSMC captures the system, streams it to the host, and the
        device stops; the host resumes it and its console carries on. Lines are prefixed "device |" and
        "host   |". The summary shows the bytes on the wire, the downtime by phase and whether the application's
        output continued without a line lost, repeated or altered (exit code 0 only if it did).
        """;

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new OptionSpec("board", "NAME", "Device board: mb9bf506n (default) or mps2-an385", 'b'),
        new OptionSpec("firmware", "FILE", "Device firmware (default: the embedded sample with the DSMC)"),
        new OptionSpec("trigger", "T", "after=1.5s (default), exti=N, nmi, watchdog (FM3) or console (MPS2)"),
        new OptionSpec("lines", "N", "Host console lines to show after the move (default 12)"),
        new OptionSpec("realtime", null, "Run the device in real time: the link moves bytes at 115200 Bd"),
        new OptionSpec("verbose", null, "Log debug messages to standard error", 'v'),
    ];

    public async Task<int> ExecuteAsync(CommandLineArguments arguments, CliContext context, CancellationToken cancellationToken)
    {
        var output = context.Out;
        string board = (arguments.Get("board") ?? "mb9bf506n").ToLowerInvariant();
        if (board is not ("mb9bf506n" or "mps2-an385"))
        {
            throw new UsageException($"board '{board}' has no DSMC device model here (use mb9bf506n or mps2-an385)");
        }

        string embeddedFirmware = $"app-{board}-dsmc.elf";
        long wantedLines = arguments.GetPositiveInteger("lines", 12);
        DeviceTrigger trigger;
        try
        {
            trigger = DeviceTrigger.Parse(arguments.Get("trigger") ?? "after=1.5s");
        }
        catch (FormatException e)
        {
            throw new UsageException(e.Message);
        }

        if (!EmulatedDevice.SupportsTrigger(board, trigger))
        {
            throw new UsageException($"the {board} device has no trigger '{arguments.Get("trigger")}'");
        }

        string work = Directory.CreateTempSubdirectory("dsm-demo-").FullName;
        try
        {
            string images = Directory.CreateDirectory(Path.Combine(work, "images")).FullName;
            string firmware = arguments.Get("firmware") ?? ExtractEmbeddedFirmware(Path.Combine(images, embeddedFirmware), embeddedFirmware);
            if (arguments.Get("firmware") is not null)
            {
                File.Copy(firmware, Path.Combine(images, Path.GetFileName(firmware)));
            }

            // Unmodelled registers the DSMC saves (DMA, for one) are logged as warnings: the demo shows errors only.
            using var loggerFactory = CliLogging.Create(context.Error, arguments.Has("verbose") ? LogLevel.Debug : LogLevel.Error);
            await using var host = new MigrationHost(new MigrationHostOptions { StateDirectory = Path.Combine(work, "state"), ImageDirectory = images }, loggerFactory);
            await host.StartAsync(cancellationToken).ConfigureAwait(false);

            var deviceLines = new List<string>();
            var hostLines = new List<string>();
            var hostLineArrived = new SemaphoreSlim(0);
            var moved = new TaskCompletionSource<HostedSystem>(TaskCreationOptions.RunContinuationsAsynchronously);
            long resumedAt = 0;
            DateTimeOffset? resumedWallClock = null;
            long firstHostLineAt = 0;
            host.SystemArrived += (_, e) => e.System.Console.Output += new LineSplitter(line =>
            {
                lock (hostLines)
                {
                    if (hostLines.Count == 0)
                    {
                        firstHostLineAt = Stopwatch.GetTimestamp();
                    }

                    hostLines.Add(line);
                }

                Print(output, "host   | ", line);
                hostLineArrived.Release();
            }).WriteAsConsole();
            host.SystemResumed += (_, e) =>
            {
                resumedAt = Stopwatch.GetTimestamp();
                resumedWallClock = DateTimeOffset.UtcNow;
                moved.TrySetResult(e.System);
            };
            host.SystemFaulted += (_, e) => moved.TrySetException(new InvalidOperationException("the system faulted on the host:\n" + e.System.FaultReport));

            using var stopAll = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var listening = new TaskCompletionSource<IPEndPoint>();
            var listen = host.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0), stopAll.Token, listening.SetResult);
            var endpoint = await listening.Task.ConfigureAwait(false);

            output.WriteLine($"dsm demo: device {board.ToUpperInvariant()} running {Path.GetFileName(firmware)}; host listening on {endpoint}");
            var deviceConsole = new LineSplitter(line =>
            {
                lock (deviceLines)
                {
                    deviceLines.Add(line);
                }

                Print(output, "device | ", line);
            });
            using var device = EmulatedDevice.Create(new EmulatedDeviceOptions
            {
                FirmwarePath = firmware,
                Board = board,
                Link = $"tcp:{endpoint.Address}:{endpoint.Port}",
                ConsoleOutput = deviceConsole,
                Pacing = arguments.Has("realtime") ? PacingMode.RealTime : PacingMode.Deterministic,
                Trigger = trigger is DeviceTrigger.After ? trigger : new DeviceTrigger.After(TimeSpan.FromSeconds(1.5), trigger),
            }, loggerFactory);

            var transferWatch = new Stopwatch();
            var deviceRun = Task.Run(() => device.Run(stopAll.Token), stopAll.Token);
            var progress = Task.Run(async () =>
            {
                long shown = 0;
                while (!deviceRun.IsCompleted)
                {
                    long bytes = device.LinkBytesSent;
                    if (bytes > 0 && !transferWatch.IsRunning)
                    {
                        transferWatch.Start();
                    }

                    if (bytes != shown)
                    {
                        context.Error.Write($"\r  migrating: {bytes,7} bytes on the link");
                        shown = bytes;
                    }

                    await Task.Delay(50, CancellationToken.None).ConfigureAwait(false);
                }

                if (shown > 0)
                {
                    context.Error.WriteLine();
                }
            }, CancellationToken.None);

            var deviceResult = await deviceRun.ConfigureAwait(false);
            deviceConsole.Complete(); // a move mid-line leaves the line's start on the device
            await progress.ConfigureAwait(false);
            transferWatch.Stop();
            if (!device.Halted)
            {
                output.WriteLine($"dsm demo: the device did not migrate: {deviceResult.FaultDescription ?? deviceResult.StopReason.ToString()}");
                return ExitCodes.GuestFault;
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(TimeSpan.FromSeconds(60));
            var system = await moved.Task.WaitAsync(wait.Token).ConfigureAwait(false);
            while (true)
            {
                lock (hostLines)
                {
                    if (hostLines.Count >= wantedLines)
                    {
                        break;
                    }
                }

                await hostLineArrived.WaitAsync(wait.Token).ConfigureAwait(false);
            }

            await host.StopAsync(system.Id, cancellationToken).ConfigureAwait(false);
            await stopAll.CancelAsync().ConfigureAwait(false);
            await listen.ConfigureAwait(false);

            ContinuityCheck.Verdict verdict;
            lock (deviceLines)
            {
                lock (hostLines)
                {
                    verdict = ContinuityCheck.Evaluate(deviceLines.ToList(), hostLines.ToList());
                }
            }

            double captureMs = device.TriggeredAt is { } t && device.FirstLinkByteAt is { } f
                ? (f - t) * 1000.0 / device.Machine.Scheduler.CoreClockHz
                : double.NaN;
            double restoreMs = resumedAt != 0 && firstHostLineAt != 0 ? Stopwatch.GetElapsedTime(resumedAt, firstHostLineAt).TotalMilliseconds : double.NaN;
            var imageStore = host.Images.Find(Convert.FromHexString(system.BuildId ?? string.Empty));
            output.WriteLine();
            output.WriteLine("Summary");
            output.WriteLine($"  wire bytes (device to host): {device.LinkBytesSent}  (at 115200 Bd: {device.LinkBytesSent * 10 / 115.2:F0} ms)");
            output.WriteLine($"  firmware known to the host by build-id: {(imageStore is null ? "no: all flash crossed the link" : "yes: only differing flash blocks crossed the link")}");
            // From the device's first link byte to the system resuming on the host, both taken where they happen (a
            // poll of the byte count, and the device's lingering after it stopped, made this several hundred ms longer).
            double transferMs = device.FirstLinkByteWallClock is { } firstByte && resumedWallClock is { } resumed
                ? (resumed - firstByte).TotalMilliseconds
                : transferWatch.Elapsed.TotalMilliseconds;
            output.WriteLine($"  downtime: capture {captureMs:F2} ms (guest time, DSM interrupt to first byte), transfer {transferMs:F0} ms (wall, first link byte to the system resuming on the host), restore {restoreMs:F0} ms (wall, resume to first console line incl. the line's own timing)");
            output.WriteLine($"  continuity: {(verdict.Ok ? "OK" : "FAILED")}: {verdict.Detail}");
            return verdict.Ok ? ExitCodes.Success : ExitCodes.GuestFault;
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static void Print(TextWriter output, string prefix, string line)
    {
        lock (output)
        {
            output.WriteLine(prefix + line);
        }
    }

    private static string ExtractEmbeddedFirmware(string path, string name)
    {
        using var resource = typeof(DemoCommand).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"the embedded firmware {name} is missing from this build of dsm");
        using var file = File.Create(path);
        resource.CopyTo(file);
        return path;
    }
}

/// <summary>Adapts a <see cref="LineSplitter"/> to a guest console subscription.</summary>
internal static class LineSplitterExtensions
{
    public static Action<ReadOnlyMemory<byte>> WriteAsConsole(this LineSplitter splitter) => bytes => splitter.Write(bytes.Span);
}
