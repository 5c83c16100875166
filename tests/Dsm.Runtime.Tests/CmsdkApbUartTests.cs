using Dsm.Peripherals.Mps2;

namespace Dsm.Runtime.Tests;

public class CmsdkApbUartTests
{
    private MemoryStream _output = null!;
    private CmsdkApbUart _uart = null!;

    [SetUp]
    public void SetUp()
    {
        _output = new MemoryStream();
        _uart = new CmsdkApbUart(_output);
    }

    [Test]
    public void ResetStateIsAllZero()
    {
        foreach (uint offset in new uint[] { 0x00, 0x04, 0x08, 0x0C, 0x10 })
        {
            Assert.That(_uart.Read(offset, 4), Is.Zero, $"offset 0x{offset:X2}");
        }
    }

    [TestCase(0xFD0u, 0x04u)]
    [TestCase(0xFE0u, 0x21u)]
    [TestCase(0xFE4u, 0xB8u)]
    [TestCase(0xFE8u, 0x1Bu)]
    [TestCase(0xFF0u, 0x0Du)]
    [TestCase(0xFFCu, 0xB1u)]
    public void IdentificationRegisters(uint offset, uint value)
    {
        Assert.That(_uart.Read(offset, 4), Is.EqualTo(value));
        _uart.Write(offset, 4, 0xFF);
        Assert.That(_uart.Read(offset, 4), Is.EqualTo(value), "read-only");
    }

    [Test]
    public void UnknownOffsetsReadZeroAndIgnoreWrites()
    {
        _uart.Write(0x14, 4, 0x1234);
        Assert.That(_uart.Read(0x14, 4), Is.Zero);
    }

    [Test]
    public void EnabledTransmitterSendsAtOnce()
    {
        _uart.Write(CmsdkApbUart.ControlOffset, 4, CmsdkApbUart.ControlTxEnable);
        _uart.Write(CmsdkApbUart.DataOffset, 4, 'o');
        _uart.Write(CmsdkApbUart.DataOffset, 1, 'k');
        Assert.That(_output.ToArray(), Is.EqualTo("ok"u8.ToArray()));
        Assert.That(_uart.Read(CmsdkApbUart.StateOffset, 4), Is.Zero, "never full, never overrun");
    }

    [Test]
    public void DisabledTransmitterHoldsTheByteAndThenOverruns()
    {
        // As QEMU: the first byte fills the buffer and is never sent; the next one overruns.
        _uart.Write(CmsdkApbUart.DataOffset, 4, 'A');
        Assert.That(_uart.Read(CmsdkApbUart.StateOffset, 4), Is.EqualTo(CmsdkApbUart.StateTxFull));
        _uart.Write(CmsdkApbUart.ControlOffset, 4, CmsdkApbUart.ControlTxEnable);
        _uart.Write(CmsdkApbUart.DataOffset, 4, 'B');
        Assert.That(_uart.Read(CmsdkApbUart.StateOffset, 4), Is.EqualTo(CmsdkApbUart.StateTxFull | CmsdkApbUart.StateTxOverrun));
        Assert.That(_output.Length, Is.Zero);

        _uart.Write(CmsdkApbUart.StateOffset, 4, 0xF); // only the overrun bits clear
        Assert.That(_uart.Read(CmsdkApbUart.StateOffset, 4), Is.EqualTo(CmsdkApbUart.StateTxFull));

        _uart.Reset();
        _uart.Write(CmsdkApbUart.ControlOffset, 4, CmsdkApbUart.ControlTxEnable);
        _uart.Write(CmsdkApbUart.DataOffset, 4, 'C');
        Assert.That(_output.ToArray(), Is.EqualTo("C"u8.ToArray()));
    }

