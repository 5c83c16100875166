using Dsm.Emulation.CortexM3.SystemControl;

namespace Dsm.Emulation.SystemControl.Tests;

[TestFixture]
public sealed class SystemControlSpaceTests
{
    private const uint Ictr = 0xE000_E004, Actlr = 0xE000_E008;
    private const uint Iser = 0xE000_E100, Icer = 0xE000_E180, Ispr = 0xE000_E200, Icpr = 0xE000_E280, Iabr = 0xE000_E300, Ipr = 0xE000_E400;
    private const uint CpuId = 0xE000_ED00, Icsr = 0xE000_ED04, Vtor = 0xE000_ED08, Aircr = 0xE000_ED0C, Scr = 0xE000_ED10, Ccr = 0xE000_ED14;
    private const uint Shpr1 = 0xE000_ED18, Shpr2 = 0xE000_ED1C, Shpr3 = 0xE000_ED20, Shcsr = 0xE000_ED24;
    private const uint Cfsr = 0xE000_ED28, Hfsr = 0xE000_ED2C, Dfsr = 0xE000_ED30, Mmfar = 0xE000_ED34, Bfar = 0xE000_ED38, Afsr = 0xE000_ED3C;
    private const uint MpuType = 0xE000_ED90, Demcr = 0xE000_EDFC, Stir = 0xE000_EF00;

    private ScsFixture _f = null!;

    [SetUp]
    public void SetUp() => _f = new ScsFixture(new SystemControlOptions { ExternalInterrupts = 48, PriorityBits = 4, CpuId = 0x412F_C231 });

