using Dsm.Emulation.CortexM3.Registers;
using Dsm.Emulation.CortexM3.State;
using Dsm.Emulation.CortexM3.SystemControl;
using Dsm.Emulation.CortexM3.Timing;
using Microsoft.Extensions.Logging;

namespace Dsm.Peripherals.Mps2;

/// <summary>
/// The CMSDK APB timer (Arm DDI 0479): a 32-bit down-counter at the peripheral clock (the core clock on the
/// AN385). CTRL (enable, external enable/clock select, interrupt enable), VALUE, RELOAD, INTSTATUS/INTCLEAR
/// (write 1 to clear) and the PrimeCell IDs. The counter interrupts as it reaches zero (with CTRL.IRQEN) and
/// takes RELOAD one tick later, so a running timer interrupts every RELOAD + 1 ticks; with RELOAD = 0 it
/// stops at zero. Writing RELOAD also loads the counter. The external clock/enable input is not modelled
/// (logged), as in QEMU.
/// </summary>
public sealed class CmsdkApbTimer : Mps2Peripheral
{
    /// <summary>CTRL offset.</summary>
    public const uint ControlOffset = 0x00;

    /// <summary>VALUE offset.</summary>
    public const uint ValueOffset = 0x04;

    /// <summary>RELOAD offset.</summary>
    public const uint ReloadOffset = 0x08;

    /// <summary>INTSTATUS (read) / INTCLEAR (write) offset.</summary>
    public const uint InterruptOffset = 0x0C;

    /// <summary>CTRL bit: counter enabled.</summary>
    public const uint ControlEnable = 1 << 0;

    /// <summary>CTRL bit: interrupt enabled.</summary>
    public const uint ControlInterruptEnable = 1 << 3;

    private static readonly byte[] Identification = [0x04, 0x00, 0x00, 0x00, 0x22, 0xB8, 0x1B, 0x00, 0x0D, 0xF0, 0x05, 0xB1];

    private readonly IInterruptLines? _lines;
    private readonly int _irq;
    private readonly DownCounter _counter;
    private readonly Register _reload;
    private readonly RegisterField _enable, _irqEnable, _interrupt;
    private bool _level;

    /// <summary>Creates a timer in its reset state.</summary>
    /// <param name="name">Device name ("timer0").</param>
    /// <param name="scheduler">Virtual time; the counter ticks once per core cycle.</param>
    /// <param name="lines">NVIC lines; null for none.</param>
    /// <param name="irq">The timer's IRQ (8 and 9 on the AN385).</param>
    /// <param name="logger">Logger.</param>
    public CmsdkApbTimer(string name, EventScheduler scheduler, IInterruptLines? lines, int irq, ILogger? logger = null)
        : base(name, logger)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        _lines = lines;
        _irq = irq;
        _counter = new DownCounter(scheduler, $"{name}.zero", _ => ReachedZero());

        var control = Registers.Define("CTRL", ControlOffset, 32).WithWriteCallback((_, _) => ControlWritten());
        _enable = control.DefineField("EN", 0, 1);
        control.WithFlag("SELEXTEN", 1).WithFlag("SELEXTCLK", 2);
        _irqEnable = control.DefineField("IRQEN", 3, 1);
        Registers.Define("VALUE", ValueOffset, 32)
            .WithValueProvider(_ => _counter.Value)
            .WithWriteCallback((_, value) => ValueWritten(value));
        _reload = Registers.Define("RELOAD", ReloadOffset, 32).WithWriteCallback((_, value) => ReloadWritten(value));
        _interrupt = Registers.Define("INTSTATUS", InterruptOffset, 32)
            .WithWriteCallback((_, _) => UpdateInterrupt())
            .DefineField("IRQ", 0, 1, FieldAccess.WriteOneToClear);
        DefineIdentification(Identification);
        _counter.SetReload(null);
    }

    /// <summary>The IRQ the timer drives.</summary>
    public int Irq => _irq;

    /// <summary>The counter's current value.</summary>
    public uint Value => _counter.Value;

    /// <summary>Whether the interrupt is raised.</summary>
    public bool InterruptPending => _interrupt.IsSet;

    /// <inheritdoc />
    public override void Reset()
    {
        base.Reset();
        _counter.Stop();
        _counter.SetReload(null);
        _counter.Set(0);
        UpdateInterrupt();
    }

    private void ControlWritten()
    {
        if ((Registers["CTRL"].Value & 6) != 0)
        {
            Logger.LogDebug("{Timer}: the external enable/clock input is not modelled", Name);
        }

        if (_enable.IsSet)
        {
            _counter.Start();
        }
        else
        {
            _counter.Stop();
        }

        UpdateInterrupt();
    }

    private void ValueWritten(uint value) => _counter.Set(value);

    private void ReloadWritten(uint value)
    {
        _counter.SetReload(value == 0 ? null : value);
        _counter.Set(value);
    }

    private void ReachedZero()
    {
        if (_irqEnable.IsSet)
        {
            _interrupt.Value = 1;
            UpdateInterrupt();
        }
    }

    private void UpdateInterrupt()
    {
        bool level = _interrupt.IsSet;
        if (level != _level)
        {
            _level = level;
            _lines?.SetLevel(_irq, level);
        }
    }

    /// <inheritdoc />
    protected override void SaveModelState(StateWriter writer) => _counter.Save(writer);

    /// <inheritdoc />
    protected override void LoadModelState(StateReader reader)
    {
        _counter.Load(reader);
        if (_reload.Value != (_counter.Reload ?? 0))
        {
            throw reader.Corrupt("the counter's reload value differs from RELOAD");
        }

        _level = _interrupt.IsSet;
        _lines?.SetLevel(_irq, _level);
    }
}
