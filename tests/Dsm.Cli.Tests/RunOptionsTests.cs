using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Dsm.Cli.Tests;

/// <summary><c>dsm run</c> with --checkpoint-every, --realtime, and the FM3 board with --uart.</summary>
public class RunOptionsTests
{
    private static IEnumerable<TestCaseData> CheckpointCases()
    {
        yield return new TestCaseData("isa_exit_code", 1L);
        yield return new TestCaseData("isa_exit_code", 7L);
        foreach (long interval in new long[] { 97, 1009 })
        {
            yield return new TestCaseData("isa_exclusive", interval);
            yield return new TestCaseData("isa_system", interval);
            yield return new TestCaseData("isa_selfmod", interval);
        }
    }

    // Interrupt-heavy programs: checkpoints land inside handlers, between tail-chained exceptions, in PendSV
    // context switches and in fault handlers. Interval 1 runs a bounded prefix (a fresh machine per instruction).
    private static IEnumerable<TestCaseData> InterruptHeavyCheckpointCases()
    {
        yield return new TestCaseData("exc_svc_pendsv", 1L, 5000L);
        yield return new TestCaseData("exc_preempt", 1L, 5000L);
        yield return new TestCaseData("exc_masks", 13L, 0L);
        yield return new TestCaseData("exc_svc_pendsv", 97L, 0L);
        yield return new TestCaseData("exc_preempt", 97L, 0L);
        yield return new TestCaseData("exc_nvic", 101L, 0L);
        yield return new TestCaseData("exc_unpriv", 211L, 0L);
        yield return new TestCaseData("exc_faults", 997L, 0L);
        yield return new TestCaseData("exc_vtor_align", 1009L, 0L);
        yield return new TestCaseData("exc_systick", 100_003L, 0L);
    }

    [TestCaseSource(nameof(InterruptHeavyCheckpointCases))]
    public async Task CheckpointedInterruptHeavyRunPrintsExactlyWhatAPlainRunPrints(string image, long interval, long maxInstructions)
    {
        string elf = FindRepositoryFile("tests", "firmware", "bin", image + ".elf");
        string[] limit = maxInstructions > 0 ? ["-n", maxInstructions.ToString(System.Globalization.CultureInfo.InvariantCulture)] : [];
        var plain = await Cli.Run(["run", elf, .. limit]);
        var checkpointed = await Cli.Run(["run", elf, "--checkpoint-every", interval.ToString(System.Globalization.CultureInfo.InvariantCulture), .. limit]);
        Assert.Multiple(() =>
        {
            Assert.That(plain.Out, Is.Not.Empty);
            Assert.That(checkpointed.Out, Is.EqualTo(plain.Out));
            Assert.That(checkpointed.ExitCode, Is.EqualTo(plain.ExitCode));
        });
    }

    [Test]
    public async Task CheckpointedFm3RtosPrintsExactlyWhatAPlainRunPrints()
    {
        string elf = FindRepositoryFile("samples", "firmware", "bin", "app-mb9bf506n-exit30.elf");
        var plain = await Cli.Run("run", "--board", "mb9bf506n", elf, "--uart", "0=stdio");
        var checkpointed = await Cli.Run("run", "--board", "mb9bf506n", elf, "--uart", "0=stdio", "--checkpoint-every", "100003");
        Assert.Multiple(() =>
        {
            Assert.That(plain.ExitCode, Is.Zero, plain.Error);
            Assert.That(plain.Out, Does.Contain("end lines=30 gaps=0"));
            Assert.That(checkpointed.Out, Is.EqualTo(plain.Out));
            Assert.That(checkpointed.ExitCode, Is.EqualTo(plain.ExitCode));
        });
    }

    [TestCaseSource(nameof(CheckpointCases))]
    public async Task CheckpointedRunPrintsExactlyWhatAPlainRunPrints(string image, long interval)
    {
        string elf = FindRepositoryFile("tests", "firmware", "bin", image + ".elf");
        var plain = await Cli.Run("run", elf);
        var checkpointed = await Cli.Run("run", elf, "--checkpoint-every", interval.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Multiple(() =>
        {
            Assert.That(plain.Out, Is.Not.Empty);
            Assert.That(checkpointed.Out, Is.EqualTo(plain.Out));
            Assert.That(checkpointed.ExitCode, Is.EqualTo(plain.ExitCode));
            Assert.That(checkpointed.Error, Is.EqualTo(plain.Error));
        });
    }

    [Test]
    public async Task CheckpointedRunHonoursTheInstructionLimit()
    {
        var (code, _, error) = await Cli.Run("run", Cli.SelfTestElf, "--checkpoint-every", "3", "-n", "10", "--", "spin");
        Assert.That(code, Is.EqualTo(ExitCodes.InstructionLimit), error);
        Assert.That(error, Does.Contain("instruction limit"));
    }

    [Test]
    public async Task RealTimeRunGivesTheSameOutput()
    {
        var plain = await Cli.Run("run", Cli.SelfTestElf);
        var realTime = await Cli.Run("run", "--realtime", Cli.SelfTestElf);
        Assert.That(realTime, Is.EqualTo(plain));
    }

    [Test]
    public async Task UartOptionForAUartTheMps2LacksIsAUsageError()
    {
        var (code, _, error) = await Cli.Run("run", Cli.SelfTestElf, "--uart", "5=none");
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error, Does.Contain("UARTs 0..4"));
    }

    [Test]
    public async Task MalformedUartOptionIsAUsageError()
    {
        var (code, _, error) = await Cli.Run("run", "--board", "mb9bf506n", Cli.SelfTestElf, "--uart", "9=stdio");
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error, Does.Contain("CHANNEL 0..7"));
    }

    [Test]
    public async Task Fm3UartsGoToStdioAndTcp()
    {
        string elf = FindRepositoryFile("samples", "firmware", "fm3-tests", "bin", "fm3_peripherals.elf");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accepted = listener.AcceptTcpClientAsync();

        // Channel 0 carries the firmware's console; channel 1 is connected but idle.
        var stdio = await Cli.Run("run", "--board", "mb9bf506n", elf, "--uart", "0=stdio", "--uart", $"1=tcp:127.0.0.1:{port}", "-n", "2M");
        using var client = await accepted;
        Assert.Multiple(() =>
        {
            Assert.That(stdio.ExitCode, Is.EqualTo(ExitCodes.InstructionLimit), stdio.Error);
            Assert.That(stdio.Out, Does.StartWith("FM3 start\r\nready\r\n"));
            Assert.That(client.Connected, Is.True, "the UART connected to the host's port");
        });

        using var listener0 = new TcpListener(IPAddress.Loopback, 0);
        listener0.Start();
        int port0 = ((IPEndPoint)listener0.LocalEndpoint).Port;
        var accepted0 = listener0.AcceptTcpClientAsync();
        var tcp = await Cli.Run("run", "--board", "mb9bf506n", elf, "--uart", $"0=tcp:127.0.0.1:{port0}", "-n", "2M", "--checkpoint-every", "100k");
        using var console = await accepted0;
        var received = new StringBuilder();
        var buffer = new byte[256];
        var stream = console.GetStream();
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        Assert.Multiple(() =>
        {
            Assert.That(tcp.ExitCode, Is.EqualTo(ExitCodes.InstructionLimit), tcp.Error);
            Assert.That(received.ToString(), Does.StartWith("FM3 start\r\nready\r\n"), "the console went over TCP, across checkpoints, and the channel closed at exit");
        });
    }

    private static string FindRepositoryFile(params string[] parts)
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine([dir.FullName, .. parts]);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{Path.Combine(parts)} not found above the test directory.");
    }
}
