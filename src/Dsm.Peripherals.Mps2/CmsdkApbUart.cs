using Dsm.Emulation.CortexM3.Registers;
using Dsm.Emulation.CortexM3.State;
using Dsm.Emulation.CortexM3.SystemControl;
using Dsm.Emulation.CortexM3.Timing;
using Dsm.Peripherals.FM3.Serial;
using Microsoft.Extensions.Logging;

namespace Dsm.Peripherals.Mps2;

/// <summary>
/// The CMSDK APB UART (Arm DDI 0479): one-byte transmit and receive buffers, always 8N1. Registers: DATA,
/// STATE (TX/RX full, TX/RX overrun, write 1 to clear), CTRL (TX/RX enable, TX/RX/TX-overrun/RX-overrun
/// interrupt enables, high-speed test), INTSTATUS/INTCLEAR, BAUDDIV and the PrimeCell IDs.
/// Transmission is instantaneous, as in QEMU: a byte written to DATA with the transmitter enabled goes
/// straight to the host, so a polling console costs no emulated waiting; a byte written while the
/// transmitter is disabled stays in the buffer (and is not sent when it is enabled later), also as QEMU.
/// Reception is paced in virtual time: while the receiver is enabled and a host channel is attached, the
/// line is sampled once per frame time (10 bits of BAUDDIV cycles) and a waiting host byte is taken only
/// when the receive buffer is empty (host bytes are never overrun, as with QEMU's character backends).
/// Interrupt outputs: TX, RX and the overrun bits; the board ORs overruns where the AN385 does.
/// </summary>
public sealed class CmsdkApbUart : Mps2Peripheral
{
    /// <summary>Size of the register window.</summary>
    public new const uint WindowSize = Mps2Peripheral.WindowSize;

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

    /// <summary>CTRL bit: transmit overrun interrupt enabled.</summary>
    public const uint ControlTxOverrunInterruptEnable = 1 << 4;

    /// <summary>CTRL bit: receive overrun interrupt enabled.</summary>
    public const uint ControlRxOverrunInterruptEnable = 1 << 5;

    /// <summary>INTSTATUS bit: transmit buffer emptied.</summary>
    public const uint InterruptTx = 1 << 0;

    /// <summary>INTSTATUS bit: a byte was received.</summary>
    public const uint InterruptRx = 1 << 1;

    /// <summary>INTSTATUS bit: transmit overrun.</summary>
    public const uint InterruptTxOverrun = 1 << 2;

    /// <summary>INTSTATUS bit: receive overrun.</summary>
    public const uint InterruptRxOverrun = 1 << 3;

    /// <summary>Bits per frame: start, 8 data, stop.</summary>
    public const int FrameBits = 10;

    private const uint OverrunBits = StateTxOverrun | StateRxOverrun;

    private static readonly byte[] Identification = [0x04, 0x00, 0x00, 0x00, 0x21, 0xB8, 0x1B, 0x00, 0x0D, 0xF0, 0x05, 0xB1];

    private readonly Register _state, _control, _interrupts, _baudDivisor;
    private readonly EventScheduler? _scheduler;
    private readonly TimedEvent? _rxPoll;
    private readonly UartInterrupts? _irqs;
    private IByteChannel? _backend;
    private byte _transmitBuffer;
    private byte _receiveBuffer;
    private bool _txLevel, _rxLevel, _overrunLevel;

    /// <summary>Creates a UART in its reset state, transmitting to <paramref name="output"/>, with no interrupt lines and no receive pacing.</summary>
    /// <param name="output">Where transmitted bytes go (flushed at each newline).</param>
    /// <param name="logger">Logger for guest programming errors (bad offsets, writes to read-only registers).</param>
    /// <param name="name">Name of the UART's section in machine state images.</param>
    public CmsdkApbUart(Stream output, ILogger? logger = null, string name = "uart0")
        : this(name, null, null, logger)
    {
        ArgumentNullException.ThrowIfNull(output);
        _backend = new OutputStreamChannel(output);
    }

