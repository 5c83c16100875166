namespace Dsm.Emulation.CortexM3.Tests.Cpu;

public class DataProcessingTests
{
    private static TestCore Run(ushort[] code, uint r1, uint r2, string flagsIn = "") =>
        new TestCore().Code(code).With(1, r1).With(2, r2).WithFlags(TestCore.FlagsFrom(flagsIn)).Step();

    [TestCase(1u, 2u, 3u, "nzcv")]
    [TestCase(0xFFFF_FFFFu, 1u, 0u, "nZCv")]
    [TestCase(0x7FFF_FFFFu, 1u, 0x8000_0000u, "NzcV")]
    [TestCase(0x8000_0000u, 0x8000_0000u, 0u, "nZCV")]
    [TestCase(0xFFFF_FFFFu, 0xFFFF_FFFFu, 0xFFFF_FFFEu, "NzCv")]
    public void AddsRegisterSetsAllFlags(uint a, uint b, uint sum, string flags)
    {
        var t = Run([0x1888], a, b); // adds r0, r1, r2
        Assert.That((t[0], t.Flags), Is.EqualTo((sum, flags)));
    }

    [TestCase(5u, 3u, 2u, "nzCv")]
    [TestCase(3u, 5u, 0xFFFF_FFFEu, "Nzcv")]
    [TestCase(5u, 5u, 0u, "nZCv")]
    [TestCase(0x8000_0000u, 1u, 0x7FFF_FFFFu, "nzCV")]
    [TestCase(0x7FFF_FFFFu, 0xFFFF_FFFFu, 0x8000_0000u, "NzcV")]
    public void SubsRegisterSetsBorrowAsNotCarry(uint a, uint b, uint difference, string flags)
    {
        var t = Run([0x1A88], a, b); // subs r0, r1, r2
        Assert.That((t[0], t.Flags), Is.EqualTo((difference, flags)));
    }

    [TestCase(1u, 2u, "", 3u, "nzcv")]
    [TestCase(1u, 2u, "C", 4u, "nzcv")]
    [TestCase(0xFFFF_FFFFu, 0u, "C", 0u, "nZCv")]
    [TestCase(0x7FFF_FFFFu, 0u, "C", 0x8000_0000u, "NzcV")]
    public void AdcsAddsTheCarry(uint a, uint b, string carryIn, uint result, string flags)
    {
        var t = new TestCore().Code(0x4148).With(0, a).With(1, b).WithFlags(TestCore.FlagsFrom(carryIn)).Step(); // adcs r0, r0, r1
        Assert.That((t[0], t.Flags), Is.EqualTo((result, flags)));
    }

    [TestCase(5u, 3u, "C", 2u, "nzCv")]
    [TestCase(5u, 3u, "", 1u, "nzCv")]
    [TestCase(0u, 0u, "", 0xFFFF_FFFFu, "Nzcv")]
    [TestCase(0u, 0u, "C", 0u, "nZCv")]
    [TestCase(0x8000_0000u, 0u, "", 0x7FFF_FFFFu, "nzCV")]
    public void SbcsSubtractsTheBorrow(uint a, uint b, string carryIn, uint result, string flags)
    {
        var t = new TestCore().Code(0x4188).With(0, a).With(1, b).WithFlags(TestCore.FlagsFrom(carryIn)).Step(); // sbcs r0, r0, r1
        Assert.That((t[0], t.Flags), Is.EqualTo((result, flags)));
    }

    [TestCase(1u, 0xFFFF_FFFFu, "Nzcv")]
    [TestCase(0u, 0u, "nZCv")]
    [TestCase(0x8000_0000u, 0x8000_0000u, "NzcV")]
    public void NegateIsReverseSubtractFromZero(uint value, uint result, string flags)
    {
        var t = Run([0x4248], value, 0); // rsbs r0, r1, #0
        Assert.That((t[0], t.Flags), Is.EqualTo((result, flags)));
    }

    [TestCase(0x4288, 7u, 7u, "nZCv")] // cmp r0, r1
    [TestCase(0x4288, 6u, 7u, "Nzcv")]
    [TestCase(0x42C8, 1u, 0xFFFF_FFFFu, "nZCv")] // cmn r0, r1
    [TestCase(0x42C8, 0x7FFF_FFFFu, 1u, "NzcV")]
    public void CompareSetsFlagsWithoutWriting(int opcode, uint a, uint b, string flags)
    {
        var t = new TestCore().Code((ushort)opcode).With(0, a).With(1, b).Step();
        Assert.That((t[0], t.Flags), Is.EqualTo((a, flags)));
    }

    [Test]
    public void RotatedModifiedImmediateSetsCarryFromBit31()
    {
        var t = new TestCore().Code(0xF05F, 0x4000).Step(); // movs.w r0, #0x80000000
        Assert.That((t[0], t.Flags), Is.EqualTo((0x8000_0000u, "NzCv")));
    }

