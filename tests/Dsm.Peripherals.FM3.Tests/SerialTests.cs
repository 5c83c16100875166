using System.Text;
using Dsm.Emulation.CortexM3.State;
using Dsm.Peripherals.FM3.Serial;

namespace Dsm.Peripherals.FM3.Tests;

// Every receiver test runs with a polled line (a bare board) and with one that reports arrivals through the host-input
// queue (a board in a machine): the guest must see the same bytes at the same cycles.
[TestFixture(false)]
[TestFixture(true)]
[Parallelizable(ParallelScope.All)]
public class SerialTests(bool hostInputQueue)
{
    private const uint Mfs0 = 0x4003_8000;
    private const uint Mfs4 = 0x4003_8400;

    // 115200 Bd from BGR = 346 at PCLK2 = 40 MHz: one bit is 347 PCLK2 cycles = 694 core cycles at
    // 80 MHz, so an 8N1 frame (10 bits) takes 6940 cycles (86.75 µs; the nominal 115200 Bd frame,
    // 86.8 µs = 6944 cycles, is what BGR can only approximate).
    private const ulong FrameCycles = 6940;

    private (BoardHarness Harness, InMemoryByteChannel Line) Uart(uint baseAddress, int channel, uint scr = 0x03, bool? withHostInputQueue = null)
    {
        var h = new BoardHarness(hostInputQueue: withHostInputQueue ?? hostInputQueue);
        h.RunVendorClockSetup();
        var line = new InMemoryByteChannel();
        h.Board.Serial[channel].Attach(line);
        h.Write(baseAddress + 0x01, 0x80, 1); // SCR.UPCL
        h.Write(baseAddress + 0x00, 0x01, 1); // SMR: UART, SOE
        h.Write(baseAddress + 0x05, 0x00, 1);
        h.Write(baseAddress + 0x04, 0x00, 1); // ESCR: 8N1
        h.Write(baseAddress + 0x0C, 346, 2);
        h.Write(baseAddress + 0x01, scr, 1);
        return (h, line);
    }

    [Test]
    public void FrameTakesTenBitTimesOfBgrPlusOnePclk2Cycles()
    {
        var (h, line) = Uart(Mfs0, 0);
        using var _ = h;
        Assert.That(h.Board.Serial[0].FrameCycles, Is.EqualTo(FrameCycles));
        var sentAt = new List<ulong>();
        h.Board.Serial[0].FrameTransmitted += (_, time) => sentAt.Add(time);
        ulong start = h.Scheduler.Now;
        h.Write(Mfs0 + 0x08, 'O', 2);
        Assert.That(h.Read(Mfs0 + 0x05, 1) & 3, Is.EqualTo(2u), "TDRE: the byte moved to the shifter; TBI: busy");
        h.Write(Mfs0 + 0x08, 'K', 2);
        Assert.That(h.Read(Mfs0 + 0x05, 1) & 3, Is.Zero, "second byte waits in TDR");
        h.Advance(FrameCycles - 1);
        Assert.That(line.TakeSent(), Is.Empty);
        h.Advance(1);
        Assert.That(line.TakeSent(), Is.EqualTo("O"u8.ToArray()));
        Assert.That(h.Read(Mfs0 + 0x05, 1) & 3, Is.EqualTo(2u), "K moved on: TDRE again, still not idle");
        h.Advance(FrameCycles);
        Assert.Multiple(() =>
        {
            Assert.That(line.TakeSent(), Is.EqualTo("K"u8.ToArray()));
            Assert.That(h.Read(Mfs0 + 0x05, 1) & 3, Is.EqualTo(3u), "TBI: bus idle");
            Assert.That(sentAt, Is.EqualTo(new[] { start + FrameCycles, start + 2 * FrameCycles }));
        });
    }

    [Test]
    public void FrameFormatSetsTheBitCount()
    {
        var (h, _) = Uart(Mfs0, 0);
        using var _h = h;
        h.Write(Mfs0 + 0x04, 0x13, 1); // ESCR: 7 data bits, parity
        h.Write(Mfs0 + 0x00, 0x09, 1); // SMR.SBL: 2 stop bits
        Assert.That(h.Board.Serial[0].FrameCycles, Is.EqualTo(11 * 694UL), "start + 7 + parity + 2 stop");
    }

