using Dsm.Emulation.CortexM3.Cpu;

namespace Dsm.Emulation.CortexM3.Tests.Cpu;

public class ItBlockTests
{
    [TestCase("Z", 1u)]
    [TestCase("", 2u)]
    public void IteSelectsOneSide(string flags, uint result)
    {
        var t = new TestCore().Code(0xBF0C, 0x2001, 0x2002).WithFlags(TestCore.FlagsFrom(flags)).Step(3); // ite eq; moveq r0, #1; movne r0, #2
        Assert.That((t[0], t.Cpu.ItState, t.Cpu.Pc), Is.EqualTo((result, (byte)0, 6u)));
    }

    [Test]
    public void NarrowInstructionsDoNotSetFlagsInsideIt()
    {
        // itte eq; addeq r0, r1 (ADDS encoding); addseq.w r2, r2, #1; movne r3, #7
        var t = new TestCore().Code(0xBF06, 0x1840, 0xF112, 0x0201, 0x2307)
            .With(0, 0xFFFF_FFFF).With(1, 1).With(2, 0x7FFF_FFFF).WithFlags(TestCore.FlagsFrom("Z")).Step(2);
        Assert.That((t[0], t.Flags), Is.EqualTo((0u, "nZcv")), "16-bit ADDS encoding inside IT must not set flags");
        t.Step();
        Assert.That((t[2], t.Flags), Is.EqualTo((0x8000_0000u, "NzcV")), "the 32-bit ADDS does");
        t.Step();
        Assert.That((t[3], t.Cpu.ItState), Is.EqualTo((7u, (byte)0)), "each condition is tested with the current flags: the ADDS cleared Z");
    }

    [Test]
    public void ItStateAdvancesInstructionByInstruction()
    {
        var t = new TestCore().Code(0xBF02, 0x2001, 0x2101, 0x2201).WithFlags(TestCore.FlagsFrom("Z")); // ittt eq; moveq r0..r2, #1
        t.Step();
        Assert.That(t.Cpu.ItState, Is.EqualTo((byte)0x02));
        t.Step();
        Assert.That(t.Cpu.ItState, Is.EqualTo((byte)0x04));
        t.Step();
        Assert.That(t.Cpu.ItState, Is.EqualTo((byte)0x08));
        t.Step();
        Assert.That((t[0], t[1], t[2], t.Cpu.ItState), Is.EqualTo((1u, 1u, 1u, (byte)0)));
    }

    [Test]
    public void SkippedInstructionsCountAndShiftsStaySilent()
    {
        // ittt lt; addlt r0, #1; lsllt r1, r1, #1; blt.w far; nop; far: nop
        var t = new TestCore().Code(0xBFBE, 0x3001, 0x0049, 0xF000, 0xB801, 0xBF00, 0xBF00).With(1, 0x8000_0000);
        t.Step(4);
        Assert.That((t[0], t[1], t.Cpu.Pc, t.Cpu.Instructions), Is.EqualTo((0u, 0x8000_0000u, 10u, 4ul)));

        t = new TestCore().Code(0xBFBE, 0x3001, 0x0049, 0xF000, 0xB801, 0xBF00, 0xBF00).With(1, 0x8000_0000).WithFlags(TestCore.FlagsFrom("N"));
        t.Step(4);
        Assert.That((t[0], t[1], t.Cpu.Pc, t.Flags), Is.EqualTo((1u, 0u, 12u, "Nzcv")));
    }

    [Test]
    public void MultiplyInsideItDoesNotSetFlags()
    {
        var t = new TestCore().Code(0xBF08, 0x4348).With(0, 0).With(1, 5).WithFlags(TestCore.FlagsFrom("ZC")).Step(2); // it eq; muleq r0, r1, r0
        Assert.That((t[0], t.Flags), Is.EqualTo((0u, "nZCv")));
    }

    [Test]
    public void BranchNotLastInItIsUnpredictable()
    {
        // itt eq; bx lr; mov r0, r0
        var t = new TestCore().Code(0xBF04, 0x4770, 0x4600).WithFlags(TestCore.FlagsFrom("Z"));
        Assert.That(t.Run(5), Is.EqualTo(StopReason.Fault));
        Assert.That(t.Cpu.LastFault, Is.EqualTo(new CpuFault(FaultKind.UnpredictableInstruction, 2, 0x4770, null, null)));
    }

    [Test]
    public void CbzInsideItIsUnpredictable()
    {
        var t = new TestCore().Code(0xBF08, 0xB100).WithFlags(TestCore.FlagsFrom("Z")); // it eq; cbz r0, ...
        Assert.That(t.Run(5), Is.EqualTo(StopReason.Fault));
        Assert.That((t.Cpu.LastFault!.Kind, t.Cpu.LastFault.Pc), Is.EqualTo((FaultKind.UnpredictableInstruction, 2u)));
    }

    [Test]
    public void BreakpointInsideItExecutesRegardlessOfCondition()
    {
        var t = new TestCore().Code(0xBF18, 0xBE01); // it ne; bkpt #1 (with Z set: condition fails)
        t.WithFlags(TestCore.FlagsFrom("Z"));
        Assert.That(t.Run(5), Is.EqualTo(StopReason.Breakpoint));
        Assert.That(t.Cpu.Pc, Is.EqualTo(2u));
    }

    [Test]
    public void ItStateSurvivesTheBudgetAndXpsr()
    {
        var t = new TestCore().Code(0xBF02, 0x2001, 0x2101, 0x2201).WithFlags(TestCore.FlagsFrom("Z")).Step(2);
        uint xpsr = t.Cpu.Xpsr;
        Assert.That(t.Cpu.ItState, Is.EqualTo((byte)0x04));
        Assert.That(xpsr & 0x0600_FC00u, Is.EqualTo(1u << 10), "IT[7:2] in bits 15:10, IT[1:0] in bits 26:25");
        t.Cpu.ItState = 0;
        t.Cpu.Xpsr = xpsr;
        Assert.That(t.Cpu.ItState, Is.EqualTo((byte)0x04));
        t.Step(2);
        Assert.That((t[1], t[2], t.Cpu.ItState), Is.EqualTo((1u, 1u, (byte)0)));
    }

    [Test]
    public void ConditionalBranchInsideItIsUnpredictable()
    {
        var t = new TestCore().Code(0xBF08, 0xD000).WithFlags(TestCore.FlagsFrom("Z")); // it eq; beq
        Assert.That(t.Run(5), Is.EqualTo(StopReason.Fault));
        Assert.That(t.Cpu.LastFault!.Kind, Is.EqualTo(FaultKind.UnpredictableInstruction));
    }
}
