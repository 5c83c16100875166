using Dsm.Emulation.CortexM3.Boards;
using Dsm.Emulation.CortexM3.Memory;
using Dsm.Emulation.CortexM3.State;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dsm.Peripherals.Mps2;

/// <summary>
/// The CMSDK APB UART (Arm DDI 0479): one-byte transmit and receive buffers, always 8N1. Transmission is
/// instantaneous: a byte written to DATA with the transmitter enabled goes straight to the host stream.
/// Register behaviour follows QEMU's model, including its quirks (a byte written while the transmitter is
/// disabled stays in the buffer; enabling the transmitter later does not send it).
/// </summary>
public sealed class CmsdkApbUart : IMmioDevice, IResettable, IStatefulComponent
{
    /// <summary>Size of the register window.</summary>
    public const uint WindowSize = 0x1000;

    /// <summary>DATA: write to transmit, read to take the received byte.</summary>
    public const uint DataOffset = 0x00;

    /// <summary>STATE: bit 0 TX buffer full, bit 1 RX buffer full, bits 2-3 TX/RX overrun (write 1 to clear).</summary>
    public const uint StateOffset = 0x04;

    /// <summary>CTRL: TX enable, RX enable, TX/RX/TX-overrun/RX-overrun interrupt enables, high-speed test mode.</summary>
    public const uint ControlOffset = 0x08;

    /// <summary>INTSTATUS on read, INTCLEAR on write (write 1 to clear).</summary>
    public const uint InterruptStatusOffset = 0x0C;

    /// <summary>BAUDDIV: 20-bit baud-rate divisor.</summary>
    public const uint BaudDivisorOffset = 0x10;

    /// <summary>STATE bit: the transmit buffer holds a byte.</summary>
    public const uint StateTxFull = 1 << 0;

    /// <summary>STATE bit: the receive buffer holds a byte.</summary>
    public const uint StateRxFull = 1 << 1;

    /// <summary>STATE bit: a byte was written while the transmit buffer was full.</summary>
    public const uint StateTxOverrun = 1 << 2;

    /// <summary>STATE bit: a byte arrived while the receive buffer was full.</summary>
    public const uint StateRxOverrun = 1 << 3;

    /// <summary>CTRL bit: transmitter enabled.</summary>
    public const uint ControlTxEnable = 1 << 0;

    /// <summary>CTRL bit: receiver enabled.</summary>
    public const uint ControlRxEnable = 1 << 1;

    /// <summary>CTRL bit: transmit interrupt enabled.</summary>
    public const uint ControlTxInterruptEnable = 1 << 2;

    /// <summary>CTRL bit: receive interrupt enabled.</summary>
    public const uint ControlRxInterruptEnable = 1 << 3;

    /// <summary>INTSTATUS bit: transmit buffer emptied.</summary>
    public const uint InterruptTx = 1 << 0;

    /// <summary>INTSTATUS bit: a byte was received.</summary>
    public const uint InterruptRx = 1 << 1;

    private const uint OverrunBits = StateTxOverrun | StateRxOverrun;
    private const uint IdentificationStart = 0xFD0;
    private const uint IdentificationEnd = 0xFFC;

    // PID4..PID7, PID0..PID3, CID0..CID3 as the CMSDK UART reports them.
    private static readonly byte[] Identification = [0x04, 0x00, 0x00, 0x00, 0x21, 0xB8, 0x1B, 0x00, 0x0D, 0xF0, 0x05, 0xB1];

    private readonly Stream _output;
    private readonly ILogger _logger;
    private byte _transmitBuffer;
    private byte _receiveBuffer;

