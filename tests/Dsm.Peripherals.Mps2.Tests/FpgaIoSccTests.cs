namespace Dsm.Peripherals.Mps2.Tests;

[Parallelizable(ParallelScope.All)]
public class FpgaIoSccTests
{
    private const uint Fpga = 0x4002_8000, Scc = 0x4002_F000;
    private const ulong Second = 25_000_000;

    [Test]
    public void LedsKeepTwoBitsAndReportChangesButtonsComeFromTheHost()
    {
        using var h = new Harness();
        var changes = new List<uint>();
        h.Board.FpgaIo.LedsChanged += changes.Add;
        h.Write(Fpga + 0x00, 0xFF);
        h.Write(Fpga + 0x00, 0xFF);
        Assert.That((h.Read(Fpga + 0x00), h.Board.FpgaIo.Leds), Is.EqualTo((3u, 3u)));
        Assert.That(changes, Is.EqualTo(new[] { 3u }));
        h.Board.FpgaIo.Buttons = 2;
        h.Write(Fpga + 0x08, 0);
        Assert.That(h.Read(Fpga + 0x08), Is.EqualTo(2u), "read-only, from the host");
    }

    [Test]
    public void OneHertzAndHundredHertzCountersFollowVirtualTimeAndCanBeSet()
    {
        using var h = new Harness();
        h.Advance((Second * 5 / 2) - 1);
        Assert.That((h.Read(Fpga + 0x10), h.Read(Fpga + 0x14)), Is.EqualTo((2u, 249u)));
        h.Write(Fpga + 0x10, 100);
        h.Advance(Second);
        Assert.That(h.Read(Fpga + 0x10), Is.EqualTo(101u));
    }

    [Test]
    public void CounterStepsWhenThePrescalerReloads()
    {
        using var h = new Harness();
        h.Write(Fpga + 0x1C, 24); // PRESCALE: COUNTER at 1 MHz
        h.Write(Fpga + 0x20, 24); // PSCNTR
        h.Advance(24);
        Assert.That((h.Read(Fpga + 0x18), h.Read(Fpga + 0x20)), Is.EqualTo((0u, 0u)));
        h.Advance(1);
        Assert.That((h.Read(Fpga + 0x18), h.Read(Fpga + 0x20)), Is.EqualTo((1u, 24u)));
        h.Advance(25 * 1000);
        Assert.That(h.Read(Fpga + 0x18), Is.EqualTo(1001u));
        h.Write(Fpga + 0x18, 7);
        h.Advance(50);
        Assert.That(h.Read(Fpga + 0x18), Is.EqualTo(9u));
    }

    [Test]
    public void SccIdentifiesTheAn385AndReadsOscillatorsThroughTheConfigurationInterface()
    {
        using var h = new Harness();
        Assert.That((h.Read(Scc + 0xFFC), h.Read(Scc + 0xFF8), h.Read(Scc + 0x10), h.Read(Scc + 0x100)),
            Is.EqualTo((0x4104_3850u, 0x0020_0008u, 2u, 0xFFFF_0001u)));
        h.Write(Scc + 0x00, 0x5);
        Assert.That(h.Read(Scc + 0x00), Is.EqualTo(5u), "CFG0 stores");

        h.Write(Scc + 0xA8, 0x8000_0000 | (1u << 20) | 2); // read OSCCLK 2
        Assert.That((h.Read(Scc + 0xA0), h.Read(Scc + 0xAC)), Is.EqualTo((25_000_000u, 1u)));
        h.Write(Scc + 0xA4, 30_000_000);
        h.Write(Scc + 0xA8, 0xC000_0000 | (1u << 20) | 0); // write OSCCLK 0
        Assert.That(h.Board.Scc.Oscillators[0], Is.EqualTo(30_000_000u));
        h.Write(Scc + 0xA8, 0x8000_0000 | (7u << 20));
        Assert.That(h.Read(Scc + 0xAC), Is.EqualTo(3u), "DONE | ERROR for an unknown function");
    }
}
