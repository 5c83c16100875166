using Dsm.Emulation.CortexM3.Registers;
using Dsm.Emulation.CortexM3.State;
using Dsm.Emulation.CortexM3.SystemControl;
using Dsm.Emulation.CortexM3.Timing;
using Dsm.Peripherals.FM3.Clock;
using Microsoft.Extensions.Logging;

namespace Dsm.Peripherals.FM3.Timers;

/// <summary>
/// Base timers ch0..7 in one window at 0x4002_5000 (ch0..3 at +0x40·n, ch4..7 at +0x200 + 0x40·(n-4),
/// BTSEL0123 at +0x101, BTSEL4567 at +0x301, BTSSSR at +0xFFC; registers PCSR, PDUT, TMR, TMCR, STC,
/// TMCR2 per the MB9BF50x header/SVD). Modelled function modes: 16-bit PWM (FMD = 001) and 16/32-bit
/// reload timer (FMD = 011); other modes hold the counter. Count clock: PCLK1 (UNCONFIRMED: inferred
/// from the APB1 address range) divided per TMCR.CKS with TMCR2.CKS3 (1, 4, 16, 128, 256, -, -, -, 512,
/// 1024, 2048; the external-clock settings stop the count). A trigger (TMCR.STRG or BTSSSR) loads
/// PCSR and sets TGIR; the counter underflows PCSR + 1 ticks later (UDIR), reloading unless MDSE
/// (one-shot). In PWM mode DTIR is set when the count reaches PDUT. In 32-bit mode (T32 on an even
/// channel) the odd channel's PCSR/TMR hold the upper half (UNCONFIRMED pairing). All channels share
/// IRQ 31; IRQ31MON bit 2n is channel n's underflow/duty request, bit 2n+1 its trigger request.
/// </summary>
public sealed class BaseTimers : Fm3Peripheral
{
    /// <summary>The IRQ all base-timer channels share.</summary>
    public const int Irq = 31;

    private static readonly uint[] Prescalers = [1, 4, 16, 128, 256, 0, 0, 0, 512, 1024, 2048, 0, 0, 0, 0, 0];

    private readonly ClockResetGenerator _clocks;
    private readonly IInterruptLines _irqs;
    private readonly Channel[] _channels = new Channel[8];
    private bool _level;

    /// <summary>Creates the eight channels.</summary>
    /// <param name="scheduler">Virtual time.</param>
    /// <param name="clocks">Clock tree (PCLK1, HCLK).</param>
    /// <param name="irqs">NVIC lines.</param>
    /// <param name="logger">Logger.</param>
    public BaseTimers(EventScheduler scheduler, ClockResetGenerator clocks, IInterruptLines irqs, ILogger logger)
        : base("bt", 0x4002_5000, 0x1000, logger)
    {
        _clocks = clocks;
        _irqs = irqs;
        for (int n = 0; n < 8; n++)
        {
            _channels[n] = new Channel(this, scheduler, n);
        }

        Registers.Define("BTSEL0123", 0x101, 8).WithField("SEL01", 0, 4).WithField("SEL23", 4, 4);
        Registers.Define("BTSEL4567", 0x301, 8).WithField("SEL45", 0, 4).WithField("SEL67", 4, 4);
        Registers.Define("BTSSSR", 0xFFC, 16).WithField("SSSR", 0, 8, FieldAccess.WriteOnly, writeCallback: (_, bits) =>
        {
            for (int n = 0; n < 8; n++)
            {
                if ((bits & (1u << n)) != 0)
                {
                    _channels[n].Trigger();
                }
            }
        });
        clocks.ClocksChanged += UpdateRates;
        UpdateRates();
    }

    /// <summary>IRQ31MON: two request bits per channel.</summary>
    internal uint InterruptMonitor
    {
        get
        {
            uint bits = 0;
            for (int n = 0; n < 8; n++)
            {
                bits |= _channels[n].Requests << (2 * n);
            }

            return bits;
        }
    }

