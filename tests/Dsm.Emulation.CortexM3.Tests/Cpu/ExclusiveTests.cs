using Dsm.Emulation.CortexM3.Cpu;

namespace Dsm.Emulation.CortexM3.Tests.Cpu;

public class ExclusiveTests
{
    private const uint Lock = 0x1000;

    [Test]
    public void StoreExclusiveSucceedsAfterLoadExclusive()
    {
        // ldrex r0, [r1]; strex r2, r0, [r1]  (r0 = 5 stored back... then increments)
        var t = new TestCore().Code(0xE851, 0x0F00, 0xE841, 0x0200).With(1, Lock);
        t.SetWord(Lock, 41);
        t.Step();
        Assert.That((t[0], t.Cpu.ExclusiveMonitorOpen), Is.EqualTo((41u, true)));
        t.With(0, 42).Step();
        Assert.That((t[2], t.Word(Lock), t.Cpu.ExclusiveMonitorOpen), Is.EqualTo((0u, 42u, false)));
    }

    [Test]
    public void StoreExclusiveFailsWithoutTheMonitor()
    {
        var t = new TestCore().Code(0xE841, 0x0200).With(0, 7).With(1, Lock).Step(); // strex r2, r0, [r1]
        Assert.That((t[2], t.Word(Lock)), Is.EqualTo((1u, 0u)));
    }

    [Test]
    public void ClrexClosesTheMonitor()
    {
        var t = new TestCore().Code(0xE851, 0x0F00, 0xF3BF, 0x8F2F, 0xE841, 0x0200).With(1, Lock).Step(3); // ldrex; clrex; strex
        Assert.That(t[2], Is.EqualTo(1u));
    }

    [Test]
    public void StoreExclusiveToAnotherAddressFails()
    {
        // ldrex r0, [r1, #4]; strex r2, r0, [r1]
        var t = new TestCore().Code(0xE851, 0x0F01, 0xE841, 0x0200).With(1, Lock).Step(2);
        Assert.That(t[2], Is.EqualTo(1u));
    }

    [Test]
    public void ByteAndHalfwordExclusives()
    {
        // ldrexb r0, [r1]; strexb r2, r0, [r1]; ldrexh r0, [r1]; strexh r2, r0, [r1]
        var t = new TestCore().Code(0xE8D1, 0x0F4F, 0xE8C1, 0x0F42, 0xE8D1, 0x0F5F, 0xE8C1, 0x0F52).With(1, Lock);
        t.SetWord(Lock, 0x1234_56FF);
        t.Step();
        Assert.That(t[0], Is.EqualTo(0xFFu));
        t.With(0, 0x1AB).Step();
        Assert.That((t[2], t.Word(Lock)), Is.EqualTo((0u, 0x1234_56ABu)));
        t.Step();
        Assert.That(t[0], Is.EqualTo(0x56ABu));
        t.With(0, 0xBEEF).Step();
        Assert.That((t[2], t.Word(Lock)), Is.EqualTo((0u, 0x1234_BEEFu)));
    }

    [Test]
    public void ExclusivesMustBeAligned()
    {
        var t = new TestCore().Code(0xE851, 0x0F00).With(1, Lock + 2);
        Assert.That(t.Run(1), Is.EqualTo(StopReason.Fault));
        Assert.That(t.Cpu.LastFault, Is.EqualTo(new CpuFault(FaultKind.Unaligned, 0, 0xE851, 0x0F00, Lock + 2)));
    }

    [Test]
    public void ResetClearsTheMonitor()
    {
        var t = new TestCore().Code(0xE851, 0x0F00).With(1, Lock).Step();
        t.SetWord(0, TestCore.StackTop);
        t.SetWord(4, 0x101);
        t.Cpu.Reset();
        Assert.That(t.Cpu.ExclusiveMonitorOpen, Is.False);
    }
}
