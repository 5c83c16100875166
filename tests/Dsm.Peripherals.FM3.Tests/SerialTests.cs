using System.IO.Pipelines;
using System.Net;
using System.Text;
using Dsm.Peripherals.FM3.Serial;

namespace Dsm.Peripherals.FM3.Tests;

public class SerialTests
{
    private const uint Mfs0 = 0x4003_8000;
    private const uint Mfs4 = 0x4003_8400;

    // 115200 Bd from BGR = 346 at PCLK2 = 40 MHz: one bit is 347 PCLK2 cycles = 694 core cycles at
    // 80 MHz, so an 8N1 frame (10 bits) takes 6940 cycles (86.75 µs; the nominal 115200 Bd frame,
    // 86.8 µs = 6944 cycles, is what BGR can only approximate).
    private const ulong FrameCycles = 6940;

    private static (BoardHarness Harness, InMemoryByteChannel Line) Uart(uint baseAddress, int channel, uint scr = 0x03)
    {
        var h = new BoardHarness();
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

    [Test]
    public void PipeChannelCarriesBytesBothWays()
    {
        var toGuest = new Pipe();
        var fromGuest = new Pipe();
        using var channel = new PipeByteChannel(new DuplexPipe(toGuest.Reader, fromGuest.Writer));
        toGuest.Writer.WriteAsync("q"u8.ToArray()).AsTask().Wait();
        Assert.That(() => channel.TryReceive(out byte got) && got == 'q', Is.True.After(2000, 10));
        channel.Send((byte)'r');
        Assert.That(fromGuest.Reader.TryRead(out var result), Is.True);
        Assert.That(result.Buffer.FirstSpan[0], Is.EqualTo((byte)'r'));
    }

    [Test]
    public void StreamChannelWritesGuestBytesAndQueuesInput()
    {
        using var output = new MemoryStream();
        using var channel = new StreamByteChannel(new MemoryStream("in"u8.ToArray()), output, ownsStreams: false);
        channel.Send((byte)'o');
        Assert.That(output.ToArray(), Is.EqualTo("o"u8.ToArray()));
        var got = new List<byte>();
        Assert.That(() =>
        {
            while (channel.TryReceive(out byte b))
            {
                got.Add(b);
            }

            return got.Count == 2;
        }, Is.True.After(2000, 10));
        Assert.That(got, Is.EqualTo("in"u8.ToArray()));
    }

    [Test]
    public void TcpServerAndClientChannelsTalkOverLoopback()
    {
        using var server = TcpByteChannel.Listen(IPAddress.Loopback, 0);
        using var client = TcpByteChannel.Connect("127.0.0.1", server.ListenEndPoint!.Port);
        client.Send((byte)'c');
        Assert.That(() => server.TryReceive(out byte b) && b == 'c', Is.True.After(5000, 10));
        server.Send((byte)'s');
        Assert.That(() => client.TryReceive(out byte b) && b == 's', Is.True.After(5000, 10));
    }

    [Test]
    public void BackendSpecificationsParse()
    {
        Assert.Multiple(() =>
        {
            Assert.That(UartBackendSpec.Parse("0=stdio"), Is.EqualTo(new UartBackendSpec(0, "stdio")));
            Assert.That(UartBackendSpec.Parse("1=tcp:127.0.0.1:5000"), Is.EqualTo(new UartBackendSpec(1, "tcp", "127.0.0.1", 5000)));
            Assert.That(UartBackendSpec.Parse("7=tcp-listen:127.0.0.1:0"), Is.EqualTo(new UartBackendSpec(7, "tcp-listen", "127.0.0.1", 0)));
            Assert.That(() => UartBackendSpec.Parse("8=stdio"), Throws.TypeOf<FormatException>());
            Assert.That(() => UartBackendSpec.Parse("1=serial:/dev/ttyS0"), Throws.TypeOf<FormatException>());
            Assert.That(() => UartBackendSpec.Parse("1=tcp:localhost"), Throws.TypeOf<FormatException>());
        });
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
