using System.Text;
using Dsm.Emulation.CortexM3.Cpu;

namespace Dsm.Runtime.Tests;

/// <summary>
/// Runs the committed self-test image (Assets/src/selftest.c) on the MPS2-AN385 machine. The expected
/// outputs and exit codes are what qemu-system-arm -M mps2-an385 -semihosting produces for the same image.
/// </summary>
public class SelfTestImageTests
{
    private const long Budget = 1_000_000;

    [Test]
    public void Hello()
    {
        var machine = TestSupport.CreateSelfTestMachine("", out var stdout, out _);
        var result = machine.Run(Budget);
        Assert.That(result.ExitCode, Is.Zero, result.FaultDescription);
        Assert.That(TestSupport.Text(stdout), Is.EqualTo("hello from the guest\n"));
    }

    [TestCase(1)]
    [TestCase(42)]
    [TestCase(255)]
    public void ExitCodes(int code)
    {
        var machine = TestSupport.CreateSelfTestMachine($"exit {code}", out _, out _);
        var result = machine.Run(Budget);
        Assert.That(result.ExitCode, Is.EqualTo(code), result.FaultDescription);
    }

    [Test]
    public void Uart()
    {
        var machine = TestSupport.CreateSelfTestMachine("uart", out var stdout, out _);
        var result = machine.Run(Budget);
        Assert.That(result.ExitCode, Is.Zero, result.FaultDescription);
        Assert.That(TestSupport.Text(stdout), Is.EqualTo("hello through UART0\n"));
    }

    [Test]
    public void StandardError()
    {
        var machine = TestSupport.CreateSelfTestMachine("stderr", out var stdout, out var stderr);
        var result = machine.Run(Budget);
        Assert.That(result.ExitCode, Is.Zero, result.FaultDescription);
        Assert.That(TestSupport.Text(stderr), Is.EqualTo("to standard error\n"));
        Assert.That(stdout.Length, Is.Zero);
    }

    [Test]
    public void HeapInfoAsQemu()
    {
        var machine = TestSupport.CreateSelfTestMachine("heapinfo", out var stdout, out _);
        var result = machine.Run(Budget);
        Assert.That(result.ExitCode, Is.Zero, result.FaultDescription);
        Assert.That(TestSupport.Text(stdout), Is.EqualTo("21000000 22000000 22000000 21000000 \n"));
    }

    [Test]
    public void Echo()
    {
        var input = new MemoryStream(Encoding.ASCII.GetBytes("copy me, all 31 of these bytes\n"));
        var machine = TestSupport.CreateSelfTestMachine("echo", out var stdout, out _, input);
        var result = machine.Run(Budget);
        Assert.That(result.ExitCode, Is.Zero, result.FaultDescription);
        Assert.That(TestSupport.Text(stdout), Is.EqualTo("copy me, all 31 of these bytes\n"));
    }

    [Test]
    public void UnknownModeExitsTwo()
    {
        var machine = TestSupport.CreateSelfTestMachine("bogus", out var stdout, out _);
        var result = machine.Run(Budget);
        Assert.That(result.ExitCode, Is.EqualTo(2), result.FaultDescription);
        Assert.That(TestSupport.Text(stdout), Is.EqualTo("unknown mode\n"));
    }

    [Test]
    public void SpinHitsTheInstructionLimitInsideMain()
    {
        var machine = TestSupport.CreateSelfTestMachine("spin", out _, out _);
        var result = machine.Run(Budget);
        Assert.That(result.StopReason, Is.EqualTo(StopReason.InstructionLimit));
        Assert.That(result.Instructions, Is.EqualTo((ulong)Budget));
        Assert.That(result.FaultDescription, Does.Contain("instruction limit").And.Contain("main+0x"));
        Assert.That(result.FaultDescription, Does.Contain("build-id " + machine.Image!.BuildIdHex));
    }

    [Test]
    public void LockupIsAFaultReportNamingTheCaller()
    {
        var machine = TestSupport.CreateSelfTestMachine("lockup", out _, out _);
        var result = machine.Run(Budget);
        Assert.That(result.ExitCode, Is.Null);
        Assert.That(result.StopReason, Is.AnyOf(StopReason.Fault, StopReason.Lockup));
        Assert.That(result.FaultDescription, Does.Contain("main+0x"), "LR points back into main");
    }

    [Test]
    public void ResetReloadsTheImage()
    {
        var machine = TestSupport.CreateSelfTestMachine("", out var stdout, out _);
        Assert.That(machine.Run(Budget).ExitCode, Is.Zero);

        // Damage the code, then reset: the image is loaded again, as QEMU does on a system reset.
        var code = machine.Image!.Segments[0];
        machine.Bus.Load(0x40, new byte[code.FileBytes.Length - 0x40]);
        machine.Reset();
        Assert.That(machine.Run(Budget).ExitCode, Is.Zero);
        Assert.That(TestSupport.Text(stdout), Is.EqualTo("hello from the guest\nhello from the guest\n"));
    }
}
