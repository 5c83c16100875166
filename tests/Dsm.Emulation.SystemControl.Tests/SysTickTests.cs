using Dsm.Emulation.CortexM3.SystemControl;

namespace Dsm.Emulation.SystemControl.Tests;

[TestFixture]
public sealed class SysTickTests
{
    private const uint Csr = 0xE000_E010, Rvr = 0xE000_E014, Cvr = 0xE000_E018, Calib = 0xE000_E01C;
    private const uint Enable = 1, TickInt = 2, CoreClock = 4, CountFlag = 1u << 16;

    private ScsFixture _f = null!;

    [SetUp]
    public void SetUp() => _f = new ScsFixture(new SystemControlOptions { SysTickReferenceDivider = 8, SysTickCalibration = 0x4000_2710 });

    private bool SysTickPending => _f.Exceptions.IsPending(ExceptionNumber.SysTick);

    [Test]
    public void ResetValuesAndCalibration()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_f.Read(Csr), Is.Zero);
            Assert.That(_f.Read(Rvr), Is.Zero);
            Assert.That(_f.Read(Cvr), Is.Zero);
            Assert.That(_f.Read(Calib), Is.EqualTo(0x4000_2710u), "SKEW and TENMS; NOREF clear with a reference clock");
        });
    }

    [Test]
    public void BoardWithoutReferenceClockReportsNorefAndForcesCoreClock()
    {
        var f = new ScsFixture(new SystemControlOptions { SysTickReferenceDivider = 0 });
        Assert.That(f.Read(Calib) >> 31, Is.EqualTo(1u));
        Assert.That(f.Read(Csr), Is.EqualTo(CoreClock));
        f.Write(Csr, Enable);
        Assert.That(f.Read(Csr) & CoreClock, Is.EqualTo(CoreClock));
    }

    [Test]
    public void CountsDownOncePerCycleAndPendsAtZero()
    {
        _f.Write(Rvr, 99);
        _f.Write(Csr, Enable | TickInt | CoreClock);
        _f.Scheduler.AdvanceTo(1);
        Assert.That(_f.Read(Cvr), Is.EqualTo(99u), "the first tick loads RVR");
        _f.Scheduler.AdvanceTo(50);
        Assert.That(_f.Read(Cvr), Is.EqualTo(50u));
        _f.Scheduler.AdvanceTo(99);
        Assert.Multiple(() =>
        {
            Assert.That(_f.Read(Cvr), Is.EqualTo(1u));
            Assert.That(SysTickPending, Is.False);
        });
        _f.Scheduler.AdvanceTo(100);
        Assert.Multiple(() =>
        {
            Assert.That(_f.Read(Cvr), Is.Zero);
            Assert.That(SysTickPending, Is.True);
        });
        _f.Scheduler.AdvanceTo(101);
        Assert.That(_f.Read(Cvr), Is.EqualTo(99u), "reloaded on the tick after zero");
    }

    [Test]
    public void PeriodIsReloadPlusOne()
    {
        _f.Write(Rvr, 9);
        _f.Write(Csr, Enable | TickInt | CoreClock);
        var times = new List<ulong>();
        for (ulong t = 1; t <= 40; t++)
        {
            _f.Scheduler.AdvanceTo(t);
            if (SysTickPending)
            {
                times.Add(t);
                _f.Exceptions.ClearPending(ExceptionNumber.SysTick);
            }
        }

        Assert.That(times, Is.EqualTo(new ulong[] { 10, 20, 30, 40 }));
    }

    [Test]
    public void CountFlagIsClearedByReadingCsr()
    {
        _f.Write(Rvr, 9);
        _f.Write(Csr, Enable | CoreClock); // no TICKINT: COUNTFLAG only
        _f.Scheduler.AdvanceTo(9);
        Assert.That(_f.Read(Csr) & CountFlag, Is.Zero);
        _f.Scheduler.AdvanceTo(35);
        Assert.Multiple(() =>
        {
            Assert.That(_f.Read(Csr), Is.EqualTo(CountFlag | Enable | CoreClock));
            Assert.That(_f.Read(Csr) & CountFlag, Is.Zero, "cleared by the previous read");
            Assert.That(SysTickPending, Is.False, "TICKINT clear: no exception");
        });
        _f.Scheduler.AdvanceTo(40);
        Assert.That(_f.Read(Csr) & CountFlag, Is.EqualTo(CountFlag), "the crossing at 40 sets it again");
    }

    [Test]
    public void CountFlagIsExactBetweenSchedulerSteps()
    {
        ulong now = 0;
        _f.Scs.Clock = () => now;
        _f.Write(Rvr, 9);
        _f.Write(Csr, Enable | CoreClock);
        now = 10; // the core ran ten cycles; the scheduler has not been advanced yet
        Assert.Multiple(() =>
        {
            Assert.That(_f.Read(Cvr), Is.Zero);
            Assert.That(_f.Read(Csr) & CountFlag, Is.EqualTo(CountFlag));
        });
    }

    [Test]
    public void WritingCvrClearsCounterAndCountFlag()
    {
        _f.Write(Rvr, 9);
        _f.Write(Csr, Enable | TickInt | CoreClock);
        _f.Scheduler.AdvanceTo(15);
        _f.Write(Cvr, 1234);
        Assert.Multiple(() =>
        {
            Assert.That(_f.Read(Cvr), Is.Zero);
            Assert.That(_f.Read(Csr) & CountFlag, Is.Zero);
        });
        _f.Exceptions.ClearPending(ExceptionNumber.SysTick);
        _f.Scheduler.AdvanceTo(25);
        Assert.That(SysTickPending, Is.True, "reload at 16, zero ten ticks later");
        _f.Exceptions.ClearPending(ExceptionNumber.SysTick);
        _f.Scheduler.AdvanceTo(24 + 10);
        Assert.That(SysTickPending, Is.False);
        _f.Scheduler.AdvanceTo(35);
        Assert.That(SysTickPending, Is.True);
    }

    [Test]
    public void ReloadZeroStopsAfterReachingZero()
    {
        _f.Write(Rvr, 4);
        _f.Write(Csr, Enable | TickInt | CoreClock);
        _f.Scheduler.AdvanceTo(3);
        _f.Write(Rvr, 0);
        _f.Scheduler.AdvanceTo(5);
        Assert.That(SysTickPending, Is.True, "the current count still runs out");
        _f.Exceptions.ClearPending(ExceptionNumber.SysTick);
        _f.Read(Csr);
        _f.Scheduler.AdvanceTo(1000);
        Assert.Multiple(() =>
        {
            Assert.That(SysTickPending, Is.False);
            Assert.That(_f.Read(Cvr), Is.Zero);
            Assert.That(_f.Read(Csr) & CountFlag, Is.Zero);
            Assert.That(_f.Scheduler.NextDeadline, Is.EqualTo(ulong.MaxValue), "no event is left scheduled");
        });
    }

    [Test]
    public void NewReloadValueTakesEffectAtNextReload()
    {
        _f.Write(Rvr, 9);
        _f.Write(Csr, Enable | TickInt | CoreClock);
        _f.Scheduler.AdvanceTo(5);
        _f.Write(Rvr, 19);
        Assert.That(_f.Read(Cvr), Is.EqualTo(5u), "the running count is unchanged");
        _f.Scheduler.AdvanceTo(10);
        Assert.That(SysTickPending, Is.True);
        _f.Exceptions.ClearPending(ExceptionNumber.SysTick);
        _f.Scheduler.AdvanceTo(11);
        Assert.That(_f.Read(Cvr), Is.EqualTo(19u));
        _f.Scheduler.AdvanceTo(29);
        Assert.That(SysTickPending, Is.False);
        _f.Scheduler.AdvanceTo(30);
        Assert.That(SysTickPending, Is.True);
    }

    [Test]
    public void ReferenceClockDividesTheCoreClock()
    {
        _f.Write(Rvr, 3);
        _f.Write(Csr, Enable | TickInt); // CLKSOURCE = 0: one tick per 8 cycles on this board
        _f.Scheduler.AdvanceTo(31);
        Assert.That(SysTickPending, Is.False);
        _f.Scheduler.AdvanceTo(32);
        Assert.That(SysTickPending, Is.True);
        Assert.That(_f.Read(Cvr), Is.Zero);
        _f.Scheduler.AdvanceTo(40);
        Assert.That(_f.Read(Cvr), Is.EqualTo(3u));
    }

    [Test]
    public void DisablingHoldsTheCount()
    {
        _f.Write(Rvr, 99);
        _f.Write(Csr, Enable | TickInt | CoreClock);
        _f.Scheduler.AdvanceTo(30);
        _f.Write(Csr, TickInt | CoreClock);
        uint held = _f.Read(Cvr);
        _f.Scheduler.AdvanceTo(500);
        Assert.Multiple(() =>
        {
            Assert.That(held, Is.EqualTo(70u));
            Assert.That(_f.Read(Cvr), Is.EqualTo(70u));
            Assert.That(SysTickPending, Is.False);
        });
        _f.Write(Csr, Enable | TickInt | CoreClock);
        _f.Scheduler.AdvanceTo(569);
        Assert.That(SysTickPending, Is.False);
        _f.Scheduler.AdvanceTo(570);
        Assert.That(SysTickPending, Is.True);
    }

    [Test]
    public void TickIntOnlyControlsThePend()
    {
        _f.Write(Rvr, 9);
        _f.Write(Csr, Enable | CoreClock);
        _f.Scheduler.AdvanceTo(10);
        Assert.That(SysTickPending, Is.False);
        _f.Write(Csr, Enable | TickInt | CoreClock);
        _f.Scheduler.AdvanceTo(20);
        Assert.That(SysTickPending, Is.True);
    }

    [Test]
    public void IdleTimerSchedulesOneEventPerPeriodOnly()
    {
        _f.Write(Rvr, 999);
        _f.Write(Csr, Enable | TickInt | CoreClock);
        Assert.That(_f.Scheduler.NextDeadline, Is.EqualTo(1000UL));
        _f.Scheduler.AdvanceTo(1000);
        Assert.That(_f.Scheduler.NextDeadline, Is.EqualTo(2000UL));
    }

    [Test]
    public void OnlyTwentyFourBitsAreKept()
    {
        _f.Write(Rvr, 0xFFFF_FFFF);
        Assert.That(_f.Read(Rvr), Is.EqualTo(0x00FF_FFFFu));
    }
}

