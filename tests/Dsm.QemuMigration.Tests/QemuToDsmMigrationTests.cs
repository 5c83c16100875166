using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Dsm.Cli;
using Dsm.Migration;
using Dsm.Tests.Support;

namespace Dsm.QemuMigration.Tests;

/// <summary>
/// QEMU plays the physical device: <c>qemu-system-arm -M mps2-an385</c> runs the sample RTOS with the DSMC
/// (app-mps2-an385-dsmc.elf), its console UART0 and the DSMC's link UART1 on loopback sockets. The test types
/// the console command byte at a chosen instant; the firmware's UART0 receive handler calls dsmc_request(),
/// the DSMC streams the system to an in-process <see cref="MigrationHost"/>, QEMU's guest stops and the system
/// carries on in our engine. The console bytes of QEMU followed by those of the host must form the same lines
/// a run that never moved would print: none lost, repeated or altered, checksums valid, task A's sequence
/// continuous, no timer count lost.
/// </summary>
[TestFixture]
[NonParallelizable] // QEMU runs in real time: a second one would compete for the same two cores
public sealed class QemuToDsmMigrationTests
{
    private const string Firmware = "app-mps2-an385-dsmc.elf";
    private const int HostLinesWanted = 6;

    /// <summary>
    /// Trigger instants: the command byte goes out this many milliseconds after the console shows task A's
    /// line seq=3, so the capture lands at varied points of two 100 ms report cycles (between ticks, in a
    /// timer interrupt, around a report line, idle). CI runs the first five; DSM_QEMU_INSTANTS=N runs N (a
    /// local soak).
    /// </summary>
    private static IEnumerable<int> Delays()
    {
        int[] spread = [0, 137, 61, 189, 13, 105, 23, 147, 71, 197, 3, 129, 53, 179, 111, 17, 141, 67, 83, 159];
        int count = int.TryParse(Environment.GetEnvironmentVariable("DSM_QEMU_INSTANTS"), out int n) && n > 0 ? n : 5;
        for (int i = 0; i < count; i++)
        {
            yield return spread[i % spread.Length] + (7 * (i / spread.Length));
        }
    }

    [SetUp]
    public void RequireQemu() => QemuTool.Require();

    [TestCaseSource(nameof(Delays))]
    [CancelAfter(90_000)]
    public async Task TheSystemMovesFromQemuIntoDsmWithoutALineLostRepeatedOrAltered(int delayMs, CancellationToken ct)
    {
        string work = Directory.CreateTempSubdirectory("dsm-qemu-migration-").FullName;
        try
        {
            await MigrateAsync(work, delayMs, ct);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task MigrateAsync(string work, int delayMs, CancellationToken ct)
    {
        string images = Directory.CreateDirectory(Path.Combine(work, "images")).FullName;
        File.Copy(QemuTool.SampleFirmware(Firmware), Path.Combine(images, Firmware));
        await using var host = new MigrationHost(new MigrationHostOptions { StateDirectory = Path.Combine(work, "state"), ImageDirectory = images });
        await host.StartAsync(ct);
        var hostConsole = new ConsoleText();
        var resumed = new TaskCompletionSource<HostedSystem>(TaskCreationOptions.RunContinuationsAsynchronously);
        host.SystemArrived += (_, e) => e.System.Console.Output += hostConsole.Append;
        host.SystemResumed += (_, e) => resumed.TrySetResult(e.System);
        host.SystemFaulted += (_, e) => resumed.TrySetException(new AssertionException("the system faulted on the host:\n" + e.System.FaultReport));

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var listening = new TaskCompletionSource<IPEndPoint>();
        var listen = host.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0), stop.Token, listening.SetResult);
        var link = await listening.Task.WaitAsync(ct);

        using var consoleListener = new TcpListener(IPAddress.Loopback, 0);
        consoleListener.Start();
        int consolePort = ((IPEndPoint)consoleListener.LocalEndpoint).Port;
        using var qemu = QemuTool.Start(
        [
            "-M", "mps2-an385", "-nographic", "-monitor", "none",
            "-chardev", $"socket,id=console,host=127.0.0.1,port={consolePort}", "-serial", "chardev:console",
            "-chardev", $"socket,id=link,host=127.0.0.1,port={link.Port}", "-serial", "chardev:link",
            "-kernel", QemuTool.SampleFirmware(Firmware),
        ]);
        var qemuErrors = qemu.StandardError.ReadToEndAsync(ct);
        try
        {
            using var consoleClient = await consoleListener.AcceptTcpClientAsync(ct);
            using var consoleStream = consoleClient.GetStream();
            var deviceConsole = new ConsoleText();
            var pump = PumpAsync(consoleStream, deviceConsole, stop.Token);

            await deviceConsole.WaitForAsync("A seq=3 ", TimeSpan.FromSeconds(20), ct);
            await Task.Delay(delayMs, ct);
            await consoleStream.WriteAsync(new[] { DeviceTrigger.ConsoleCommand.Byte }, ct);

            var system = await resumed.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
            if (!await hostConsole.WaitForLinesAsync(HostLinesWanted, TimeSpan.FromSeconds(20), ct))
            {
                Assert.Fail($"the host printed fewer than {HostLinesWanted} lines in 20 s:\n{hostConsole.Text}\n{await DescribeAsync(system, ct)}");
            }

            long deviceBytesAtResume = deviceConsole.Length;
            await Task.Delay(300, ct); // QEMU would print within 100 ms if its guest had gone on
            Assert.That(deviceConsole.Length, Is.EqualTo(deviceBytesAtResume), "the device must stop after the move");
            await host.StopAsync(system.Id, ct);

            // The device's unfinished last line is completed by the host's first bytes.
            string device = deviceConsole.Text, hosted = hostConsole.Text;
            int cut = device.LastIndexOf('\n') + 1;
            var deviceLines = Lines(device[..cut]);
            var hostLines = Lines(device[cut..] + hosted);
            var verdict = ContinuityCheck.Evaluate(deviceLines, hostLines);
            TestContext.Out.WriteLine($"delay {delayMs} ms: {verdict.Detail}; the device's last line was {(cut == device.Length ? "complete" : $"cut after {device.Length - cut} bytes")}");
            Assert.Multiple(() =>
            {
                Assert.That(verdict.Ok, Is.True, $"{verdict.Detail}\n--- device ---\n{device}\n--- host ---\n{hosted}");
                Assert.That(verdict.FirstHostSequence, Is.EqualTo(verdict.LastDeviceSequence + 1));
                Assert.That(verdict.LastDeviceSequence, Is.GreaterThanOrEqualTo(3));
                Assert.That(system.BoardId, Is.EqualTo("mps2-an385"));
            });
        }
        finally
        {
            if (!qemu.HasExited)
            {
                qemu.Kill(entireProcessTree: true);
            }

            await qemu.WaitForExitAsync(CancellationToken.None);
            await stop.CancelAsync();
            await listen;
            TestContext.Out.WriteLine(await qemuErrors);
        }
    }