    /// <summary>Creates a UART in its reset state.</summary>
    /// <param name="output">Where transmitted bytes go.</param>
    /// <param name="logger">Logger for guest programming errors (bad offsets, writes to read-only registers).</param>
    /// <param name="name">Name of the UART's section in machine state images.</param>
    public CmsdkApbUart(Stream output, ILogger? logger = null, string name = "uart0")
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentException.ThrowIfNullOrEmpty(name);
        _output = output;
        _logger = logger ?? NullLogger.Instance;
        SectionName = name;
    }

    /// <inheritdoc />
    public string SectionName { get; }

    /// <summary>The STATE register.</summary>
    public uint State { get; private set; }

    /// <summary>The CTRL register.</summary>
    public uint Control { get; private set; }

    /// <summary>The INTSTATUS register.</summary>
    public uint InterruptStatus { get; private set; }

    /// <summary>The BAUDDIV register.</summary>
    public uint BaudDivisor { get; private set; }

    /// <summary>Whether the UART can take a received byte now (receiver enabled, receive buffer empty).</summary>
    public bool CanReceive => (Control & ControlRxEnable) != 0 && (State & StateRxFull) == 0;

    /// <inheritdoc />
    public void Reset()
    {
        State = 0;
        Control = 0;
        InterruptStatus = 0;
        BaudDivisor = 0;
        _transmitBuffer = 0;
        _receiveBuffer = 0;
    }

    /// <inheritdoc />
    public void SaveState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteVersion(1);
        writer.WriteUInt32(State);
        writer.WriteUInt32(Control);
        writer.WriteUInt32(InterruptStatus);
        writer.WriteUInt32(BaudDivisor);
        writer.WriteByte(_transmitBuffer);
        writer.WriteByte(_receiveBuffer);
    }

    /// <inheritdoc />
    public void LoadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.ReadVersion(1);
        uint state = reader.ReadUInt32(), control = reader.ReadUInt32(), interrupts = reader.ReadUInt32(), divisor = reader.ReadUInt32();
        if ((state & ~0xFu) != 0 || (control & ~0x7Fu) != 0 || (interrupts & ~0xFu) != 0 || (divisor & ~0xF_FFFFu) != 0)
        {
            throw reader.Corrupt("a register has reserved bits set");
        }

        (State, Control, InterruptStatus, BaudDivisor) = (state, control, interrupts, divisor);
        _transmitBuffer = reader.ReadByte();
        _receiveBuffer = reader.ReadByte();
    }

    /// <summary>A byte arrives on the receive line. Dropped when the receiver is disabled; overruns when the buffer is full.</summary>
    /// <param name="value">The byte.</param>
    public void Receive(byte value)
    {
        if ((Control & ControlRxEnable) == 0)
        {
            return;
        }

        if ((State & StateRxFull) != 0)
        {
            State |= StateRxOverrun;
        }

        _receiveBuffer = value;
        State |= StateRxFull;
        if ((Control & ControlRxInterruptEnable) != 0)
        {
            InterruptStatus |= InterruptRx;
        }

        UpdateOverrunInterrupts();
    }

    /// <inheritdoc />
    public uint Read(uint offset, int size)
    {
        uint value;
        switch (offset)
        {
            case DataOffset:
                value = _receiveBuffer;
                State &= ~StateRxFull;
                UpdateOverrunInterrupts();
                break;
            case StateOffset: value = State; break;
            case ControlOffset: value = Control; break;
            case InterruptStatusOffset: value = InterruptStatus; break;
            case BaudDivisorOffset: value = BaudDivisor; break;
            case >= IdentificationStart and <= IdentificationEnd when (offset & 3) == 0:
                value = Identification[(offset - IdentificationStart) / 4];
                break;
            default:
                _logger.LogDebug("CMSDK UART: read of unknown offset 0x{Offset:X3}", offset);
                value = 0;
                break;
        }

        return size == 4 ? value : value & ((1u << (8 * size)) - 1);
    }

    /// <inheritdoc />
    public void Write(uint offset, int size, uint value)
    {
        switch (offset)
        {
            case DataOffset:
                _transmitBuffer = (byte)value;
                if ((State & StateTxFull) != 0)
                {
                    State |= StateTxOverrun;
                    UpdateOverrunInterrupts();
                }
                else
                {
                    State |= StateTxFull;
                    Transmit();
                }

                break;
            case StateOffset:
                State &= ~(value & OverrunBits); // TXFULL and RXFULL are read-only
                UpdateOverrunInterrupts();
                break;
            case ControlOffset:
                Control = value & 0x7F;
                if ((Control & ControlTxEnable) != 0 && BaudDivisor < 16)
                {
                    _logger.LogDebug("CMSDK UART: transmitter enabled with invalid baud divisor {Divisor}", BaudDivisor);
                }

                UpdateOverrunInterrupts();
                break;
            case InterruptStatusOffset:
                // Clearing an overrun interrupt clears the overrun itself.
                State &= ~(value & OverrunBits);
                InterruptStatus &= ~value;
                UpdateOverrunInterrupts();
                break;
            case BaudDivisorOffset:
                BaudDivisor = value & 0xF_FFFF;
                break;
            default:
                _logger.LogDebug("CMSDK UART: write of 0x{Value:X} to {Kind} offset 0x{Offset:X3}", value, offset is >= IdentificationStart and <= IdentificationEnd ? "read-only" : "unknown", offset);
                break;
        }
    }

    private void Transmit()
    {
        if ((Control & ControlTxEnable) == 0)
        {
            return; // the byte waits in the buffer; only a later reset clears it
        }

        try
        {
            _output.WriteByte(_transmitBuffer);
            if (_transmitBuffer == (byte)'\n')
            {
                _output.Flush();
            }
        }
        catch (IOException e)
        {
            _logger.LogWarning(e, "CMSDK UART: writing to the host failed");
        }

        State &= ~StateTxFull;
        if ((Control & ControlTxInterruptEnable) != 0)
        {
            InterruptStatus |= InterruptTx;
        }

        UpdateOverrunInterrupts();
    }

    // The overrun interrupt bits mirror STATE's overrun bits gated by their CTRL enables.
    private void UpdateOverrunInterrupts()
    {
        InterruptStatus = (InterruptStatus & ~OverrunBits) | (State & (Control >> 2) & OverrunBits);
    }
}
