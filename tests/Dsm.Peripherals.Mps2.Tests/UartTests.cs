using Dsm.Peripherals.FM3.Serial;

namespace Dsm.Peripherals.Mps2.Tests;

[Parallelizable(ParallelScope.All)]
public class UartTests
{
    private static readonly uint[] Bases = [0x4000_4000, 0x4000_5000, 0x4000_6000, 0x4000_7000, 0x4000_9000];

    [TestCase(0, 0, 1)]
    [TestCase(1, 2, 3)]
    [TestCase(2, 4, 5)]
    [TestCase(3, 18, 19)]
    [TestCase(4, 20, 21)]
    public void EachUartHasItsReceiveAndTransmitIrqFromTheAn385Table(int index, int rxIrq, int txIrq)
    {
        using var h = new Harness();
        var line = new InMemoryByteChannel();
        h.Board.Attach(index, line);
        uint b = Bases[index];
        h.Write(b + 0x10, 100); // BAUDDIV: a frame is 1000 cycles
        h.Write(b + 0x08, 0x0F); // TX, RX and their interrupts
        h.Write(b + 0x00, 'x');
        Assert.That(line.TakeSent(), Is.EqualTo("x"u8.ToArray()));
        Assert.That((h.Read(b + 0x0C), h.Pending(txIrq), h.Pending(rxIrq)), Is.EqualTo((1u, true, false)));

        line.Enqueue("ab"u8);
        h.Advance(999);
        Assert.That(h.Read(b + 0x04) & 2, Is.Zero, "nothing before one frame time");
        h.Advance(1);
        Assert.That((h.Read(b + 0x04) & 2, h.Pending(rxIrq)), Is.EqualTo((2u, true)), "RXFULL and the RX interrupt");
        h.Advance(5000);
        Assert.That(h.Read(b + 0x04) & 8, Is.Zero, "host bytes wait while the buffer is full: no overrun");
        Assert.That(h.Read(b + 0x00), Is.EqualTo((uint)'a'));
        h.Advance(1000);
        Assert.That(h.Read(b + 0x00), Is.EqualTo((uint)'b'));
        h.Write(b + 0x0C, 3);
        Assert.That(h.Read(b + 0x0C), Is.Zero);
    }

    [Test]
    public void OverrunsOfUarts0To2ShareIrq12AndThoseOfUarts3And4AreNotConnected()
    {
        using var h = new Harness();
        foreach (int index in new[] { 0, 3 })
        {
            h.Write(Bases[index] + 0x08, 0x22); // RX enable, RX overrun interrupt
            h.Board.Uarts[index].Receive(1);
            h.Board.Uarts[index].Receive(2);
        }

        Assert.That(h.Read(Bases[3] + 0x0C), Is.EqualTo(8u), "UART3 flags its overrun");
        Assert.That(h.Pending(12), Is.True, "UART0's overrun");
        h.Write(Bases[0] + 0x0C, 8); // clears the interrupt and the overrun
        h.ClearPending(12);
        Assert.That((h.Read(Bases[0] + 0x04) & 8, h.Pending(12)), Is.EqualTo((0u, false)), "UART3 does not drive IRQ 12");

        h.Write(Bases[2] + 0x08, 0x11); // TX enable, TX overrun interrupt
        h.Write(Bases[2] + 0x08, 0x10); // transmitter off: the next byte stays in the buffer
        h.Write(Bases[2] + 0x00, 1);
        h.Write(Bases[2] + 0x00, 2);
        Assert.That((h.Read(Bases[2] + 0x04), h.Pending(12)), Is.EqualTo((5u, true)), "TXFULL | TXOVERRUN on IRQ 12");
    }

    [Test]
    public void Uart0WritesToTheConsoleByDefaultAndBackendSpecsConnectOthers()
    {
        var console = new MemoryStream();
        using var h = new Harness(Mps2An385.Definition([UartBackendSpec.Parse("2=none")]), console);
        h.Write(Bases[0] + 0x08, 1);
        h.Write(Bases[0] + 0x00, 'k', 1);
        Assert.That(console.ToArray(), Is.EqualTo("k"u8.ToArray()));
        Assert.That(h.Board.Uarts[2].Backend, Is.Null);
        Assert.That(() => Mps2An385.Definition([UartBackendSpec.Parse("5=none")]), Throws.TypeOf<FormatException>().With.Message.Contains("0..4"));
    }

    [Test]
    public void UnmodelledOffsetsAndWindowsReadZeroAndAreLoggedOnce()
    {
        using var h = new Harness();
        Assert.That(h.Read(Bases[1] + 0x20), Is.Zero);
        h.Read(Bases[1] + 0x20);
        Assert.That(h.Read(0x4000_8000), Is.Zero, "watchdog window: not modelled");
        h.Read(0x4000_8000);
        h.Write(0x4001_0000, 1);
        Assert.That(h.Log.Count(m => m.Contains("uart1", StringComparison.Ordinal) && m.Contains("0x020", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(h.Log.Count(m => m.Contains("watchdog", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(h.Log.Count(m => m.Contains("ahb-gpio", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(h.Machine.Bus.TryRead(0x4003_0000, 4, out _), Is.False, "past the APB peripherals: bus error");
    }
}