    /// <summary>What the hosted system is doing, for a failure report.</summary>
    private static async Task<string> DescribeAsync(HostedSystem system, CancellationToken ct)
    {
        string machine = system.State is HostedSystemState.Running or HostedSystemState.Held or HostedSystemState.Sleeping
            ? await system.InvokeAsync(m => $"{m.DescribeState()}\nnext event at {m.Scheduler.NextDeadline}, now {m.Scheduler.Now}", ct)
            : string.Empty;
        return $"system {system} at {system.VirtualSeconds:F3} s virtual, fault: {system.FaultReport ?? "none"}\n{machine}";
    }

    private static List<string> Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList();

    private static async Task PumpAsync(Stream stream, ConsoleText sink, CancellationToken ct)
    {
        var buffer = new byte[512];
        try
        {
            int count;
            while ((count = await stream.ReadAsync(buffer, ct)) > 0)
            {
                sink.Append(buffer.AsMemory(0, count));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Console bytes as text, appended from any thread.</summary>
    private sealed class ConsoleText
    {
        private readonly StringBuilder _text = new();

        public string Text
        {
            get
            {
                lock (_text)
                {
                    return _text.ToString();
                }
            }
        }

        public long Length
        {
            get
            {
                lock (_text)
                {
                    return _text.Length;
                }
            }
        }

        public void Append(ReadOnlyMemory<byte> bytes)
        {
            lock (_text)
            {
                _text.Append(Encoding.ASCII.GetString(bytes.Span));
            }
        }

        public async Task WaitForAsync(string needle, TimeSpan timeout, CancellationToken ct)
        {
            if (!await WaitUntilAsync(() => Text.Contains(needle, StringComparison.Ordinal), timeout, ct))
            {
                Assert.Fail($"\"{needle}\" did not appear within {timeout}:\n{Text}");
            }
        }

        public Task<bool> WaitForLinesAsync(int lines, TimeSpan timeout, CancellationToken ct) =>
            WaitUntilAsync(() => Text.Count(c => c == '\n') >= lines, timeout, ct);

        private static async Task<bool> WaitUntilAsync(Func<bool> done, TimeSpan timeout, CancellationToken ct)
        {
            var watch = Stopwatch.StartNew();
            while (!done())
            {
                if (watch.Elapsed > timeout)
                {
                    return false;
                }

                await Task.Delay(10, ct);
            }

            return true;
        }
    }
}
