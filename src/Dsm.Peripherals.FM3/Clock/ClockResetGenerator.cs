using Dsm.Emulation.CortexM3.Registers;
using Dsm.Emulation.CortexM3.State;
using Dsm.Emulation.CortexM3.SystemControl;
using Dsm.Emulation.CortexM3.Timing;
using Microsoft.Extensions.Logging;

namespace Dsm.Peripherals.FM3.Clock;

/// <summary>Reset causes as the FM3 records them in RST_STR (bit positions of that register).</summary>
[Flags]
public enum Fm3ResetCause : uint
{
    /// <summary>No cause recorded.</summary>
    None = 0,

    /// <summary>Power-on or low-voltage reset (PONR).</summary>
    PowerOn = 1 << 0,

    /// <summary>INITX pin reset.</summary>
    Pin = 1 << 1,

    /// <summary>Software watchdog reset (SWDT).</summary>
    SoftwareWatchdog = 1 << 4,

    /// <summary>Hardware watchdog reset (HWDT).</summary>
    HardwareWatchdog = 1 << 5,

    /// <summary>Clock-failure detection reset (CSVR).</summary>
    ClockSupervisor = 1 << 6,

    /// <summary>Anomalous-frequency detection reset (FCSR).</summary>
    FrequencyDetection = 1 << 7,

    /// <summary>Software reset through AIRCR.SYSRESETREQ (SRST).</summary>
    Software = 1 << 8,
}

/// <summary>
/// The clock/reset generator at 0x4001_0000 (registers per the MB9BF50x CMSIS header and SVD:
/// SCM_CTL/SCM_STR, STB_CTL, RST_STR, BSC_PSR, APBC0/1/2_PSR, SWC_PSR, TTC_PSR, CSW_TMR, PSW_TMR,
/// PLL_CTL1/2, CSV_*, FCSW*, DBWDT_CTL, INT_ENR/STR/CLR). Oscillators and the PLL become ready after
/// their stabilisation wait in virtual time; the master clock switches (SCM_STR.RCM follows
/// SCM_CTL.RCS) once its source is ready. Computes HCLK and PCLK0/1/2 and announces changes.
/// Oscillator/PLL stabilisation interrupts go to IRQ 24.
/// </summary>
public sealed class ClockResetGenerator : Fm3Peripheral
{
    /// <summary>IRQ of the oscillator/PLL stabilisation interrupt (shared with the USB PLL and watch counter).</summary>
    public const int Irq = 24;

    /// <summary>High-speed CR oscillator (CLKHC), the master clock at reset.</summary>
    public const uint HighSpeedCrHz = 4_000_000;

    /// <summary>Low-speed CR oscillator (CLKLC); also the hardware watchdog's clock (UNCONFIRMED).</summary>
    public const uint LowSpeedCrHz = 100_000;

    /// <summary>Main crystal (CLKMO) of the vendor configuration.</summary>
    public const uint MainOscillatorHz = 4_000_000;

    /// <summary>Sub crystal (CLKSO).</summary>
    public const uint SubOscillatorHz = 32_768;

    private static readonly uint[] BaseClockDivisors = [1, 2, 3, 4, 6, 8, 16, 16];

    private readonly EventScheduler _scheduler;
    private readonly IInterruptLines _irqs;
    private readonly TimedEvent _mainReady;
    private readonly TimedEvent _subReady;
    private readonly TimedEvent _pllReady;
    private readonly Register _scmCtl;
    private readonly RegisterField _mosce, _sosce, _plle, _rcs;
    private readonly RegisterField _mordy, _sordy, _plrdy, _rcm;
    private readonly Register _rstStr, _bscPsr, _apbc0, _apbc1, _apbc2, _swcPsr, _cswTmr, _pswTmr, _pllCtl1, _pllCtl2;
    private readonly Register _intEnr, _intStr;

