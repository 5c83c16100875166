using Dsm.Emulation.CortexM3.SystemControl;

namespace Dsm.Emulation.SystemControl.Tests;

[TestFixture]
public sealed class MemoryProtectionUnitTests
{
    private const uint Type = 0xE000_ED90, Ctrl = 0xE000_ED94, Rnr = 0xE000_ED98, Rbar = 0xE000_ED9C, Rasr = 0xE000_EDA0;
    private const uint Enable = 1, HfNmiEna = 2, PrivDefEna = 4;
    private const uint FullAccess = 3u << 24, NoAccess = 0, PrivilegedOnly = 1u << 24, UserReadOnly = 2u << 24, ReadOnly = 6u << 24, PrivilegedReadOnly = 5u << 24;
    private const uint ExecuteNever = 1u << 28;

    private ScsFixture _f = null!;

    private MemoryProtectionUnit Mpu => _f.Scs.Mpu;

    [SetUp]
    public void SetUp() => _f = new ScsFixture();

    /// <summary>Programs a region; <paramref name="sizeLog2"/> is log2 of the size in bytes.</summary>
    private void Region(int number, uint baseAddress, int sizeLog2, uint attributes, byte subregionDisable = 0)
    {
        _f.Write(Rbar, baseAddress | 0x10 | (uint)number);
        _f.Write(Rasr, attributes | ((uint)subregionDisable << 8) | ((uint)(sizeLog2 - 1) << 1) | 1);
    }

    private MpuVerdict Check(uint address, MemoryAccess access, bool privileged = true) => Mpu.Check(address, access, privileged);

