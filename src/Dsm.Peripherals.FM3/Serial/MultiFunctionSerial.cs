using Dsm.Emulation.CortexM3.Registers;
using Dsm.Emulation.CortexM3.State;
using Dsm.Emulation.CortexM3.SystemControl;
using Dsm.Emulation.CortexM3.Timing;
using Dsm.Peripherals.FM3.Clock;
using Microsoft.Extensions.Logging;

namespace Dsm.Peripherals.FM3.Serial;

/// <summary>
/// One multi-function serial channel (MFS ch0..7 at 0x4003_8000 + 0x100·n) in asynchronous UART mode.
/// Registers per the MB9BF50x header/SVD: SMR, SCR, ESCR, SSR, RDR/TDR, BGR and, on ch4..7, FCR0,
/// FCR1, FBYTE1, FBYTE2 with two 16-byte FIFOs. A frame takes (1 + data + parity + stop) bit times of
/// (BGR + 1) PCLK2 cycles in virtual time; RX interrupts go to IRQ 7+2n, TX to IRQ 8+2n.
/// Host bytes are taken from the attached <see cref="IByteChannel"/> at most one per frame time and
/// arrive one frame time after they were taken, as a frame starting on the line would. The receiver looks
/// at the channel once per frame time while bytes flow; while the line is idle it looks again only when an
/// <see cref="INotifyingByteChannel"/> reports an arrival (through the machine's host-input queue, see
/// <see cref="UseHostInputQueue"/>), and otherwise every frame time.
/// Choices where the sources are silent (UNCONFIRMED): with the TX FIFO on, TDRE reads 1 only when
/// the FIFO is empty; with the RX FIFO on, RDRF is set when the FIFO holds FBYTE (RX) bytes or after
/// 8 idle bit times with FCR1.FRIIE, and clears when the FIFO is emptied.
/// </summary>
public sealed class MultiFunctionSerial : Fm3Peripheral
{
    /// <summary>FIFO depth of channels 4..7.</summary>
    public const int FifoDepth = 16;

    private static readonly int[] DataBitsByLength = [8, 5, 6, 7, 9, 8, 8, 8];

    private readonly EventScheduler _scheduler;
    private readonly ClockResetGenerator _clocks;
    private readonly IInterruptLines _irqs;
    private readonly TimedEvent _txDone;
    private readonly TimedEvent _rxPoll;
    private readonly TimedEvent _rxIdle;
    private readonly TimedEvent _txLineIdle;
    private readonly RegisterField _soe, _sbl, _md;
    private readonly RegisterField _txe, _rxe, _tbie, _tie, _rie;
    private readonly RegisterField _dataLength, _pen, _esbl;
    private readonly RegisterField _tbi, _tdre, _rdrf, _ore, _fre, _pe;
    private readonly Register _bgr;
    private readonly RegisterField? _fe1, _fe2, _fsel, _ftie, _fdrq, _friie;
    private readonly Queue<ushort> _fifo1 = new();
    private readonly Queue<ushort> _fifo2 = new();
    private readonly Action _arrivalOnChannelThread;
    private readonly Action _arrivalOnMachineThread;
    private Action<Action>? _postHostInput;
    private INotifyingByteChannel? _notifier;
    private ushort _rdr;
    private ushort _tdr;
    private ushort _shifting;
    private bool _shifterBusy;
    private byte _fifo1Trigger, _fifo2Trigger;
    private bool _rxLevel, _txLevel;

    /// <summary>The host byte whose frame is on the line now (delivered one frame time after it was taken), or -1.</summary>
    private int _inFlight = -1;

    /// <summary>Creates channel <paramref name="channel"/>.</summary>
    /// <param name="channel">MFS channel 0..7 (4..7 have FIFOs).</param>
    /// <param name="scheduler">Virtual time.</param>
    /// <param name="clocks">Clock tree (PCLK2, HCLK).</param>
    /// <param name="irqs">NVIC lines.</param>
    /// <param name="logger">Logger.</param>
    public MultiFunctionSerial(int channel, EventScheduler scheduler, ClockResetGenerator clocks, IInterruptLines irqs, ILogger logger)
        : base($"mfs{channel}", 0x4003_8000 + (uint)channel * 0x100, 0x100, logger)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(channel is >= 0 and <= 7, true, nameof(channel));
        Channel = channel;
        _scheduler = scheduler;
        _clocks = clocks;
        _irqs = irqs;