    [TestCase("C", "nzCv")]
    [TestCase("", "nzcv")]
    public void UnrotatedModifiedImmediateLeavesCarry(string carryIn, string flags)
    {
        var t = Run([0xF011, 0x00FF], 0x1234, 0, carryIn); // ands.w r0, r1, #0xff
        Assert.That((t[0], t.Flags), Is.EqualTo((0x34u, flags)));
    }

    [Test]
    public void TstWithRotatedImmediateSetsZeroAndCarry()
    {
        var t = new TestCore().Code(0xF010, 0x4F00).With(0, 0x7FFF_FFFF).Step(); // tst.w r0, #0x80000000
        Assert.That(t.Flags, Is.EqualTo("nZCv"));
    }

    [Test]
    public void TeqWithReplicatedImmediateKeepsCarryAndOverflow()
    {
        var t = new TestCore().Code(0xF090, 0x2FFF).With(0, 0xFF00_FF00).WithFlags(TestCore.FlagsFrom("CV")).Step(); // teq.w r0, #0xff00ff00
        Assert.That(t.Flags, Is.EqualTo("nZCV"));
    }

    [Test]
    public void NarrowMovsImmediateKeepsCarryAndOverflow()
    {
        var t = new TestCore().Code(0x2000).With(0, 5).WithFlags(TestCore.FlagsFrom("NCV")).Step(); // movs r0, #0
        Assert.That((t[0], t.Flags), Is.EqualTo((0u, "nZCV")));
    }

    [Test]
    public void MvnImmediateAndMovwMovtBuildConstants()
    {
        var t = new TestCore().Code(0xF06F, 0x0000, 0xF241, 0x2034, 0xF6CA, 0x30CD).Step(1); // mvn r0, #0
        Assert.That(t[0], Is.EqualTo(0xFFFF_FFFFu));
        t.Step(1); // movw r0, #0x1234
        Assert.That(t[0], Is.EqualTo(0x1234u));
        t.Step(1); // movt r0, #0xabcd
        Assert.That(t[0], Is.EqualTo(0xABCD_1234u));
    }

    [Test]
    public void LogicalRegisterFormsSetNegativeAndZeroOnly()
    {
        // mvns r0, r1; orn r0, r1, r2; bics r0, r1; eors r0, r1
        var t = new TestCore().Code(0x43C8, 0xEA61, 0x0002, 0x4388, 0x4048).With(1, 0x0F0F_0000).With(2, 0x00FF_FFFF)
            .WithFlags(TestCore.FlagsFrom("CV")).Step();
        Assert.That((t[0], t.Flags), Is.EqualTo((0xF0F0_FFFFu, "NzCV")));
        t.Step();
        Assert.That(t[0], Is.EqualTo(0xFF0F_0000u)); // r1 | ~r2
        t.With(0, 0x0F0F_0000).Step();
        Assert.That((t[0], t.Flags), Is.EqualTo((0u, "nZCV")));
        t.With(0, 0xF000_0000).Step();
        Assert.That((t[0], t.Flags), Is.EqualTo((0xFF0F_0000u, "NzCV")));
    }

    [Test]
    public void ArithmeticWithShiftedRegisterOperands()
    {
        // adds.w r0, r1, r2, lsl #4
        Assert.That(Run([0xEB11, 0x1002], 1, 0x1000_0001)[0], Is.EqualTo(0x0000_0011u));

        // subs.w r0, r1, r2, asr #32: subtracts the sign of r2
        var t = Run([0xEBB1, 0x0022], 5, 0x8000_0000);
        Assert.That((t[0], t.Flags), Is.EqualTo((6u, "nzcv")));

        // rsb r0, r1, r2, ror #8
        Assert.That(Run([0xEBC1, 0x2032], 0x10, 0x0000_00AB)[0], Is.EqualTo(0xAB00_0000u - 0x10));

        // adcs.w r0, r1, r2, rrx: operand = C:r2[31:1], then adds C again
        t = Run([0xEB51, 0x0032], 0, 3, "C");
        Assert.That((t[0], t.Flags), Is.EqualTo((0x8000_0002u, "Nzcv")));
    }

    [Test]
    public void AddSubtractSpAndPcForms()
    {
        // add r0, pc: PC reads as the instruction address + 4 (not aligned for this form)
        var t = new TestCore().CodeAt(0x102, 0x4478).With(0, 0x10).Step();
        Assert.That(t[0], Is.EqualTo(0x10u + 0x106));

        // mov r0, pc
        t = new TestCore().CodeAt(0x202, 0x4678).Step();
        Assert.That(t[0], Is.EqualTo(0x206u));
    }

    [Test]
    public void WritesToSpDropTheLowBits()
    {
        var t = new TestCore().Code(0x468D).With(1, 0x1237).Step(); // mov sp, r1
        Assert.That(t.Cpu.Sp, Is.EqualTo(0x1234u));
        t.Cpu.SetRegister(13, 0x4003);
        Assert.That(t.Cpu.Sp, Is.EqualTo(0x4000u));
    }
}
