using Dsm.Emulation.CortexM3.Registers;
using Dsm.Emulation.CortexM3.State;
using Dsm.Emulation.CortexM3.SystemControl;
using Microsoft.Extensions.Logging;

namespace Dsm.Peripherals.FM3.Interrupts;

/// <summary>
/// External interrupt controller at 0x4003_0000 (ENIR, EIRR, EICL, ELVR, NMIRR, NMICL per the
/// MB9BF50x header/SVD; the part has 16 channels, so ELVR1 is absent). The host drives each channel's
/// input with <see cref="SetExternalInterruptLine"/>; ELVR selects per channel (LB:LA) low level (00),
/// high level (01), rising edge (10) or falling edge (11). Detection sets EIRR whether or not the
/// channel is enabled; ENIR gates the request to IRQ 4 (ch0..7) and IRQ 5 (ch8..15). Writing 0 to an
/// EICL bit clears the EIRR bit (a level request reappears while the level persists). Lines idle high.
/// The NMIX pin (<see cref="SetNmiPin"/>) sets NMIRR.NR on a falling edge and raises NMI; writing 0 to
/// NMICL.NCL clears NR (write-0 semantics UNCONFIRMED, by analogy with EICL).
/// </summary>
public sealed class ExternalInterrupts : Fm3Peripheral
{
    /// <summary>IRQ for channels 0..7.</summary>
    public const int IrqLow = 4;

    /// <summary>IRQ for channels 8..15.</summary>
    public const int IrqHigh = 5;

    /// <summary>Number of channels.</summary>
    public const int ChannelCount = 16;

    private readonly IInterruptLines _irqs;
    private readonly Action _raiseNmi;
    private readonly Register _enir, _eirr, _elvr;
    private readonly RegisterField _nmiRequest;
    private uint _lineLevels = 0xFFFF;
    private bool _nmiPinLevel = true;
    private bool _lowLevel, _highLevel;

    /// <summary>Creates the controller.</summary>
    /// <param name="irqs">NVIC lines (IRQ 4 and 5).</param>
    /// <param name="raiseNmi">Pends NMI in the NVIC (for the NMIX pin).</param>
    /// <param name="logger">Logger.</param>
    public ExternalInterrupts(IInterruptLines irqs, Action raiseNmi, ILogger logger)
        : base("exti", 0x4003_0000, 0x100, logger)
    {
        _irqs = irqs;
        _raiseNmi = raiseNmi;
        var r = Registers;
        _enir = r.Define("ENIR", 0x00, 16).WithWriteCallback((_, _) => Update());
        _eirr = r.Define("EIRR", 0x04, 16).WithField("ER", 0, 16, FieldAccess.ReadOnly);
        r.Define("EICL", 0x08, 16, 0xFFFF).WithWriteCallback((_, value) =>
        {
            _eirr.Value &= value;
            Update();
        });
        _elvr = r.Define("ELVR", 0x0C, 32).WithWriteCallback((_, _) => Update());
        _nmiRequest = r.Define("NMIRR", 0x14, 8).DefineField("NR", 0, 1, FieldAccess.ReadOnly);
        r.Define("NMICL", 0x18, 8, 0x01).WithFlag("NCL", 0, writeCallback: (_, value) =>
        {
            if (value == 0)
            {
                _nmiRequest.Value = 0;
            }
        });
    }

    /// <summary>IRQ04MON (low byte) and IRQ05MON (high byte): EIRR gated by ENIR.</summary>
    internal uint Requests => _eirr.Value & _enir.Value;

    /// <summary>NMIRR.NR: the NMIX request flag (EXC02MON bit 0).</summary>
    internal bool NmiRequested => _nmiRequest.IsSet;

    /// <summary>Drives external interrupt input <paramref name="channel"/>.</summary>
    /// <param name="channel">Channel 0..15.</param>
    /// <param name="level">True for high.</param>
    public void SetExternalInterruptLine(int channel, bool level)
    {
        if (channel is < 0 or >= ChannelCount)
        {
            throw new ArgumentOutOfRangeException(nameof(channel), channel, "The MB9BF506N has external interrupt channels 0..15.");
        }

        uint bit = 1u << channel;
        bool was = (_lineLevels & bit) != 0;
        _lineLevels = level ? _lineLevels | bit : _lineLevels & ~bit;
        uint mode = (_elvr.Value >> (2 * channel)) & 3;
        if ((mode == 2 && !was && level) || (mode == 3 && was && !level))
        {
            _eirr.Value |= bit;
        }

        Update();
    }

    /// <summary>Drives the NMIX pin (active low): a falling edge sets NMIRR.NR and raises NMI.</summary>
    /// <param name="level">True for high (inactive).</param>
    public void SetNmiPin(bool level)
    {
        bool falling = _nmiPinLevel && !level;
        _nmiPinLevel = level;
        if (falling)
        {
            _nmiRequest.Value = 1;
            _raiseNmi();
        }
    }

    /// <inheritdoc />
    public override void Reset()
    {
        base.Reset();
        Update();
    }

    private void Update()
    {
        // Level-sensitive channels request for as long as their level is present.
        for (int ch = 0; ch < ChannelCount; ch++)
        {
            uint mode = (_elvr.Value >> (2 * ch)) & 3;
            bool high = (_lineLevels & (1u << ch)) != 0;
            if ((mode == 0 && !high) || (mode == 1 && high))
            {
                _eirr.Value |= 1u << ch;
            }
        }

        uint requests = Requests;
        SetLine(IrqLow, (requests & 0x00FF) != 0, ref _lowLevel);
        SetLine(IrqHigh, (requests & 0xFF00) != 0, ref _highLevel);
    }

    private void SetLine(int irq, bool level, ref bool last)
    {
        if (level != last)
        {
            last = level;
            _irqs.SetLevel(irq, level);
        }
    }

    /// <inheritdoc />
    protected override void SaveModelState(StateWriter writer)
    {
        writer.WriteUInt32(_lineLevels);
        writer.WriteBoolean(_nmiPinLevel);
    }

    /// <inheritdoc />
    protected override void LoadModelState(StateReader reader)
    {
        _lineLevels = reader.ReadUInt32();
        _nmiPinLevel = reader.ReadBoolean();
        _lowLevel = (Requests & 0x00FF) != 0;
        _highLevel = (Requests & 0xFF00) != 0;
        _irqs.SetLevel(IrqLow, _lowLevel);
        _irqs.SetLevel(IrqHigh, _highLevel);
    }
}
