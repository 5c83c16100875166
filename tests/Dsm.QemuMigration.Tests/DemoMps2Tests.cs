using Dsm.Cli;

namespace Dsm.QemuMigration.Tests;

/// <summary><c>dsm demo --board mps2-an385</c>: our engine plays the MPS2 device (no QEMU needed), triggered by the console command byte.</summary>
[Parallelizable(ParallelScope.Children)]
public sealed class DemoMps2Tests
{
    [TestCase("after=1.5s")]
    [TestCase("after=0.4321s")]
    [CancelAfter(120_000)]
    public async Task TheSampleSystemMovesFromAnEmulatedMps2WithoutALineLostRepeatedOrAltered(string trigger)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await CliApp.RunAsync(["demo", "--board", "mps2-an385", "--trigger", trigger, "--lines", "6"], stdout, stderr);

        string output = stdout.ToString();
        var lines = output.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var device = lines.Where(l => l.StartsWith("device | ", StringComparison.Ordinal)).Select(l => l[9..]).ToList();
        var host = lines.Where(l => l.StartsWith("host   | ", StringComparison.Ordinal)).Select(l => l[9..]).ToList();
        var verdict = ContinuityCheck.Evaluate(device, host);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.Zero, output + stderr);
            Assert.That(verdict.Ok, Is.True, verdict.Detail);
            Assert.That(verdict.FirstHostSequence, Is.EqualTo(verdict.LastDeviceSequence + 1));
            Assert.That(output, Does.Contain("device MPS2-AN385").And.Contain("continuity: OK"));
        });
    }

    [TestCase("device", "--board", "nosuch", "--trigger", "console", "mps2-an385")]
    [TestCase("device", "--board", "mps2-an385", "--trigger", "nmi", "no trigger 'nmi'")]
    [TestCase("demo", "--board", "mps2-an385", "--trigger", "exti=3", "no trigger 'exti=3'")]
    [TestCase("demo", "--board", "mb9bf506n", "--trigger", "console", "no trigger 'console'")]
    public async Task AnUnknownBoardOrATriggerTheBoardLacksIsAUsageErrorNotAHang(string command, string option, string board, string option2, string value, string message)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        string[] args = command == "device" ? [command, "x.elf", option, board, option2, value, "--link", "tcp:127.0.0.1:1"] : [command, option, board, option2, value];
        int code = await CliApp.RunAsync(args, stdout, stderr);
        Assert.That(code, Is.Not.Zero);
        Assert.That(stderr.ToString(), Does.Contain(message).And.Not.Contain("   at "));
    }
}