    [Test]
    public void TransmitInterruptFollowsTdreAndBusIdle()
    {
        var (h, _) = Uart(Mfs0, 0, scr: 0x0B); // TXE, RXE, TIE
        using var _h = h;
        Assert.That(h.Irqs.Levels[8], Is.True, "TDRE with TIE");
        h.Write(Mfs0 + 0x08, 'a', 1);
        h.Write(Mfs0 + 0x08, 'b', 1);
        Assert.That(h.Irqs.Levels[8], Is.False);
        h.Advance(FrameCycles);
        Assert.That(h.Irqs.Levels[8], Is.True);
        Assert.That(h.Read(0x4003_1000 + 0x14 + 4 * 8), Is.EqualTo(1u), "IRQ08MON");
        h.Write(Mfs0 + 0x01, 0x07, 1); // TIE off, TBIE on
        Assert.That(h.Irqs.Levels[8], Is.False, "not idle yet");
        h.Advance(FrameCycles);
        Assert.That(h.Irqs.Levels[8], Is.True, "TBI with TBIE");
    }

    [Test]
    public void HostBytesArriveOnePerFrameAndRaiseTheReceiveInterrupt()
    {
        var (h, line) = Uart(Mfs0, 0, scr: 0x13); // TXE, RXE, RIE
        using var _h = h;
        line.Enqueue("hi"u8);
        h.Advance(FrameCycles);
        Assert.Multiple(() =>
        {
            Assert.That(h.Read(Mfs0 + 0x05, 1) & 4, Is.EqualTo(4u), "RDRF");
            Assert.That(h.Irqs.Levels[7], Is.True);
        });
        Assert.That(h.Read(Mfs0 + 0x08, 2), Is.EqualTo((uint)'h'));
        Assert.That((h.Read(Mfs0 + 0x05, 1) & 4, h.Irqs.Levels[7]), Is.EqualTo((0u, false)));
        h.Advance(FrameCycles);
        Assert.That(h.Read(Mfs0 + 0x08, 1), Is.EqualTo((uint)'i'));
    }

    [Test]
    public void IdleReceiverKeepsATimedEventOnlyOnAPolledLine()
    {
        var (h, line) = Uart(Mfs0, 0, scr: 0x13);
        using var _h = h;
        h.Advance(3 * FrameCycles);
        Assert.That(h.Scheduler.NextDeadline, hostInputQueue ? Is.EqualTo(ulong.MaxValue) : Is.LessThanOrEqualTo(h.Scheduler.Now + FrameCycles),
            "a line that reports arrivals costs nothing while idle; a polled one is looked at every frame time");
        line.Enqueue("ab"u8);
        Assert.That(h.PendingHostInputs, Is.EqualTo(hostInputQueue ? 1 : 0), "the arrival goes through the host-input queue");
        h.Advance(3 * FrameCycles); // a polled line takes 'a' at its next look, one frame on
        Assert.That((h.Read(Mfs0 + 0x05, 1) & 0x0C, h.Read(Mfs0 + 0x08, 1)), Is.EqualTo((0x0Cu, (uint)'a')), "both frames came: 'b' overran the unread 'a'");
        h.Advance(FrameCycles);
        Assert.That(h.Scheduler.NextDeadline, hostInputQueue ? Is.EqualTo(ulong.MaxValue) : Is.LessThanOrEqualTo(h.Scheduler.Now + FrameCycles),
            "idle again after the burst");
    }

    [Test]
    public void HostByteOnAnIdleLineStartsItsFrameWhenTheReceiverLooks()
    {
        var (h, line) = Uart(Mfs0, 0, scr: 0x13);
        using var _h = h;
        h.Advance(10 * FrameCycles + FrameCycles / 2);
        line.Enqueue("k"u8);

        // Reported arrivals start the frame at once; a polled line takes the byte at its next look, half a frame on.
        ulong arrival = hostInputQueue ? FrameCycles : FrameCycles / 2 + FrameCycles;
        h.Advance(arrival - 1);
        Assert.That(h.Read(Mfs0 + 0x05, 1) & 4, Is.Zero, "the frame is still on the line");
        h.Advance(1);
        Assert.That((h.Read(Mfs0 + 0x05, 1) & 4, h.Irqs.Levels[7]), Is.EqualTo((4u, true)));
        Assert.That(h.Read(Mfs0 + 0x08, 1), Is.EqualTo((uint)'k'));
    }

