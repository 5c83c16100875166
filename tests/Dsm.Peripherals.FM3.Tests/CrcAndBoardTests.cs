using System.Text;
using Dsm.Emulation.CortexM3.State;
using Dsm.Peripherals.FM3.Serial;

namespace Dsm.Peripherals.FM3.Tests;

public class CrcAndBoardTests
{
    private const uint Crc = 0x4003_9000;

    private static readonly byte[] Check = Encoding.ASCII.GetBytes("123456789");

    [Test]
    public void Crc32OfTheCheckStringByWordAndByteWrites()
    {
        using var h = new BoardHarness();
        h.Write(Crc + 0x04, 0xFFFF_FFFF);
        h.Write(Crc + 0x00, 0x6F, 1); // INIT, CRC32, LTLEND, LSBFST, CRCLSF, FXOR
        h.Write(Crc + 0x08, 0x3433_3231);
        h.Write(Crc + 0x08, 0x3635, 2);
        h.Write(Crc + 0x08, 0x37, 1);
        h.Write(Crc + 0x08, 0x38, 1);
        h.Write(Crc + 0x08, 0x39, 1);
        Assert.That(h.Read(Crc + 0x0C), Is.EqualTo(0xCBF4_3926u));
    }

    [Test]
    public void Crc16CcittOfTheCheckString()
    {
        using var h = new BoardHarness();
        h.Write(Crc + 0x04, 0xFFFF);
        h.Write(Crc + 0x00, 0x01, 1); // INIT, CRC-16, MSB first, big-endian
        foreach (byte b in Check)
        {
            h.Write(Crc + 0x08, b, 1);
        }

        Assert.That(h.Read(Crc + 0x0C), Is.EqualTo(0x29B1u));
        h.Write(Crc + 0x00, 0x01, 1);
        h.Write(Crc + 0x08, 0x3132, 2); // big-endian halfword: '1' then '2'
        Assert.That(h.Read(Crc + 0x0C), Is.Not.EqualTo(0xFFFFu));
    }

    [Test]
    public void Crc32MsbFirstWithoutFinalXorIsMpeg2()
    {
        using var h = new BoardHarness();
        h.Write(Crc + 0x04, 0xFFFF_FFFF);
        h.Write(Crc + 0x00, 0x03, 1); // INIT, CRC32, big-endian, MSB first, no result transforms
        h.Write(Crc + 0x08, 0x3132_3334); // big-endian word: '1' '2' '3' '4'
        foreach (byte b in Check[4..])
        {
            h.Write(Crc + 0x08, b, 1);
        }

        Assert.That(h.Read(Crc + 0x0C), Is.EqualTo(0x0376_E6E7u)); // CRC-32/MPEG-2 check value
    }

    [Test]
    public void FlashInterfaceReportsReadyAndTheTrimMirror()
    {
        using var h = new BoardHarness();
        Assert.Multiple(() =>
        {
            Assert.That(h.Read(0x4000_0000), Is.EqualTo(2u), "FASZR");
            Assert.That(h.Read(0x4000_0008) & 1, Is.EqualTo(1u), "FSTR.RDY");
            Assert.That(h.Read(0x4000_0100), Is.EqualTo(0x3FFu), "CRTRMM: untrimmed by default");
        });
    }

    [Test]
    public void UnmodelledBlocksReadZeroAndAreLoggedOnceWithTheirName()
    {
        using var h = new BoardHarness();
        Assert.That(h.Read(0x4002_7008), Is.Zero);
        h.Read(0x4002_7008);
        h.Write(0x4002_E100, 5);
        var adc = h.Logger.Messages.Where(m => m.Contains("adc (not modelled)", StringComparison.Ordinal)).ToList();
        Assert.That(adc, Has.Count.EqualTo(1));
        Assert.That(h.Logger.Messages, Has.Some.Contains("crtrim").And.Contains("0x100"));
    }

    [Test]
    public void MemoryMapMatchesThePart()
    {
        using var h = new BoardHarness();
        Assert.Multiple(() =>
        {
            Assert.That(h.Bus.FindRegion(0x0007_FFFF)!.Name, Is.EqualTo("flash"));
            Assert.That(h.Bus.FindRegion(0x0008_0000), Is.Null);
            Assert.That(h.Bus.FindRegion(0x1FFF_8000)!.Name, Is.EqualTo("sram0"));
            Assert.That(h.Bus.FindRegion(0x2000_7FFF)!.Name, Is.EqualTo("sram1"));
        });
        h.Write(0x2000_0000, 0);
        h.Write(0x2200_0004, 1); // bit-band alias of bit 1
        Assert.That(h.Read(0x2000_0000), Is.EqualTo(2u));
        h.Write(0x4220_0000 + 0x04 * 32 + 1 * 4, 1, 4); // SCM_STR.MORDY through the alias: read-only
        Assert.That(h.Read(0x4001_0004, 1), Is.Zero);
        h.Write(0x4220_0000 + 0x14 * 32 + 0 * 4, 1); // APBC0_PSR bit 0 through the alias
        Assert.That(h.Read(0x4001_0014, 1), Is.EqualTo(1u));
    }

