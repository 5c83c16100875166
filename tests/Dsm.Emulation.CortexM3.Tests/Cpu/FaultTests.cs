using Dsm.Emulation.CortexM3.Cpu;

namespace Dsm.Emulation.CortexM3.Tests.Cpu;

public class FaultTests
{
    private static CpuFault RunToFault(TestCore t)
    {
        var reason = t.Run(100);
        Assert.That(reason, Is.EqualTo(StopReason.Fault));
        return t.Cpu.LastFault!;
    }

    [Test]
    public void PermanentlyUndefinedNarrowInstruction()
    {
        var t = new TestCore().CodeAt(0x10, 0x2001, 0xDE00); // movs r0, #1; udf #0
        Assert.That(RunToFault(t), Is.EqualTo(new CpuFault(FaultKind.UndefinedInstruction, 0x12, 0xDE00, null, null)));
        Assert.That((t.Cpu.Pc, t[0], t.Cpu.Instructions), Is.EqualTo((0x12u, 1u, 1ul)));
    }

    [Test]
    public void UndefinedWideInstructionReportsBothHalfwords()
    {
        var t = new TestCore().Code(0xF000, 0xE800); // BLX (immediate): ARM state does not exist on ARMv7-M
        Assert.That(RunToFault(t), Is.EqualTo(new CpuFault(FaultKind.UndefinedInstruction, 0, 0xF000, 0xE800, null)));
    }

    [TestCase(new ushort[] { 0x4508 })] // cmp r0, r1 in the high-register encoding
    [TestCase(new ushort[] { 0xEA4F, 0x0D0D })] // mov.w sp, sp
    [TestCase(new ushort[] { 0xF850, 0x0B04 })] // ldr r0, [r0], #4 (writeback to the loaded register)
    [TestCase(new ushort[] { 0xBF00 | 0xF0 | 0x8 })] // it al with a multi-instruction mask... (IT 1111 is UNPREDICTABLE)
    [TestCase(new ushort[] { 0xE8BD, 0xC000 })] // pop.w {lr, pc}
    [TestCase(new ushort[] { 0xFA91, 0xF0A2 })] // rbit with inconsistent Rm copies
    public void UnpredictableEncodingsAreRejected(ushort[] code)
    {
        var t = new TestCore().Code(code);
        var fault = RunToFault(t);
        Assert.That((fault.Kind, fault.Pc, fault.FirstHalfword), Is.EqualTo((FaultKind.UnpredictableInstruction, 0u, code[0])));
        Assert.That(fault.SecondHalfword, Is.EqualTo(code.Length > 1 ? code[1] : null));
    }

    [TestCase((ushort)0xEE01, (ushort)0x0F10)] // mcr p15
    [TestCase((ushort)0xED90, (ushort)0x0100)] // ldc p1
    [TestCase((ushort)0xEE30, (ushort)0x0A00)] // VFP data processing (cp10)
    public void CoprocessorInstructionsReportNoCoprocessor(ushort first, ushort second)
    {
        var fault = RunToFault(new TestCore().Code(first, second));
        Assert.That(fault, Is.EqualTo(new CpuFault(FaultKind.NoCoprocessor, 0, first, second, null)));
    }

    [Test]
    public void FetchFromUnmappedMemoryIsAnInstructionBusError()
    {
        var t = new TestCore().Code(0x4708).With(1, 0x3000_0001); // bx r1
        var fault = RunToFault(t);
        Assert.That(fault, Is.EqualTo(new CpuFault(FaultKind.InstructionBusError, 0x3000_0000, 0, null, 0x3000_0000)));
        Assert.That(t.Cpu.Pc, Is.EqualTo(0x3000_0000u));
    }

    [Test]
    public void FetchFromADeviceIsAnInstructionBusError()
    {
        var t = new TestCore();
        t.Bus.AddDevice("dev", 0x4000_0000, 0x100, new Moq.Mock<Memory.IMmioDevice>().Object);
        t.Cpu.Pc = 0x4000_0000;
        Assert.That(RunToFault(t).Kind, Is.EqualTo(FaultKind.InstructionBusError));
    }

    [Test]
    public void WideInstructionRunningOffTheEndOfMemory()
    {
        var t = new TestCore().CodeAt(TestCore.RamSize - 4, 0x2001, 0xF000); // movs r0, #1; then half of a BL
        var fault = RunToFault(t);
        Assert.That(fault, Is.EqualTo(new CpuFault(FaultKind.InstructionBusError, TestCore.RamSize - 2, 0xF000, null, TestCore.RamSize)));
        Assert.That(t[0], Is.EqualTo(1u));
    }

    [Test]
    public void AFaultIsRepeatableAndLeavesStateUnchanged()
    {
        var t = new TestCore().Code(0x6848).With(1, 0x5000_0000); // ldr r0, [r1, #4]
        RunToFault(t);
        ulong cycles = t.Cpu.Cycles;
        RunToFault(t);
        Assert.That((t.Cpu.Pc, t.Cpu.Cycles, t.Cpu.Instructions), Is.EqualTo((0u, cycles, 0ul)));
    }
}
