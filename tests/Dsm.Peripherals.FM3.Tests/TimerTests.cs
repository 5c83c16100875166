namespace Dsm.Peripherals.FM3.Tests;

public class TimerTests
{
    private const uint Bt = 0x4002_5000;
    private const uint Dt = 0x4001_5000;
    private const uint Irq31Mon = 0x4003_1000 + 0x14 + 4 * 31;

    private static BoardHarness At80MHz()
    {
        var h = new BoardHarness();
        h.RunVendorClockSetup(); // PCLK1 = 20 MHz (4 core cycles per tick), PCLK0 = 40 MHz (2 cycles)
        return h;
    }

    [Test]
    public void ReloadTimerUnderflowsEveryCyclePlusOneTicks()
    {
        using var h = At80MHz();
        h.Write(Bt + 0x0C, 0x0030, 2); // FMD = reload timer
        h.Write(Bt + 0x00, 999, 2); // PCSR
        h.Write(Bt + 0x10, 0x10, 1); // STC.UDIE
        h.Write(Bt + 0x0C, 0x0033, 2); // CTEN + STRG
        Assert.That(h.Read(Bt + 0x10, 1) & 0x04, Is.EqualTo(0x04u), "TGIR on the software trigger");
        h.Write(Bt + 0x10, 0x10, 1); // clear TGIR by writing 0
        h.Advance(2000);
        Assert.That(h.Read(Bt + 0x08, 2), Is.EqualTo(499u), "TMR after 500 ticks");
        h.Advance(1999);
        Assert.That(h.Irqs.Levels[31], Is.False);
        h.Advance(1);
        Assert.Multiple(() =>
        {
            Assert.That(h.Irqs.Levels[31], Is.True, "underflow after 1000 ticks = 4000 cycles");
            Assert.That(h.Read(Irq31Mon), Is.EqualTo(1u), "IRQ31MON bit 0: channel 0 underflow");
            Assert.That(h.Read(Bt + 0x08, 2), Is.EqualTo(999u), "reloaded");
        });
        h.Write(Bt + 0x10, 0x10, 1);
        Assert.That(h.Irqs.Levels[31], Is.False, "UDIR cleared by writing 0");
        h.Advance(4000);
        Assert.That((h.Irqs.Levels[31], h.Irqs.RisingEdges[31]), Is.EqualTo((true, 2)), "periodic");
    }

    [Test]
    public void OneShotModeStopsAfterTheFirstUnderflowAndPrescalerSlowsTheCount()
    {
        using var h = At80MHz();
        uint ch5 = Bt + 0x240;
        h.Write(ch5 + 0x00, 9, 2);
        h.Write(ch5 + 0x10, 0x10, 1);
        h.Write(ch5 + 0x0C, 0x1037, 2); // CKS = /4, reload mode, one-shot, CTEN + STRG
        h.Advance(10 * 4 * 4 - 1);
        Assert.That(h.Irqs.Levels[31], Is.False);
        h.Advance(1);
        Assert.That(h.Read(Irq31Mon), Is.EqualTo(1u << 10), "channel 5 underflow at bit 10");
        h.Write(ch5 + 0x10, 0x10, 1);
        h.Advance(10_000);
        Assert.That(h.Irqs.RisingEdges[31], Is.EqualTo(1), "one-shot");
    }

    [Test]
    public void ThirtyTwoBitModeCascadesChannelPairs()
    {
        using var h = At80MHz();
        uint ch2 = Bt + 0x80, ch3 = Bt + 0xC0;
        h.Write(ch3 + 0x00, 0x0001, 2); // upper half of the cycle
        h.Write(ch2 + 0x00, 0x0000, 2); // cycle = 0x10000
        h.Write(ch2 + 0x10, 0x10, 1);
        h.Write(ch2 + 0x0C, 0x00B3, 2); // T32, reload mode, CTEN + STRG
        h.Advance(4 * 0x10000);
        Assert.That((h.Read(ch3 + 0x08, 2), h.Read(ch2 + 0x08, 2)), Is.EqualTo((0u, 0u)));
        Assert.That(h.Irqs.Levels[31], Is.False, "a 16-bit timer would have underflowed by now");
        h.Advance(4);
        Assert.Multiple(() =>
        {
            Assert.That(h.Irqs.Levels[31], Is.True);
            Assert.That(h.Read(ch3 + 0x08, 2), Is.EqualTo(1u), "upper half reloaded");
        });
    }

