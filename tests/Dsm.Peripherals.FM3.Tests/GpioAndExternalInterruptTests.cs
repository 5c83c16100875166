using Dsm.Peripherals.FM3.Gpio;

namespace Dsm.Peripherals.FM3.Tests;

public class GpioAndExternalInterruptTests
{
    private const uint Gpio = 0x4003_3000;
    private const uint Exti = 0x4003_0000;

    [Test]
    public void OutputPinsAreObservableAsEventsAndByQuery()
    {
        using var h = new BoardHarness();
        var changes = new List<PinChange>();
        h.Board.Gpio.OutputChanged += changes.Add;
        h.Write(Gpio + 0x400 + 4 * 3, 0x0001); // PDOR3: P30 high
        Assert.That(changes, Is.Empty, "not an output yet");
        h.Write(Gpio + 0x200 + 4 * 3, 0x0003); // DDR3: P30, P31 outputs
        Assert.That(changes, Is.EqualTo(new[] { new PinChange(3, 0, true), new PinChange(3, 1, false) }));
        changes.Clear();
        h.Write(Gpio + 0x400 + 4 * 3, 0x0002);
        Assert.Multiple(() =>
        {
            Assert.That(changes, Is.EqualTo(new[] { new PinChange(3, 0, false), new PinChange(3, 1, true) }));
            Assert.That(h.Board.Gpio.GetPinLevel(3, 1), Is.True);
            Assert.That(h.Board.Gpio.IsOutput(3, 1), Is.True);
            Assert.That(h.Read(Gpio + 0x300 + 4 * 3) & 3, Is.EqualTo(2u), "PDIR reads back the driven level");
        });
        changes.Clear();
        h.Write(Gpio + 0x000 + 4 * 3, 0x0002); // PFR3: P31 to its peripheral function
        Assert.That(h.Board.Gpio.IsOutput(3, 1), Is.False);
    }

    [Test]
    public void InputsReadHostLevelsPullUpsAndAnalogCutOff()
    {
        using var h = new BoardHarness();
        h.Board.Gpio.SetInputLevel(2, 1, true);
        h.Write(Gpio + 0x100 + 4 * 2, 0x0004); // PCR2: pull-up on P22
        Assert.That(h.Read(Gpio + 0x300 + 4 * 2), Is.EqualTo(0x6u), "P21 driven high, P22 pulled up");
        h.Board.Gpio.SetInputLevel(1, 0, true);
        Assert.That(h.Read(Gpio + 0x300 + 4 * 1) & 1, Is.Zero, "P10 is AN00: analog at reset (ADE)");
        h.Write(Gpio + 0x500, 0xFFFE);
        Assert.That(h.Read(Gpio + 0x300 + 4 * 1) & 1, Is.EqualTo(1u));
        Assert.That(() => h.Board.Gpio.SetInputLevel(7, 0, true), Throws.TypeOf<ArgumentOutOfRangeException>(), "no port 7 on the N package");
    }

    [Test]
    public void GpioResetValuesFollowTheSvd()
    {
        using var h = new BoardHarness();
        Assert.Multiple(() =>
        {
            Assert.That(h.Read(Gpio + 0x000), Is.EqualTo(0x1Fu), "PFR0: JTAG/SWD pins");
            Assert.That(h.Read(Gpio + 0x500), Is.EqualTo(0xFFFFu), "ADE");
            Assert.That(h.Read(Gpio + 0x600), Is.EqualTo(0x0003_0000u), "EPFR00");
        });
        h.Write(Gpio + 0x200 + 4 * 8, 0xFFFF);
        Assert.That(h.Read(Gpio + 0x200 + 4 * 8), Is.EqualTo(0x3u), "only P80 and P81 are bonded");
    }

    [Test]
    public void FallingEdgeChannelRaisesIrq4UntilClearedWithZero()
    {
        using var h = new BoardHarness();
        h.Write(Exti + 0x0C, 0x3, 4); // ELVR: ch0 falling edge
        h.Write(Exti + 0x08, 0x0000, 2); // EICL
        h.Write(Exti + 0x00, 0x0001, 2); // ENIR
        h.Board.ExternalInterrupts.SetExternalInterruptLine(0, true);
        Assert.That(h.Irqs.Levels[4], Is.False, "rising edge ignored");
        h.Board.ExternalInterrupts.SetExternalInterruptLine(0, false);
        Assert.Multiple(() =>
        {
            Assert.That(h.Irqs.Levels[4], Is.True);
            Assert.That(h.Read(Exti + 0x04, 2), Is.EqualTo(1u), "EIRR");
            Assert.That(h.Read(0x4003_1000 + 0x14 + 4 * 4), Is.EqualTo(1u), "IRQ04MON");
        });
        h.Write(Exti + 0x08, 0xFFFF, 2);
        Assert.That(h.Irqs.Levels[4], Is.True, "writing 1 to EICL does nothing");
        h.Write(Exti + 0x08, 0xFFFE, 2);
        Assert.That((h.Irqs.Levels[4], h.Read(Exti + 0x04, 2)), Is.EqualTo((false, 0u)));
    }

    [Test]
    public void LevelChannelRequestsAgainWhileTheLevelPersistsAndEnirGates()
    {
        using var h = new BoardHarness();
        h.Write(Exti + 0x0C, 1u << 20, 4); // ch10: high level
        h.Board.ExternalInterrupts.SetExternalInterruptLine(10, true);
        Assert.That((h.Read(Exti + 0x04, 2), h.Irqs.Levels[5]), Is.EqualTo((1u << 10, false)), "detected while disabled");
        h.Write(Exti + 0x00, 1u << 10, 2);
        Assert.That(h.Irqs.Levels[5], Is.True, "IRQ 5 serves ch8..15");
        h.Write(Exti + 0x08, ~(1u << 10) & 0xFFFF, 2);
        Assert.That(h.Irqs.Levels[5], Is.True, "level still high: requested again");
        h.Board.ExternalInterrupts.SetExternalInterruptLine(10, false);
        h.Write(Exti + 0x08, ~(1u << 10) & 0xFFFF, 2);
        Assert.That(h.Irqs.Levels[5], Is.False);
    }

    [Test]
    public void RisingEdgeDetection()
    {
        using var h = new BoardHarness();
        h.Write(Exti + 0x0C, 0x2u << 14, 4); // ch7 rising
        h.Write(Exti + 0x00, 0x80, 2);
        h.Board.ExternalInterrupts.SetExternalInterruptLine(7, false);
        Assert.That(h.Irqs.Levels[4], Is.False);
        h.Board.ExternalInterrupts.SetExternalInterruptLine(7, true);
        Assert.That(h.Irqs.Levels[4], Is.True);
    }

    [Test]
    public void NmiPinFallingEdgeRaisesNmiAndNmiclClears()
    {
        using var h = new BoardHarness();
        h.Board.ExternalInterrupts.SetNmiPin(false);
        Assert.Multiple(() =>
        {
            Assert.That(h.NmiCount, Is.EqualTo(1));
            Assert.That(h.Read(Exti + 0x14, 1), Is.EqualTo(1u), "NMIRR");
            Assert.That(h.Read(0x4003_1010) & 1, Is.EqualTo(1u), "EXC02MON.NMI");
        });
        h.Write(Exti + 0x18, 0, 1);
        Assert.That(h.Read(Exti + 0x14, 1), Is.Zero);
        h.Board.ExternalInterrupts.SetNmiPin(false);
        Assert.That(h.NmiCount, Is.EqualTo(1), "no new edge");
    }
}
