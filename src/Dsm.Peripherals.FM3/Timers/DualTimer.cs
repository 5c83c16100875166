using Dsm.Emulation.CortexM3.Registers;
using Dsm.Emulation.CortexM3.State;
using Dsm.Emulation.CortexM3.SystemControl;
using Dsm.Emulation.CortexM3.Timing;
using Dsm.Peripherals.FM3.Clock;
using Microsoft.Extensions.Logging;

namespace Dsm.Peripherals.FM3.Timers;

/// <summary>
/// The dual timer at 0x4001_5000 (ARM SP804 layout: TimerXLoad, Value, Control, IntClr, RIS, MIS,
/// BGLoad for X = 1 at +0x00 and X = 2 at +0x20, per the MB9BF50x header/SVD). Both timers share
/// IRQ 6. Count clock: PCLK0 (UNCONFIRMED: inferred from the APB0 address range) divided by
/// 1/16/256 (TIMERPRE). Modes: free-running (wraps to all ones), periodic (reloads Load), one-shot
/// (stops at zero). The interrupt is raised as the counter passes zero, so a periodic timer fires
/// every Load + 1 count-clock ticks. The SP804 ID registers are not modelled (no FM3 source lists them).
/// </summary>
public sealed class DualTimer : Fm3Peripheral
{
    /// <summary>IRQ of the dual timer (shared with the QPRCs, which are not modelled).</summary>
    public const int Irq = 6;

    private readonly ClockResetGenerator _clocks;
    private readonly IInterruptLines _irqs;
    private readonly TimerUnit[] _timers = new TimerUnit[2];
    private bool _level;

    /// <summary>Creates the dual timer.</summary>
    /// <param name="scheduler">Virtual time.</param>
    /// <param name="clocks">Clock tree (PCLK0, HCLK).</param>
    /// <param name="irqs">NVIC lines.</param>
    /// <param name="logger">Logger.</param>
    public DualTimer(EventScheduler scheduler, ClockResetGenerator clocks, IInterruptLines irqs, ILogger logger)
        : base("dtim", 0x4001_5000, 0x1000, logger)
    {
        _clocks = clocks;
        _irqs = irqs;
        for (int i = 0; i < 2; i++)
        {
            _timers[i] = new TimerUnit(this, scheduler, i);
        }

        clocks.ClocksChanged += UpdateRates;
        UpdateRates();
    }

    /// <summary>IRQ06MON bits 0 and 1: the masked interrupt of timer 1 and timer 2.</summary>
    internal uint InterruptMonitor => (_timers[0].Masked ? 1u : 0) | (_timers[1].Masked ? 2u : 0);

    /// <inheritdoc />
    public override void Reset()
    {
        base.Reset();
        foreach (var timer in _timers)
        {
            timer.Reset();
        }

        UpdateRates();
        UpdateInterrupt();
    }

    private void UpdateRates()
    {
        foreach (var timer in _timers)
        {
            timer.UpdateRate(_clocks.Pclk0Hz, _clocks.HclkHz);
        }
    }

    private void UpdateInterrupt()
    {
        bool level = _timers[0].Masked || _timers[1].Masked;
        if (level != _level)
        {
            _level = level;
            _irqs.SetLevel(Irq, level);
        }
    }

    /// <inheritdoc />
    protected override void SaveModelState(StateWriter writer)
    {
        foreach (var timer in _timers)
        {
            timer.Counter.Save(writer);
        }
    }

    /// <inheritdoc />
    protected override void LoadModelState(StateReader reader)
    {
        foreach (var timer in _timers)
        {
            timer.Counter.Load(reader);
        }

        _level = _timers[0].Masked || _timers[1].Masked;
        _irqs.SetLevel(Irq, _level);
    }

    private sealed class TimerUnit
    {
        private readonly DualTimer _owner;
        private readonly Register _load, _control;
        private readonly RegisterField _oneShot, _size32, _prescale, _intEnable, _periodic, _enable, _ris;
        private uint _pclk, _hclk;