    [Test]
    public void PwmModeFlagsDutyMatchThenUnderflow()
    {
        using var h = At80MHz();
        h.Write(Bt + 0x00, 99, 2); // cycle
        h.Write(Bt + 0x04, 24, 2); // duty
        h.Write(Bt + 0x10, 0x20, 1); // DTIE
        h.Write(Bt + 0x0C, 0x0013, 2); // PWM, CTEN + STRG
        h.Advance(4 * 75 - 1);
        Assert.That(h.Irqs.Levels[31], Is.False);
        h.Advance(1);
        Assert.That(h.Read(Bt + 0x10, 1) & 0x03, Is.EqualTo(0x02u), "DTIR when the count reaches PDUT");
        h.Advance(4 * 25);
        Assert.That(h.Read(Bt + 0x10, 1) & 0x03, Is.EqualTo(0x03u), "UDIR at the end of the cycle");
    }

    [Test]
    public void DualTimerPeriodicModeInterruptsEveryLoadPlusOneTicks()
    {
        using var h = At80MHz();
        h.Write(Dt + 0x00, 99);
        h.Write(Dt + 0x08, 0xE6); // enable, periodic, interrupt, /16, 32-bit
        h.Advance(100 * 16 * 2 - 1);
        Assert.That(h.Irqs.Levels[6], Is.False);
        h.Advance(1);
        Assert.Multiple(() =>
        {
            Assert.That(h.Irqs.Levels[6], Is.True);
            Assert.That(h.Read(Dt + 0x10), Is.EqualTo(1u));
            Assert.That(h.Read(Dt + 0x14), Is.EqualTo(1u));
            Assert.That(h.Read(0x4003_1000 + 0x14 + 4 * 6), Is.EqualTo(1u), "IRQ06MON timer 1");
            Assert.That(h.Read(Dt + 0x04), Is.EqualTo(99u));
        });
        h.Write(Dt + 0x0C, 0);
        Assert.That(h.Irqs.Levels[6], Is.False);
        h.Advance(3200);
        Assert.That(h.Irqs.RisingEdges[6], Is.EqualTo(2));
    }

    [Test]
    public void DualTimerOneShotAndFreeRunningModes()
    {
        using var h = At80MHz();
        uint t2 = Dt + 0x20;
        h.Write(t2 + 0x00, 9);
        h.Write(t2 + 0x08, 0x83); // enable, free-running, no interrupt, /1, 32-bit, one-shot
        h.Advance(20);
        Assert.That((h.Read(t2 + 0x04), h.Read(t2 + 0x10), h.Read(t2 + 0x14)), Is.EqualTo((0u, 1u, 0u)), "stopped at zero; raw but no masked interrupt");
        Assert.That(h.Irqs.Levels[6], Is.False);
        h.Write(t2 + 0x0C, 0);
        h.Write(t2 + 0x08, 0x80); // free-running, 16-bit
        h.Write(t2 + 0x00, 1);
        h.Advance(4);
        Assert.That(h.Read(t2 + 0x04), Is.EqualTo(0xFFFFu), "free-running wraps to the 16-bit maximum");
    }

    [Test]
    public void BgLoadChangesTheReloadWithoutTouchingTheCount()
    {
        using var h = At80MHz();
        h.Write(Dt + 0x00, 999);
        h.Write(Dt + 0x08, 0xC2);
        h.Advance(200);
        h.Write(Dt + 0x18, 9);
        Assert.That((h.Read(Dt + 0x04), h.Read(Dt + 0x00)), Is.EqualTo((899u, 9u)));
        h.Advance(900 * 2);
        Assert.That(h.Read(Dt + 0x04), Is.EqualTo(9u), "reloaded from the background value");
    }
}
