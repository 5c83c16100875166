using System.Net;
using System.Text;
using Dsm.Migration;
using Microsoft.Extensions.Logging;

namespace Dsm.Cli;

/// <summary><c>dsm host</c>: serves migrations and runs the systems that arrive, printing their consoles.</summary>
internal sealed class HostCommand : ICliCommand
{
    public string Name => "host";

    public string Summary => "Accept emigrating systems and run them in real time";

    public string Usage => "host [--listen ADDRESS:PORT] [--images DIR] [--state DIR] [options]";

    public string Description =>
        """
        Listens for devices whose DSMC starts a migration, stores each arriving system durably in the state
        directory before telling the device it may stop, then runs it on the Dsm engine in real time. Every
        system's console is printed with its id as prefix. Systems found in the state directory at start
        (a host restart) are resumed where they were. Firmware ELF files in the image directory are matched
        to devices by GNU build-id, so only flash blocks that differ cross the link. Ctrl+C stops the host
        after snapshotting the running systems. With --keys FILE (lines "DEVICE-ID KEY"; the id as 32 hex digits
        or as the firmware's text, the key as text or hex:...) a device must prove it holds its key, else it is
        rejected and keeps running. A system whose hand-over stopped at COMMITTED (the host died before the
        device's DONE) is held at restart unless --resume-committed says the device is known to have stopped.
        """;

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new OptionSpec("listen", "ADDRESS:PORT", "Where to listen (default 127.0.0.1:7070)", 'l'),
        new OptionSpec("images", "DIR", "Firmware ELF files, matched by build-id"),
        new OptionSpec("state", "DIR", "Where systems are stored (default ./dsm-state)"),
        new OptionSpec("serial", "PORT:BAUD", "Also accept migrations on a serial port, e.g. /dev/ttyUSB0:115200"),
        new OptionSpec("list-every", "SECONDS", "Print the list of systems every SECONDS (default 10, 0: never)"),
        new OptionSpec("keys", "FILE", "Device keys (DEVICE-ID KEY per line); with it, only devices that authenticate are accepted"),
        new OptionSpec("resume-committed", null, "Also resume stored systems whose device never confirmed the stop (you know it stopped)"),
        new OptionSpec("verbose", null, "Log debug messages to standard error", 'v'),
    ];

    public async Task<int> ExecuteAsync(CommandLineArguments arguments, CliContext context, CancellationToken cancellationToken)
    {
        if (arguments.Positional.Count != 0)
        {
            throw new UsageException("host takes no positional arguments");
        }

        var endpoint = ParseEndpoint(arguments.Get("listen") ?? "127.0.0.1:7070");
        long listEvery = arguments.Get("list-every") == "0" ? 0 : arguments.GetPositiveInteger("list-every", 10);
        var keys = arguments.Get("keys") is { } keyFile ? DeviceKeyFile.Load(keyFile) : null;
        using var loggerFactory = CliLogging.Create(context.Error, arguments.Has("verbose") ? LogLevel.Debug : LogLevel.Information);
        await using var host = new MigrationHost(new MigrationHostOptions
        {
            StateDirectory = arguments.Get("state") ?? Path.Combine(Environment.CurrentDirectory, "dsm-state"),
            ImageDirectory = arguments.Get("images"),
            DeviceKeys = keys,
            Receiver = new Protocol.MigrationReceiverOptions { RequireAuthentication = keys is not null },
            ResumeCommittedSystems = arguments.Has("resume-committed"),
        }, loggerFactory);
        AttachConsoles(host, context.Out);
        await host.StartAsync(cancellationToken).ConfigureAwait(false);
        var serving = new List<Task> { host.ListenAsync(endpoint, cancellationToken) };
        if (arguments.Get("serial") is { } serial)
        {
            int colon = serial.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(serial.AsSpan(colon + 1), out int baud))
            {
                throw new UsageException($"--serial '{serial}': expected PORT:BAUD");
            }

            serving.Add(host.ServeSerialPortAsync(serial[..colon], baud, cancellationToken));
        }

        if (listEvery > 0)
        {
            serving.Add(ListPeriodicallyAsync(host, context.Out, TimeSpan.FromSeconds(listEvery), cancellationToken));
        }

        try
        {
            await Task.WhenAll(serving).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        WriteList(host, context.Out);
        return ExitCodes.Success;
    }

    internal static IPEndPoint ParseEndpoint(string text)
    {
        return IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port != 0 || text.EndsWith(":0", StringComparison.Ordinal) && IPEndPoint.TryParse(text, out endpoint)
            ? endpoint!
            : throw new UsageException($"'{text}' is not an ADDRESS:PORT");
    }

    /// <summary>Prints each system's console lines with a short id prefix.</summary>
    internal static void AttachConsoles(MigrationHost host, TextWriter output)
    {
        // Arrivals, and systems a restarted host resumes from its state directory (they do not arrive again).
        var attached = new HashSet<Guid>();
        EventHandler<HostedSystemEventArgs> attach = (_, e) =>
        {
            lock (attached)
            {
                if (!attached.Add(e.System.Id))
                {
                    return;
                }
            }

            string prefix = $"[{e.System.Id.ToString("N")[..8]}] ";
            var pending = new StringBuilder();
            e.System.Console.Output += bytes =>
            {
                lock (pending)
                {
                    pending.Append(Encoding.UTF8.GetString(bytes.Span));
                    int newline;
                    while ((newline = IndexOfNewline(pending)) >= 0)
                    {
                        string line = pending.ToString(0, newline).TrimEnd('\r');
                        pending.Remove(0, newline + 1);
                        lock (output)
                        {
                            output.WriteLine(prefix + line);
                        }
                    }
                }
            };
        };
        host.SystemArrived += attach;
        host.SystemResumed += attach;
        host.SystemFaulted += (_, e) =>
        {
            lock (output)
            {
                output.WriteLine($"[{e.System.Id.ToString("N")[..8]}] FAULTED:\n{e.System.FaultReport}");
            }
        };
    }

    private static int IndexOfNewline(StringBuilder text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                return i;
            }
        }

        return -1;
    }

    private static async Task ListPeriodicallyAsync(MigrationHost host, TextWriter output, TimeSpan every, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(every);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            if (host.Systems.Count > 0)
            {
                WriteList(host, output);
            }
        }
    }

    internal static void WriteList(MigrationHost host, TextWriter output)
    {
        lock (output)
        {
            output.WriteLine($"{"system",-10} {"board",-11} {"state",-9} {"uptime",9} {"instructions",14} {"MIPS",7}  firmware");
            foreach (var s in host.Systems)
            {
                output.WriteLine($"{s.Id.ToString("N")[..8],-10} {s.BoardId,-11} {s.State,-9} {s.Uptime.TotalSeconds,8:F1}s {s.Instructions,14} {s.Mips,7:F1}  {s.BuildId?[..Math.Min(16, s.BuildId.Length)] ?? "-"}");
            }
        }
    }
}