    /// <summary>Creates a UART in its reset state with no host channel (see <see cref="Attach"/>).</summary>
    /// <param name="name">Device and state-section name ("uart1").</param>
    /// <param name="scheduler">Virtual time for receive pacing; null: bytes arrive only through <see cref="Receive"/>.</param>
    /// <param name="irqs">Interrupt outputs; null for none.</param>
    /// <param name="logger">Logger.</param>
    public CmsdkApbUart(string name, EventScheduler? scheduler, UartInterrupts? irqs, ILogger? logger = null)
        : base(name, logger)
    {
        _scheduler = scheduler;
        _irqs = irqs;
        _rxPoll = scheduler?.CreateEvent($"{name}.rx", _ => PollReceive());

        var r = Registers;
        r.Define("DATA", DataOffset, 32)
            .WithField("DATA", 0, 8, FieldAccess.WriteOnly, valueProvider: _ => _receiveBuffer, writeCallback: (_, value) => WriteData((byte)value))
            .WithReadCallback(_ => TakeReceived());
        _state = r.Define("STATE", StateOffset, 32)
            .WithFlag("TXFULL", 0, FieldAccess.ReadOnly)
            .WithFlag("RXFULL", 1, FieldAccess.ReadOnly)
            .WithFlag("TXOVERRUN", 2, FieldAccess.WriteOneToClear)
            .WithFlag("RXOVERRUN", 3, FieldAccess.WriteOneToClear)
            .WithWriteCallback((_, _) => UpdateInterrupts());
        _control = r.Define("CTRL", ControlOffset, 32)
            .WithFlag("TXEN", 0).WithFlag("RXEN", 1).WithFlag("TXINTEN", 2).WithFlag("RXINTEN", 3)
            .WithFlag("TXOINTEN", 4).WithFlag("RXOINTEN", 5).WithFlag("HSTM", 6)
            .WithWriteCallback((_, _) => ControlWritten());
        _interrupts = r.Define("INTSTATUS", InterruptStatusOffset, 32)
            .WithFlag("TX", 0, FieldAccess.WriteOneToClear).WithFlag("RX", 1, FieldAccess.WriteOneToClear)
            .WithFlag("TXO", 2, FieldAccess.WriteOneToClear).WithFlag("RXO", 3, FieldAccess.WriteOneToClear)
            // Clearing an overrun interrupt clears the overrun itself.
            .WithAccessCallback((value, _) =>
            {
                _state!.Value &= ~(value & OverrunBits);
                UpdateInterrupts();
            });
        _baudDivisor = r.Define("BAUDDIV", BaudDivisorOffset, 32).WithField("BAUDDIV", 0, 20);
        DefineIdentification(Identification);
    }

    /// <summary>The STATE register.</summary>
    public uint State => _state.Value;

    /// <summary>The CTRL register.</summary>
    public uint Control => _control.Value;

    /// <summary>The INTSTATUS register.</summary>
    public uint InterruptStatus => _interrupts.Value;

    /// <summary>The BAUDDIV register.</summary>
    public uint BaudDivisor => _baudDivisor.Value;

    /// <summary>Whether the UART can take a received byte now (receiver enabled, receive buffer empty).</summary>
    public bool CanReceive => (Control & ControlRxEnable) != 0 && (State & StateRxFull) == 0;

    /// <summary>Core cycles of one frame at the programmed divisor (divisors below 16 count as 16, the smallest valid one).</summary>
    public ulong FrameCycles => (ulong)FrameBits * Math.Max(16u, BaudDivisor);

    /// <summary>The host end of the line, or null (output dropped, nothing received).</summary>
    public IByteChannel? Backend => _backend;

    /// <summary>Raised for each byte the UART sends to the host, with the virtual time (core cycles; 0 without a scheduler).</summary>
    public event Action<byte, ulong>? ByteTransmitted;

    /// <summary>Connects the line to a host channel (null disconnects it); the caller keeps ownership.</summary>
    /// <param name="backend">The channel.</param>
    public void Attach(IByteChannel? backend)
    {
        _backend = backend;
        UpdateReceivePolling();
    }

    /// <inheritdoc />
    public override void Reset()
    {
        base.Reset();
        _transmitBuffer = 0;
        _receiveBuffer = 0;
        _rxPoll?.Cancel();
        UpdateInterrupts();
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
            _state.Value |= StateRxOverrun;
        }

        _receiveBuffer = value;
        _state.Value |= StateRxFull;
        if ((Control & ControlRxInterruptEnable) != 0)
        {
            _interrupts.Value |= InterruptRx;
        }