        var r = Registers;
        var smr = r.Define("SMR", 0x00, 8);
        _soe = smr.DefineField("SOE", 0, 1);
        smr.WithFlag("BDS", 2);
        _sbl = smr.DefineField("SBL", 3, 1);
        smr.WithFlag("WUCR", 4);
        _md = smr.DefineField("MD", 5, 3, writeCallback: (_, mode) =>
        {
            if (mode > 1)
            {
                Logger.LogWarning("{Channel}: SMR.MD = {Mode} selects a mode other than UART; only UART is modelled", Name, mode);
            }
        });

        var scr = r.Define("SCR", 0x01, 8).WithWriteCallback((_, _) => ControlChanged());
        _txe = scr.DefineField("TXE", 0, 1);
        _rxe = scr.DefineField("RXE", 1, 1);
        _tbie = scr.DefineField("TBIE", 2, 1);
        _tie = scr.DefineField("TIE", 3, 1);
        _rie = scr.DefineField("RIE", 4, 1);
        scr.WithFlag("UPCL", 7, FieldAccess.WriteOnly, writeCallback: (_, set) =>
        {
            if (set != 0)
            {
                ProgrammableClear();
            }
        });

        var escr = r.Define("ESCR", 0x04, 8);
        _dataLength = escr.DefineField("L", 0, 3);
        escr.WithFlag("P", 3);
        _pen = escr.DefineField("PEN", 4, 1);
        escr.WithFlag("INV", 5);
        _esbl = escr.DefineField("ESBL", 6, 1);
        escr.WithFlag("FLWEN", 7);

        var ssr = r.Define("SSR", 0x05, 8, 0x03);
        _tbi = ssr.DefineField("TBI", 0, 1, FieldAccess.ReadOnly);
        _tdre = ssr.DefineField("TDRE", 1, 1, FieldAccess.ReadOnly);
        _rdrf = ssr.DefineField("RDRF", 2, 1, FieldAccess.ReadOnly);
        _ore = ssr.DefineField("ORE", 3, 1, FieldAccess.ReadOnly);
        _fre = ssr.DefineField("FRE", 4, 1, FieldAccess.ReadOnly);
        _pe = ssr.DefineField("PE", 5, 1, FieldAccess.ReadOnly);
        ssr.WithFlag("REC", 7, FieldAccess.WriteOnly, writeCallback: (_, set) =>
        {
            if (set != 0)
            {
                _ore.Value = _fre.Value = _pe.Value = 0;
                UpdateInterrupts();
            }
        });

        // RDR (read) and TDR (write) share offset 8: the read side pops received data, the write side queues data to send.
        r.Define("RDR_TDR", 0x08, 16)
            .WithField("DATA", 0, 9, FieldAccess.WriteOnly, valueProvider: _ => ReadData(), writeCallback: (_, value) => WriteData((ushort)value));

        _bgr = r.Define("BGR", 0x0C, 16).WithField("BGR", 0, 15).WithFlag("EXT", 15);

        if (HasFifo)
        {
            var fcr0 = r.Define("FCR0", 0x14, 8).WithWriteCallback((_, _) => FifoControlChanged());
            _fe1 = fcr0.DefineField("FE1", 0, 1);
            _fe2 = fcr0.DefineField("FE2", 1, 1);
            fcr0.WithFlag("FCL1", 2, FieldAccess.WriteOnly, writeCallback: (_, set) => { if (set != 0) { _fifo1.Clear(); } })
                .WithFlag("FCL2", 3, FieldAccess.WriteOnly, writeCallback: (_, set) => { if (set != 0) { _fifo2.Clear(); } })
                .WithFlag("FSET", 4).WithFlag("FLD", 5).WithFlag("FLST", 6);
            var fcr1 = r.Define("FCR1", 0x15, 8, 0x04).WithWriteCallback((_, _) => UpdateInterrupts());
            _fsel = fcr1.DefineField("FSEL", 0, 1);
            _ftie = fcr1.DefineField("FTIE", 1, 1);
            _fdrq = fcr1.DefineField("FDRQ", 2, 1, FieldAccess.WriteZeroToClear);
            _friie = fcr1.DefineField("FRIIE", 3, 1);
            fcr1.WithFlag("FLSTE", 4).WithFlag("FTST0", 6).WithFlag("FTST1", 7);
            // FBYTE: a write sets the FIFO's transfer (trigger) count, a read returns the bytes it holds.
            r.Define("FBYTE1", 0x18, 8).WithValueProvider(_ => (uint)_fifo1.Count).WithWriteCallback((_, v) => _fifo1Trigger = (byte)v);
            r.Define("FBYTE2", 0x19, 8).WithValueProvider(_ => (uint)_fifo2.Count).WithWriteCallback((_, v) => _fifo2Trigger = (byte)v);
        }