    /// <summary>Creates the clock/reset generator in its power-on state.</summary>
    /// <param name="scheduler">Virtual time.</param>
    /// <param name="irqs">NVIC lines (IRQ 24).</param>
    /// <param name="logger">Logger.</param>
    public ClockResetGenerator(EventScheduler scheduler, IInterruptLines irqs, ILogger logger)
        : base("crg", 0x4001_0000, 0x1000, logger)
    {
        _scheduler = scheduler;
        _irqs = irqs;
        var r = Registers;
        _scmCtl = r.Define("SCM_CTL", 0x00, 8).WithWriteCallback((_, _) => ControlWritten());
        _mosce = _scmCtl.DefineField("MOSCE", 1, 1);
        _sosce = _scmCtl.DefineField("SOSCE", 3, 1);
        _plle = _scmCtl.DefineField("PLLE", 4, 1);
        _rcs = _scmCtl.DefineField("RCS", 5, 3);

        var scmStr = r.Define("SCM_STR", 0x04, 8);
        _mordy = scmStr.DefineField("MORDY", 1, 1, FieldAccess.ReadOnly);
        _sordy = scmStr.DefineField("SORDY", 3, 1, FieldAccess.ReadOnly);
        _plrdy = scmStr.DefineField("PLRDY", 4, 1, FieldAccess.ReadOnly);
        _rcm = scmStr.DefineField("RCM", 5, 3, FieldAccess.ReadOnly);

        // The STB_CTL key value is not in any source found, so writes are not gated on it.
        r.Define("STB_CTL", 0x08, 32).WithField("STM", 0, 2).WithFlag("SPL", 4).WithField("KEY", 16, 16, FieldAccess.WriteOnly);

        // RST_STR clears on read: an FSEU MB9B506 watchdog example reads it once with the note that reading clears all bits.
        _rstStr = r.Define("RST_STR", 0x0C, 16, (uint)Fm3ResetCause.PowerOn).WithField("CAUSE", 0, 9, FieldAccess.ReadToClear);
        _bscPsr = r.Define("BSC_PSR", 0x10, 8).WithField("BSR", 0, 3).WithWriteCallback((_, _) => UpdateClocks());
        _apbc0 = r.Define("APBC0_PSR", 0x14, 8).WithField("APBC0", 0, 2).WithWriteCallback((_, _) => UpdateClocks());
        _apbc1 = r.Define("APBC1_PSR", 0x18, 8, 0x80).WithField("APBC1", 0, 2).WithFlag("APBC1RST", 4).WithFlag("APBC1EN", 7)
            .WithWriteCallback((_, _) => UpdateClocks());
        _apbc2 = r.Define("APBC2_PSR", 0x1C, 8, 0x80).WithField("APBC2", 0, 2).WithFlag("APBC2RST", 4).WithFlag("APBC2EN", 7)
            .WithWriteCallback((_, _) => UpdateClocks());
        _swcPsr = r.Define("SWC_PSR", 0x20, 8).WithField("SWDS", 0, 2).WithFlag("TESTB", 7).WithWriteCallback((_, _) => UpdateClocks());
        r.Define("TTC_PSR", 0x28, 8).WithFlag("TTC", 0);
        _cswTmr = r.Define("CSW_TMR", 0x30, 8).WithField("MOWT", 0, 4).WithField("SOWT", 4, 3);
        _pswTmr = r.Define("PSW_TMR", 0x34, 8).WithField("POWT", 0, 3).WithFlag("PINC", 4);
        _pllCtl1 = r.Define("PLL_CTL1", 0x38, 8).WithField("PLLM", 0, 4).WithField("PLLK", 4, 4).WithWriteCallback((_, _) => UpdateClocks());
        // PLLN is 5 bits in the SVD but 6 in the R header's bit-fields and the vendor range check; the wider one is kept.
        _pllCtl2 = r.Define("PLL_CTL2", 0x3C, 8).WithField("PLLN", 0, 6).WithWriteCallback((_, _) => UpdateClocks());
        r.Define("CSV_CTL", 0x40, 16, 0x7003).WithFlag("MCSVE", 0).WithFlag("SCSVE", 1).WithFlag("FCSDE", 8).WithFlag("FCSRE", 9).WithField("FCD", 12, 3);
        r.Define("CSV_STR", 0x44, 8).WithFlag("MCMF", 0, FieldAccess.ReadOnly).WithFlag("SCMF", 1, FieldAccess.ReadOnly);
        r.Define("FCSWH_CTL", 0x48, 16, 0xFFFF);
        r.Define("FCSWL_CTL", 0x4C, 16);
        r.Define("FCSWD_CTL", 0x50, 16).WithField("FCSWD", 0, 16, FieldAccess.ReadOnly);
        r.Define("DBWDT_CTL", 0x54, 8).WithFlag("DPSWBE", 5).WithFlag("DPHWBE", 7);
        _intEnr = r.Define("INT_ENR", 0x60, 8).WithFlag("MCSE", 0).WithFlag("SCSE", 1).WithFlag("PCSE", 2).WithFlag("FCSE", 5)
            .WithWriteCallback((_, _) => UpdateIrq());
        _intStr = r.Define("INT_STR", 0x64, 8).WithFlag("MCSI", 0, FieldAccess.ReadOnly).WithFlag("SCSI", 1, FieldAccess.ReadOnly)
            .WithFlag("PCSI", 2, FieldAccess.ReadOnly).WithFlag("FCSI", 5, FieldAccess.ReadOnly);
        r.Define("INT_CLR", 0x68, 8).WithField("CLR", 0, 8, FieldAccess.WriteOnly, writeCallback: (_, bits) =>
        {
            _intStr.Value &= ~bits;
            UpdateIrq();
        });

        _mainReady = scheduler.CreateEvent("crg.mosc", _ => { _mordy.Value = 1; Stabilised(0); });
        _subReady = scheduler.CreateEvent("crg.sosc", _ => { _sordy.Value = 1; Stabilised(1); });
        _pllReady = scheduler.CreateEvent("crg.pll", _ => { _plrdy.Value = 1; Stabilised(2); });
        ComputeClocks(out uint h, out uint p0, out uint p1, out uint p2, out uint sw);
        (HclkHz, Pclk0Hz, Pclk1Hz, Pclk2Hz, SoftwareWatchdogClockHz) = (h, p0, p1, p2, sw);
    }

