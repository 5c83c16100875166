namespace Dsm.Cli.Tests;

public class CommandLineArgumentsTests
{
    private static readonly OptionSpec[] Specs =
    [
        new("board", "NAME", "board", 'b'),
        new("max-instructions", "N", "limit", 'n'),
        new("stats", null, "stats"),
    ];

    [Test]
    public void PositionalsOptionsAndFlags()
    {
        var parsed = CommandLineArguments.Parse(["fw.elf", "--board", "x", "--stats"], Specs);
        Assert.That(parsed.Positional, Is.EqualTo(new[] { "fw.elf" }));
        Assert.That(parsed.Get("board"), Is.EqualTo("x"));
        Assert.That(parsed.Has("stats"), Is.True);
        Assert.That(parsed.Has("max-instructions"), Is.False);
        Assert.That(parsed.Get("max-instructions"), Is.Null);
    }

    [Test]
    public void InlineValuesAndShortNames()
    {
        var parsed = CommandLineArguments.Parse(["--board=mps2", "-n", "5", "fw.elf"], Specs);
        Assert.That(parsed.Get("board"), Is.EqualTo("mps2"));
        Assert.That(parsed.GetPositiveInteger("max-instructions", 1), Is.EqualTo(5));
        Assert.That(parsed.Positional, Is.EqualTo(new[] { "fw.elf" }));
    }

    [Test]
    public void EverythingAfterDoubleDashPassesThrough()
    {
        var parsed = CommandLineArguments.Parse(["fw.elf", "--", "--stats", "-x", "plain"], Specs);
        Assert.That(parsed.Positional, Is.EqualTo(new[] { "fw.elf" }));
        Assert.That(parsed.PassThrough, Is.EqualTo(new[] { "--stats", "-x", "plain" }));
        Assert.That(parsed.Has("stats"), Is.False);
    }

    [Test]
    public void SingleDashIsPositional()
    {
        var parsed = CommandLineArguments.Parse(["-"], Specs);
        Assert.That(parsed.Positional, Is.EqualTo(new[] { "-" }));
    }

    [TestCase("--frobnicate", "unknown option '--frobnicate'")]
    [TestCase("-z", "unknown option '-z'")]
    [TestCase("--board", "needs a value")]
    [TestCase("--stats=yes", "takes no value")]
    public void MistakesAreUsageErrors(string argument, string message)
    {
        var e = Assert.Throws<UsageException>(() => CommandLineArguments.Parse([argument], Specs));
        Assert.That(e!.Message, Does.Contain(message));
    }

    [Test]
    public void RepeatedOptionIsAUsageError()
    {
        var e = Assert.Throws<UsageException>(() => CommandLineArguments.Parse(["--stats", "--stats"], Specs));
        Assert.That(e!.Message, Does.Contain("more than once"));
    }

    [TestCase("10", 10L)]
    [TestCase("1_000", 1000L)]
    [TestCase("10k", 10_000L)]
    [TestCase("3M", 3_000_000L)]
    [TestCase("2g", 2_000_000_000L)]
    public void PositiveIntegers(string text, long value)
    {
        var parsed = CommandLineArguments.Parse(["-n", text], Specs);
        Assert.That(parsed.GetPositiveInteger("max-instructions", 1), Is.EqualTo(value));
    }

    [TestCase("0")]
    [TestCase("-5")]
    [TestCase("abc")]
    [TestCase("1.5")]
    [TestCase("k")]
    [TestCase("99999999999999999999")]
    [TestCase("9999999999999G")]
    public void BadIntegersAreUsageErrors(string text)
    {
        var parsed = CommandLineArguments.Parse(["--max-instructions", text], Specs);
        var e = Assert.Throws<UsageException>(() => parsed.GetPositiveInteger("max-instructions", 1));
        Assert.That(e!.Message, Does.Contain("positive integer").And.Contain(text));
    }

    [Test]
    public void AbsentIntegerGivesTheDefault()
    {
        var parsed = CommandLineArguments.Parse([], Specs);
        Assert.That(parsed.GetPositiveInteger("max-instructions", 77), Is.EqualTo(77));
    }
}