        public TimerUnit(DualTimer owner, EventScheduler scheduler, int index)
        {
            _owner = owner;
            uint b = (uint)index * 0x20;
            string n = $"Timer{index + 1}";
            var r = owner.Registers;
            Counter = new Countdown(scheduler, $"dtim.{n}", _ => Expired());
            _load = r.Define($"{n}Load", b + 0x00, 32).WithWriteCallback((_, v) => LoadWritten(v));
            r.Define($"{n}Value", b + 0x04, 32).WithField("VALUE", 0, 32, FieldAccess.ReadOnly, _ => (uint)Counter.Value & SizeMask);
            _control = r.Define($"{n}Control", b + 0x08, 32, 0x20).WithWriteCallback((_, _) => ControlWritten());
            _oneShot = _control.DefineField("ONESHOT", 0, 1);
            _size32 = _control.DefineField("TIMERSIZE", 1, 1);
            _prescale = _control.DefineField("TIMERPRE", 2, 2);
            _intEnable = _control.DefineField("INTENABLE", 5, 1);
            _periodic = _control.DefineField("TIMERMODE", 6, 1);
            _enable = _control.DefineField("TIMEREN", 7, 1);
            r.Define($"{n}IntClr", b + 0x0C, 32).WithField("CLR", 0, 32, FieldAccess.WriteOnly).WithWriteCallback((_, _) =>
            {
                _ris!.Value = 0;
                _owner.UpdateInterrupt();
            });
            _ris = r.Define($"{n}RIS", b + 0x10, 32).DefineField("RIS", 0, 1, FieldAccess.ReadOnly);
            r.Define($"{n}MIS", b + 0x14, 32).WithField("MIS", 0, 1, FieldAccess.ReadOnly, _ => Masked ? 1u : 0u);
            // SP804: BGLoad writes the reload value without restarting the count; reads return the Load register.
            r.Define($"{n}BGLoad", b + 0x18, 32).WithValueProvider(_ => _load.Value).WithWriteCallback((_, v) => _load.Value = v);
            Counter.Load(0xFFFF_FFFF);
        }

        public Countdown Counter { get; }

        public bool Masked => _ris.IsSet && _intEnable.IsSet;

        private uint SizeMask => _size32.IsSet ? 0xFFFF_FFFFu : 0xFFFFu;

        public void Reset()
        {
            Counter.Stop();
            Counter.Load(0xFFFF_FFFF);
        }

        public void UpdateRate(uint pclk, uint hclk)
        {
            _pclk = pclk;
            _hclk = hclk;
            Counter.SetRate(_pclk >> (4 * (int)Math.Min(_prescale.Value, 2)), _hclk);
        }

        private void LoadWritten(uint value)
        {
            if (_enable!.IsSet && !Counter.Running)
            {
                Counter.Start(value & SizeMask);
            }
            else
            {
                Counter.Load(value & SizeMask);
            }
        }

        private void ControlWritten()
        {
            UpdateRate(_pclk, _hclk);
            if (Counter.Value > SizeMask)
            {
                Counter.Load(Counter.Value & SizeMask);
            }

            if (_enable.IsSet && !Counter.Running && !(_oneShot.IsSet && Counter.Value == 0))
            {
                Counter.Start(Counter.Value);
            }
            else if (!_enable.IsSet && Counter.Running)
            {
                Counter.Stop();
            }

            _owner.UpdateInterrupt();
        }

        private void Expired()
        {
            _ris.Value = 1;
            if (_oneShot.IsSet)
            {
                Counter.Stop(); // Halts at zero until Load is written again.
            }
            else
            {
                Counter.Load(_periodic.IsSet ? _load.Value & SizeMask : SizeMask);
            }

            _owner.UpdateInterrupt();
        }
    }
}
