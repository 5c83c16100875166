using Dsm.Peripherals.FM3.Clock;

namespace Dsm.Peripherals.FM3.Tests;

public class WatchdogTests
{
    private const uint Hw = 0x4001_1000;
    private const uint Sw = 0x4001_2000;

    [Test]
    public void HardwareWatchdogRunsFromResetRaisesNmiThenResetsTheChip()
    {
        using var h = new BoardHarness(disableHardwareWatchdog: false);
        // 0xFFFF + 1 ticks of the 100 kHz low-speed CR = 655.36 ms = 2,621,440 cycles at 4 MHz.
        h.Advance(2_621_439);
        Assert.That(h.NmiCount, Is.Zero);
        h.Advance(1);
        Assert.Multiple(() =>
        {
            Assert.That(h.NmiCount, Is.EqualTo(1));
            Assert.That(h.Read(Hw + 0x10, 1), Is.EqualTo(1u), "WDG_RIS");
            Assert.That(h.Read(0x4003_1010) & 2, Is.EqualTo(2u), "EXC02MON.HWINT");
            Assert.That(h.ResetRequests, Is.Empty);
        });
        h.Advance(2_621_440);
        Assert.That(h.ResetRequests, Is.EqualTo(new[] { Fm3ResetCause.HardwareWatchdog }));
        h.Board.Reset();
        Assert.That(h.Read(0x4001_000C, 2), Is.EqualTo(0x20u), "RST_STR records the watchdog");
    }

    [Test]
    public void HardwareWatchdogFeedWithByteAndInverseRestartsTheCount()
    {
        using var h = new BoardHarness(disableHardwareWatchdog: false);
        h.Advance(2_000_000);
        h.Write(Hw + 0xC00, 0x1ACC_E551);
        h.Write(Hw + 0x0C, 0x55, 1);
        h.Write(Hw + 0x0C, 0xAA, 1);
        Assert.That(h.Read(Hw + 0x04), Is.EqualTo(0xFFFFu));
        h.Advance(2_000_000);
        Assert.That(h.NmiCount, Is.Zero, "fed in time");
    }

    [Test]
    public void HardwareWatchdogControlNeedsBothKeys()
    {
        using var h = new BoardHarness(disableHardwareWatchdog: false);
        Assert.That(h.Read(Hw + 0xC00), Is.EqualTo(1u), "locked at reset");
        h.Write(Hw + 0x08, 0, 1);
        h.Write(Hw + 0xC00, 0x1ACC_E551);
        Assert.That(h.Read(Hw + 0xC00), Is.Zero);
        h.Write(Hw + 0x08, 0, 1);
        Assert.That(h.Read(Hw + 0x08, 1), Is.EqualTo(3u), "one key does not open WDG_CTL");
        h.DisableHardwareWatchdog();
        Assert.That(h.Read(Hw + 0x08, 1), Is.Zero);
        h.Advance(10_000_000);
        Assert.That(h.NmiCount, Is.Zero);
    }

    [Test]
    public void SoftwareWatchdogInterruptsThenResetsOnSecondExpiry()
    {
        using var h = new BoardHarness();
        h.RunVendorClockSetup(); // SWDT clock = PCLK0 / 8 = 5 MHz: 16 core cycles per tick
        h.Write(Sw + 0x00, 999);
        h.Write(Sw + 0x08, 0x03, 1);
        h.Advance(16_000 - 1);
        Assert.That(h.Irqs.Levels[1], Is.False);
        h.Advance(1);
        Assert.Multiple(() =>
        {
            Assert.That(h.Irqs.Levels[1], Is.True);
            Assert.That(h.Read(0x4003_1000 + 0x14 + 4), Is.EqualTo(1u), "IRQ01MON");
        });
        h.Write(Sw + 0x0C, 1);
        Assert.That(h.Irqs.Levels[1], Is.False, "WdogIntClr clears and reloads");
        h.Advance(16_000);
        Assert.That((h.Irqs.Levels[1], h.ResetRequests.Count), Is.EqualTo((true, 0)));
        h.Advance(16_000);
        Assert.That(h.ResetRequests, Is.EqualTo(new[] { Fm3ResetCause.SoftwareWatchdog }));
    }

    [Test]
    public void SoftwareWatchdogLockRefusesWrites()
    {
        using var h = new BoardHarness();
        h.Write(Sw + 0xC00, 0);
        Assert.That(h.Read(Sw + 0xC00), Is.EqualTo(1u));
        h.Write(Sw + 0x08, 0x01, 1);
        Assert.That(h.Read(Sw + 0x08, 1), Is.Zero);
        h.Write(Sw + 0xC00, 0x1ACC_E551);
        h.Write(Sw + 0x08, 0x01, 1);
        Assert.That(h.Read(Sw + 0x08, 1), Is.EqualTo(1u));
        Assert.That(h.Read(Sw + 0x04), Is.EqualTo(0xFFFF_FFFFu));
        h.Advance(4000);
        Assert.That(h.Read(Sw + 0x04), Is.EqualTo(0xFFFF_FFFFu - 4000), "at reset PCLK0 = HCLK = 4 MHz and SWDS = /1: one tick per core cycle");
    }
}