    /// <inheritdoc />
    public override void Reset()
    {
        base.Reset();
        foreach (var channel in _channels)
        {
            channel.Reset();
        }

        UpdateInterrupt();
    }

    private void UpdateRates()
    {
        foreach (var channel in _channels)
        {
            channel.UpdateRate();
        }
    }

    private void UpdateInterrupt()
    {
        bool level = false;
        foreach (var channel in _channels)
        {
            level |= channel.Requests != 0;
        }

        if (level != _level)
        {
            _level = level;
            _irqs.SetLevel(Irq, level);
        }
    }

    /// <inheritdoc />
    protected override void SaveModelState(StateWriter writer)
    {
        foreach (var channel in _channels)
        {
            channel.Save(writer);
        }
    }

    /// <inheritdoc />
    protected override void LoadModelState(StateReader reader)
    {
        foreach (var channel in _channels)
        {
            channel.Load(reader);
        }

        _level = InterruptMonitor != 0;
        _irqs.SetLevel(Irq, _level);
    }

    private sealed class Channel
    {
        private const uint ModePwm = 1;
        private const uint ModeReload = 3;

        private readonly BaseTimers _owner;
        private readonly int _index;
        private readonly Countdown _counter;
        private readonly TimedEvent _dutyMatch;
        private readonly Register _pcsr, _pdut, _tmcr, _tmcr2;
        private readonly RegisterField _cten, _mdse, _fmd, _t32, _cks;
        private readonly RegisterField _udir, _dtir, _tgir, _udie, _dtie, _tgie;

        public Channel(BaseTimers owner, EventScheduler scheduler, int index)
        {
            _owner = owner;
            _index = index;
            uint b = (index < 4 ? 0u : 0x200u) + 0x40u * (uint)(index & 3);
            string n = $"BT{index}_";
            var r = owner.Registers;
            _counter = new Countdown(scheduler, $"bt{index}", _ => Underflow());
            _dutyMatch = scheduler.CreateEvent($"bt{index}.duty", _ => DutyMatch());
            _pcsr = r.Define(n + "PCSR", b + 0x00, 16);
            _pdut = r.Define(n + "PDUT", b + 0x04, 16);
            r.Define(n + "TMR", b + 0x08, 16).WithField("TMR", 0, 16, FieldAccess.ReadOnly, _ => CountForRead());
            _tmcr = r.Define(n + "TMCR", b + 0x0C, 16).WithWriteCallback((oldValue, newValue) => ControlWritten(oldValue, newValue));
            _tmcr.WithFlag("STRG", 0, FieldAccess.WriteOnly);
            _cten = _tmcr.DefineField("CTEN", 1, 1);
            _mdse = _tmcr.DefineField("MDSE", 2, 1);
            _tmcr.WithFlag("OSEL", 3);
            _fmd = _tmcr.DefineField("FMD", 4, 3);
            _t32 = _tmcr.DefineField("T32", 7, 1);
            _tmcr.WithField("EGS", 8, 2).WithFlag("PMSK", 10).WithFlag("RTGEN", 11);
            _cks = _tmcr.DefineField("CKS", 12, 3);
            var stc = r.Define(n + "STC", b + 0x10, 8).WithWriteCallback((_, _) => _owner.UpdateInterrupt());
            _udir = stc.DefineField("UDIR", 0, 1, FieldAccess.WriteZeroToClear);
            _dtir = stc.DefineField("DTIR", 1, 1, FieldAccess.WriteZeroToClear);
            _tgir = stc.DefineField("TGIR", 2, 1, FieldAccess.WriteZeroToClear);
            _udie = stc.DefineField("UDIE", 4, 1);
            _dtie = stc.DefineField("DTIE", 5, 1);
            _tgie = stc.DefineField("TGIE", 6, 1);
            _tmcr2 = r.Define(n + "TMCR2", b + 0x11, 8).WithFlag("CKS3", 0).WithWriteCallback((_, _) => UpdateRate());
        }

