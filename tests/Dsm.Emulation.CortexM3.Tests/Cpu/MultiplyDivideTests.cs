using Dsm.Emulation.CortexM3.Cpu;

namespace Dsm.Emulation.CortexM3.Tests.Cpu;

public class MultiplyDivideTests
{
    private static TestCore Run(ushort[] code, uint r1, uint r2, uint r3 = 0, uint r0 = 0) =>
        new TestCore().Code(code).With(0, r0).With(1, r1).With(2, r2).With(3, r3).WithFlags(TestCore.FlagsFrom("CV")).Step();

    [Test]
    public void MulsSetsNegativeAndZeroOnly()
    {
        var t = Run([0x4348], 0x1_0000, 0, 0, 0x1_0000); // muls r0, r1, r0
        Assert.That((t[0], t.Flags), Is.EqualTo((0u, "nZCV")));
        t = Run([0xFB01, 0xF000], 3, 0, 0, 0xFFFF_FFFF); // mul r0, r1, r0 (no flags)
        Assert.That((t[0], t.Flags), Is.EqualTo((0xFFFF_FFFDu, "nzCV")));
    }

    [Test]
    public void MultiplyAccumulateAndSubtract()
    {
        Assert.That(Run([0xFB01, 0x3002], 3, 4, 100)[0], Is.EqualTo(112u)); // mla r0, r1, r2, r3
        Assert.That(Run([0xFB01, 0x3012], 3, 4, 10)[0], Is.EqualTo(unchecked((uint)-2))); // mls r0, r1, r2, r3
    }

    [Test]
    public void LongMultiplies()
    {
        var t = Run([0xFBA2, 0x0103], 0, 0xFFFF_FFFF, 0xFFFF_FFFF); // umull r0, r1, r2, r3
        Assert.That((t[0], t[1]), Is.EqualTo((1u, 0xFFFF_FFFEu)));
        t = Run([0xFB82, 0x0103], 0, 0xFFFF_FFFF, 2); // smull r0, r1, r2, r3: -1 * 2
        Assert.That((t[0], t[1]), Is.EqualTo((0xFFFF_FFFEu, 0xFFFF_FFFFu)));
        t = Run([0xFBE2, 0x0103], 0xFFFF_FFFF, 2, 3, 0xFFFF_FFFF); // umlal: {r1,r0} += 2*3
        Assert.That((t[0], t[1]), Is.EqualTo((5u, 0u)));
        t = Run([0xFBC2, 0x0103], 0, unchecked((uint)-2), 3, 5); // smlal: {r1,r0} += -2*3
        Assert.That((t[0], t[1]), Is.EqualTo((0xFFFF_FFFFu, 0xFFFF_FFFFu)));
    }

    [TestCase(new ushort[] { 0xFBB1, 0xF0F2 }, 100u, 7u, 14u)] // udiv r0, r1, r2
    [TestCase(new ushort[] { 0xFBB1, 0xF0F2 }, 100u, 0u, 0u)]
    [TestCase(new ushort[] { 0xFB91, 0xF0F2 }, 0xFFFF_FF9Cu, 7u, 0xFFFF_FFF2u)] // sdiv: -100 / 7 = -14 (toward zero)
    [TestCase(new ushort[] { 0xFB91, 0xF0F2 }, 0x8000_0000u, 0xFFFF_FFFFu, 0x8000_0000u)] // INT_MIN / -1
    [TestCase(new ushort[] { 0xFB91, 0xF0F2 }, 5u, 0u, 0u)]
    public void DivideRoundsTowardZeroAndDivisionByZeroGivesZero(ushort[] code, uint n, uint m, uint quotient)
    {
        Assert.That(Run(code, n, m)[0], Is.EqualTo(quotient));
    }

    [Test]
    public void DivisionByZeroTrapsWhenEnabled()
    {
        var t = new TestCore().Code(0xFBB1, 0xF0F2).With(1, 5).With(2, 0);
        t.Cpu.DivideByZeroTrap = true;
        Assert.That(t.Run(1), Is.EqualTo(StopReason.Fault));
        Assert.That(t.Cpu.LastFault, Is.EqualTo(new CpuFault(FaultKind.DivideByZero, 0, 0xFBB1, 0xF0F2, null)));
        Assert.That(t.Cpu.Pc, Is.EqualTo(0u));
    }
}
