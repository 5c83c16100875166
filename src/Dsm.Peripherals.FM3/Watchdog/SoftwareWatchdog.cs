using Dsm.Emulation.CortexM3.Registers;
using Dsm.Emulation.CortexM3.State;
using Dsm.Emulation.CortexM3.SystemControl;
using Dsm.Emulation.CortexM3.Timing;
using Dsm.Peripherals.FM3.Clock;
using Microsoft.Extensions.Logging;

namespace Dsm.Peripherals.FM3.Watchdog;

/// <summary>
/// The software watchdog at 0x4001_2000 (WdogLoad, WdogValue, WdogControl INTEN/RESEN, WdogIntClr,
/// WdogRIS, WdogLock per the MB9BF50x header and SVD). Off at reset; counts at PCLK0 / SWC_PSR.SWDS;
/// interrupt on IRQ 1, reset request on the second expiry. WdogLock: writing 0x1ACCE551 opens the
/// other registers to writes, any other value closes them; it reads 0 while open (SP805 behaviour).
/// </summary>
public sealed class SoftwareWatchdog : Fm3Peripheral
{
    /// <summary>The software watchdog's IRQ.</summary>
    public const int Irq = 1;

    /// <summary>The value that opens the lock.</summary>
    public const uint UnlockKey = 0x1ACC_E551;

    private readonly ClockResetGenerator _clocks;
    private readonly EventScheduler _scheduler;
    private readonly WatchdogCore _core;
    private readonly Register _load, _control, _lock;
    private readonly RegisterField _ris;

    /// <summary>Creates the software watchdog.</summary>
    /// <param name="scheduler">Virtual time.</param>
    /// <param name="clocks">Clock tree (count clock).</param>
    /// <param name="irqs">NVIC lines.</param>
    /// <param name="requestReset">Called when the watchdog resets the chip.</param>
    /// <param name="logger">Logger.</param>
    public SoftwareWatchdog(EventScheduler scheduler, ClockResetGenerator clocks, IInterruptLines irqs, Action<Fm3ResetCause> requestReset, ILogger logger)
        : base("swwdt", 0x4001_2000, 0x1000, logger)
    {
        _clocks = clocks;
        _scheduler = scheduler;
        var r = Registers;
        _lock = r.Define("WdogLock", 0xC00, 32).WithValueProvider(v => v == UnlockKey ? 0u : 1u);
        _load = r.Define("WdogLoad", 0x000, 32, 0xFFFF_FFFF).WithWriteGate(Unlocked).WithWriteCallback((_, _) => _core!.Reload());
        r.Define("WdogValue", 0x004, 32).WithField("VALUE", 0, 32, FieldAccess.ReadOnly, _ => _core!.Value);
        _control = r.Define("WdogControl", 0x008, 8).WithFlag("INTEN", 0).WithFlag("RESEN", 1).WithWriteGate(Unlocked)
            .WithWriteCallback((_, _) => _core!.ControlChanged());
        r.Define("WdogIntClr", 0x00C, 32).WithField("CLR", 0, 32, FieldAccess.WriteOnly).WithWriteGate(Unlocked)
            .WithWriteCallback((_, _) => _core!.ClearInterrupt());
        _ris = r.Define("WdogRIS", 0x010, 8).DefineField("RIS", 0, 1, FieldAccess.ReadOnly);
        _lock.Value = UnlockKey; // SP805: writes are enabled after reset (WdogLock reads 0).
        _core = new WatchdogCore(scheduler, "swwdt", () => _load.Value, _control.Field("INTEN"), _control.Field("RESEN"), _ris,
            level => irqs.SetLevel(Irq, level), () => requestReset(Fm3ResetCause.SoftwareWatchdog));
        clocks.ClocksChanged += UpdateRate;
        UpdateRate();
    }

    /// <summary>Whether the watchdog's interrupt is raised (WdogRIS.RIS).</summary>
    public bool InterruptRaised => _ris.IsSet;

    /// <inheritdoc />
    public override void Reset()
    {
        base.Reset();
        _lock.Value = UnlockKey;
        _core.Reset();
    }

    private bool Unlocked() => _lock.Value == UnlockKey;

    private void UpdateRate() => _core.SetRate(_clocks.SoftwareWatchdogClockHz, _clocks.HclkHz);

    /// <inheritdoc />
    protected override void SaveModelState(StateWriter writer) => _core.Save(writer);

    /// <inheritdoc />
    protected override void LoadModelState(StateReader reader) => _core.Load(reader);
}