    /// <summary>Raised after any of the computed clock frequencies changed.</summary>
    public event Action? ClocksChanged;

    /// <summary>The master clock divided by BSC_PSR: the core and AHB clock.</summary>
    public uint HclkHz { get; private set; }

    /// <summary>APB0 clock (HCLK / APBC0_PSR): CRG, watchdogs, dual timer.</summary>
    public uint Pclk0Hz { get; private set; }

    /// <summary>APB1 clock (zero while APBC1_PSR.APBC1EN is clear): base timers, MFT, ADC.</summary>
    public uint Pclk1Hz { get; private set; }

    /// <summary>APB2 clock (zero while APBC2_PSR.APBC2EN is clear): MFS, GPIO, external interrupts.</summary>
    public uint Pclk2Hz { get; private set; }

    /// <summary>Software watchdog count clock: PCLK0 / 2^SWC_PSR.SWDS.</summary>
    public uint SoftwareWatchdogClockHz { get; private set; }

    /// <summary>The reset causes RST_STR currently holds (without the read side effect).</summary>
    public Fm3ResetCause ResetCause => (Fm3ResetCause)_rstStr.Value;

    /// <inheritdoc />
    public override void Reset() => Reset(Fm3ResetCause.PowerOn);

    /// <summary>Resets the clock tree and records why (RST_STR).</summary>
    /// <param name="cause">Reset causes to record.</param>
    public void Reset(Fm3ResetCause cause)
    {
        base.Reset();
        _mainReady.Cancel();
        _subReady.Cancel();
        _pllReady.Cancel();
        _rstStr.Value = (uint)cause;
        UpdateClocks();
        UpdateIrq();
    }

    private void ControlWritten()
    {
        StartOrStop(_mosce, _mordy, _mainReady, () => StabilisationCycles(MainWaitCycles(), MainOscillatorHz));
        StartOrStop(_sosce, _sordy, _subReady, () => StabilisationCycles(1UL << (int)(_cswTmr.Field("SOWT").Value + 10), SubOscillatorHz));
        StartOrStop(_plle, _plrdy, _pllReady, () => StabilisationCycles(1UL << (int)(_pswTmr.Field("POWT").Value + 9), MainOscillatorHz));
        SwitchMasterClock();
    }

    private static void StartOrStop(RegisterField enable, RegisterField ready, TimedEvent readyEvent, Func<ulong> waitCycles)
    {
        if (!enable.IsSet)
        {
            readyEvent.Cancel();
            ready.Value = 0;
        }
        else if (!ready.IsSet && !readyEvent.IsScheduled)
        {
            readyEvent.ScheduleIn(waitCycles());
        }
    }

