using Dsm.Emulation.CortexM3.Cpu;

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

public class CycleVisibilityTests
{
    [Test]
    public void DevicesSeeTheCycleCountOfTheAccessingInstruction()
    {
        var t = new TestCore();
        ulong seen = 0;
        var device = new Moq.Mock<Memory.IMmioDevice>();
        device.Setup(d => d.Read(0, 4)).Returns(() =>
        {
            seen = t.Cpu.Cycles;
            return 0;
        });
        t.Bus.AddDevice("timer", 0x4000_0000, 0x100, device.Object);

        // adds r0, r1, r2; add r0, r1; movs r0, #1; ldr r0, [r3] -- one block
        t.Code(0x1888, 0x4408, 0x2001, 0x6818).With(3, 0x4000_0000).Step(4);
        Assert.That(seen, Is.EqualTo(3ul + 2ul));
    }

    [Test]
    public void RunStopsAtTheCycleLimitAndResumesExactly()
    {
        // movs r0, #0; loop: adds r1, r1, r0; adds r0, #1; cmp r0, r4; bne loop; bkpt
        ushort[] code = [0x2000, 0x1809, 0x3001, 0x42A0, 0xD1FB, 0xBE00];
        var reference = new TestCore().Code(code).With(4, 5000);
        Assert.That(reference.Run(long.MaxValue), Is.EqualTo(StopReason.Breakpoint));

        var t = new TestCore().Code(code).With(4, 5000);
        ulong limit = 0;
        StopReason reason;
        do
        {
            limit += 997;
            t.Cpu.CycleLimit = limit;
            reason = t.Run(long.MaxValue);
            if (reason == StopReason.InstructionLimit)
            {
                Assert.That(t.Cpu.Cycles, Is.InRange(limit, limit + 2), "stops at the first boundary at or past the limit");
            }
        }
        while (reason == StopReason.InstructionLimit);

        Assert.That((reason, t[1], t.Cpu.Cycles, t.Cpu.Instructions), Is.EqualTo((StopReason.Breakpoint, reference[1], reference.Cpu.Cycles, reference.Cpu.Instructions)));
    }
}
