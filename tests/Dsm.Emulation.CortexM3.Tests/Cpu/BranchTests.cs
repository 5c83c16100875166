using Dsm.Emulation.CortexM3.Cpu;

namespace Dsm.Emulation.CortexM3.Tests.Cpu;

public class BranchTests
{
    [Test]
    public void UnconditionalAndConditionalBranches()
    {
        var t = new TestCore().CodeAt(0x100, 0xE002).Step(); // b .+8
        Assert.That(t.Cpu.Pc, Is.EqualTo(0x108u));

        t = new TestCore().CodeAt(0x100, 0xD002).WithFlags(TestCore.FlagsFrom("Z")).Step(); // beq .+8, taken
        Assert.That(t.Cpu.Pc, Is.EqualTo(0x108u));
        t = new TestCore().CodeAt(0x100, 0xD002).Step(); // not taken
        Assert.That(t.Cpu.Pc, Is.EqualTo(0x102u));

        t = new TestCore().CodeAt(0x200, 0xF47F, 0xAFCC).Step(); // bne.w .-100
        Assert.That(t.Cpu.Pc, Is.EqualTo(0x200u - 100));
    }

    [TestCase(0x0, "Z", true)] // eq
    [TestCase(0x1, "Z", false)] // ne
    [TestCase(0x2, "C", true)] // cs
    [TestCase(0x3, "C", false)] // cc
    [TestCase(0x4, "N", true)] // mi
    [TestCase(0x5, "N", false)] // pl
    [TestCase(0x6, "V", true)] // vs
    [TestCase(0x7, "V", false)] // vc
    [TestCase(0x8, "C", true)] // hi
    [TestCase(0x8, "ZC", false)]
    [TestCase(0x9, "ZC", true)] // ls
    [TestCase(0x9, "C", false)]
    [TestCase(0xA, "NV", true)] // ge
    [TestCase(0xA, "N", false)]
    [TestCase(0xB, "V", true)] // lt
    [TestCase(0xB, "NV", false)]
    [TestCase(0xC, "", true)] // gt
    [TestCase(0xC, "Z", false)]
    [TestCase(0xC, "N", false)]
    [TestCase(0xD, "Z", true)] // le
    [TestCase(0xD, "NV", false)]
    public void ConditionCodes(int condition, string flags, bool taken)
    {
        var t = new TestCore().CodeAt(0x100, (ushort)(0xD002 | (condition << 8))).WithFlags(TestCore.FlagsFrom(flags)).Step();
        Assert.That(t.Cpu.Pc, Is.EqualTo(taken ? 0x108u : 0x102u));
    }

    [Test]
    public void BranchWithLinkSetsLrWithTheThumbBit()
    {
        var t = new TestCore().CodeAt(0x100, 0xF000, 0xF802).Step(); // bl target (0x100 + 4 + 4)
        Assert.That((t.Cpu.Pc, t.Cpu.Lr), Is.EqualTo((0x108u, 0x105u)));
    }

    [Test]
    public void BranchExchange()
    {
        var t = new TestCore().CodeAt(0x100, 0x4708).With(1, 0x301).Step(); // bx r1
        Assert.That((t.Cpu.Pc, t.Cpu.ThumbBit), Is.EqualTo((0x300u, true)));

        t = new TestCore().CodeAt(0x100, 0x4788).With(1, 0x401).Step(); // blx r1
        Assert.That((t.Cpu.Pc, t.Cpu.Lr), Is.EqualTo((0x400u, 0x103u)));
    }

    [Test]
    public void BlxThroughLrUsesTheOldLr()
    {
        var t = new TestCore().CodeAt(0x100, 0x47F0).With(14, 0x501).Step(); // blx lr
        Assert.That((t.Cpu.Pc, t.Cpu.Lr), Is.EqualTo((0x500u, 0x103u)));
    }

    [Test]
    public void BxToAnEvenAddressFaultsWithInvalidStateAtTheTarget()
    {
        var t = new TestCore().CodeAt(0x100, 0x4708).With(1, 0x300); // bx r1
        Assert.That(t.Run(5), Is.EqualTo(StopReason.Fault));
        Assert.That((t.Cpu.LastFault!.Kind, t.Cpu.LastFault.Pc, t.Cpu.Pc), Is.EqualTo((FaultKind.InvalidState, 0x300u, 0x300u)));
    }

    [Test]
    public void MovAndAddToPcIgnoreBitZero()
    {
        var t = new TestCore().CodeAt(0x100, 0x468F).With(1, 0x201).Step(); // mov pc, r1
        Assert.That((t.Cpu.Pc, t.Cpu.ThumbBit), Is.EqualTo((0x200u, true)));

        t = new TestCore().CodeAt(0x100, 0x448F).With(1, 0x21).Step(); // add pc, r1: 0x104 + 0x21, bit 0 dropped
        Assert.That(t.Cpu.Pc, Is.EqualTo(0x124u));
    }

    [TestCase(0xB110, 0u, 0x108u)] // cbz r0, .+8
    [TestCase(0xB110, 1u, 0x102u)]
    [TestCase(0xB918, 1u, 0x10Au)] // cbnz r0, .+10
    [TestCase(0xB918, 0u, 0x102u)]
    public void CompareAndBranch(int opcode, uint r0, uint target)
    {
        var t = new TestCore().CodeAt(0x100, (ushort)opcode).With(0, r0).WithFlags(TestCore.FlagsFrom("NZCV")).Step();
        Assert.That((t.Cpu.Pc, t.Flags), Is.EqualTo((target, "NZCV")));
    }

    [Test]
    public void TableBranchByte()
    {
        var t = new TestCore();
        t.Bus.Load(0x1000, [1, 2, 7]);
        t.CodeAt(0x100, 0xE8D0, 0xF001).With(0, 0x1000).With(1, 2).Step(); // tbb [r0, r1]
        Assert.That(t.Cpu.Pc, Is.EqualTo(0x104u + 14));
    }

    [Test]
    public void TableBranchWithPcBase()
    {
        // tbh [pc, r1, lsl #1] at 0x100: the table starts at 0x104.
        var t = new TestCore();
        t.Bus.Load(0x104, [0x10, 0x00, 0x20, 0x01]);
        t.CodeAt(0x100, 0xE8DF, 0xF011).With(1, 1).Step();
        Assert.That(t.Cpu.Pc, Is.EqualTo(0x104u + 0x240));

        // tbb [pc, r1]
        t = new TestCore();
        t.Bus.Load(0x204, [3, 4]);
        t.CodeAt(0x200, 0xE8DF, 0xF001).With(1, 0).Step();
        Assert.That(t.Cpu.Pc, Is.EqualTo(0x204u + 6));
    }

    [Test]
    public void LoopsRunAcrossManyBlocks()
    {
        // movs r0, #100; loop: adds r1, #3; subs r0, #1; bne loop; bkpt #0
        var t = new TestCore().Code(0x2064, 0x3103, 0x3801, 0xD1FC, 0xBE00);
        Assert.That(t.Run(1000), Is.EqualTo(StopReason.Breakpoint));
        Assert.That((t[0], t[1], t.Cpu.Instructions), Is.EqualTo((0u, 300u, 301ul)));
    }

    [Test]
    public void BudgetCanStopInTheMiddleOfABlock()
    {
        var t = new TestCore().Code(0x2064, 0x3103, 0x3801, 0xD1FC, 0xBE00);
        for (int i = 0; i < 301; i++)
        {
            t.Step(1);
        }

        Assert.That((t[0], t[1], t.Cpu.Pc), Is.EqualTo((0u, 300u, 8u)));
    }
}