    [Test]
    public void DisabledMpuOnlyAppliesDefaultExecuteNever()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Mpu.Enabled, Is.False);
            Assert.That(Check(0x2000_0000, MemoryAccess.Write, privileged: false), Is.EqualTo(MpuVerdict.Allowed));
            Assert.That(Check(0x0000_1000, MemoryAccess.Execute), Is.EqualTo(MpuVerdict.Allowed));
            Assert.That(Check(0x6000_0000, MemoryAccess.Execute), Is.EqualTo(MpuVerdict.Allowed), "external RAM is executable");
            Assert.That(Check(0x4000_0000, MemoryAccess.Execute), Is.EqualTo(MpuVerdict.InstructionAccessViolation));
            Assert.That(Check(0xA000_0000, MemoryAccess.Execute), Is.EqualTo(MpuVerdict.InstructionAccessViolation));
            Assert.That(Check(0xE000_E000, MemoryAccess.Execute), Is.EqualTo(MpuVerdict.InstructionAccessViolation));
        });
    }

    [Test]
    public void EnabledWithoutRegionsOrBackgroundDeniesEverything()
    {
        _f.Write(Ctrl, Enable);
        Assert.Multiple(() =>
        {
            Assert.That(Check(0x2000_0000, MemoryAccess.Read), Is.EqualTo(MpuVerdict.DataAccessViolation));
            Assert.That(Check(0x0000_0000, MemoryAccess.Execute), Is.EqualTo(MpuVerdict.InstructionAccessViolation));
        });
    }

    [Test]
    public void PrivDefEnaGivesPrivilegedCodeTheDefaultMap()
    {
        _f.Write(Ctrl, Enable | PrivDefEna);
        Assert.Multiple(() =>
        {
            Assert.That(Check(0x2000_0000, MemoryAccess.Write), Is.EqualTo(MpuVerdict.Allowed));
            Assert.That(Check(0x4000_0000, MemoryAccess.Execute), Is.EqualTo(MpuVerdict.InstructionAccessViolation), "default XN still applies");
            Assert.That(Check(0x2000_0000, MemoryAccess.Write, privileged: false), Is.EqualTo(MpuVerdict.DataAccessViolation));
        });
    }

    [Test]
    public void PrivatePeripheralBusIsNeverCheckedForData()
    {
        _f.Write(Ctrl, Enable);
        Assert.Multiple(() =>
        {
            Assert.That(Check(0xE000_ED00, MemoryAccess.Write), Is.EqualTo(MpuVerdict.Allowed));
            Assert.That(Check(0xE00F_FFFC, MemoryAccess.Read, privileged: false), Is.EqualTo(MpuVerdict.Allowed), "the PPB privilege rule is a BusFault, not the MPU's");
            Assert.That(Check(0xE010_0000, MemoryAccess.Read), Is.EqualTo(MpuVerdict.DataAccessViolation), "vendor system space is checked");
        });
    }

    [TestCase(NoAccess, false, false, false, false)]
    [TestCase(PrivilegedOnly, true, true, false, false)]
    [TestCase(UserReadOnly, true, true, true, false)]
    [TestCase(FullAccess, true, true, true, true)]
    [TestCase(4u << 24, false, false, false, false)] // reserved encoding
    [TestCase(PrivilegedReadOnly, true, false, false, false)]
    [TestCase(ReadOnly, true, false, true, false)]
    [TestCase(7u << 24, true, false, true, false)]
    public void AccessPermissionEncodings(uint ap, bool privRead, bool privWrite, bool userRead, bool userWrite)
    {
        _f.Write(Ctrl, Enable);
        Region(0, 0x2000_0000, 16, ap);
        Assert.Multiple(() =>
        {
            Assert.That(Check(0x2000_0100, MemoryAccess.Read, true) == MpuVerdict.Allowed, Is.EqualTo(privRead), "privileged read");
            Assert.That(Check(0x2000_0100, MemoryAccess.Write, true) == MpuVerdict.Allowed, Is.EqualTo(privWrite), "privileged write");
            Assert.That(Check(0x2000_0100, MemoryAccess.Read, false) == MpuVerdict.Allowed, Is.EqualTo(userRead), "unprivileged read");
            Assert.That(Check(0x2000_0100, MemoryAccess.Write, false) == MpuVerdict.Allowed, Is.EqualTo(userWrite), "unprivileged write");
            Assert.That(Check(0x2000_0100, MemoryAccess.Execute, false) == MpuVerdict.Allowed, Is.EqualTo(userRead), "fetch needs read permission");
        });
    }

    [Test]
    public void ExecuteNeverRegionsDenyFetchesOnly()
    {
        _f.Write(Ctrl, Enable);
        Region(0, 0x2000_0000, 16, FullAccess | ExecuteNever);
        Assert.Multiple(() =>
        {
            Assert.That(Check(0x2000_0000, MemoryAccess.Execute), Is.EqualTo(MpuVerdict.InstructionAccessViolation));
            Assert.That(Check(0x2000_0000, MemoryAccess.Write), Is.EqualTo(MpuVerdict.Allowed));
        });
    }

    [Test]
    public void HigherNumberedRegionWinsWhereRegionsOverlap()
    {
        _f.Write(Ctrl, Enable);
        Region(0, 0x0000_0000, 32, FullAccess);       // the whole 4 GiB address space
        Region(3, 0x2000_1000, 12, NoAccess);          // a 4 KiB guard
        Assert.Multiple(() =>
        {
            Assert.That(Check(0x2000_0FFC, MemoryAccess.Write), Is.EqualTo(MpuVerdict.Allowed));
            Assert.That(Check(0x2000_1000, MemoryAccess.Write), Is.EqualTo(MpuVerdict.DataAccessViolation));
            Assert.That(Check(0x2000_1FFF, MemoryAccess.Read), Is.EqualTo(MpuVerdict.DataAccessViolation));
            Assert.That(Check(0x2000_2000, MemoryAccess.Read), Is.EqualTo(MpuVerdict.Allowed));
            Assert.That(Check(0xFFFF_FFFC, MemoryAccess.Read), Is.EqualTo(MpuVerdict.Allowed), "the 4 GiB region reaches the top");
        });
        Region(0, 0x0000_0000, 32, NoAccess);
        Region(3, 0x2000_1000, 12, FullAccess);
        Assert.That(Check(0x2000_1000, MemoryAccess.Write), Is.EqualTo(MpuVerdict.Allowed), "order is by region number, not by size");
    }

    [Test]
    public void DisabledSubregionsFallThroughToLowerRegions()
    {
        _f.Write(Ctrl, Enable);
        Region(0, 0x2000_0000, 16, ReadOnly);
        Region(1, 0x2000_0000, 10, FullAccess, subregionDisable: 0b1000_0001); // 1 KiB in eight 128-byte sub-regions
        Assert.Multiple(() =>
        {
            Assert.That(Check(0x2000_0000, MemoryAccess.Write), Is.EqualTo(MpuVerdict.DataAccessViolation), "sub-region 0 disabled: region 0 (read-only) decides");
            Assert.That(Check(0x2000_0080, MemoryAccess.Write), Is.EqualTo(MpuVerdict.Allowed));
            Assert.That(Check(0x2000_037F, MemoryAccess.Write), Is.EqualTo(MpuVerdict.Allowed));
            Assert.That(Check(0x2000_0380, MemoryAccess.Write), Is.EqualTo(MpuVerdict.DataAccessViolation), "sub-region 7 disabled");
        });
    }

    [Test]
    public void DisabledSubregionWithNothingBelowUsesTheBackground()
    {
        _f.Write(Ctrl, Enable | PrivDefEna);
        Region(0, 0x2000_0000, 8, NoAccess, subregionDisable: 0x01);
        Assert.Multiple(() =>
        {
            Assert.That(Check(0x2000_0000, MemoryAccess.Read), Is.EqualTo(MpuVerdict.Allowed));
            Assert.That(Check(0x2000_0000, MemoryAccess.Read, privileged: false), Is.EqualTo(MpuVerdict.DataAccessViolation));
            Assert.That(Check(0x2000_0020, MemoryAccess.Read), Is.EqualTo(MpuVerdict.DataAccessViolation));
        });
    }

    [Test]
    public void SubregionBitsAreIgnoredBelow256Bytes()
    {
        _f.Write(Ctrl, Enable);
        Region(0, 0x2000_0000, 7, FullAccess, subregionDisable: 0xFF);
        Assert.That(Check(0x2000_0000, MemoryAccess.Read), Is.EqualTo(MpuVerdict.Allowed));
    }

    [Test]
    public void SmallestRegionIs32Bytes()
    {
        _f.Write(Ctrl, Enable);
        Region(0, 0x2000_0040, 5, FullAccess);
        Assert.Multiple(() =>
        {
            Assert.That(Check(0x2000_003F, MemoryAccess.Read), Is.EqualTo(MpuVerdict.DataAccessViolation));
            Assert.That(Check(0x2000_0040, MemoryAccess.Read), Is.EqualTo(MpuVerdict.Allowed));
            Assert.That(Check(0x2000_005F, MemoryAccess.Read), Is.EqualTo(MpuVerdict.Allowed));
            Assert.That(Check(0x2000_0060, MemoryAccess.Read), Is.EqualTo(MpuVerdict.DataAccessViolation));
        });
    }

    [Test]
    public void BaseIsAlignedToTheRegionSize()
    {
        _f.Write(Ctrl, Enable);
        Region(0, 0x2000_0800, 12, FullAccess); // misaligned for 4 KiB: the region starts at 0x20000000
        Assert.That(Check(0x2000_0000, MemoryAccess.Read), Is.EqualTo(MpuVerdict.Allowed));
    }

    [Test]
    public void MpuIsBypassedAtNegativePriorityUnlessHfNmiEna()
    {
        _f.Write(Ctrl, Enable);
        _f.Exceptions.SetActive(ExceptionNumber.HardFault, true);
        Assert.That(Check(0x2000_0000, MemoryAccess.Write), Is.EqualTo(MpuVerdict.Allowed));
        _f.Write(Ctrl, Enable | HfNmiEna);
        Assert.That(Check(0x2000_0000, MemoryAccess.Write), Is.EqualTo(MpuVerdict.DataAccessViolation));
        _f.Exceptions.SetActive(ExceptionNumber.HardFault, false);
        _f.Write(Ctrl, Enable);
        _f.Core.Faultmask = true;
        _f.Exceptions.MasksChanged();
        Assert.That(Check(0x2000_0000, MemoryAccess.Write), Is.EqualTo(MpuVerdict.Allowed), "FAULTMASK also runs at priority -1");
    }

    [Test]
    public void RegisterAccess()
    {
        Assert.That(_f.Read(Type), Is.EqualTo(0x0000_0800u));
        _f.Write(Rnr, 5);
        _f.Write(Rbar, 0x2000_1227);         // VALID clear: the REGION field is ignored, RNR selects
        _f.Write(Rasr, 0xFFFF_FFFF);
        Assert.Multiple(() =>
        {
            Assert.That(_f.Read(Rbar), Is.EqualTo(0x2000_1225u), "ADDR bits and RNR's region; VALID reads 0");
            Assert.That(_f.Read(Rasr), Is.EqualTo(0x173F_FF3Fu));
        });
        _f.Write(Rbar, 0x3000_0000 | 0x10 | 2); // VALID: selects region 2 and updates RNR
        Assert.Multiple(() =>
        {
            Assert.That(_f.Read(Rnr), Is.EqualTo(2u));
            Assert.That(_f.Read(Rbar), Is.EqualTo(0x3000_0002u));
        });
        _f.Write(Rnr, 8); // no region 8
        Assert.That(_f.Read(Rnr), Is.EqualTo(2u));
        _f.Write(Rbar, 0x4000_0000 | 0x10 | 9);
        Assert.That(_f.Read(Rnr), Is.EqualTo(2u), "VALID with a missing region is ignored");
        _f.Write(0xE000_EDA4, 0x5000_0000 | 0x10 | 1); // alias 1 of RBAR
        _f.Write(0xE000_EDA8, 0x0300_0011);           // alias 1 of RASR
        Assert.Multiple(() =>
        {
            Assert.That(_f.Read(Rasr), Is.EqualTo(0x0300_0011u));
            Assert.That(_f.Read(0xE000_EDB8), Is.EqualTo(0x0300_0011u));
            Assert.That(_f.Read(0xE000_EDB4), Is.EqualTo(0x5000_0001u));
        });
        _f.Write(Ctrl, 0xFFFF_FFFF);
        Assert.That(_f.Read(Ctrl), Is.EqualTo(7u));
    }

    [Test]
    public void BoardWithoutMpuReadsZero()
    {
        var f = new ScsFixture(new SystemControlOptions { MpuRegions = 0 });
        f.Write(Ctrl, 1);
        f.Write(Rbar, 0x2000_0010);
        Assert.Multiple(() =>
        {
            Assert.That(f.Read(Type), Is.Zero);
            Assert.That(f.Read(Ctrl), Is.Zero);
            Assert.That(f.Read(Rbar), Is.Zero);
            Assert.That(f.Scs.Mpu.Enabled, Is.False);
        });
    }

    [Test]
    public void GenerationChangesOnEveryConfigurationWrite()
    {
        int before = Mpu.Generation;
        _f.Write(Ctrl, Enable);
        int afterCtrl = Mpu.Generation;
        Region(0, 0x2000_0000, 12, FullAccess);
        Assert.Multiple(() =>
        {
            Assert.That(afterCtrl, Is.GreaterThan(before));
            Assert.That(Mpu.Generation, Is.GreaterThan(afterCtrl));
        });
    }
}
