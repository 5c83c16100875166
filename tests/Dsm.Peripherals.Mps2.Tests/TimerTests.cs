namespace Dsm.Peripherals.Mps2.Tests;

[Parallelizable(ParallelScope.All)]
public class TimerTests
{
    private const uint Timer0 = 0x4000_0000, Timer1 = 0x4000_1000, Dual = 0x4000_2000;

    [Test]
    public void Timer0InterruptsOnIrq8WhenItReachesZeroThenEveryReloadPlusOneTicks()
    {
        using var h = new Harness();
        h.Write(Timer0 + 0x08, 999); // RELOAD (also loads VALUE)
        h.Write(Timer0 + 0x00, 0x9); // EN | IRQEN
        h.Advance(998);
        Assert.That((h.Read(Timer0 + 0x04), h.Read(Timer0 + 0x0C), h.Pending(8)), Is.EqualTo((1u, 0u, false)));
        h.Advance(1);
        Assert.That((h.Read(Timer0 + 0x04), h.Read(Timer0 + 0x0C), h.Pending(8)), Is.EqualTo((0u, 1u, true)), "zero: interrupt");
        h.Advance(1);
        Assert.That(h.Read(Timer0 + 0x04), Is.EqualTo(999u), "reloaded one tick later");

        h.Write(Timer0 + 0x0C, 1); // INTCLEAR
        h.ClearPending(8);
        Assert.That(h.Pending(8), Is.False, "the line drops with INTSTATUS");
        h.Advance(999);
        Assert.That((h.Read(Timer0 + 0x0C), h.Pending(8), h.Pending(9)), Is.EqualTo((1u, true, false)), "period RELOAD + 1");
    }

    [Test]
    public void Timer1UsesIrq9AndCountsWithoutInterruptsWhenIrqenIsClear()
    {
        using var h = new Harness();
        h.Write(Timer1 + 0x08, 99);
        h.Write(Timer1 + 0x00, 0x1);
        h.Advance(250);
        Assert.That((h.Read(Timer1 + 0x0C), h.Pending(9)), Is.EqualTo((0u, false)));
        h.Write(Timer1 + 0x00, 0x9);
        h.Advance(250);
        Assert.That(h.Pending(9), Is.True);
        Assert.That(h.Pending(8), Is.False);
    }

    [Test]
    public void DisabledTimerHoldsItsValueAndValueWritesLoadTheCounter()
    {
        using var h = new Harness();
        h.Write(Timer0 + 0x08, 0xFFFF_FFFF);
        h.Write(Timer0 + 0x00, 0x1);
        h.Advance(100);
        h.Write(Timer0 + 0x00, 0x0);
        uint held = h.Read(Timer0 + 0x04);
        h.Advance(1000);
        Assert.That(held, Is.EqualTo(0xFFFF_FFFFu - 100));
        Assert.That(h.Read(Timer0 + 0x04), Is.EqualTo(held));
        h.Write(Timer0 + 0x04, 5);
        h.Write(Timer0 + 0x00, 0x9);
        h.Advance(5);
        Assert.That(h.Pending(8), Is.True);
        Assert.That(h.Read(Timer0 + 0x08), Is.EqualTo(0xFFFF_FFFFu), "RELOAD unchanged by VALUE writes");
    }

    [Test]
    public void ReloadZeroStopsAtZero()
    {
        using var h = new Harness();
        h.Write(Timer0 + 0x04, 10);
        h.Write(Timer0 + 0x00, 0x9);
        h.Advance(10);
        Assert.That(h.Read(Timer0 + 0x0C), Is.EqualTo(1u));
        h.Write(Timer0 + 0x0C, 1);
        h.Advance(100_000);
        Assert.That((h.Read(Timer0 + 0x04), h.Read(Timer0 + 0x0C)), Is.EqualTo((0u, 0u)));
    }

    [TestCase(0xFD0u, 0x04u)]
    [TestCase(0xFE0u, 0x22u)]
    [TestCase(0xFFCu, 0xB1u)]
    public void TimerIdentificationIsReadOnly(uint offset, uint value)
    {
        using var h = new Harness();
        h.Write(Timer0 + offset, 0xFF);
        Assert.That(h.Read(Timer0 + offset), Is.EqualTo(value));
    }

    [Test]
    public void DualTimerPeriodicModeWithPrescaleSixteenInterruptsOnIrq10()
    {
        using var h = new Harness();
        Assert.That((h.Read(Dual + 0x08), h.Read(Dual + 0x04)), Is.EqualTo((0x20u, 0xFFFFu)), "reset: Control INTEN, 16-bit value all ones");
        h.Write(Dual + 0x00, 99); // Timer1Load
        h.Write(Dual + 0x08, 0x80 | 0x40 | 0x20 | 0x04 | 0x02); // enable, periodic, inten, /16, 32-bit
        h.Advance((99 * 16) - 1);
        Assert.That(h.Read(Dual + 0x10), Is.Zero, "RIS");
        h.Advance(1);
        Assert.That((h.Read(Dual + 0x10), h.Read(Dual + 0x14), h.Pending(10)), Is.EqualTo((1u, 1u, true)), "RIS, MIS, IRQ 10");
        h.Advance(16);
        Assert.That(h.Read(Dual + 0x04), Is.EqualTo(99u), "reloaded from Load");
        h.Write(Dual + 0x0C, 1); // IntClr
        Assert.That((h.Read(Dual + 0x10), h.Read(Dual + 0x14)), Is.EqualTo((0u, 0u)));
        h.Write(Dual + 0x18, 9); // BGLoad: next period only
        Assert.That(h.Read(Dual + 0x00), Is.EqualTo(9u));
        h.Advance(99 * 16);
        Assert.That(h.Read(Dual + 0x10), Is.EqualTo(1u));
        h.Write(Dual + 0x0C, 1);
        h.Advance(10 * 16);
        Assert.That(h.Read(Dual + 0x10), Is.EqualTo(1u), "period of the background load + 1");
    }

    [Test]
    public void DualTimerFreeRunningWrapsAndOneShotStops()
    {
        using var h = new Harness();
        uint t2 = Dual + 0x20;
        h.Write(t2 + 0x00, 3);
        h.Write(t2 + 0x08, 0x80); // enable, free-running, 16-bit, interrupt disabled
        h.Advance(4);
        Assert.That(h.Read(t2 + 0x04), Is.EqualTo(0xFFFFu), "wraps to the 16-bit maximum");
        Assert.That((h.Read(t2 + 0x10), h.Read(t2 + 0x14), h.Pending(10)), Is.EqualTo((1u, 0u, false)), "raw without masked");

        h.Write(t2 + 0x0C, 1);
        h.Write(t2 + 0x08, 0x80 | 0x20 | 0x01); // one-shot, interrupt enabled
        h.Write(t2 + 0x00, 5);
        h.Advance(5);
        Assert.That(h.Pending(10), Is.True);
        h.Advance(1000);
        Assert.That(h.Read(t2 + 0x04), Is.Zero, "one-shot stops at zero");
    }
}
