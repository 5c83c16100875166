using Dsm.Emulation.CortexM3.Registers;
using Dsm.Emulation.CortexM3.State;
using Dsm.Emulation.CortexM3.Timing;
using Dsm.Peripherals.FM3.Clock;
using Microsoft.Extensions.Logging;

namespace Dsm.Peripherals.FM3.Watchdog;

/// <summary>
/// The hardware watchdog at 0x4001_1000 (WDG_LDR, WDG_VLR, WDG_CTL INTEN/RESEN, WDG_ICL, WDG_RIS,
/// WDG_LCK per the MB9BF50x header and SVD). Running at reset (WDG_CTL = 0x03), counting the
/// low-speed CR clock (about 100 kHz; UNCONFIRMED, no source states it); the first expiry raises NMI,
/// the second resets the chip. Lock: 0x1ACCE551 to WDG_LCK opens WDG_LDR and WDG_ICL; following it
/// with 0xE5331AAE also opens WDG_CTL (the vendor SystemInit's disable sequence); any other value
/// locks. WDG_LCK reads 1 while locked. Feeding: with the lock open, write a byte to WDG_ICL and
/// then its bitwise inverse.
/// </summary>
public sealed class HardwareWatchdog : Fm3Peripheral
{
    /// <summary>First unlock key (opens WDG_LDR and WDG_ICL).</summary>
    public const uint UnlockKey = 0x1ACC_E551;

    /// <summary>Second unlock key, the inverse of the first (opens WDG_CTL).</summary>
    public const uint ControlUnlockKey = 0xE533_1AAE;

    private readonly ClockResetGenerator _clocks;
    private readonly WatchdogCore _core;
    private readonly Action _raiseNmi;
    private readonly Register _load;
    private readonly RegisterField _ris;
    private int _unlockStage;
    private int _pendingFeed = -1;

    /// <summary>Creates the hardware watchdog (running, as after reset).</summary>
    /// <param name="scheduler">Virtual time.</param>
    /// <param name="clocks">Clock tree (HCLK for the tick-to-cycle conversion).</param>
    /// <param name="raiseNmi">Pends NMI in the NVIC: the watchdog's interrupt is the NMI.</param>
    /// <param name="requestReset">Called when the watchdog resets the chip.</param>
    /// <param name="logger">Logger.</param>
    public HardwareWatchdog(EventScheduler scheduler, ClockResetGenerator clocks, Action raiseNmi, Action<Fm3ResetCause> requestReset, ILogger logger)
        : base("hwwdt", 0x4001_1000, 0x1000, logger)
    {
        _clocks = clocks;
        _raiseNmi = raiseNmi;
        var r = Registers;
        r.Define("WDG_LCK", 0xC00, 32, 1).WithValueProvider(_ => _unlockStage == 0 ? 1u : 0u).WithWriteCallback((_, key) =>
        {
            _unlockStage = key == UnlockKey ? 1 : key == ControlUnlockKey && _unlockStage == 1 ? 2 : 0;
            _pendingFeed = -1;
        });
        _load = r.Define("WDG_LDR", 0x000, 32, 0xFFFF).WithWriteGate(() => _unlockStage >= 1).WithWriteCallback((_, _) => _core!.Reload());
        r.Define("WDG_VLR", 0x004, 32).WithField("VALUE", 0, 32, FieldAccess.ReadOnly, _ => _core!.Value);
        var control = r.Define("WDG_CTL", 0x008, 8, 0x03).WithFlag("INTEN", 0).WithFlag("RESEN", 1)
            .WithWriteGate(() => _unlockStage == 2).WithWriteCallback((_, _) => _core!.ControlChanged());
        r.Define("WDG_ICL", 0x00C, 8, 0xFF).WithField("ICL", 0, 8, FieldAccess.WriteOnly)
            .WithWriteGate(() => _unlockStage >= 1).WithWriteCallback((_, value) => FeedStep(value));
        _ris = r.Define("WDG_RIS", 0x010, 8).DefineField("RIS", 0, 1, FieldAccess.ReadOnly);
        _core = new WatchdogCore(scheduler, "hwwdt", () => _load.Value, control.Field("INTEN"), control.Field("RESEN"), _ris,
            level =>
            {
                if (level)
                {
                    _raiseNmi();
                }
            },
            () => requestReset(Fm3ResetCause.HardwareWatchdog));
        clocks.ClocksChanged += UpdateRate;
        UpdateRate();
        _core.Reset();
    }

    /// <summary>Whether the watchdog's interrupt (the NMI source, EXC02MON.HWINT) is raised.</summary>
    public bool InterruptRaised => _ris.IsSet;

    /// <summary>Whether the counter runs (WDG_CTL.INTEN).</summary>
    public bool Running => (Registers["WDG_CTL"].Value & 1) != 0;

    /// <inheritdoc />
    public override void Reset()
    {
        base.Reset();
        _unlockStage = 0;
        _pendingFeed = -1;
        _core.Reset();
    }

    private void FeedStep(uint value)
    {
        if (_pendingFeed >= 0 && value == (~(uint)_pendingFeed & 0xFF))
        {
            _pendingFeed = -1;
            _core.ClearInterrupt();
        }
        else
        {
            _pendingFeed = (int)value;
        }
    }

    private void UpdateRate() => _core.SetRate(ClockResetGenerator.LowSpeedCrHz, _clocks.HclkHz);

    /// <inheritdoc />
    protected override void SaveModelState(StateWriter writer)
    {
        writer.WriteInt32(_unlockStage);
        writer.WriteInt32(_pendingFeed);
        _core.Save(writer);
    }

    /// <inheritdoc />
    protected override void LoadModelState(StateReader reader)
    {
        _unlockStage = reader.ReadInt32();
        _pendingFeed = reader.ReadInt32();
        _core.Load(reader);
    }
}