[TestFixture]
public sealed class DataWatchpointTraceTests
{
    private const uint Demcr = 0xE000_EDFC;

    private ScsFixture _f = null!;

    [SetUp]
    public void SetUp() => _f = new ScsFixture();

    private uint Dwt(uint offset) => _f.Scs.Dwt.Read(offset, 4);

    [Test]
    public void ControlReportsComparatorsAndResetsDisabled()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Dwt(0x000), Is.EqualTo(0x4000_0000u));
            Assert.That(Dwt(0x004), Is.Zero);
            Assert.That(Dwt(0xFE0), Is.EqualTo(0x02u));
        });
    }

    [Test]
    public void CycleCounterNeedsTraceEnableAndCycCntEna()
    {
        _f.Scs.Dwt.Write(0x000, 4, 1);
        _f.Scheduler.AdvanceTo(100);
        Assert.That(Dwt(0x004), Is.Zero, "TRCENA clear");
        _f.Write(Demcr, 1u << 24);
        _f.Scheduler.AdvanceTo(350);
        Assert.That(Dwt(0x004), Is.EqualTo(250u));
        _f.Scs.Dwt.Write(0x000, 4, 0);
        _f.Scheduler.AdvanceTo(1000);
        Assert.That(Dwt(0x004), Is.EqualTo(250u), "CYCCNTENA clear: holds");
    }

    [Test]
    public void CycleCounterIsWritableAndWraps()
    {
        _f.Write(Demcr, 1u << 24);
        _f.Scs.Dwt.Write(0x000, 4, 1);
        _f.Scs.Dwt.Write(0x004, 4, 0xFFFF_FFF0);
        _f.Scheduler.AdvanceTo(0x20);
        Assert.That(Dwt(0x004), Is.EqualTo(0x10u));
    }

    [Test]
    public void ComparatorRegistersHoldTheirImplementedBits()
    {
        _f.Scs.Dwt.Write(0x020, 4, 0x2000_0000);
        _f.Scs.Dwt.Write(0x024, 4, 0xFFFF_FFFF);
        _f.Scs.Dwt.Write(0x038, 4, 0xFFFF_FFFF);
        Assert.Multiple(() =>
        {
            Assert.That(Dwt(0x020), Is.EqualTo(0x2000_0000u));
            Assert.That(Dwt(0x024), Is.EqualTo(0x1Fu));
            Assert.That(Dwt(0x038), Is.EqualTo(0x000F_FD2Fu), "MATCHED is read-only, CYCMATCH only on comparator 0");
            Assert.That(Dwt(0x060), Is.Zero, "no fifth comparator");
        });
    }
}
