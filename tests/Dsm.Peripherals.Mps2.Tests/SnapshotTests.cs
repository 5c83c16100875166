using Dsm.Peripherals.FM3.Serial;

namespace Dsm.Peripherals.Mps2.Tests;

[Parallelizable(ParallelScope.All)]
public class SnapshotTests
{
    [Test]
    public void PeripheralStateSurvivesAMachineStateImageAndRunsOnIdentically()
    {
        using var a = new Harness();
        a.Write(0x4000_0008, 9999);
        a.Write(0x4000_0000, 0x9);
        a.Write(0x4000_2000, 499);
        a.Write(0x4000_2008, 0xE6); // enable, periodic, inten, /16, 32-bit
        a.Write(0x4002_801C, 9);
        a.Write(0x4002_8000, 1);
        a.Write(0x4000_5010, 50);
        a.Write(0x4000_5008, 0x0A); // RX with its interrupt
        a.Board.Uarts[1].Receive(0x42);
        a.Advance(12_345);
        byte[] image = a.Machine.ExportState();

        using var b = new Harness();
        b.Machine.ImportState(image);
        foreach (var h in new[] { a, b })
        {
            h.Advance(30_000);
        }

        uint[] addresses = [0x4000_0004, 0x4000_000C, 0x4000_2004, 0x4000_2010, 0x4002_8018, 0x4002_8020, 0x4002_8000, 0x4002_8014, 0x4000_5004, 0x4000_500C];
        Assert.That(addresses.Select(x => b.Read(x)), Is.EqualTo(addresses.Select(x => a.Read(x))));
        Assert.That(b.Read(0x4000_5000), Is.EqualTo(0x42u), "the received byte travels");
        Assert.That((b.Pending(8), b.Pending(10), b.Pending(2)), Is.EqualTo((true, true, true)));
    }

    [Test]
    public void ReceivePacingResumesAfterImport()
    {
        using var a = new Harness();
        a.Board.Attach(1, new InMemoryByteChannel());
        a.Write(0x4000_5010, 100);
        a.Write(0x4000_5008, 0x02);
        a.Advance(500);
        byte[] image = a.Machine.ExportState();

        using var b = new Harness();
        var line = new InMemoryByteChannel();
        b.Board.Attach(1, line);
        b.Machine.ImportState(image);
        line.Enqueue([0x37]);
        b.Advance(500);
        Assert.That(b.Read(0x4000_5004) & 2, Is.EqualTo(2u), "sampled at the saved frame deadline");
        Assert.That(b.Read(0x4000_5000), Is.EqualTo(0x37u));
    }
}