        _txDone = scheduler.CreateEvent($"{Name}.tx", _ => FrameSent());
        _rxPoll = scheduler.CreateEvent($"{Name}.rx", _ => PollReceive());
        _rxIdle = scheduler.CreateEvent($"{Name}.rxidle", _ => ReceiveIdle());
        _txLineIdle = scheduler.CreateEvent($"{Name}.txlineidle", _ => TellLineIdle());
        _arrivalOnMachineThread = BytesArrived;
        _arrivalOnChannelThread = () => Volatile.Read(ref _postHostInput)?.Invoke(_arrivalOnMachineThread);
        clocks.ClocksChanged += () => ControlChanged();
    }

    /// <summary>The channel number.</summary>
    public int Channel { get; }

    /// <summary>Whether the channel has the two 16-byte FIFOs (ch4..7).</summary>
    public bool HasFifo => Channel >= 4;

    /// <summary>IRQ number of the receive interrupt.</summary>
    public int RxIrq => 7 + 2 * Channel;

    /// <summary>IRQ number of the transmit interrupt.</summary>
    public int TxIrq => 8 + 2 * Channel;

    /// <summary>The host end of the line; null leaves the line unconnected (output dropped, nothing received).</summary>
    public IByteChannel? Backend { get; private set; }

    /// <summary>Raised when a frame has left the transmitter, with the byte and the virtual time (core cycles) it finished.</summary>
    public event Action<ushort, ulong>? FrameTransmitted;

    /// <summary>
    /// Raised when a frame has arrived on the line, with the byte and whether it was lost to an overrun (the previous
    /// byte, or a full FIFO, not yet read): a diagnostic tap for link traces.
    /// </summary>
    public event Action<ushort, bool>? FrameReceived;

    /// <summary>Connects the line to a host channel (or disconnects it with null).</summary>
    /// <param name="backend">The channel; the caller keeps ownership.</param>
    public void Attach(IByteChannel? backend)
    {
        Backend = backend;
        FollowArrivals();
        ControlChanged();
    }

    /// <summary>
    /// Lets the receiver wait for host bytes instead of polling: <paramref name="post"/> runs an action on the
    /// machine's thread between instructions (the machine's host-input queue). An <see cref="INotifyingByteChannel"/>
    /// backend then wakes the receiver when bytes arrive; other backends are still polled every frame time.
    /// </summary>
    /// <param name="post">Queues an action for the machine's thread (thread-safe); null to poll every backend.</param>
    public void UseHostInputQueue(Action<Action>? post)
    {
        Volatile.Write(ref _postHostInput, post);
        FollowArrivals();
        ControlChanged();
    }

    /// <summary>Whether the receiver stops polling while the line is idle: the backend reports its arrivals.</summary>
    private bool WaitsForArrivals => _notifier is not null;

    private bool Receiving => _rxe.IsSet && Backend is not null && FrameCycles != 0;

    private void FollowArrivals()
    {
        if (_notifier is not null)
        {
            _notifier.BytesArrived -= _arrivalOnChannelThread;
        }

        _notifier = _postHostInput is not null ? Backend as INotifyingByteChannel : null;
        if (_notifier is not null)
        {
            _notifier.BytesArrived += _arrivalOnChannelThread;
        }
    }

    // On the machine's thread: host bytes came while the receiver was idle; the next one starts its frame now.
    private void BytesArrived()
    {
        if (Receiving && !_rxPoll.IsScheduled)
        {
            PollReceive();
        }
    }

    /// <summary>Core cycles one frame takes with the current format, BGR and clocks (0 when the line has no clock).</summary>
    public ulong FrameCycles
    {
        get
        {
            uint pclk2 = _clocks.Pclk2Hz;
            if (pclk2 == 0 || (_bgr.Value & 0x8000) != 0)
            {
                return 0;
            }

            int bits = 1 + DataBitsByLength[_dataLength.Value] + (int)_pen.Value + 1 + (int)(_esbl.Value << 1 | _sbl.Value);
            UInt128 pclkCycles = (UInt128)(uint)bits * ((_bgr.Value & 0x7FFF) + 1);
            return (ulong)((pclkCycles * _clocks.HclkHz + pclk2 - 1) / pclk2);
        }
    }

    /// <summary>Core cycles of one bit time.</summary>
    private ulong BitCycles
    {
        get
        {
            uint pclk2 = _clocks.Pclk2Hz;
            return pclk2 == 0 ? 0 : (ulong)(((UInt128)((_bgr.Value & 0x7FFF) + 1) * _clocks.HclkHz + pclk2 - 1) / pclk2);
        }
    }

    /// <summary>IRQ(7+2n)MON / IRQ(8+2n)MON bit 0 values: (receive, transmit) request levels.</summary>
    internal (bool Rx, bool Tx) InterruptRequests => (_rxLevel, _txLevel);

    private Queue<ushort>? TxFifo => !HasFifo ? null : _fsel!.IsSet ? (_fe2!.IsSet ? _fifo2 : null) : (_fe1!.IsSet ? _fifo1 : null);

    private Queue<ushort>? RxFifo => !HasFifo ? null : _fsel!.IsSet ? (_fe1!.IsSet ? _fifo1 : null) : (_fe2!.IsSet ? _fifo2 : null);

    private int RxTrigger => Math.Max(1, (int)(_fsel is not null && _fsel.IsSet ? _fifo1Trigger : _fifo2Trigger));

    private uint DataMask => DataBitsByLength[_dataLength.Value] == 9 ? 0x1FFu : (1u << DataBitsByLength[_dataLength.Value]) - 1;

    /// <inheritdoc />
    public override void Reset()
    {
        base.Reset();
        ClearState();
        _fifo1Trigger = _fifo2Trigger = 0;
        UpdateInterrupts();
    }

    private void ClearState()
    {
        _txDone.Cancel();
        _rxPoll.Cancel();
        _rxIdle.Cancel();
        _txLineIdle.Cancel();
        _fifo1.Clear();
        _fifo2.Clear();
        _shifterBusy = false;
        _rdr = _tdr = _shifting = 0;
        _inFlight = -1;
    }

    private void ProgrammableClear()
    {
        // UPCL re-initialises the channel's internal state; the mode and control settings stay.
        ClearState();
        _tbi.Value = _tdre.Value = 1;
        _rdrf.Value = _ore.Value = _fre.Value = _pe.Value = 0;
        ControlChanged();
    }

    private void ControlChanged()
    {
        StartTransmitIfPossible();
        bool receiving = Receiving;
        if (receiving && !_rxPoll.IsScheduled)
        {
            // Sample the line now: a waiting host byte starts its frame at once.
            _rxPoll.ScheduleIn(0);
        }
        else if (!receiving)
        {
            _rxPoll.Cancel();
        }

        UpdateInterrupts();
    }

    private void FifoControlChanged()
    {
        UpdateTransmitEmpty();
        StartTransmitIfPossible();
        UpdateInterrupts();
    }

    private void WriteData(ushort value)
    {
        value = (ushort)(value & DataMask);
        var fifo = TxFifo;
        if (fifo is not null)
        {
            if (fifo.Count >= FifoDepth)
            {
                Logger.LogDebug("{Channel}: TX FIFO full, byte 0x{Value:X2} dropped", Name, value);
                return;
            }

            fifo.Enqueue(value);
        }
        else
        {
            // A write while TDRE = 0 overwrites the waiting byte, as the hardware's single data register does.
            _tdr = value;
            _tdre.Value = 0;
        }

        UpdateTransmitEmpty();
        StartTransmitIfPossible();
        UpdateInterrupts();
    }

    private void UpdateTransmitEmpty()
    {
        var fifo = TxFifo;
        if (fifo is not null)
        {
            _tdre.Value = fifo.Count == 0 ? 1u : 0u;
        }
    }

    private void StartTransmitIfPossible()
    {
        if (_shifterBusy || !_txe.IsSet)
        {
            return;
        }

        ulong frame = FrameCycles;
        if (frame == 0)
        {
            return;
        }

        var fifo = TxFifo;
        if (fifo is not null && fifo.Count > 0)
        {
            _shifting = fifo.Dequeue();
            if (fifo.Count == 0)
            {
                _fdrq!.Value = 1;
            }

            UpdateTransmitEmpty();
        }
        else if (fifo is null && !_tdre.IsSet)
        {
            _shifting = _tdr;
            _tdre.Value = 1;
        }
        else
        {
            return;
        }

        _shifterBusy = true;
        _tbi.Value = 0;
        _txDone.ScheduleIn(frame);
    }

    private void FrameSent()
    {
        _shifterBusy = false;
        ushort sent = _shifting;
        if (_soe.IsSet)
        {
            Backend?.Send((byte)sent);
        }

        FrameTransmitted?.Invoke(sent, _scheduler.Now);
        StartTransmitIfPossible();
        if (!_shifterBusy)
        {
            _tbi.Value = 1;
            if (_soe.IsSet && Backend is { WantsTransmitterIdle: true })
            {
                _txLineIdle.ScheduleIn(Math.Max(LineIdleFrames * FrameCycles, _scheduler.CyclesFromSeconds(LineIdleMinimumSeconds)));
            }
        }

        UpdateInterrupts();
    }

    // Frames of silence after which the channel hears the line is idle (as a 16550's receive timeout of four
    // characters): a pause inside a frame the firmware is still computing is shorter, so a gathering channel is not
    // made to forward a byte at a time.
    private const ulong LineIdleFrames = 4;

    // And at least this long: at 4 Mbaud four frames (10 µs) are shorter than the DSMC's pauses between LZ4 output
    // bytes, which made the emulated device's link write a few bytes at a time (600 writes a migration).
    private const double LineIdleMinimumSeconds = 100e-6;

    private void TellLineIdle()
    {
        if (!_shifterBusy && _soe.IsSet)
        {
            Backend?.TransmitterIdle();
        }
    }

    private uint ReadData()
    {
        var fifo = RxFifo;
        if (fifo is not null)
        {
            if (fifo.Count > 0)
            {
                _rdr = fifo.Dequeue();
            }

            if (fifo.Count == 0)
            {
                _rdrf.Value = 0;
            }
        }
        else
        {
            _rdrf.Value = 0;
        }

        UpdateInterrupts();
        return _rdr;
    }

    /// <summary>
    /// Once per frame time while receiving: the frame on the line completes, and the next host byte, if
    /// one is waiting, starts its frame (so each byte arrives one frame after it was taken and the line
    /// counts as busy meanwhile, which the FIFO idle detection needs). With a backend that reports arrivals,
    /// the polling stops once the line is idle and <see cref="BytesArrived"/> starts it again.
    /// </summary>
    private void PollReceive()
    {
        if (_inFlight >= 0)
        {
            ushort arrived = (ushort)_inFlight;
            _inFlight = -1;
            Receive(arrived);
        }

        if (Backend is not null && Backend.TryReceive(out byte value))
        {
            _inFlight = (int)(value & DataMask);
        }

        if (Receiving && (_inFlight >= 0 || !WaitsForArrivals))
        {
            _rxPoll.ScheduleIn(FrameCycles);
        }

        UpdateInterrupts();
    }

    /// <summary>A frame has arrived on the line.</summary>
    private void Receive(ushort value)
    {
        var fifo = RxFifo;
        FrameReceived?.Invoke(value, fifo is not null ? fifo.Count >= FifoDepth : _rdrf.IsSet);
        if (fifo is not null)
        {
            if (fifo.Count >= FifoDepth)
            {
                _ore.Value = 1;
            }
            else
            {
                fifo.Enqueue(value);
                if (fifo.Count >= RxTrigger)
                {
                    _rdrf.Value = 1;
                }
                else if (_friie!.IsSet)
                {
                    _rxIdle.ScheduleIn(BitCycles * 8);
                }
            }
        }
        else if (_rdrf.IsSet)
        {
            _ore.Value = 1; // The previous byte was not read: the new one is lost.
        }
        else
        {
            _rdr = value;
            _rdrf.Value = 1;
        }

        UpdateInterrupts();
    }

    private void ReceiveIdle()
    {
        if (_inFlight < 0 && RxFifo is { Count: > 0 })
        {
            _rdrf.Value = 1;
            UpdateInterrupts();
        }
    }

    private void UpdateInterrupts()
    {
        bool rx = _rie.IsSet && (_rdrf.IsSet || _ore.IsSet || _fre.IsSet || _pe.IsSet);
        bool tx = (_tie.IsSet && _tdre.IsSet) || (_tbie.IsSet && _tbi.IsSet) || (_ftie is not null && _ftie.IsSet && _fdrq!.IsSet);
        if (rx != _rxLevel)
        {
            _rxLevel = rx;
            _irqs.SetLevel(RxIrq, rx);
        }

        if (tx != _txLevel)
        {
            _txLevel = tx;
            _irqs.SetLevel(TxIrq, tx);
        }
    }

    /// <inheritdoc />
    protected override void SaveModelState(StateWriter writer)
    {
        writer.WriteUInt16(_rdr);
        writer.WriteUInt16(_tdr);
        writer.WriteUInt16(_shifting);
        writer.WriteBoolean(_shifterBusy);
        writer.WriteByte(_fifo1Trigger);
        writer.WriteByte(_fifo2Trigger);
        writer.WriteInt32(_inFlight);
        foreach (var fifo in new[] { _fifo1, _fifo2 })
        {
            writer.WriteInt32(fifo.Count);
            foreach (ushort b in fifo)
            {
                writer.WriteUInt16(b);
            }
        }

        foreach (var ev in new[] { _txDone, _rxPoll, _rxIdle })
        {
            writer.WriteBoolean(ev.IsScheduled);
            writer.WriteUInt64(ev.IsScheduled ? ev.Deadline : 0UL);
        }
    }

    /// <inheritdoc />
    protected override void LoadModelState(StateReader reader)
    {
        _rdr = reader.ReadUInt16();
        _tdr = reader.ReadUInt16();
        _shifting = reader.ReadUInt16();
        _shifterBusy = reader.ReadBoolean();
        _fifo1Trigger = reader.ReadByte();
        _fifo2Trigger = reader.ReadByte();
        _inFlight = reader.ReadInt32();
        foreach (var fifo in new[] { _fifo1, _fifo2 })
        {
            fifo.Clear();
            int count = reader.ReadInt32();
            for (int i = 0; i < count; i++)
            {
                fifo.Enqueue(reader.ReadUInt16());
            }
        }

        foreach (var ev in new[] { _txDone, _rxPoll, _rxIdle })
        {
            bool scheduled = reader.ReadBoolean();
            ulong deadline = reader.ReadUInt64();
            if (scheduled)
            {
                ev.ScheduleAt(deadline);
            }
            else
            {
                ev.Cancel();
            }
        }

        if (Receiving && !WaitsForArrivals && !_rxPoll.IsScheduled)
        {
            // Saved by a receiver that waited for arrivals; this backend must be polled.
            _rxPoll.ScheduleIn(0);
        }

        // Drive both lines from the restored state, whatever they were before.
        _rxLevel = _rie.IsSet && (_rdrf.IsSet || _ore.IsSet || _fre.IsSet || _pe.IsSet);
        _txLevel = (_tie.IsSet && _tdre.IsSet) || (_tbie.IsSet && _tbi.IsSet) || (_ftie is not null && _ftie.IsSet && _fdrq!.IsSet);
        _irqs.SetLevel(RxIrq, _rxLevel);
        _irqs.SetLevel(TxIrq, _txLevel);
    }
}
