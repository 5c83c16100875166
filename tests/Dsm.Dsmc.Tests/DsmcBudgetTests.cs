using System.Diagnostics;
using System.Text.RegularExpressions;
using Dsm.TestSupport;

namespace Dsm.Dsmc.Tests;

/// <summary>
/// Issue 6's budgets, built from source: the DSMC's compact build (linked with LTO into the size probe) has at most
/// 4096 bytes of code and 512 bytes of static RAM besides the save area, on both ports (`make -C src/dsmc budget`).
/// </summary>
[TestFixture]
public partial class DsmcBudgetTests
{
    [Test]
    [CancelAfter(300_000)]
    public void CompactBuildFitsFourKilobytesOfCodeOnBothPorts()
    {
        RequiredTools.Require("cannot build the DSMC", "make", "arm-none-eabi-gcc", "python3");
        string build = Path.Combine(Path.GetTempPath(), "dsmc-budget-" + Guid.NewGuid().ToString("N"));
        try
        {
            var info = new ProcessStartInfo("make", ["-s", "-C", Path.Combine(QemuDevice.RepositoryRoot, "src", "dsmc"), "budget", "BUILD=" + build])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var make = Process.Start(info)!;
            var stderr = make.StandardError.ReadToEndAsync();
            string output = make.StandardOutput.ReadToEnd();
            make.WaitForExit();
            TestContext.Out.WriteLine(output);

            var lines = BudgetLine().Matches(output).ToDictionary(m => m.Groups["port"].Value, m => (Code: int.Parse(m.Groups["code"].Value), Ram: int.Parse(m.Groups["ram"].Value)));
            Assert.Multiple(() =>
            {
                Assert.That(make.ExitCode, Is.Zero, output + stderr.Result);
                Assert.That(lines.Keys, Is.EquivalentTo(new[] { "mb9bf506n", "mps2-an385" }), output);
                foreach (var (port, size) in lines)
                {
                    Assert.That(size.Code, Is.InRange(1024, 4096), $"{port}: code");
                    Assert.That(size.Ram, Is.InRange(1, 512), $"{port}: static RAM");
                }
            });
        }
        finally
        {
            if (Directory.Exists(build))
            {
                Directory.Delete(build, recursive: true);
            }
        }
    }

    [GeneratedRegex(@"compact, LTO, (?<port>\S+)\s+code\s+(?<code>\d+) B .* static RAM\s+(?<ram>\d+) B")]
    private static partial Regex BudgetLine();
}
