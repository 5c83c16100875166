namespace Dsm.Emulation.CortexM3.Tests.Cpu;

public class BitOperationTests
{
    private static uint Run(ushort[] code, uint r1, uint r0 = 0) => new TestCore().Code(code).With(0, r0).With(1, r1).Step()[0];

    [Test]
    public void BitFieldInsertAndClear()
    {
        Assert.That(Run([0xF361, 0x100B], 0x1234_56AB, 0xFFFF_FFFF), Is.EqualTo(0xFFFF_FABFu)); // bfi r0, r1, #4, #8
        Assert.That(Run([0xF36F, 0x001F], 0, 0xFFFF_FFFF), Is.EqualTo(0u)); // bfc r0, #0, #32
    }

    [Test]
    public void BitFieldExtract()
    {
        Assert.That(Run([0xF3C1, 0x7003], 0x9000_0000), Is.EqualTo(9u)); // ubfx r0, r1, #28, #4
        Assert.That(Run([0xF341, 0x7003], 0x9000_0000), Is.EqualTo(0xFFFF_FFF9u)); // sbfx r0, r1, #28, #4
        Assert.That(Run([0xF341, 0x001F], 0x8765_4321), Is.EqualTo(0x8765_4321u)); // sbfx r0, r1, #0, #32
    }

    [Test]
    public void ExtendsWithRotation()
    {
        Assert.That(Run([0xB248], 0x1234_5680), Is.EqualTo(0xFFFF_FF80u)); // sxtb r0, r1
        Assert.That(Run([0xFA0F, 0xF091], 0x0080_0012), Is.EqualTo(0xFFFF_8000u)); // sxth.w r0, r1, ror #8
        Assert.That(Run([0xFA5F, 0xF0B1], 0x1234_56AB), Is.EqualTo(0x12u)); // uxtb.w r0, r1, ror #24
        Assert.That(Run([0xB288], 0x1234_F678), Is.EqualTo(0xF678u)); // uxth r0, r1
    }

    [Test]
    public void ByteAndBitReversal()
    {
        Assert.That(Run([0xBA08], 0x1234_5678), Is.EqualTo(0x7856_3412u)); // rev
        Assert.That(Run([0xBA48], 0x1234_5678), Is.EqualTo(0x3412_7856u)); // rev16
        Assert.That(Run([0xBAC8], 0x1234_5680), Is.EqualTo(0xFFFF_8056u)); // revsh
        Assert.That(Run([0xFA91, 0xF0A1], 0x0000_0001), Is.EqualTo(0x8000_0000u)); // rbit
        Assert.That(Run([0xFA91, 0xF0A1], 0x1234_5678), Is.EqualTo(0x1E6A_2C48u));
    }

    [TestCase(0u, 32u)]
    [TestCase(1u, 31u)]
    [TestCase(0x8000_0000u, 0u)]
    [TestCase(0x0001_0000u, 15u)]
    public void CountLeadingZeros(uint value, uint zeros) => Assert.That(Run([0xFAB1, 0xF081], value), Is.EqualTo(zeros)); // clz r0, r1

    [TestCase(new ushort[] { 0xF301, 0x0007 }, 100u, 100u, false)] // ssat r0, #8, r1
    [TestCase(new ushort[] { 0xF301, 0x0007 }, 200u, 127u, true)]
    [TestCase(new ushort[] { 0xF301, 0x0007 }, 0xFFFF_FF00u, 0xFFFF_FF80u, true)]
    [TestCase(new ushort[] { 0xF321, 0x100F }, 0x8000_0000u, 0xFFFF_8000u, true)] // ssat r0, #16, r1, asr #4
    [TestCase(new ushort[] { 0xF381, 0x0008 }, 0xFFFF_FFFFu, 0u, true)] // usat r0, #8, r1
    [TestCase(new ushort[] { 0xF381, 0x0008 }, 255u, 255u, false)]
    [TestCase(new ushort[] { 0xF381, 0x0008 }, 256u, 255u, true)]
    [TestCase(new ushort[] { 0xF381, 0x005F }, 0x4000_0000u, 0u, true)] // usat r0, #31, r1, lsl #1: shifted value is negative
    [TestCase(new ushort[] { 0xF381, 0x005F }, 0x3FFF_FFFFu, 0x7FFF_FFFEu, false)]
    [TestCase(new ushort[] { 0xF301, 0x001F }, 0x8000_0000u, 0x8000_0000u, false)] // ssat r0, #32, r1
    public void SaturationSetsStickyQ(ushort[] code, uint value, uint result, bool saturated)
    {
        var t = new TestCore().Code(code).With(1, value).Step();
        Assert.That((t[0], t.Q), Is.EqualTo((result, saturated)));
    }

    [Test]
    public void QStaysSetUntilWritten()
    {
        var t = new TestCore().Code(0xF301, 0x0007, 0xF301, 0x0007).With(1, 1000).Step();
        t.With(1, 1).Step();
        Assert.That((t[0], t.Q), Is.EqualTo((1u, true)));
    }
}
