using Dsm.Emulation.CortexM3;
using Dsm.Tests.Support;

namespace Dsm.Peripherals.Mps2.Tests;

/// <summary>
/// The sample RTOS (CMSDK Timer0 on IRQ 8, console on UART0) on our engine, against QEMU's mps2-an385 running
/// the same image. Each task's lines must be the same. Their interleaving is not compared: under QEMU 7.2
/// with -icount the SysTick runs slow while the core sleeps (samples/firmware/run-qemu.sh), so task C's
/// timer lines come more often relative to task A's lines there.
/// </summary>
[Parallelizable(ParallelScope.All)]
public class SampleFirmwareTests
{
    private static string Image => QemuTool.SampleFirmware("app-mps2-an385-exit30.elf");

    [Test]
    [CancelAfter(120_000)]
    public async Task TheSampleRtosPrintsTheSameLinesAsUnderQemu()
    {
        var ours = RunOnOurEngine();
        Assert.That(ours.Lines, Does.Not.Contain("fatal").IgnoreCase.And.Not.Empty);
        Assert.Multiple(() =>
        {
            Assert.That(ours.ExitCode, Is.Zero, string.Join('\n', ours.Lines));
            Assert.That(ours.Lines[^1], Does.StartWith("end lines=30 gaps=0 "));
            Assert.That(ours.Lines.Count(l => l.StartsWith("C seq=", StringComparison.Ordinal)), Is.EqualTo(2), "50 Hz timer: a C line per second");
        });

        QemuTool.Require();
        var (code, output) = await QemuTool.RunAsync(
        [
            "-M", "mps2-an385", "-cpu", "cortex-m3", "-nographic", "-monitor", "none", "-serial", "stdio",
            "-icount", "shift=5,align=off,sleep=off", "-semihosting-config", "enable=on,target=native", "-kernel", Image,
        ], TimeSpan.FromSeconds(60));
        var qemu = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        Assert.That(code, Is.Zero, output);

        static string[] Task(IEnumerable<string> lines, string prefix) => lines.Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).ToArray();
        var ourTimerLines = Task(ours.Lines, "C ");
        Assert.Multiple(() =>
        {
            Assert.That(ours.Lines[0], Is.EqualTo(qemu[0]), "boot line");
            Assert.That(Task(ours.Lines, "A "), Is.EqualTo(Task(qemu, "A ")), "task A");
            Assert.That(Task(qemu, "C ").Take(ourTimerLines.Length), Is.EqualTo(ourTimerLines), "task C");
            Assert.That(ours.Lines[^1], Is.EqualTo(qemu[^1]), "end line");
        });
    }

    private static (int ExitCode, string[] Lines) RunOnOurEngine()
    {
        var console = new MemoryStream();
        var machine = Machine.Create(Mps2An385.Board, new MachineOptions { StandardOutput = console });
        machine.LoadElf(Image);
        machine.Reset();
        var result = machine.Run(2_000_000_000);
        string text = System.Text.Encoding.ASCII.GetString(console.ToArray());
        return (result.Exited ? result.ExitCode ?? -1 : -1, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray());
    }
}
