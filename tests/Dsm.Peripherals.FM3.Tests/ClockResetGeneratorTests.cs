using Dsm.Peripherals.FM3.Clock;

namespace Dsm.Peripherals.FM3.Tests;

public class ClockResetGeneratorTests
{
    private const uint Crg = 0x4001_0000;

    [Test]
    public void ResetStateRunsFromTheHighSpeedCrAt4MHz()
    {
        using var h = new BoardHarness();
        var clocks = h.Board.Clocks;
        Assert.Multiple(() =>
        {
            Assert.That(clocks.HclkHz, Is.EqualTo(4_000_000u));
            Assert.That(clocks.Pclk0Hz, Is.EqualTo(4_000_000u));
            Assert.That(clocks.Pclk2Hz, Is.EqualTo(4_000_000u), "APBC2_PSR resets to 0x80: enabled, /1");
            Assert.That(h.Read(Crg + 0x04, 1), Is.Zero, "no oscillator ready, RCM = CLKHC");
            Assert.That(h.Scheduler.CoreClockHz, Is.EqualTo(4_000_000u));
        });
    }

    [Test]
    public void VendorSystemInitPollingCompletesAfterTheStabilisationWaitsAndReaches80MHz()
    {
        using var h = new BoardHarness();
        int polls = h.RunVendorClockSetup();
        var clocks = h.Board.Clocks;
        Assert.Multiple(() =>
        {
            // MOWT = 12: 2^17 main-oscillator cycles = 32.8 ms = 131072 cycles at 4 MHz; PLL: 2^9 cycles.
            Assert.That(h.Scheduler.Now, Is.InRange(131_072UL + 512, 131_072UL + 512 + 300));
            Assert.That(polls, Is.GreaterThan(1000), "the firmware really had to wait");
            Assert.That(h.Read(Crg + 0x04, 1), Is.EqualTo(0x52u), "MORDY, PLRDY and RCM = PLL");
            Assert.That(clocks.HclkHz, Is.EqualTo(80_000_000u));
            Assert.That(clocks.Pclk0Hz, Is.EqualTo(40_000_000u));
            Assert.That(clocks.Pclk1Hz, Is.EqualTo(20_000_000u));
            Assert.That(clocks.Pclk2Hz, Is.EqualTo(40_000_000u));
            Assert.That(clocks.SoftwareWatchdogClockHz, Is.EqualTo(5_000_000u));
            Assert.That(h.Scheduler.CoreClockHz, Is.EqualTo(80_000_000u));
        });
    }

    [Test]
    public void MasterClockSwitchWaitsForThePllToBeReady()
    {
        using var h = new BoardHarness();
        h.Write(Crg + 0x3C, 0x13, 1);
        h.Write(Crg + 0x00, 0x52, 1); // MOSCE, PLLE and RCS = PLL in one write
        Assert.That(h.Read(Crg + 0x04, 1) & 0xE0, Is.Zero, "still on the CR oscillator");
        Assert.That(h.Board.Clocks.HclkHz, Is.EqualTo(4_000_000u));
        h.Advance(10_000);
        Assert.That(h.Read(Crg + 0x04, 1), Is.EqualTo(0x52u), "main oscillator (MOWT 0: 2 cycles) and PLL (2^9 cycles) ready, PLL selected");
        Assert.That(h.Board.Clocks.HclkHz, Is.EqualTo(80_000_000u));
    }

    [Test]
    public void PrescalersSetTheBusClocksAndAnnounceChanges()
    {
        using var h = new BoardHarness();
        h.RunVendorClockSetup();
        int changes = 0;
        h.Board.Clocks.ClocksChanged += () => changes++;
        h.Write(Crg + 0x10, 0x01, 1); // HCLK = 40 MHz
        h.Write(Crg + 0x1C, 0x03, 1); // APBC2: /8, disabled
        Assert.Multiple(() =>
        {
            Assert.That(changes, Is.EqualTo(2));
            Assert.That(h.Board.Clocks.HclkHz, Is.EqualTo(40_000_000u));
            Assert.That(h.Board.Clocks.Pclk0Hz, Is.EqualTo(20_000_000u));
            Assert.That(h.Board.Clocks.Pclk2Hz, Is.Zero, "APBC2EN clear stops PCLK2");
        });
        h.Write(Crg + 0x1C, 0x83, 1);
        Assert.That(h.Board.Clocks.Pclk2Hz, Is.EqualTo(5_000_000u));
    }

    [Test]
    public void StabilisationInterruptRaisesIrq24UntilCleared()
    {
        using var h = new BoardHarness();
        h.Write(Crg + 0x60, 0x01, 1); // INT_ENR.MCSE
        h.Write(Crg + 0x00, 0x02, 1);
        Assert.That(h.Irqs.Levels[24], Is.False);
        h.Advance(200_000);
        Assert.Multiple(() =>
        {
            Assert.That(h.Irqs.Levels[24], Is.True);
            Assert.That(h.Read(Crg + 0x64, 1), Is.EqualTo(0x01u));
            Assert.That(h.Read(0x4003_1000 + 0x14 + 4 * 24), Is.EqualTo(0x01u), "IRQ24MON bit 0");
        });
        h.Write(Crg + 0x68, 0x01, 1);
        Assert.That((h.Irqs.Levels[24], h.Read(Crg + 0x64, 1)), Is.EqualTo((false, 0u)));
    }

    [Test]
    public void ResetCauseReadsOnceThenClears()
    {
        using var h = new BoardHarness();
        h.Board.Reset(Fm3ResetCause.HardwareWatchdog);
        Assert.That(h.Read(Crg + 0x0C, 2), Is.EqualTo(0x20u));
        Assert.That(h.Read(Crg + 0x0C, 2), Is.Zero);
    }
}
