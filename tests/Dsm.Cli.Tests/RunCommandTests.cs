using System.Text.RegularExpressions;

namespace Dsm.Cli.Tests;

/// <summary><c>dsm run</c> on the committed self-test image (tests/Dsm.Runtime.Tests/Assets/src/selftest.c).</summary>
public class RunCommandTests
{
    [Test]
    public async Task RunsTheImageAndForwardsItsOutput()
    {
        var (code, output, error) = await Cli.Run("run", Cli.SelfTestElf);
        Assert.That(code, Is.Zero, error);
        Assert.That(output, Is.EqualTo("hello from the guest\n"));
        Assert.That(error, Is.Empty);
    }

    [TestCase(3)]
    [TestCase(100)]
    public async Task ExitsWithTheGuestsExitCode(int exitCode)
    {
        var (code, _, error) = await Cli.Run("run", Cli.SelfTestElf, "--", "exit", exitCode.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.That(code, Is.EqualTo(exitCode), error);
    }

    [Test]
    public async Task BoardCanBeNamed()
    {
        var (code, output, error) = await Cli.Run("run", "--board", "mps2-an385", Cli.SelfTestElf, "--", "uart");
        Assert.That(code, Is.Zero, error);
        Assert.That(output, Is.EqualTo("hello through UART0\n"));
    }

    [Test]
    public async Task GuestStandardErrorGoesToStandardError()
    {
        var (code, output, error) = await Cli.Run("run", Cli.SelfTestElf, "--", "stderr");
        Assert.That(code, Is.Zero, error);
        Assert.That(output, Is.Empty);
        Assert.That(error, Is.EqualTo("to standard error\n"));
    }

    [Test]
    public async Task GuestReadsStandardInput()
    {
        var (code, output, error) = await Cli.RunWithInput("typed text\n", "run", Cli.SelfTestElf, "--", "echo");
        Assert.That(code, Is.Zero, error);
        Assert.That(output, Is.EqualTo("typed text\n"));
    }

    [Test]
    public async Task StatsGoToStandardError()
    {
        var (code, output, error) = await Cli.Run("run", Cli.SelfTestElf, "--stats");
        Assert.That(code, Is.Zero, error);
        Assert.That(output, Is.EqualTo("hello from the guest\n"), "statistics stay off standard output");
        var instructions = Regex.Match(error, @"guest instructions\s+(\d+)");
        Assert.That(instructions.Success, Is.True, error);
        Assert.That(long.Parse(instructions.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(10));
        Assert.That(error, Does.Match(@"guest cycles\s+\d+"));
        Assert.That(error, Does.Match(@"host seconds\s+\d+\.\d{3}"));
        Assert.That(error, Does.Match(@"MIPS\s+\d+\.\d{2}"));
    }

    [Test]
    public async Task TraceListsEveryInstructionFromTheResetHandler()
    {
        var (code, output, error) = await Cli.Run("run", Cli.SelfTestElf, "--trace", "--stats");
        Assert.That(code, Is.Zero, error);
        Assert.That(output, Is.EqualTo("hello from the guest\n"));
        var lines = error.Split('\n').Where(l => l.StartsWith("trace: ", StringComparison.Ordinal)).ToList();
        Assert.That(lines[0], Does.StartWith("trace: 0x").And.EndWith(" reset_handler"));
        Assert.That(lines, Has.Some.Contains(" main+0x"));
        long counted = long.Parse(Regex.Match(error, @"guest instructions\s+(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(lines, Has.Count.EqualTo(counted), "one line per executed instruction");
    }

    [Test]
    public async Task InstructionLimitIsReportedWithTheState()
    {
        var (code, _, error) = await Cli.Run("run", Cli.SelfTestElf, "--max-instructions", "20k", "--", "spin");
        Assert.That(code, Is.EqualTo(ExitCodes.InstructionLimit));
        Assert.That(error, Does.StartWith($"dsm: {Cli.SelfTestElf}: The instruction limit was reached before the guest exited."));
        Assert.That(error, Does.Contain("pc   0x").And.Contain("main+0x").And.Contain("xpsr"));
        Cli.AssertNoStackTrace(error);
    }

    [Test]
    public async Task GuestFaultIsReportedWithTheState()
    {
        var (code, _, error) = await Cli.Run("run", Cli.SelfTestElf, "--", "lockup");
        Assert.That(code, Is.EqualTo(ExitCodes.GuestFault));
        Assert.That(error, Does.StartWith($"dsm: {Cli.SelfTestElf}: The "));
        Assert.That(error, Does.Contain("r0 ").And.Contain("lr   0x").And.Contain("main+0x"));
        Cli.AssertNoStackTrace(error);
    }

    [Test]
    public async Task MissingFile()
    {
        string path = Path.Combine(TestContext.CurrentContext.WorkDirectory, "missing.elf");
        var (code, output, error) = await Cli.Run("run", path);
        Assert.That(code, Is.EqualTo(ExitCodes.Unreadable));
        Assert.That(output, Is.Empty);
        Assert.That(error, Does.StartWith($"dsm: cannot run {path}: ").And.Contain("cannot read"));
        Cli.AssertNoStackTrace(error);
    }

    [Test]
    public async Task NotAnElfFile()
    {
        string path = Path.Combine(TestContext.CurrentContext.WorkDirectory, "notes.txt");
        await File.WriteAllTextAsync(path, "just text\n");
        var (code, _, error) = await Cli.Run("run", path);
        Assert.That(code, Is.EqualTo(ExitCodes.BadImage));
        Assert.That(error, Does.Contain("ELF magic"));
        Cli.AssertNoStackTrace(error);
    }

    [Test]
    public async Task WrongMachine()
    {
        string path = Cli.WriteVariant("x86.elf", bytes => bytes[18] = 3);
        var (code, _, error) = await Cli.Run("run", path);
        Assert.That(code, Is.EqualTo(ExitCodes.BadImage));
        Assert.That(error, Does.Contain("e_machine 3"));
        Cli.AssertNoStackTrace(error);
    }

    [Test]
    public async Task ImageThatDoesNotFitTheBoard()
    {
        string path = Cli.WriteVariant("elsewhere.elf", bytes => Cli.MoveSegment(bytes, 0, 0x6000_0000));
        var (code, output, error) = await Cli.Run("run", path);
        Assert.That(code, Is.EqualTo(ExitCodes.BadImage));
        Assert.That(output, Is.Empty);
        Assert.That(error, Does.Contain("does not fit board 'mps2-an385'").And.Contain("0x60000000"));
        Cli.AssertNoStackTrace(error);
    }

    [Test]
    public async Task CancellationInterruptsTheGuest()
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await CliApp.RunAsync(["run", Cli.SelfTestElf, "--", "spin"], stdout, stderr, cancellation.Token);
        Assert.That(code, Is.EqualTo(ExitCodes.Interrupted));
        Assert.That(stderr.ToString(), Does.Contain("interrupted after"));
    }
}
