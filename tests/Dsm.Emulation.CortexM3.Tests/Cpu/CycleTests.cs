namespace Dsm.Emulation.CortexM3.Tests.Cpu;

/// <summary>The cycle model of docs/cycle-model.md.</summary>
public class CycleTests
{
    private static ulong Cycles(int instructions, params ushort[] code) => new TestCore().Code(code).With(0, 0x1000).With(1, 0x1000).With(3, 0x1000).Step(instructions).Cpu.Cycles;

    [Test]
    public void DataProcessingTakesOneCycle() => Assert.That(Cycles(3, 0x1888, 0x4408, 0x2001), Is.EqualTo(3ul));

    [Test]
    public void LoadsTakeTwoAndPipelineWhenIndependent()
    {
        Assert.That(Cycles(1, 0x6808), Is.EqualTo(2ul)); // ldr r0, [r1]
        Assert.That(Cycles(2, 0x6808, 0x681A), Is.EqualTo(3ul)); // ldr r0, [r1]; ldr r2, [r3]
        Assert.That(Cycles(2, 0x6808, 0x6802), Is.EqualTo(4ul), "the second load's base is the first one's result");
    }

    [Test]
    public void BranchesPayTheRefillWhenTaken()
    {
        Assert.That(new TestCore().Code(0xD002).WithFlags(TestCore.FlagsFrom("Z")).Step().Cpu.Cycles, Is.EqualTo(3ul)); // beq taken
        Assert.That(new TestCore().Code(0xD002).Step().Cpu.Cycles, Is.EqualTo(1ul)); // not taken
        Assert.That(Cycles(1, 0xF000, 0xF802), Is.EqualTo(3ul)); // bl
    }

    [Test]
    public void MultipleTransfersTakeOnePlusN()
    {
        Assert.That(Cycles(1, 0xB503), Is.EqualTo(4ul)); // push {r0, r1, lr}
        var t = new TestCore().Code(0xBD03); // pop {r0, r1, pc}
        t.SetWord(TestCore.StackTop + 8, 0x101);
        Assert.That(t.Step().Cpu.Cycles, Is.EqualTo(6ul), "1 + 3 + refill");
    }

    [Test]
    public void MultipliesAndDivides()
    {
        Assert.That(Cycles(1, 0x4348), Is.EqualTo(1ul)); // muls
        Assert.That(Cycles(1, 0xFB01, 0x3002), Is.EqualTo(2ul)); // mla
        Assert.That(new TestCore().Code(0xFBA2, 0x0103).With(2, 5).With(3, 7).Step().Cpu.Cycles, Is.EqualTo(3ul)); // umull, short operands
        Assert.That(new TestCore().Code(0xFBA2, 0x0103).With(2, 0x10000).With(3, 0x10000).Step().Cpu.Cycles, Is.EqualTo(5ul));
        Assert.That(new TestCore().Code(0xFBB1, 0xF0F2).With(1, 3).With(2, 7).Step().Cpu.Cycles, Is.EqualTo(2ul)); // udiv, quotient 0
        Assert.That(new TestCore().Code(0xFBB1, 0xF0F2).With(1, 0xFFFF_FFFF).With(2, 1).Step().Cpu.Cycles, Is.EqualTo(12ul));
    }
}
