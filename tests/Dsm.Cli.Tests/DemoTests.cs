namespace Dsm.Cli.Tests;

/// <summary>The end-to-end live migration: the sample RTOS moves from an emulated FM3 device into the host.</summary>
public class DemoTests
{
    [TestCase("after=1.5s")]
    [TestCase("after=0.73s")]
    [TestCase("after=1.2049s")]
    [TestCase("after=2.0531s")]
    [CancelAfter(120_000)]
    public async Task TheSampleSystemMovesWithoutALineLostRepeatedOrAltered(string trigger)
    {
        var (code, output, error) = await Cli.Run("demo", "--trigger", trigger, "--lines", "8");

        Assert.That(code, Is.Zero, output + error);
        var lines = output.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var device = lines.Where(l => l.StartsWith("device | ", StringComparison.Ordinal)).Select(l => l[9..]).ToList();
        var host = lines.Where(l => l.StartsWith("host   | ", StringComparison.Ordinal)).Select(l => l[9..]).ToList();
        var verdict = ContinuityCheck.Evaluate(device, host);
        Assert.Multiple(() =>
        {
            Assert.That(verdict.Ok, Is.True, verdict.Detail);
            Assert.That(verdict.FirstHostSequence, Is.EqualTo(verdict.LastDeviceSequence + 1));
            Assert.That(host, Has.Count.GreaterThanOrEqualTo(8));
            Assert.That(output, Does.Contain("continuity: OK"));
        });
    }

    [Test]
    public void ContinuityCheckCatchesAGapARepeatAndACorruptedLine()
    {
        string A(int seq) => Line($"A seq={seq} tick={seq * 100} rounds={(seq * 100) - 1} crc=00000000");
        var device = new[] { A(1), A(2), A(3) };

        Assert.Multiple(() =>
        {
            Assert.That(ContinuityCheck.Evaluate(device, [A(4), A(5)]).Ok, Is.True);
            Assert.That(ContinuityCheck.Evaluate(device, [A(5), A(6)]).Detail, Does.Contain("jumps from 3 to 5"));
            Assert.That(ContinuityCheck.Evaluate(device, [A(3), A(4)]).Detail, Does.Contain("jumps from 3 to 3"));
            Assert.That(ContinuityCheck.Evaluate(device, [A(4).Replace("tick=400", "tick=401", StringComparison.Ordinal)]).Detail, Does.Contain("corrupted line"));
            Assert.That(ContinuityCheck.Evaluate(device, []).Ok, Is.False, "no host line at all is a failure");

            // Moved between a line's text and its end: the host prints only the line end first.
            Assert.That(ContinuityCheck.Evaluate(device, ["", A(4)]).Ok, Is.True, "the device's last line ended on the host");
            Assert.That(ContinuityCheck.Evaluate(device, [A(4), "", A(5)]).Detail, Does.Contain("corrupted line: ''"), "an empty line anywhere else");
        });
    }

    private static string Line(string text) =>
        $"{text} sum={Protocol.Crc32.Compute(System.Text.Encoding.ASCII.GetBytes(text)):X8}";
}