    [Test]
    public void TransmitInterruptStatusIsSetWhenEnabledAndClearedByWritingOne()
    {
        _uart.Write(CmsdkApbUart.ControlOffset, 4, CmsdkApbUart.ControlTxEnable | CmsdkApbUart.ControlTxInterruptEnable);
        _uart.Write(CmsdkApbUart.DataOffset, 4, 'x');
        Assert.That(_uart.Read(CmsdkApbUart.InterruptStatusOffset, 4), Is.EqualTo(CmsdkApbUart.InterruptTx));
        _uart.Write(CmsdkApbUart.InterruptStatusOffset, 4, CmsdkApbUart.InterruptRx);
        Assert.That(_uart.Read(CmsdkApbUart.InterruptStatusOffset, 4), Is.EqualTo(CmsdkApbUart.InterruptTx), "other bit: no effect");
        _uart.Write(CmsdkApbUart.InterruptStatusOffset, 4, CmsdkApbUart.InterruptTx);
        Assert.That(_uart.Read(CmsdkApbUart.InterruptStatusOffset, 4), Is.Zero);
    }

    [Test]
    public void ReceiveWithTheReceiverDisabledDropsTheByte()
    {
        Assert.That(_uart.CanReceive, Is.False);
        _uart.Receive(0x55);
        Assert.That(_uart.Read(CmsdkApbUart.StateOffset, 4), Is.Zero);
    }

    [Test]
    public void ReceivedByteIsReadFromData()
    {
        _uart.Write(CmsdkApbUart.ControlOffset, 4, CmsdkApbUart.ControlRxEnable | CmsdkApbUart.ControlRxInterruptEnable);
        Assert.That(_uart.CanReceive, Is.True);
        _uart.Receive(0x55);
        Assert.That(_uart.CanReceive, Is.False);
        Assert.That(_uart.Read(CmsdkApbUart.StateOffset, 4), Is.EqualTo(CmsdkApbUart.StateRxFull));
        Assert.That(_uart.Read(CmsdkApbUart.InterruptStatusOffset, 4), Is.EqualTo(CmsdkApbUart.InterruptRx));
        Assert.That(_uart.Read(CmsdkApbUart.DataOffset, 4), Is.EqualTo(0x55u));
        Assert.That(_uart.Read(CmsdkApbUart.StateOffset, 4), Is.Zero);
    }

    [Test]
    public void SecondReceiveOverrunsAndRaisesTheOverrunInterruptWhenEnabled()
    {
        _uart.Write(CmsdkApbUart.ControlOffset, 4, CmsdkApbUart.ControlRxEnable | (1u << 5)); // RXO_INTEN
        _uart.Receive(1);
        _uart.Receive(2);
        Assert.That(_uart.Read(CmsdkApbUart.StateOffset, 4), Is.EqualTo(CmsdkApbUart.StateRxFull | CmsdkApbUart.StateRxOverrun));
        Assert.That(_uart.Read(CmsdkApbUart.InterruptStatusOffset, 4), Is.EqualTo(1u << 3));
        Assert.That(_uart.Read(CmsdkApbUart.DataOffset, 4), Is.EqualTo(2u), "the newer byte wins");

        _uart.Write(CmsdkApbUart.InterruptStatusOffset, 4, 1u << 3); // clearing the interrupt clears the overrun
        Assert.That(_uart.Read(CmsdkApbUart.StateOffset, 4), Is.Zero);
        Assert.That(_uart.Read(CmsdkApbUart.InterruptStatusOffset, 4), Is.Zero);
    }

    [Test]
    public void ControlAndBaudDivisorKeepTheirImplementedBits()
    {
        _uart.Write(CmsdkApbUart.ControlOffset, 4, 0xFFFF_FFFF);
        _uart.Write(CmsdkApbUart.BaudDivisorOffset, 4, 0xFFFF_FFFF);
        Assert.That(_uart.Read(CmsdkApbUart.ControlOffset, 4), Is.EqualTo(0x7Fu));
        Assert.That(_uart.Read(CmsdkApbUart.BaudDivisorOffset, 4), Is.EqualTo(0xF_FFFFu));
        Assert.That(_uart.Read(CmsdkApbUart.BaudDivisorOffset, 2), Is.EqualTo(0xFFFFu), "narrow reads see the low bytes");
    }
}
