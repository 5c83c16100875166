namespace Dsm.Emulation.CortexM3.Tests.Cpu;

public class ShiftTests
{
    private static TestCore Run(ushort[] code, uint r1, uint r2 = 0, string flagsIn = "") =>
        new TestCore().Code(code).With(1, r1).With(2, r2).WithFlags(TestCore.FlagsFrom(flagsIn)).Step();

    [TestCase(new ushort[] { 0x0048 }, 0x8000_0001u, 2u, "nzCv")] // lsls r0, r1, #1
    [TestCase(new ushort[] { 0x07C8 }, 3u, 0x8000_0000u, "NzCv")] // lsls r0, r1, #31
    [TestCase(new ushort[] { 0x0848 }, 3u, 1u, "nzCv")] // lsrs r0, r1, #1
    [TestCase(new ushort[] { 0x0808 }, 0x8000_0000u, 0u, "nZCv")] // lsrs r0, r1, #32
    [TestCase(new ushort[] { 0x0808 }, 0x7FFF_FFFFu, 0u, "nZcv")]
    [TestCase(new ushort[] { 0x1008 }, 0x8000_0000u, 0xFFFF_FFFFu, "NzCv")] // asrs r0, r1, #32
    [TestCase(new ushort[] { 0x1008 }, 0x4000_0000u, 0u, "nZcv")]
    [TestCase(new ushort[] { 0x1108 }, 0x8000_0018u, 0xF800_0001u, "NzCv")] // asrs r0, r1, #4
    [TestCase(new ushort[] { 0x1108 }, 0x8000_0010u, 0xF800_0001u, "Nzcv")]
    [TestCase(new ushort[] { 0xEA5F, 0x1031 }, 0x0000_0018u, 0x8000_0001u, "NzCv")] // rors.w r0, r1, #4
    [TestCase(new ushort[] { 0xEA5F, 0x0031 }, 0x0000_0003u, 0x0000_0001u, "nzCv")] // rrxs r0, r1 (C in = 0)
    public void ImmediateShiftsSetCarryFromTheLastBitOut(ushort[] code, uint value, uint result, string flags)
    {
        var t = Run(code, value);
        Assert.That((t[0], t.Flags), Is.EqualTo((result, flags)));
    }

    [Test]
    public void RrxShiftsTheCarryIn()
    {
        var t = Run([0xEA5F, 0x0031], 2, 0, "C"); // rrxs r0, r1
        Assert.That((t[0], t.Flags), Is.EqualTo((0x8000_0001u, "Nzcv")));
        t = Run([0xEA4F, 0x0031], 3, 0, "C"); // rrx r0, r1 (no flags)
        Assert.That((t[0], t.Flags), Is.EqualTo((0x8000_0001u, "nzCv")));
    }

    // lsls r0, r1 (16-bit: r0 = r0 << r1)
    [TestCase(0u, 0x8000_0001u, "C", 0x8000_0001u, "NzCv")]
    [TestCase(1u, 0x8000_0001u, "", 2u, "nzCv")]
    [TestCase(31u, 3u, "", 0x8000_0000u, "NzCv")]
    [TestCase(32u, 1u, "", 0u, "nZCv")]
    [TestCase(32u, 2u, "C", 0u, "nZcv")]
    [TestCase(33u, 0xFFFF_FFFFu, "C", 0u, "nZcv")]
    [TestCase(0x100u, 5u, "", 5u, "nzcv")]
    public void LslByRegister(uint amount, uint value, string flagsIn, uint result, string flags)
    {
        var t = new TestCore().Code(0x4088).With(0, value).With(1, amount).WithFlags(TestCore.FlagsFrom(flagsIn)).Step();
        Assert.That((t[0], t.Flags), Is.EqualTo((result, flags)));
    }

