using Dsm.Emulation.CortexM3.Registers;
using Dsm.Emulation.CortexM3.State;

namespace Dsm.Peripherals.FM3.Tests;

public class RegisterBankTests
{
    private RecordingLogger _log = null!;
    private RegisterBank _bank = null!;

    [SetUp]
    public void SetUp()
    {
        _log = new RecordingLogger();
        _bank = new RegisterBank("dev", 0x100, _log);
    }

    [Test]
    public void ReadWriteFieldsStoreAndReservedBitsReadZero()
    {
        _bank.Define("CTL", 0x00, 32).WithField("A", 0, 4).WithField("B", 8, 8);
        _bank.Write(0x00, 4, 0xFFFF_FFFF);
        Assert.That(_bank.Read(0x00, 4), Is.EqualTo(0x0000_FF0Fu));
    }

    [Test]
    public void RegisterWithoutFieldsIsOneReadWriteValueOfItsWidth()
    {
        _bank.Define("DATA", 0x04, 16);
        _bank.Write(0x04, 2, 0xBEEF);
        Assert.That(_bank.Read(0x04, 2), Is.EqualTo(0xBEEFu));
    }

    [Test]
    public void ReadOnlyFieldIgnoresWritesAndShowsItsProvider()
    {
        uint source = 5;
        var reg = _bank.Define("STAT", 0x00, 8, 0x80).WithField("LIVE", 0, 4, FieldAccess.ReadOnly, _ => source).WithFlag("FIXED", 7, FieldAccess.ReadOnly);
        _bank.Write(0x00, 1, 0x00);
        Assert.That(_bank.Read(0x00, 1), Is.EqualTo(0x85u));
        source = 9;
        Assert.That(_bank.Read(0x00, 1), Is.EqualTo(0x89u));
        Assert.That(reg.Value, Is.EqualTo(0x80u), "providers do not change the stored value");
    }

    [Test]
    public void WriteOnlyFieldReadsZeroAndPassesTheWrittenValueToItsCallback()
    {
        uint seen = 0;
        _bank.Define("CMD", 0x00, 32).WithField("GO", 0, 8, FieldAccess.WriteOnly, writeCallback: (_, v) => seen = v);
        _bank.Write(0x00, 4, 0x5A);
        Assert.Multiple(() =>
        {
            Assert.That(seen, Is.EqualTo(0x5Au));
            Assert.That(_bank.Read(0x00, 4), Is.Zero);
        });
    }

    [Test]
    public void ClearAndSetAccessTypesActOnlyOnTheirActiveBitValue()
    {
        var reg = _bank.Define("FLAGS", 0x00, 32)
            .WithField("W1C", 0, 4, FieldAccess.WriteOneToClear)
            .WithField("W1S", 4, 4, FieldAccess.WriteOneToSet)
            .WithField("W0C", 8, 4, FieldAccess.WriteZeroToClear);
        reg.Value = 0x0F0F;
        _bank.Write(0x00, 4, 0x0000_0E35);
        // W1C: 1111 & ~0101 = 1010; W1S: 0000 | 0011 = 0011; W0C: 1111 & 1110 = 1110.
        Assert.That(_bank.Read(0x00, 4), Is.EqualTo(0x0E3Au));
    }

    [Test]
    public void ReadToClearClearsOnlyWhenTheAccessCoversTheField()
    {
        var reg = _bank.Define("EVT", 0x00, 16).WithField("LO", 0, 8, FieldAccess.ReadToClear).WithField("HI", 8, 8, FieldAccess.ReadToClear);
        reg.Value = 0x1234;
        Assert.That(_bank.Read(0x01, 1), Is.EqualTo(0x12u));
        Assert.That(reg.Value, Is.EqualTo(0x0034u), "a byte read of the high half leaves the low field");
        Assert.That(_bank.Read(0x00, 2), Is.EqualTo(0x0034u));
        Assert.That(reg.Value, Is.Zero);
    }

    [Test]
    public void ByteWriteIntoAHalfwordRegisterChangesOnlyThatByte()
    {
        var reg = _bank.Define("BGR", 0x0C, 16).WithField("VAL", 0, 15).WithFlag("EXT", 15);
        reg.Value = 0x1234;
        _bank.Write(0x0D, 1, 0x81);
        Assert.Multiple(() =>
        {
            Assert.That(reg.Value, Is.EqualTo(0x8134u));
            Assert.That(_bank.Read(0x0C, 1), Is.EqualTo(0x34u));
            Assert.That(_bank.Read(0x0D, 1), Is.EqualTo(0x81u));
        });
    }