        UpdateInterrupts();
    }

    private void TakeReceived()
    {
        _state.Value &= ~StateRxFull;
        UpdateInterrupts();
    }

    private void WriteData(byte value)
    {
        _transmitBuffer = value;
        if ((State & StateTxFull) != 0)
        {
            _state.Value |= StateTxOverrun;
            UpdateInterrupts();
            return;
        }

        _state.Value |= StateTxFull;
        if ((Control & ControlTxEnable) == 0)
        {
            UpdateInterrupts();
            return; // the byte waits in the buffer; only a reset clears it
        }

        _backend?.Send(_transmitBuffer);
        _backend?.TransmitterIdle(); // this model sends a byte at once: the line is idle again
        ByteTransmitted?.Invoke(_transmitBuffer, _scheduler?.Now ?? 0);
        _state.Value &= ~StateTxFull;
        if ((Control & ControlTxInterruptEnable) != 0)
        {
            _interrupts.Value |= InterruptTx;
        }

        UpdateInterrupts();
    }

    private void ControlWritten()
    {
        if ((Control & ControlTxEnable) != 0 && BaudDivisor < 16)
        {
            Logger.LogDebug("{Uart}: transmitter enabled with invalid baud divisor {Divisor}", Name, BaudDivisor);
        }

        UpdateReceivePolling();
        UpdateInterrupts();
    }

    private bool Polling => _rxPoll is not null && _backend is not null and not OutputStreamChannel && (Control & ControlRxEnable) != 0;

    private void UpdateReceivePolling()
    {
        if (!Polling)
        {
            _rxPoll?.Cancel();
        }
        else if (!_rxPoll!.IsScheduled)
        {
            _rxPoll.ScheduleIn(FrameCycles);
        }
    }

    private void PollReceive()
    {
        if (CanReceive && _backend is not null && _backend.TryReceive(out byte value))
        {
            Receive(value);
        }

        if (Polling)
        {
            _rxPoll!.ScheduleIn(FrameCycles);
        }
    }

    // The overrun interrupt bits mirror STATE's overrun bits gated by their CTRL enables.
    private void UpdateInterrupts()
    {
        uint status = (_interrupts.Value & ~OverrunBits) | (State & (Control >> 2) & OverrunBits);
        _interrupts.Value = status;
        if (_irqs is null)
        {
            return;
        }

        bool tx = (status & InterruptTx) != 0, rx = (status & InterruptRx) != 0, overrun = (status & OverrunBits) != 0;
        if (tx != _txLevel)
        {
            _txLevel = tx;
            _irqs.Lines.SetLevel(_irqs.TxIrq, tx);
        }

        if (rx != _rxLevel)
        {
            _rxLevel = rx;
            _irqs.Lines.SetLevel(_irqs.RxIrq, rx);
        }

        if (overrun != _overrunLevel)
        {
            _overrunLevel = overrun;
            _irqs.Overrun?.SetSource(this, overrun);
        }
    }

    /// <inheritdoc />
    protected override void SaveModelState(StateWriter writer)
    {
        writer.WriteByte(_transmitBuffer);
        writer.WriteByte(_receiveBuffer);
        bool polling = _rxPoll is { IsScheduled: true };
        writer.WriteBoolean(polling);
        writer.WriteUInt64(polling ? _rxPoll!.Deadline : 0);
    }

    /// <inheritdoc />
    protected override void LoadModelState(StateReader reader)
    {
        _transmitBuffer = reader.ReadByte();
        _receiveBuffer = reader.ReadByte();
        bool polling = reader.ReadBoolean();
        ulong deadline = reader.ReadUInt64();
        _rxPoll?.Cancel();
        if (polling && Polling)
        {
            _rxPoll!.ScheduleAt(deadline);
        }
        else
        {
            UpdateReceivePolling();
        }

        // Drive every line from the restored registers, whatever it was before.
        _txLevel = _rxLevel = _overrunLevel = false;
        _irqs?.Lines.SetLevel(_irqs.TxIrq, false);
        _irqs?.Lines.SetLevel(_irqs.RxIrq, false);
        _irqs?.Overrun?.SetSource(this, false);
        UpdateInterrupts();
    }
}

/// <summary>Where a CMSDK UART's interrupt outputs go.</summary>
/// <param name="Lines">The NVIC lines.</param>
/// <param name="RxIrq">IRQ of the receive interrupt.</param>
/// <param name="TxIrq">IRQ of the transmit interrupt.</param>
/// <param name="Overrun">The shared overrun line, or null where the board leaves overruns unconnected.</param>
public sealed record UartInterrupts(IInterruptLines Lines, int RxIrq, int TxIrq, SharedInterruptLine? Overrun);

/// <summary>Guest output to a stream (the machine's console), flushed at each newline; a failing stream drops the output.</summary>
internal sealed class OutputStreamChannel(Stream output) : IByteChannel
{
    public bool TryReceive(out byte value)
    {
        value = 0;
        return false;
    }

    public void Send(byte value)
    {
        try
        {
            output.WriteByte(value);
            if (value == (byte)'\n')
            {
                output.Flush();
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The console went away: the line is idle, as an unplugged cable would leave it.
        }
    }

    public void Dispose()
    {
    }
}
