using Dsm.Emulation.CortexM3.Registers;
using Dsm.Emulation.CortexM3.State;
using Dsm.Emulation.CortexM3.Timing;

namespace Dsm.Peripherals.FM3.Watchdog;

/// <summary>
/// The counting behaviour both FM3 watchdogs share (ARM SP805 style): with INTEN set the counter runs
/// down from the load value; the first expiry raises the interrupt and reloads, an expiry while the
/// interrupt is still raised resets the chip when RESEN is set. Clearing the interrupt reloads.
/// </summary>
internal sealed class WatchdogCore
{
    private readonly Countdown _counter;
    private readonly Func<uint> _loadValue;
    private readonly RegisterField _inten;
    private readonly RegisterField _resen;
    private readonly RegisterField _ris;
    private readonly Action<bool> _interrupt;
    private readonly Action _reset;

    public WatchdogCore(EventScheduler scheduler, string name, Func<uint> loadValue, RegisterField inten, RegisterField resen,
        RegisterField ris, Action<bool> interrupt, Action reset)
    {
        _counter = new Countdown(scheduler, name, _ => Expired());
        _loadValue = loadValue;
        _inten = inten;
        _resen = resen;
        _ris = ris;
        _interrupt = interrupt;
        _reset = reset;
    }

    public uint Value => (uint)_counter.Value;

    public void SetRate(ulong tickHz, ulong coreHz) => _counter.SetRate(tickHz, coreHz);

    /// <summary>Starts or stops the counter after INTEN changed.</summary>
    public void ControlChanged()
    {
        if (_inten.IsSet && !_counter.Running)
        {
            _counter.Start(_loadValue());
        }
        else if (!_inten.IsSet && _counter.Running)
        {
            _counter.Stop();
        }
    }

    public void Reload() => _counter.Load(_loadValue());

    public void ClearInterrupt()
    {
        _ris.Value = 0;
        _interrupt(false);
        Reload();
    }

    public void Reset()
    {
        _counter.Stop();
        _counter.Load(_loadValue());
        ControlChanged();
    }

    public void Save(StateWriter writer) => _counter.Save(writer);

    public void Load(StateReader reader) => _counter.Load(reader);

    private void Expired()
    {
        if (_ris.IsSet && _resen.IsSet)
        {
            _reset();
        }

        _ris.Value = 1;
        _interrupt(true);
        _counter.Load(_loadValue());
    }
}