    [Test]
    public void IdleReceiverStateMovesBetweenPolledAndReportingLines()
    {
        // Saved while idle (a reporting line keeps no receive event), loaded where the line is the other kind: it must still receive.
        var (source, _) = Uart(Mfs0, 0, scr: 0x13);
        using var _s = source;
        source.Advance(2 * FrameCycles);
        var (target, line) = Uart(Mfs0, 0, scr: 0x13, withHostInputQueue: !hostInputQueue);
        using var _t = target;
        var image = MachineStateImage.Export(source.Board.StatefulComponents);
        target.Scheduler.RestoreNow(source.Scheduler.Now);
        foreach (var section in MachineStateImage.ReadSections(image))
        {
            target.Board.StatefulComponents.Single(c => c.SectionName == section.Name).LoadState(new StateReader(section.Payload, section.Name));
        }

        line.Enqueue("q"u8);
        target.Advance(2 * FrameCycles);
        Assert.That(target.Read(Mfs0 + 0x08, 1), Is.EqualTo((uint)'q'));
    }

    [Test]
    public void UnreadByteIsOverrunByTheNextAndRecClearsTheError()
    {
        var (h, line) = Uart(Mfs0, 0, scr: 0x13);
        using var _h = h;
        line.Enqueue("xy"u8);
        h.Advance(2 * FrameCycles);
        Assert.That(h.Read(Mfs0 + 0x05, 1) & 0x0C, Is.EqualTo(0x0Cu), "RDRF and ORE");
        Assert.That(h.Read(Mfs0 + 0x08, 1), Is.EqualTo((uint)'x'), "the first byte stays; the second is lost");
        Assert.That(h.Irqs.Levels[7], Is.True, "an error keeps the receive interrupt up");
        h.Write(Mfs0 + 0x05, 0x80, 1);
        Assert.That((h.Read(Mfs0 + 0x05, 1) & 0x38, h.Irqs.Levels[7]), Is.EqualTo((0u, false)));
    }

    [Test]
    public void ReceiverIgnoresTheLineWhileRxeIsClear()
    {
        var (h, line) = Uart(Mfs0, 0, scr: 0x01);
        using var _h = h;
        line.Enqueue("z"u8);
        h.Advance(5 * FrameCycles);
        Assert.That(h.Read(Mfs0 + 0x05, 1) & 4, Is.Zero);
        h.Write(Mfs0 + 0x01, 0x03, 1);
        h.Advance(FrameCycles);
        Assert.That(h.Read(Mfs0 + 0x08, 1), Is.EqualTo((uint)'z'), "queued host input was kept");
    }

    [Test]
    public void TheChannelHearsOfAnIdleLineFourFramesAfterTheLastByteAndNotInShorterPauses()
    {
        var (h, _) = Uart(Mfs0, 0);
        using var _h = h;
        var line = new EventRecordingChannel();
        h.Board.Serial[0].Attach(line);
        h.Write(Mfs0 + 0x08, 'a', 2);
        h.Write(Mfs0 + 0x08, 'b', 2);
        h.Advance(FrameCycles);
        h.Write(Mfs0 + 0x08, 'c', 2); // written while b shifts: the line never falls idle
        h.Advance(2 * FrameCycles + 4 * FrameCycles - 1);
        Assert.That(line.Events, Is.EqualTo(new[] { "a", "b", "c" }), "c went out at 3 frames; idle is told at 7");
        h.Advance(1 + FrameCycles);
        h.Write(Mfs0 + 0x08, 'd', 2);
        h.Advance(2 * FrameCycles);
        h.Write(Mfs0 + 0x08, 'e', 2); // a pause of one frame after d
        h.Advance(6 * FrameCycles);
        Assert.That(line.Events, Is.EqualTo(new[] { "a", "b", "c", "idle", "d", "e", "idle" }));
    }

    // Records what the serial port tells its channel, in order.
    private sealed class EventRecordingChannel : IByteChannel
    {
        public List<string> Events { get; } = new();

        public bool TryReceive(out byte value)
        {
            value = 0;
            return false;
        }

        public void Send(byte value) => Events.Add(((char)value).ToString());

        public void TransmitterIdle() => Events.Add("idle");

        public bool WantsTransmitterIdle => true;

        public void Dispose()
        {
        }
    }

