namespace Dsm.Cli.Tests;

/// <summary>Help, version and usage errors: none of these runs a guest.</summary>
public class CliAppTests
{
    [TestCase("--help")]
    [TestCase("-h")]
    [TestCase("help")]
    public async Task HelpListsCommandsBoardsAndExitCodes(string flag)
    {
        var (code, output, error) = await Cli.Run(flag);
        Assert.That(code, Is.Zero);
        Assert.That(error, Is.Empty);
        Assert.That(output, Does.Contain("Usage: dsm <command>"));
        Assert.That(output, Does.Contain("  run "));
        Assert.That(output, Does.Contain("mps2-an385"));
        Assert.That(output, Does.Contain("Exit codes:"));
        foreach (int exitCode in new[] { ExitCodes.Usage, ExitCodes.BadImage, ExitCodes.Unreadable, ExitCodes.Internal, ExitCodes.InstructionLimit, ExitCodes.GuestFault, ExitCodes.Interrupted })
        {
            Assert.That(output, Does.Contain($"  {exitCode} "), $"exit code {exitCode} is documented");
        }
    }

    [Test]
    public void ExitCodesAreDistinct()
    {
        int[] codes = [ExitCodes.Success, ExitCodes.Usage, ExitCodes.BadImage, ExitCodes.Unreadable, ExitCodes.Internal, ExitCodes.InstructionLimit, ExitCodes.GuestFault, ExitCodes.Interrupted];
        Assert.That(codes, Is.Unique);
    }

    [Test]
    public async Task NoArgumentsPrintsHelpToStandardErrorAsAUsageError()
    {
        var (code, output, error) = await Cli.Run();
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(output, Is.Empty);
        Assert.That(error, Does.Contain("Usage: dsm"));
    }

    [Test]
    public async Task Version()
    {
        var (code, output, _) = await Cli.Run("--version");
        Assert.That(code, Is.Zero);
        Assert.That(output.Trim(), Does.Match(@"^dsm \d+\.\d+\.\d+"));
        Assert.That(output, Does.Not.Contain("+"), "no build metadata");
    }

    [TestCase("run", "--help")]
    [TestCase("run", "-h")]
    [TestCase("help", "run")]
    [TestCase("run", "whatever.elf", "--help")]
    public async Task RunHelpDescribesItsOptions(params string[] args)
    {
        var (code, output, error) = await Cli.Run(args);
        Assert.That(code, Is.Zero, error);
        Assert.That(output, Does.Contain("Usage: dsm run FILE.elf"));
        foreach (string option in new[] { "--board NAME", "--max-instructions N", "--stats", "--trace", "--help" })
        {
            Assert.That(output, Does.Contain(option));
        }

        Assert.That(output, Does.Contain("Exit codes:"));
    }

    [TestCase(new[] { "bogus" }, "unknown command 'bogus'")]
    [TestCase(new[] { "--bogus" }, "unknown option '--bogus'")]
    [TestCase(new[] { "help", "bogus" }, "unknown command 'bogus'")]
    [TestCase(new[] { "run" }, "run needs an ELF file")]
    [TestCase(new[] { "run", "a.elf", "b.elf" }, "run takes one ELF file")]
    [TestCase(new[] { "run", "a.elf", "--frobnicate" }, "unknown option '--frobnicate'")]
    [TestCase(new[] { "run", "a.elf", "--max-instructions", "many" }, "positive integer")]
    [TestCase(new[] { "run", "a.elf", "--max-instructions" }, "needs a value")]
    [TestCase(new[] { "run", "a.elf", "--board", "pdp11" }, "unknown board 'pdp11' (known: mb9bf506n, mps2-an385")]
    public async Task UsageErrors(string[] args, string message)
    {
        var (code, output, error) = await Cli.Run(args);
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(output, Is.Empty);
        Assert.That(error, Does.StartWith("dsm: ").And.Contain(message).And.Contain("dsm --help"));
        Cli.AssertNoStackTrace(error);
    }

    [Test]
    public void BoardRegistryFindsBoardsCaseInsensitively()
    {
        var registry = BoardRegistry.CreateDefault();
        Assert.That(registry.TryGet("MPS2-AN385", out var board), Is.True);
        Assert.That(board!.Name, Is.EqualTo("mps2-an385"));
        Assert.That(registry.TryGet("nope", out _), Is.False);
        Assert.Throws<ArgumentException>(() => registry.Add(board));
    }
}
