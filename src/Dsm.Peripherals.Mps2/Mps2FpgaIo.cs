using Dsm.Emulation.CortexM3.Registers;
using Dsm.Emulation.CortexM3.State;
using Dsm.Emulation.CortexM3.Timing;
using Microsoft.Extensions.Logging;

namespace Dsm.Peripherals.Mps2;

/// <summary>
/// The MPS2 FPGA system control and I/O block (AN385: 0x40028000): LED0 (two user LEDs), BUTTON (two push
/// buttons, read-only), CLK1HZ and CLK100HZ (free-running counters at 1 Hz and 100 Hz, writable), COUNTER
/// with its prescaler (PSCNTR counts down at the 25 MHz prescale clock and reloads from PRESCALE one tick
/// after reaching zero, and COUNTER increments at that moment) and MISC (peripheral control bits, stored only).
/// Every counter is computed from virtual time; none needs a timed event.
/// </summary>
public sealed class Mps2FpgaIo : Mps2Peripheral
{
    /// <summary>LED0 offset.</summary>
    public const uint LedOffset = 0x00;

    /// <summary>BUTTON offset.</summary>
    public const uint ButtonOffset = 0x08;

    /// <summary>CLK1HZ offset.</summary>
    public const uint Clock1HzOffset = 0x10;

    /// <summary>CLK100HZ offset.</summary>
    public const uint Clock100HzOffset = 0x14;

    /// <summary>COUNTER offset.</summary>
    public const uint CounterOffset = 0x18;

    /// <summary>PRESCALE offset.</summary>
    public const uint PrescaleOffset = 0x1C;

    /// <summary>PSCNTR offset.</summary>
    public const uint PrescaleCounterOffset = 0x20;

    /// <summary>MISC offset.</summary>
    public const uint MiscOffset = 0x4C;

    private readonly EventScheduler _scheduler;
    private readonly ulong _prescaleClockHz;
    private readonly RegisterField _leds;
    private readonly Register _prescale;
    private long _clock1HzOrigin, _clock100HzOrigin;
    private uint _counter, _prescaleCounter;
    private ulong _prescaleSyncTime;

    /// <summary>Creates the block in its reset state.</summary>
    /// <param name="name">Device name ("fpgaio").</param>
    /// <param name="scheduler">Virtual time.</param>
    /// <param name="prescaleClockHz">Clock of PSCNTR (25 MHz on the AN385).</param>
    /// <param name="logger">Logger.</param>
    public Mps2FpgaIo(string name, EventScheduler scheduler, uint prescaleClockHz, ILogger? logger = null)
        : base(name, logger)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentOutOfRangeException.ThrowIfZero(prescaleClockHz);
        _scheduler = scheduler;
        _prescaleClockHz = prescaleClockHz;
        var r = Registers;
        _leds = r.Define("LED0", LedOffset, 32).DefineField("LED", 0, 2, writeCallback: (old, now) =>
        {
            if (old != now)
            {
                LedsChanged?.Invoke(now);
            }
        });
        r.Define("BUTTON", ButtonOffset, 32).WithField("BUTTON", 0, 2, FieldAccess.ReadOnly, _ => Buttons & 3);
        r.Define("CLK1HZ", Clock1HzOffset, 32)
            .WithValueProvider(_ => ClockValue(_clock1HzOrigin, 1))
            .WithWriteCallback((_, v) => _clock1HzOrigin = ClockOrigin(v, 1));
        r.Define("CLK100HZ", Clock100HzOffset, 32)
            .WithValueProvider(_ => ClockValue(_clock100HzOrigin, 100))
            .WithWriteCallback((_, v) => _clock100HzOrigin = ClockOrigin(v, 100));
        r.Define("COUNTER", CounterOffset, 32)
            .WithValueProvider(_ => Resync().Counter)
            .WithWriteCallback((_, v) =>
            {
                Resync();
                _counter = v;
            });
        _prescale = r.Define("PRESCALE", PrescaleOffset, 32);
        _prescale.WithWriteCallback((old, _) => Resync(old));
        r.Define("PSCNTR", PrescaleCounterOffset, 32)
            .WithValueProvider(_ => Resync().Prescaler)
            .WithWriteCallback((_, v) =>
            {
                Resync();
                _prescaleCounter = v;
            });
        r.Define("MISC", MiscOffset, 32);
        Reset();
    }

    /// <summary>The LED bits (bit n = USERLED n lit).</summary>
    public uint Leds => _leds.Value;

    /// <summary>The push buttons as the guest reads them (bit n = button n pressed); set by the host.</summary>
    public uint Buttons { get; set; }

    /// <summary>Raised when the guest changes the LEDs, with the new LED bits.</summary>
    public event Action<uint>? LedsChanged;

    /// <inheritdoc />
    public override void Reset()
    {
        base.Reset();
        ulong now = _scheduler.Now;
        _clock1HzOrigin = _clock100HzOrigin = (long)now;
        _counter = _prescaleCounter = 0;
        _prescaleSyncTime = now;
    }

    private ulong CoreHz => Math.Max(1u, _scheduler.CoreClockHz);

    private uint ClockValue(long origin, ulong hertz) => (uint)(ulong)((UInt128)(ulong)Math.Max(0, (long)_scheduler.Now - origin) * hertz / CoreHz);

    private long ClockOrigin(uint value, ulong hertz) => (long)_scheduler.Now - (long)((UInt128)value * CoreHz / hertz);

    /// <summary>Brings COUNTER and PSCNTR up to now; <paramref name="prescale"/> is the reload value in force until now.</summary>
    private (uint Counter, uint Prescaler) Resync(uint? prescale = null)
    {
        uint reload = prescale ?? _prescale.Value;
        ulong now = _scheduler.Now;
        ulong ticks = (ulong)((UInt128)(now - _prescaleSyncTime) * _prescaleClockHz / CoreHz);
        if (ticks == 0)
        {
            return (_counter, _prescaleCounter);
        }

        if (ticks <= _prescaleCounter)
        {
            _prescaleCounter -= (uint)ticks;
        }
        else if (reload == 0)
        {
            _counter += (uint)(ticks - _prescaleCounter); // stuck at zero: COUNTER steps every tick
            _prescaleCounter = 0;
        }
        else
        {
            // Ticks past the zero, counted from the reload that follows it.
            ulong past = ticks - _prescaleCounter - 1;
            ulong period = (ulong)reload + 1;
            _counter += (uint)(1 + (past / period));
            _prescaleCounter = reload - (uint)(past % period);
        }

        // Advance to the last whole tick only, so repeated reads lose no fraction of a tick.
        _prescaleSyncTime += (ulong)((UInt128)ticks * CoreHz / _prescaleClockHz);
        return (_counter, _prescaleCounter);
    }

    /// <inheritdoc />
    protected override void SaveModelState(StateWriter writer)
    {
        writer.WriteInt64(_clock1HzOrigin);
        writer.WriteInt64(_clock100HzOrigin);
        writer.WriteUInt32(_counter);
        writer.WriteUInt32(_prescaleCounter);
        writer.WriteUInt64(_prescaleSyncTime);
        writer.WriteUInt32(Buttons);
    }

    /// <inheritdoc />
    protected override void LoadModelState(StateReader reader)
    {
        _clock1HzOrigin = reader.ReadInt64();
        _clock100HzOrigin = reader.ReadInt64();
        _counter = reader.ReadUInt32();
        _prescaleCounter = reader.ReadUInt32();
        _prescaleSyncTime = reader.ReadUInt64();
        Buttons = reader.ReadUInt32();
    }
}