    [Test]
    public void ResetValues()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_f.Read(Ictr), Is.EqualTo(1u), "48 lines: INTLINESNUM = 1");
            Assert.That(_f.Read(Actlr), Is.Zero);
            Assert.That(_f.Read(CpuId), Is.EqualTo(0x412F_C231u));
            Assert.That(_f.Read(Vtor), Is.Zero);
            Assert.That(_f.Read(Aircr), Is.EqualTo(0xFA05_0000u));
            Assert.That(_f.Read(Scr), Is.Zero);
            Assert.That(_f.Read(Ccr), Is.EqualTo(0x200u), "STKALIGN set on r2p0+");
            Assert.That(_f.Read(Shcsr), Is.Zero);
            Assert.That(_f.Read(Cfsr) | _f.Read(Hfsr) | _f.Read(Dfsr) | _f.Read(Afsr), Is.Zero);
            Assert.That(_f.Read(Shpr1) | _f.Read(Shpr2) | _f.Read(Shpr3), Is.Zero);
            Assert.That(_f.Read(MpuType), Is.EqualTo(0x800u));
            Assert.That(_f.Read(Demcr), Is.Zero);
            Assert.That(_f.Read(0xE000_E010), Is.Zero, "SYST_CSR");
            Assert.That(_f.Read(0xE000_ED40), Is.EqualTo(0x30u), "ID_PFR0");
            Assert.That(_f.Read(0xE000_ED60), Is.EqualTo(0x0114_1110u), "ID_ISAR0");
            Assert.That(_f.Read(0xE000_EFE4), Is.EqualTo(0xB0u), "PID1");
            Assert.That(_f.Read(0xE000_EFFC), Is.EqualTo(0xB1u), "CID3");
        });
    }

    [TestCase(0, 0u)]
    [TestCase(32, 0u)]
    [TestCase(33, 1u)]
    [TestCase(240, 7u)]
    public void IctrReportsLineGroups(int lines, uint expected)
    {
        var f = new ScsFixture(new SystemControlOptions { ExternalInterrupts = lines });
        Assert.That(f.Read(Ictr), Is.EqualTo(expected));
    }

    [Test]
    public void OlderCoreResetsWithoutStackAlign()
    {
        var f = new ScsFixture(new SystemControlOptions { StackAlignOnReset = false });
        Assert.That(f.Read(Ccr), Is.Zero);
    }

    [Test]
    public void ReadOnlyRegistersIgnoreWrites()
    {
        foreach (uint address in new[] { Ictr, CpuId, 0xE000_ED40u, 0xE000_ED60u, MpuType, 0xE000_EFE0u })
        {
            uint before = _f.Read(address);
            _f.Write(address, 0xFFFF_FFFF);
            Assert.That(_f.Read(address), Is.EqualTo(before), $"0x{address:X8}");
        }
    }

    [Test]
    public void ActlrKeepsItsThreeBits()
    {
        _f.Write(Actlr, 0xFFFF_FFFF);
        Assert.That(_f.Read(Actlr), Is.EqualTo(7u));
    }

    [Test]
    public void SetAndClearEnableRegistersShareState()
    {
        _f.Write(Iser, 0x8000_0005);
        _f.Write(Iser + 4, 0x0001_0000); // IRQ 48 does not exist on this board (lines 0..47)
        Assert.Multiple(() =>
        {
            Assert.That(_f.Read(Iser), Is.EqualTo(0x8000_0005u));
            Assert.That(_f.Read(Icer), Is.EqualTo(0x8000_0005u));
            Assert.That(_f.Read(Iser + 4), Is.Zero, "bits beyond the board's lines are RAZ/WI");
            Assert.That(_f.Exceptions.IsEnabled(ExceptionNumber.FirstExternal + 31), Is.True);
        });
        _f.Write(Icer, 0x0000_0004);
        Assert.That(_f.Read(Iser), Is.EqualTo(0x8000_0001u));
    }

    [Test]
    public void UpperLinesOfThePartialWordWork()
    {
        _f.Write(Iser + 4, 0x0000_8000); // IRQ 47
        Assert.That(_f.Exceptions.IsEnabled(ExceptionNumber.FirstExternal + 47), Is.True);
        _f.Write(Iser + 8, 0xFFFF_FFFF); // beyond the last implemented word
        Assert.That(_f.Read(Iser + 8), Is.Zero);
    }

    [Test]
    public void SetAndClearPendingRegisters()
    {
        _f.Write(Ispr, 0x0000_0012);
        Assert.Multiple(() =>
        {
            Assert.That(_f.Read(Ispr), Is.EqualTo(0x12u));
            Assert.That(_f.Read(Icpr), Is.EqualTo(0x12u));
        });
        _f.Write(Icpr, 0x0000_0002);
        Assert.That(_f.Read(Ispr), Is.EqualTo(0x10u));
    }

    [Test]
    public void ActiveBitRegisterIsReadOnly()
    {
        _f.Exceptions.SetActive(ExceptionNumber.FirstExternal + 33, true);
        Assert.That(_f.Read(Iabr + 4), Is.EqualTo(2u));
        _f.Write(Iabr + 4, 0);
        _f.Write(Iabr, 0xFFFF_FFFF);
        Assert.Multiple(() =>
        {
            Assert.That(_f.Read(Iabr + 4), Is.EqualTo(2u));
            Assert.That(_f.Read(Iabr), Is.Zero);
        });
    }

    [Test]
    public void NarrowWritesToSetRegistersAffectOnlyTheirLanes()
    {
        _f.Write(Iser + 1, 0x01, size: 1); // IRQ 8
        Assert.That(_f.Read(Iser), Is.EqualTo(0x100u));
        Assert.That(_f.Read(Iser + 1, 1), Is.EqualTo(1u));
    }

    [Test]
    public void PriorityRegistersAreByteHalfwordAndWordAccessible()
    {
        _f.Write(Ipr, 0x4433_2211);
        Assert.That(_f.Read(Ipr), Is.EqualTo(0x4030_2010u), "low four bits are not implemented");
        _f.Write(Ipr + 5, 0xA0, size: 1);
        _f.Write(Ipr + 6, 0xC0B0, size: 2);
        Assert.Multiple(() =>
        {
            Assert.That(_f.Read(Ipr + 4), Is.EqualTo(0xC0B0_A000u));
            Assert.That(_f.Read(Ipr + 6, 1), Is.EqualTo(0xB0u));
            Assert.That(_f.Exceptions.GetPriority(ExceptionNumber.FirstExternal + 5), Is.EqualTo(0xA0));
            Assert.That(_f.Read(Ipr + 48), Is.Zero, "past the last line");
        });
    }

    [Test]
    public void SystemHandlerPrioritiesSkipReservedBytes()
    {
        _f.Write(Shpr1, 0xFFFF_FFFF);
        _f.Write(Shpr2, 0xFFFF_FFFF);
        _f.Write(Shpr3, 0xFFFF_FFFF);
        Assert.Multiple(() =>
        {
            Assert.That(_f.Read(Shpr1), Is.EqualTo(0x00F0_F0F0u), "MemManage, BusFault, UsageFault; byte 7 reserved");
            Assert.That(_f.Read(Shpr2), Is.EqualTo(0xF000_0000u), "SVCall only");
            Assert.That(_f.Read(Shpr3), Is.EqualTo(0xF0F0_00F0u), "DebugMonitor, PendSV, SysTick");
        });
        _f.Write(Shpr3 + 3, 0x40, size: 1);
        Assert.That(_f.Exceptions.GetPriority(ExceptionNumber.SysTick), Is.EqualTo(0x40));
    }

    [Test]
    public void IcsrSetAndClearBits()
    {
        _f.Write(Icsr, 1u << 28);
        _f.Write(Icsr, 1u << 26);
        Assert.That(_f.Read(Icsr) & 0x1400_0000u, Is.EqualTo(0x1400_0000u));
        _f.Write(Icsr, 1u << 27);
        Assert.That(_f.Exceptions.IsPending(ExceptionNumber.PendSV), Is.False);
        _f.Write(Icsr, 1u << 25);
        Assert.That(_f.Exceptions.IsPending(ExceptionNumber.SysTick), Is.False);
        _f.Write(Icsr, 1u << 31);
        Assert.That(_f.Read(Icsr) >> 31, Is.EqualTo(1u));
    }

    [Test]
    public void IcsrReportsVectActiveVectPendingRettobaseAndIsrPending()
    {
        _f.Core.CurrentException = 0x2F;
        _f.Exceptions.SetActive(0x2F, true);
        _f.Write(Ipr + 0x1F - 16 + 16, 0x80, size: 1); // leave IRQ 31 at 0x80
        _f.Write(Iser, 1u << 2);
        _f.Write(Ispr, 1u << 2); // exception 18, priority 0
        _f.Write(Ispr, 1u << 9); // exception 25: disabled, still ISRPENDING
        uint icsr = _f.Read(Icsr);
        Assert.Multiple(() =>
        {
            Assert.That(icsr & 0x1FF, Is.EqualTo(0x2Fu), "VECTACTIVE");
            Assert.That((icsr >> 12) & 0x1FF, Is.EqualTo(18u), "VECTPENDING");
            Assert.That((icsr >> 22) & 1, Is.EqualTo(1u), "ISRPENDING");
            Assert.That((icsr >> 11) & 1, Is.EqualTo(1u), "RETTOBASE: one active exception");
        });
        _f.Exceptions.SetActive(ExceptionNumber.SVCall, true);
        Assert.That((_f.Read(Icsr) >> 11) & 1, Is.Zero, "two active exceptions");
    }

    [Test]
    public void VtorKeepsTableOffsetBits()
    {
        _f.Write(Vtor, 0xFFFF_FFFF);
        Assert.Multiple(() =>
        {
            Assert.That(_f.Read(Vtor), Is.EqualTo(0x3FFF_FF80u));
            Assert.That(_f.Scs.VectorTableOffset, Is.EqualTo(0x3FFF_FF80u));
        });
    }

    [Test]
    public void AircrNeedsVectKey()
    {
        _f.Write(Aircr, 0x0000_0500);
        Assert.That(_f.Read(Aircr), Is.EqualTo(0xFA05_0000u), "no key: ignored");
        _f.Write(Aircr, 0xFA05_0500); // the read-back key is not the write key
        Assert.That(_f.Read(Aircr), Is.EqualTo(0xFA05_0000u));
        _f.Write(Aircr, 0x05FA_0500);
        Assert.Multiple(() =>
        {
            Assert.That(_f.Read(Aircr), Is.EqualTo(0xFA05_0500u));
            Assert.That(_f.Exceptions.PriorityGroup, Is.EqualTo(5));
        });
    }

    [Test]
    public void SysResetReqRaisesResetRequest()
    {
        var requests = new List<ResetRequest>();
        _f.Scs.ResetRequested += requests.Add;
        _f.Write(Aircr, 0x0000_0004);
        _f.Write(Aircr, 0x05FA_0004);
        _f.Write(Aircr, 0x05FA_0001);
        Assert.That(requests, Is.EqualTo(new[] { ResetRequest.System, ResetRequest.LocalCore }));
    }

    [Test]
    public void VectClrActiveClearsActiveStateAndIpsr()
    {
        _f.Exceptions.SetActive(ExceptionNumber.SysTick, true);
        _f.Exceptions.SetActive(ExceptionNumber.FirstExternal, true);
        _f.Core.CurrentException = ExceptionNumber.FirstExternal;
        _f.Write(Aircr, 0x05FA_0002);
        Assert.Multiple(() =>
        {
            Assert.That(_f.Exceptions.ActiveCount, Is.Zero);
            Assert.That(_f.Core.ClearCurrentExceptionCalls, Is.EqualTo(1));
            Assert.That(_f.Core.CurrentException, Is.Zero);
        });
    }

    [Test]
    public void ScrAndCcrKeepTheirImplementedBits()
    {
        _f.Write(Scr, 0xFFFF_FFFF);
        _f.Write(Ccr, 0xFFFF_FFFF);
        Assert.Multiple(() =>
        {
            Assert.That(_f.Read(Scr), Is.EqualTo(0x16u));
            Assert.That(_f.Read(Ccr), Is.EqualTo(0x31Bu));
            Assert.That(_f.Scs.SleepOnExit && _f.Scs.SleepDeep, Is.True);
            Assert.That(_f.Scs.UnalignedTrap && _f.Scs.DivideByZeroTrap && _f.Scs.StackAlign8, Is.True);
            Assert.That(_f.Scs.NonBaseThreadEnable && _f.Scs.IgnoreBusFaultsAtNegativePriority, Is.True);
        });
        _f.Write(Ccr, 0);
        Assert.That(_f.Scs.UnalignedTrap || _f.Scs.DivideByZeroTrap || _f.Scs.StackAlign8, Is.False);
    }

    [Test]
    public void SevOnPendSignalsTheCoreOnNewPending()
    {
        _f.Write(Ispr, 1);
        Assert.That(_f.Core.Events, Is.Zero);
        _f.Write(Scr, 0x10);
        _f.Write(Ispr, 2);
        _f.Write(Ispr, 2); // already pending: no new event
        Assert.That(_f.Core.Events, Is.EqualTo(1));
    }

    [Test]
    public void ShcsrEnablesPendingAndActiveBits()
    {
        _f.Write(Shcsr, 0x0007_0000);
        Assert.That(_f.Exceptions.IsEnabled(ExceptionNumber.MemManage) && _f.Exceptions.IsEnabled(ExceptionNumber.BusFault) && _f.Exceptions.IsEnabled(ExceptionNumber.UsageFault), Is.True);
        _f.Write(Shcsr, 0x0007_8000 | (1u << 11));
        Assert.Multiple(() =>
        {
            Assert.That(_f.Exceptions.IsPending(ExceptionNumber.SVCall), Is.True);
            Assert.That(_f.Exceptions.IsActive(ExceptionNumber.SysTick), Is.True);
            Assert.That(_f.Read(Shcsr), Is.EqualTo(0x0007_8800u));
        });
        _f.Write(Shcsr, 0x0007_0000); // SysTick no longer active: a UsageFault can preempt Thread mode
        _f.Exceptions.RaiseFault(FaultCause.Unaligned);
        Assert.That(_f.Read(Shcsr) & (1u << 12), Is.Not.Zero, "USGFAULTPENDED");
        _f.Write(Shcsr, 0);
        Assert.That(_f.Read(Shcsr), Is.Zero);
    }

    [Test]
    public void CfsrIsWriteOneToClearAtAnyWidth()
    {
        _f.Exceptions.Cfsr = 0x030F_9F9B;
        _f.Write(Cfsr, 0x0000_0002);
        Assert.That(_f.Read(Cfsr), Is.EqualTo(0x030F_9F99u));
        _f.Write(Cfsr + 1, 0x02, size: 1); // BFSR.PRECISERR
        Assert.That(_f.Read(Cfsr), Is.EqualTo(0x030F_9D99u));
        _f.Write(Cfsr + 2, 0x0200, size: 2); // UFSR.DIVBYZERO
        Assert.Multiple(() =>
        {
            Assert.That(_f.Read(Cfsr), Is.EqualTo(0x010F_9D99u));
            Assert.That(_f.Read(Cfsr + 2, 2), Is.EqualTo(0x010Fu));
            Assert.That(_f.Read(Cfsr, 1), Is.EqualTo(0x99u));
        });
    }

    [Test]
    public void HfsrDfsrAfsrAreWriteOneToClearAndAddressRegistersAreWritable()
    {
        _f.Exceptions.RaiseFault(FaultCause.Breakpoint);
        _f.Exceptions.RaiseFault(FaultCause.VectorTableReadError);
        Assert.That(_f.Read(Hfsr), Is.EqualTo(0x8000_0002u));
        _f.Write(Hfsr, 0x8000_0000);
        _f.Write(Dfsr, 0x2);
        _f.Write(Mmfar, 0x1234_5678);
        _f.Write(Bfar, 0x9ABC_DEF0);
        Assert.Multiple(() =>
        {
            Assert.That(_f.Read(Hfsr), Is.EqualTo(2u));
            Assert.That(_f.Read(Dfsr), Is.Zero);
            Assert.That(_f.Read(Mmfar), Is.EqualTo(0x1234_5678u));
            Assert.That(_f.Read(Bfar), Is.EqualTo(0x9ABC_DEF0u));
        });
    }

    [Test]
    public void StirHonoursUserSetMPend()
    {
        _f.Write(Stir, 3);
        Assert.That(_f.Exceptions.IsPending(ExceptionNumber.FirstExternal + 3), Is.True);
        _f.Core.IsPrivileged = false;
        _f.Write(Stir, 4);
        Assert.Multiple(() =>
        {
            Assert.That(_f.Exceptions.IsPending(ExceptionNumber.FirstExternal + 4), Is.False);
            Assert.That(_f.Scs.PermitsUnprivilegedAccess(0xF00, isWrite: true), Is.False);
        });
        _f.Core.IsPrivileged = true;
        _f.Write(Ccr, 0x2);
        _f.Core.IsPrivileged = false;
        _f.Write(Stir, 4);
        _f.Write(Stir, 48); // no such line: ignored
        Assert.Multiple(() =>
        {
            Assert.That(_f.Exceptions.IsPending(ExceptionNumber.FirstExternal + 4), Is.True);
            Assert.That(_f.Scs.PermitsUnprivilegedAccess(0xF00, isWrite: true), Is.True);
            Assert.That(_f.Scs.PermitsUnprivilegedAccess(0xF00, isWrite: false), Is.False);
            Assert.That(_f.Scs.PermitsUnprivilegedAccess(0xD04, isWrite: true), Is.False);
            Assert.That(_f.Read(Stir), Is.Zero, "write-only");
        });
    }

    [Test]
    public void DemcrControlsTraceAndMonitor()
    {
        _f.Write(Demcr, 0xFFFF_FFFF);
        Assert.Multiple(() =>
        {
            Assert.That(_f.Read(Demcr), Is.EqualTo(0x010F_07F1u), "MON_PEND reflects the DebugMonitor pending bit");
            Assert.That(_f.Exceptions.IsEnabled(ExceptionNumber.DebugMonitor), Is.True);
            Assert.That(_f.Exceptions.IsPending(ExceptionNumber.DebugMonitor), Is.True);
        });
        _f.Write(Demcr, 0x0100_0000);
        Assert.Multiple(() =>
        {
            Assert.That(_f.Read(Demcr), Is.EqualTo(0x0100_0000u));
            Assert.That(_f.Exceptions.IsEnabled(ExceptionNumber.DebugMonitor), Is.False);
        });
    }

    [Test]
    public void NarrowWriteToWordOnlyRegisterIsIgnored()
    {
        _f.Write(Vtor, 0x80, size: 1);
        _f.Write(Aircr + 2, 0x05FA, size: 2);
        Assert.Multiple(() =>
        {
            Assert.That(_f.Read(Vtor), Is.Zero);
            Assert.That(_f.Read(Aircr), Is.EqualTo(0xFA05_0000u));
            Assert.That(_f.Read(Aircr + 2, 2), Is.EqualTo(0xFA05u), "narrow reads return the addressed bytes");
        });
    }

    [Test]
    public void ReservedAndDebugRegistersReadZero()
    {
        _f.Write(0xE000_EDF0, 0xA05F_0003); // DHCSR: a debugger-only register
        Assert.Multiple(() =>
        {
            Assert.That(_f.Read(0xE000_EDF0), Is.Zero);
            Assert.That(_f.Read(0xE000_E000), Is.Zero);
            Assert.That(_f.Read(0xE000_ED88), Is.Zero, "CPACR: no coprocessors");
            Assert.That(_f.Read(0xE000_E800), Is.Zero);
        });
    }

    [Test]
    public void ResetRestoresRegisterResetValues()
    {
        _f.Write(Vtor, 0x0000_4000);
        _f.Write(Ccr, 0x18);
        _f.Write(Scr, 0x2);
        _f.Write(Iser, 0xF);
        _f.Write(Demcr, 0x0100_0000);
        _f.Write(0xE000_ED94, 1);
        _f.Scs.Reset();
        Assert.Multiple(() =>
        {
            Assert.That(_f.Read(Vtor), Is.Zero);
            Assert.That(_f.Read(Ccr), Is.EqualTo(0x200u));
            Assert.That(_f.Read(Scr), Is.Zero);
            Assert.That(_f.Read(Iser), Is.Zero);
            Assert.That(_f.Read(Demcr), Is.Zero);
            Assert.That(_f.Scs.Mpu.Enabled, Is.False);
        });
    }
}