    /// <summary>
    /// Main oscillator wait: 2^(MOWT+5) CLKMO cycles (2^1 for MOWT = 0). Inferred from the single data
    /// point the sources give (MOWT = 12 is about 33 ms at 4 MHz); the table itself is UNCONFIRMED.
    /// Sub oscillator and PLL waits (2^(SOWT+10) CLKSO cycles, 2^(POWT+9) CLKMO cycles) are assumed likewise.
    /// </summary>
    private ulong MainWaitCycles()
    {
        uint mowt = _cswTmr.Field("MOWT").Value;
        return mowt == 0 ? 2UL : 1UL << (int)(mowt + 5);
    }

    private ulong StabilisationCycles(ulong sourceCycles, uint sourceHz)
        => Math.Max(1UL, (ulong)(((UInt128)sourceCycles * HclkHz + sourceHz - 1) / sourceHz));

    private void Stabilised(int interruptBit)
    {
        _intStr.Value |= 1u << interruptBit;
        SwitchMasterClock();
        UpdateIrq();
    }

    private void SwitchMasterClock()
    {
        uint wanted = _rcs.Value;
        bool ready = wanted switch
        {
            0 or 4 => true,
            1 => _mordy.IsSet,
            2 => _plrdy.IsSet,
            5 => _sordy.IsSet,
            _ => false, // 3, 6 and 7 are not allowed selections: the switch does not happen.
        };
        if (ready && _rcm.Value != wanted)
        {
            _rcm.Value = wanted;
        }

        UpdateClocks();
    }

    private void ComputeClocks(out uint hclk, out uint pclk0, out uint pclk1, out uint pclk2, out uint swdt)
    {
        uint master = _rcm.Value switch
        {
            1 => MainOscillatorHz,
            2 => (uint)((ulong)MainOscillatorHz * (_pllCtl2.Field("PLLN").Value + 1) / (_pllCtl1.Field("PLLK").Value + 1)),
            4 => LowSpeedCrHz,
            5 => SubOscillatorHz,
            _ => HighSpeedCrHz,
        };
        hclk = master / BaseClockDivisors[_bscPsr.Value & 7];
        pclk0 = hclk >> (int)(_apbc0.Value & 3);
        pclk1 = (_apbc1.Value & 0x80) != 0 ? hclk >> (int)(_apbc1.Value & 3) : 0;
        pclk2 = (_apbc2.Value & 0x80) != 0 ? hclk >> (int)(_apbc2.Value & 3) : 0;
        swdt = pclk0 >> (int)(_swcPsr.Value & 3);
    }

    private void UpdateClocks()
    {
        ComputeClocks(out uint h, out uint p0, out uint p1, out uint p2, out uint sw);
        if (h == HclkHz && p0 == Pclk0Hz && p1 == Pclk1Hz && p2 == Pclk2Hz && sw == SoftwareWatchdogClockHz)
        {
            return;
        }

        (HclkHz, Pclk0Hz, Pclk1Hz, Pclk2Hz, SoftwareWatchdogClockHz) = (h, p0, p1, p2, sw);
        Logger.LogDebug("crg: HCLK {Hclk} Hz, PCLK0 {P0} Hz, PCLK1 {P1} Hz, PCLK2 {P2} Hz", h, p0, p1, p2);
        ClocksChanged?.Invoke();
    }

    private void UpdateIrq() => _irqs.SetLevel(Irq, (_intStr.Value & _intEnr.Value & 0x27) != 0);

    /// <summary>IRQ24MON bits driven by this block: b0 main osc, b1 sub osc, b2 main PLL.</summary>
    internal uint InterruptMonitor => _intStr.Value & 0x07;

    /// <inheritdoc />
    protected override void SaveModelState(StateWriter writer)
    {
        foreach (var ev in new[] { _mainReady, _subReady, _pllReady })
        {
            writer.WriteBoolean(ev.IsScheduled);
            writer.WriteUInt64(ev.IsScheduled ? ev.Deadline : 0UL);
        }
    }

    /// <inheritdoc />
    protected override void LoadModelState(StateReader reader)
    {
        foreach (var ev in new[] { _mainReady, _subReady, _pllReady })
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

        UpdateClocks();
        UpdateIrq();
    }
}