    [Test]
    public void ByteWriteLeavesWriteOneToClearBitsOfOtherBytesAlone()
    {
        var reg = _bank.Define("ST", 0x00, 32).WithField("F", 0, 32, FieldAccess.WriteOneToClear);
        reg.Value = 0xFFFF_FFFF;
        _bank.Write(0x02, 1, 0xFF);
        Assert.That(reg.Value, Is.EqualTo(0xFF00_FFFFu));
    }

    [Test]
    public void WordAccessSpanningByteRegistersReachesEachOfThem()
    {
        _bank.Define("SMR", 0x00, 8);
        _bank.Define("SCR", 0x01, 8);
        _bank.Write(0x00, 4, 0xAABB_1122);
        Assert.Multiple(() =>
        {
            Assert.That(_bank["SMR"].Value, Is.EqualTo(0x22u));
            Assert.That(_bank["SCR"].Value, Is.EqualTo(0x11u));
            Assert.That(_bank.Read(0x00, 4), Is.EqualTo(0x0000_1122u));
            Assert.That(_log.Messages, Is.Empty, "a partly mapped access is not an unmapped one");
        });
    }

    [Test]
    public void UnmappedOffsetsReadZeroIgnoreWritesAndAreLoggedOncePerAddressWithTheName()
    {
        _bank.Define("A", 0x00, 32);
        Assert.That(_bank.Read(0x40, 4), Is.Zero);
        _bank.Read(0x40, 4);
        _bank.Write(0x40, 4, 7);
        Assert.That(_log.Messages, Has.Count.EqualTo(1));
        Assert.That(_log.Messages[0], Does.Contain("dev").And.Contain("0x040"));
        _bank.Write(0x44, 2, 7);
        Assert.That(_log.Messages, Has.Count.EqualTo(2));
        Assert.That(_log.Messages[1], Does.Contain("0x044"));
    }

    [Test]
    public void ResetRestoresResetValues()
    {
        _bank.Define("A", 0x00, 8, 0x03);
        _bank.Define("B", 0x04, 32, 0xFFFF_FFFF);
        _bank.Write(0x00, 1, 0x55);
        _bank.Write(0x04, 4, 0);
        _bank.Reset();
        Assert.That((_bank.Read(0x00, 1), _bank.Read(0x04, 4)), Is.EqualTo((0x03u, 0xFFFF_FFFFu)));
    }

    [Test]
    public void WriteGateRefusesWritesAndTheirCallbacksWhileClosed()
    {
        bool open = false;
        int calls = 0;
        var reg = _bank.Define("LOCKED", 0x00, 32, 7).WithWriteGate(() => open).WithWriteCallback((_, _) => calls++);
        _bank.Write(0x00, 4, 1);
        Assert.That((reg.Value, calls), Is.EqualTo((7u, 0)));
        open = true;
        _bank.Write(0x00, 4, 1);
        Assert.That((reg.Value, calls), Is.EqualTo((1u, 1)));
    }

    [Test]
    public void AccessCallbackSeesTheWidthOfEachWrite()
    {
        var masks = new List<uint>();
        _bank.Define("PORT", 0x08, 32).WithAccessCallback((_, mask) => masks.Add(mask));
        _bank.Write(0x08, 1, 1);
        _bank.Write(0x08, 2, 1);
        _bank.Write(0x08, 4, 1);
        Assert.That(masks, Is.EqualTo(new[] { 0xFFu, 0xFFFFu, 0xFFFF_FFFFu }));
    }

    [Test]
    public void ValuesRoundTripThroughStateAndAMismatchedMapIsRejected()
    {
        _bank.Define("A", 0x00, 16);
        _bank.Define("B", 0x04, 32);
        _bank.Write(0x00, 2, 0x1234);
        _bank.Write(0x04, 4, 0xCAFE_F00D);
        var writer = new StateWriter();
        _bank.SaveValues(writer);
        var bytes = writer.WrittenSpan.ToArray();

        _bank.Reset();
        _bank.LoadValues(new StateReader(bytes, "dev"));
        Assert.That((_bank.Read(0x00, 2), _bank.Read(0x04, 4)), Is.EqualTo((0x1234u, 0xCAFE_F00Du)));

        var other = new RegisterBank("other", 0x100);
        other.Define("A", 0x00, 16);
        other.Define("C", 0x08, 32);
        Assert.That(() => other.LoadValues(new StateReader(bytes, "other")), Throws.TypeOf<StateFormatException>());
    }

    [Test]
    public void OverlappingDeclarationsAreRejected()
    {
        _bank.Define("A", 0x00, 32);
        Assert.That(() => _bank.Define("B", 0x02, 16), Throws.ArgumentException);
        Assert.That(() => _bank.Define("C", 0x06, 32), Throws.TypeOf<ArgumentOutOfRangeException>(), "misaligned");
        var reg = _bank.Define("D", 0x08, 8).WithField("X", 0, 4);
        Assert.That(() => reg.WithField("Y", 3, 2), Throws.ArgumentException);
    }
}