    [Test]
    public void FifoChannelQueuesSixteenBytesAndSendsThemBackToBack()
    {
        var (h, line) = Uart(Mfs4, 4);
        using var _h = h;
        h.Write(Mfs4 + 0x15, 0x04, 1); // FCR1: FSEL 0 (FIFO1 TX), FDRQ
        h.Write(Mfs4 + 0x14, 0x0C, 1); // FCR0: reset both FIFOs
        h.Write(Mfs4 + 0x14, 0x03, 1); // FE1, FE2
        h.Write(Mfs4 + 0x15, 0x00, 1); // clear FDRQ (write 0)
        var message = Encoding.ASCII.GetBytes("0123456789ABCDEFGH");
        foreach (byte b in message)
        {
            h.Write(Mfs4 + 0x08, b, 1);
        }

        Assert.Multiple(() =>
        {
            Assert.That(h.Read(Mfs4 + 0x18, 1), Is.EqualTo(16u), "FBYTE1: the first byte went to the shifter, 16 wait, the 18th was dropped");
            Assert.That(h.Read(Mfs4 + 0x05, 1) & 2, Is.Zero, "TDRE stays 0 while the TX FIFO holds data");
        });
        h.Advance(17 * FrameCycles);
        Assert.Multiple(() =>
        {
            Assert.That(line.TakeSent(), Is.EqualTo(message[..17]));
            Assert.That(h.Read(Mfs4 + 0x05, 1) & 3, Is.EqualTo(3u));
            Assert.That(h.Read(Mfs4 + 0x15, 1) & 4, Is.EqualTo(4u), "FDRQ: TX FIFO emptied");
        });
    }

    [Test]
    public void ReceiveFifoSignalsAtItsTriggerLevel()
    {
        var (h, line) = Uart(Mfs4, 4, scr: 0x13);
        using var _h = h;
        h.Write(Mfs4 + 0x19, 4, 1); // FBYTE2: RX trigger 4
        h.Write(Mfs4 + 0x14, 0x03, 1);
        line.Enqueue("abcdef"u8);
        h.Advance(3 * FrameCycles);
        Assert.That((h.Read(Mfs4 + 0x19, 1), h.Irqs.Levels[15]), Is.EqualTo((3u, false)));
        h.Advance(FrameCycles);
        Assert.That((h.Read(Mfs4 + 0x05, 1) & 4, h.Irqs.Levels[15]), Is.EqualTo((4u, true)), "RDRF at 4 bytes, IRQ 15 = MFS4 RX");
        var received = new List<byte>();
        while ((h.Read(Mfs4 + 0x05, 1) & 4) != 0)
        {
            received.Add((byte)h.Read(Mfs4 + 0x08, 1));
        }

        Assert.That(received, Is.EqualTo("abcd"u8.ToArray()));
        Assert.That(h.Irqs.Levels[15], Is.False);
    }

    [Test]
    public void ReceiveFifoIdleDetectionReportsAShortBurst()
    {
        var (h, line) = Uart(Mfs4, 4, scr: 0x13);
        using var _h = h;
        h.Write(Mfs4 + 0x19, 8, 1); // trigger at 8 bytes
        h.Write(Mfs4 + 0x15, 0x08, 1); // FCR1.FRIIE
        h.Write(Mfs4 + 0x14, 0x03, 1);
        line.Enqueue("abc"u8);
        h.Advance(3 * FrameCycles);
        Assert.That(h.Read(Mfs4 + 0x05, 1) & 4, Is.Zero, "below the trigger level");
        h.Advance(FrameCycles); // the line stays quiet for 8 bit times
        Assert.That((h.Read(Mfs4 + 0x05, 1) & 4, h.Read(Mfs4 + 0x19, 1)), Is.EqualTo((4u, 3u)), "idle: RDRF with 3 bytes waiting");
    }

    [Test]
    public void ProgrammableClearEmptiesTheChannelButKeepsItsSettings()
    {
        var (h, line) = Uart(Mfs0, 0, scr: 0x13);
        using var _h = h;
        line.Enqueue("xy"u8);
        h.Advance(2 * FrameCycles);
        h.Write(Mfs0 + 0x08, 'q', 1);
        h.Write(Mfs0 + 0x08, 'r', 1);
        h.Write(Mfs0 + 0x01, 0x93, 1); // UPCL with the same enables
        Assert.Multiple(() =>
        {
            Assert.That(h.Read(Mfs0 + 0x05, 1), Is.EqualTo(0x03u), "errors, RDRF cleared; transmitter empty and idle");
            Assert.That(h.Read(Mfs0 + 0x01, 1), Is.EqualTo(0x13u), "UPCL reads 0; enables kept");
            Assert.That(h.Read(Mfs0 + 0x0C, 2), Is.EqualTo(346u));
        });
        h.Advance(3 * FrameCycles);
        Assert.That(line.TakeSent(), Is.Empty, "the frames in progress were abandoned");
    }
}
