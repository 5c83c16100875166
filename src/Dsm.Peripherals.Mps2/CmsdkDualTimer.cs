using Dsm.Emulation.CortexM3.Registers;
using Dsm.Emulation.CortexM3.State;
using Dsm.Emulation.CortexM3.SystemControl;
using Dsm.Emulation.CortexM3.Timing;
using Microsoft.Extensions.Logging;

namespace Dsm.Peripherals.Mps2;

/// <summary>
/// The CMSDK APB dual timer (an SP804: Arm DDI 0479 / DDI 0271): two down-counters at +0x00 and +0x20, each
/// with Load, Value, Control (one-shot, 32-bit size, prescale 1/16/256, interrupt enable, periodic mode,
/// enable; reset 0x20), IntClr, RIS, MIS and BGLoad; the integration-test registers ITCR/ITOP and the
/// PrimeCell IDs. Free-running mode wraps to all ones, periodic mode reloads Load, one-shot mode stops at
/// zero; a counter interrupts as it reaches zero. Both timers drive one combined IRQ (10 on the AN385).
/// </summary>
public sealed class CmsdkDualTimer : Mps2Peripheral
{
    private static readonly byte[] Identification = [0x04, 0x00, 0x00, 0x00, 0x23, 0xB8, 0x1B, 0x00, 0x0D, 0xF0, 0x05, 0xB1];

    private readonly IInterruptLines? _lines;
    private readonly int _irq;
    private readonly Unit[] _units = new Unit[2];
    private bool _level;

    /// <summary>Creates the dual timer in its reset state.</summary>
    /// <param name="name">Device name ("dualtimer").</param>
    /// <param name="scheduler">Virtual time; the timer clock is the core clock.</param>
    /// <param name="lines">NVIC lines; null for none.</param>
    /// <param name="irq">The combined IRQ.</param>
    /// <param name="logger">Logger.</param>
    public CmsdkDualTimer(string name, EventScheduler scheduler, IInterruptLines? lines, int irq, ILogger? logger = null)
        : base(name, logger)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        _lines = lines;
        _irq = irq;
        for (int i = 0; i < 2; i++)
        {
            _units[i] = new Unit(this, scheduler, i);
        }

        Registers.Define("TimerITCR", 0xF00, 32).WithFlag("EN", 0);
        Registers.Define("TimerITOP", 0xF04, 32).WithField("OP", 0, 2, FieldAccess.WriteOnly);
        DefineIdentification(Identification);
    }

    /// <summary>The combined IRQ.</summary>
    public int Irq => _irq;

    /// <summary>Current value of timer 1 (index 0) or timer 2 (index 1).</summary>
    /// <param name="index">0 or 1.</param>
    /// <returns>The counter value as the guest reads it.</returns>
    public uint ValueOf(int index) => _units[index].Value;

    /// <inheritdoc />
    public override void Reset()
    {
        base.Reset();
        foreach (var unit in _units)
        {
            unit.Reset();
        }

        UpdateInterrupt();
    }

    private void UpdateInterrupt()
    {
        bool level = _units[0].Masked || _units[1].Masked;
        if (level != _level)
        {
            _level = level;
            _lines?.SetLevel(_irq, level);
        }
    }

    /// <inheritdoc />
    protected override void SaveModelState(StateWriter writer)
    {
        foreach (var unit in _units)
        {
            unit.Counter.Save(writer);
        }
    }

    /// <inheritdoc />
    protected override void LoadModelState(StateReader reader)
    {
        foreach (var unit in _units)
        {
            unit.Counter.Load(reader);
        }

        _level = _units[0].Masked || _units[1].Masked;
        _lines?.SetLevel(_irq, _level);
    }

    private sealed class Unit
    {
        private readonly CmsdkDualTimer _owner;
        private readonly Register _load;
        private readonly RegisterField _oneShot, _size32, _prescale, _intEnable, _periodic, _enable, _raw;

        public Unit(CmsdkDualTimer owner, EventScheduler scheduler, int index)
        {
            _owner = owner;
            uint b = (uint)index * 0x20;
            string n = $"Timer{index + 1}";
            var r = owner.Registers;
            Counter = new DownCounter(scheduler, $"{owner.Name}.{n}", _ => ReachedZero());
            _load = r.Define($"{n}Load", b + 0x00, 32).WithWriteCallback((_, v) => LoadWritten(v, restart: true));
            r.Define($"{n}Value", b + 0x04, 32, 0xFFFF_FFFF).WithField("VALUE", 0, 32, FieldAccess.ReadOnly, _ => Value);
            var control = r.Define($"{n}Control", b + 0x08, 32, 0x20).WithWriteCallback((_, _) => ControlWritten());
            _oneShot = control.DefineField("ONESHOT", 0, 1);
            _size32 = control.DefineField("SIZE", 1, 1);
            _prescale = control.DefineField("PRESCALE", 2, 2);
            _intEnable = control.DefineField("INTEN", 5, 1);
            _periodic = control.DefineField("MODE", 6, 1);
            _enable = control.DefineField("ENABLE", 7, 1);
            r.Define($"{n}IntClr", b + 0x0C, 32).WithField("CLR", 0, 32, FieldAccess.WriteOnly).WithWriteCallback((_, _) =>
            {
                _raw!.Value = 0;
                _owner.UpdateInterrupt();
            });
            _raw = r.Define($"{n}RIS", b + 0x10, 32).DefineField("RIS", 0, 1, FieldAccess.ReadOnly);
            r.Define($"{n}MIS", b + 0x14, 32).WithField("MIS", 0, 1, FieldAccess.ReadOnly, _ => Masked ? 1u : 0u);
            // BGLoad sets the reload value without restarting the count; reads return Load.
            r.Define($"{n}BGLoad", b + 0x18, 32).WithValueProvider(_ => _load.Value).WithWriteCallback((_, v) =>
            {
                _load.Value = v;
                LoadWritten(v, restart: false);
            });
            Reset();
        }

        public DownCounter Counter { get; }

        public bool Masked => _raw.IsSet && _intEnable.IsSet;

        public uint Value => Counter.Value & SizeMask;

        private uint SizeMask => _size32.IsSet ? 0xFFFF_FFFFu : 0xFFFFu;

        public void Reset()
        {
            Counter.Stop();
            Counter.SetDivider(1);
            Counter.Set(0xFFFF_FFFF);
            Counter.SetReload(NextReload());
        }

        private uint? NextReload() => _oneShot.IsSet ? null : _periodic.IsSet ? _load.Value & SizeMask : SizeMask;

        private void LoadWritten(uint value, bool restart)
        {
            Counter.SetReload(NextReload());
            if (restart)
            {
                Counter.Set(value & SizeMask);
                if (_enable.IsSet)
                {
                    Counter.Start(); // an expired one-shot counter runs again
                }
            }
        }

        private void ControlWritten()
        {
            Counter.SetDivider(_prescale.Value switch { 0 => 1u, 1 => 16u, _ => 256u });
            Counter.SetReload(NextReload());
            if (Counter.Value > SizeMask)
            {
                Counter.Set(Counter.Value & SizeMask);
            }

            if (_enable.IsSet)
            {
                Counter.Start();
            }
            else
            {
                Counter.Stop();
            }

            _owner.UpdateInterrupt();
        }

        private void ReachedZero()
        {
            _raw.Value = 1;
            if (_oneShot.IsSet)
            {
                Counter.Stop();
            }

            _owner.UpdateInterrupt();
        }
    }
}