        /// <summary>Bit 0: underflow or duty-match request; bit 1: trigger request (each gated by its enable).</summary>
        public uint Requests
            => ((_udir.IsSet && _udie.IsSet) || (_dtir.IsSet && _dtie.IsSet) ? 1u : 0) | (_tgir.IsSet && _tgie.IsSet ? 2u : 0);

        private Channel? Partner => (_index & 1) == 0 ? _owner._channels[_index + 1] : null;

        private bool Is32Bit => _t32.IsSet && _fmd.Value == ModeReload && Partner is not null;

        /// <summary>True for an odd channel whose even partner runs the pair as one 32-bit timer.</summary>
        private bool IsUpperHalf => (_index & 1) == 1 && _owner._channels[_index - 1].Is32Bit;

        private ulong Cycle => Is32Bit ? ((ulong)Partner!._pcsr.Value << 16) | _pcsr.Value : _pcsr.Value;

        public void Reset()
        {
            _counter.Stop();
            _counter.Load(0);
            _dutyMatch.Cancel();
            UpdateRate();
        }

        public void UpdateRate()
        {
            uint divider = Prescalers[(_tmcr2.Value & 1) << 3 | _cks.Value];
            _counter.SetRate(divider == 0 ? 0 : _owner._clocks.Pclk1Hz / divider, _owner._clocks.HclkHz);
        }

        public void Trigger()
        {
            if (!_cten.IsSet || (_fmd.Value != ModeReload && _fmd.Value != ModePwm) || IsUpperHalf)
            {
                return;
            }

            _counter.Start(Cycle);
            _tgir.Value = 1;
            ScheduleDutyMatch();
            _owner.UpdateInterrupt();
        }

        public void Save(StateWriter writer)
        {
            _counter.Save(writer);
            writer.WriteBoolean(_dutyMatch.IsScheduled);
            writer.WriteUInt64(_dutyMatch.IsScheduled ? _dutyMatch.Deadline : 0UL);
        }

        public void Load(StateReader reader)
        {
            _counter.Load(reader);
            bool scheduled = reader.ReadBoolean();
            ulong deadline = reader.ReadUInt64();
            if (scheduled)
            {
                _dutyMatch.ScheduleAt(deadline);
            }
            else
            {
                _dutyMatch.Cancel();
            }
        }

        private uint CountForRead()
        {
            if (IsUpperHalf)
            {
                return (uint)(_owner._channels[_index - 1]._counter.Value >> 16);
            }

            return (uint)_counter.Value & 0xFFFF;
        }

        private void ControlWritten(uint oldValue, uint newValue)
        {
            UpdateRate();
            bool wasEnabled = (oldValue & 2) != 0;
            if (!_cten.IsSet && wasEnabled)
            {
                _counter.Stop();
                _dutyMatch.Cancel();
            }

            if ((oldValue & 0x70) != (newValue & 0x70) && _fmd.Value is not (ModeReload or ModePwm or 0))
            {
                _owner.Logger.LogWarning("bt{Channel}: function mode {Mode} is not modelled; the counter holds", _index, _fmd.Value);
            }

            if ((newValue & 1) != 0)
            {
                Trigger();
            }
        }

        private void Underflow()
        {
            _udir.Value = 1;
            if (_mdse.IsSet)
            {
                _counter.Stop();
                _dutyMatch.Cancel();
            }
            else
            {
                _counter.Load(Cycle);
                ScheduleDutyMatch();
            }

            _owner.UpdateInterrupt();
        }

        private void ScheduleDutyMatch()
        {
            if (_fmd.Value != ModePwm || _pdut.Value > _pcsr.Value)
            {
                _dutyMatch.Cancel();
                return;
            }

            _dutyMatch.ScheduleIn(_counter.CyclesFor(_pcsr.Value - (ulong)_pdut.Value));
        }

        private void DutyMatch()
        {
            _dtir.Value = 1;
            _owner.UpdateInterrupt();
        }
    }
}