    // lsrs r0, r1
    [TestCase(0u, 1u, "C", 1u, "nzCv")]
    [TestCase(1u, 3u, "", 1u, "nzCv")]
    [TestCase(32u, 0x8000_0000u, "", 0u, "nZCv")]
    [TestCase(33u, 0xFFFF_FFFFu, "C", 0u, "nZcv")]
    public void LsrByRegister(uint amount, uint value, string flagsIn, uint result, string flags)
    {
        var t = new TestCore().Code(0x40C8).With(0, value).With(1, amount).WithFlags(TestCore.FlagsFrom(flagsIn)).Step();
        Assert.That((t[0], t.Flags), Is.EqualTo((result, flags)));
    }

    // asrs r0, r1
    [TestCase(0u, 0x8000_0000u, "", 0x8000_0000u, "Nzcv")]
    [TestCase(31u, 0x8000_0000u, "", 0xFFFF_FFFFu, "Nzcv")]
    [TestCase(32u, 0x8000_0000u, "", 0xFFFF_FFFFu, "NzCv")]
    [TestCase(200u, 0x7FFF_FFFFu, "C", 0u, "nZcv")]
    public void AsrByRegister(uint amount, uint value, string flagsIn, uint result, string flags)
    {
        var t = new TestCore().Code(0x4108).With(0, value).With(1, amount).WithFlags(TestCore.FlagsFrom(flagsIn)).Step();
        Assert.That((t[0], t.Flags), Is.EqualTo((result, flags)));
    }

    // rors r0, r1
    [TestCase(0u, 0x8000_0000u, "", 0x8000_0000u, "Nzcv")]
    [TestCase(4u, 0x0000_0018u, "", 0x8000_0001u, "NzCv")]
    [TestCase(32u, 0x8000_0000u, "", 0x8000_0000u, "NzCv")]
    [TestCase(32u, 0x7FFF_FFFFu, "C", 0x7FFF_FFFFu, "nzcv")]
    [TestCase(36u, 0x0000_0018u, "", 0x8000_0001u, "NzCv")]
    public void RorByRegister(uint amount, uint value, string flagsIn, uint result, string flags)
    {
        var t = new TestCore().Code(0x41C8).With(0, value).With(1, amount).WithFlags(TestCore.FlagsFrom(flagsIn)).Step();
        Assert.That((t[0], t.Flags), Is.EqualTo((result, flags)));
    }

    [TestCase(new ushort[] { 0xFA01, 0xF002 }, 0x8000_0001u, 33u, 0u)] // lsl.w r0, r1, r2
    [TestCase(new ushort[] { 0xFA01, 0xF002 }, 0x8000_0001u, 0x101u, 0x0000_0002u)]
    [TestCase(new ushort[] { 0xFA21, 0xF002 }, 0x8000_0000u, 32u, 0u)] // lsr.w
    [TestCase(new ushort[] { 0xFA41, 0xF002 }, 0x8000_0000u, 40u, 0xFFFF_FFFFu)] // asr.w
    [TestCase(new ushort[] { 0xFA61, 0xF002 }, 0x1234_5678u, 40u, 0x7812_3456u)] // ror.w
    public void WideShiftsByRegisterWithoutFlags(ushort[] code, uint value, uint amount, uint result)
    {
        var t = Run(code, value, amount, "NZCV");
        Assert.That((t[0], t.Flags), Is.EqualTo((result, "NZCV")));
    }

    [Test]
    public void WideLslsByRegisterSetsCarry()
    {
        var t = Run([0xFA11, 0xF002], 1, 32); // lsls.w r0, r1, r2
        Assert.That((t[0], t.Flags), Is.EqualTo((0u, "nZCv")));
    }

    [Test]
    public void MovsRegisterIsLslZeroKeepingCarry()
    {
        var t = Run([0x0008], 0x8000_0000, 0, "CV"); // movs r0, r1
        Assert.That((t[0], t.Flags), Is.EqualTo((0x8000_0000u, "NzCV")));
    }
}