    [Test]
    public void BoardDefinitionDescribesThePart()
    {
        var definition = Mb9bf506n.Definition();
        Assert.Multiple(() =>
        {
            Assert.That(definition.Name, Is.EqualTo("mb9bf506n"));
            Assert.That(definition.SystemControl.ExternalInterrupts, Is.EqualTo(48));
            Assert.That(definition.SystemControl.PriorityBits, Is.EqualTo(4));
            Assert.That(definition.SystemControl.CpuId, Is.EqualTo(0x412F_C230u));
            Assert.That(definition.CoreClockHz, Is.EqualTo(4_000_000u));
            Assert.That(definition.Memory.Select(m => (m.Name, m.Base, m.Size)), Is.EqualTo(new[]
            {
                ("flash", 0x0000_0000u, 0x8_0000u), ("sram0", 0x1FFF_8000u, 0x8000u), ("sram1", 0x2000_0000u, 0x8000u),
            }));
            Assert.That(definition.AddDevices, Is.Not.Null);
        });
    }

    [Test]
    public void SnapshotRoundTripContinuesIdenticallyWithPeripheralsActive()
    {
        using var original = Busy(out var originalLine);
        original.Advance(12_345);
        byte[] image = MachineStateImage.Export(original.Board.StatefulComponents);
        Assert.That(originalLine.TakeSent(), Is.Not.Empty, "frames before the snapshot belong to the original only");

        using var copy = new BoardHarness();
        var copyLine = new InMemoryByteChannel();
        copy.Board.Serial[0].Attach(copyLine);
        copy.Scheduler.RestoreNow(original.Scheduler.Now);
        var sections = MachineStateImage.ReadSections(image);
        foreach (var section in sections)
        {
            var component = copy.Board.StatefulComponents.Single(c => c.SectionName == section.Name);
            component.LoadState(new StateReader(section.Payload, section.Name));
        }

        Assert.That(MachineStateImage.Export(copy.Board.StatefulComponents), Is.EqualTo(image), "import then export gives the same image");
        var originalFrames = new List<(ushort, ulong)>();
        var copyFrames = new List<(ushort, ulong)>();
        original.Board.Serial[0].FrameTransmitted += (b, t) => originalFrames.Add((b, t));
        copy.Board.Serial[0].FrameTransmitted += (b, t) => copyFrames.Add((b, t));
        var originalTrace = Trace(original);
        var copyTrace = Trace(copy);
        Assert.Multiple(() =>
        {
            Assert.That(copyTrace, Is.EqualTo(originalTrace), "counters, flags and interrupt lines at every step");
            Assert.That(originalTrace.Count(t => t.Contains("bt-irq", StringComparison.Ordinal)), Is.GreaterThan(5), "timers were really running");
            Assert.That(copyFrames, Is.EqualTo(originalFrames), "UART frames at the same cycles");
            Assert.That(copyFrames, Is.Not.Empty);
            Assert.That(copyLine.TakeSent(), Is.EqualTo(originalLine.TakeSent()));
            Assert.That(MachineStateImage.Export(copy.Board.StatefulComponents), Is.EqualTo(MachineStateImage.Export(original.Board.StatefulComponents)));
        });
    }

    private static BoardHarness Busy(out InMemoryByteChannel line)
    {
        var h = new BoardHarness();
        h.RunVendorClockSetup();
        line = new InMemoryByteChannel();
        h.Board.Serial[0].Attach(line);
        h.Write(0x4003_8000, 0x01, 1);
        h.Write(0x4003_800C, 346, 2);
        h.Write(0x4003_8001, 0x03, 1);
        foreach (byte b in "snapshot"u8.ToArray())
        {
            h.Write(0x4003_8008, b, 1);
        }

        h.Write(0x4002_5000, 999, 2);
        h.Write(0x4002_5010, 0x10, 1);
        h.Write(0x4002_500C, 0x0033, 2);
        h.Write(0x4001_5000, 2999);
        h.Write(0x4001_5008, 0xE2);
        return h;
    }

    /// <summary>Steps virtual time, sampling state and clearing timer flags as an interrupt handler would.</summary>
    private static List<string> Trace(BoardHarness h)
    {
        var trace = new List<string>();
        for (int step = 0; step < 150; step++)
        {
            h.Advance(777);
            bool bt = h.Irqs.Levels[31], dt = h.Irqs.Levels[6];
            trace.Add($"{h.Scheduler.Now}: TMR {h.Read(0x4002_5008, 2)} DT {h.Read(0x4001_5004)} SSR {h.Read(0x4003_8005, 1)}{(bt ? " bt-irq" : "")}{(dt ? " dt-irq" : "")}");
            if (bt)
            {
                h.Write(0x4002_5010, 0x10, 1);
            }

            if (dt)
            {
                h.Write(0x4001_500C, 0);
            }
        }

        return trace;
    }
}
