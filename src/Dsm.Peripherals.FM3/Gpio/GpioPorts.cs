using Dsm.Emulation.CortexM3.Registers;
using Dsm.Emulation.CortexM3.State;
using Microsoft.Extensions.Logging;

namespace Dsm.Peripherals.FM3.Gpio;

/// <summary>A change of a GPIO pin's output level as the host sees it.</summary>
/// <param name="Port">Port number 0..8.</param>
/// <param name="Pin">Pin 0..15.</param>
/// <param name="Level">True for high.</param>
public readonly record struct PinChange(int Port, int Pin, bool Level);

/// <summary>
/// The GPIO block at 0x4003_3000 (PFRn, PCRn, DDRn, PDIRn, PDORn for ports 0..8, ADE, SPSR, EPFR00..10,
/// offsets and reset values per the MB9BF50x header and SVD; pins limited to those the N package has).
/// A pin with PFR = 0 and DDR = 1 drives its PDOR bit; the host observes it through
/// <see cref="OutputChanged"/> and <see cref="GetPinLevel"/>. Input pins read the level the host set
/// with <see cref="SetInputLevel"/>, or high when undriven with the pull-up on (PCR), else low. Port 1
/// pins whose ADE bit is set are analog and read 0.
/// </summary>
public sealed class GpioPorts : Fm3Peripheral
{
    /// <summary>Number of port register groups (0..8).</summary>
    public const int PortCount = 9;

    /// <summary>Pins bonded on the MB9BF506N (100-pin) package, per port: P00-P0F, P10-P1F, P20-P23, P30-P3F, P40-P4E, P50-P56, P60-P63, no P7, P80-P81.</summary>
    private static readonly uint[] BondedPins = [0xFFFF, 0xFFFF, 0x000F, 0xFFFF, 0x7FFF, 0x007F, 0x000F, 0x0000, 0x0003];

    private readonly Register[] _pfr = new Register[PortCount];
    private readonly Register[] _pcr = new Register[PortCount];
    private readonly Register[] _ddr = new Register[PortCount];
    private readonly Register[] _pdor = new Register[PortCount];
    private readonly Register _ade;
    private readonly uint[] _hostDriven = new uint[PortCount];
    private readonly uint[] _hostLevel = new uint[PortCount];
    private readonly uint[] _lastOutput = new uint[PortCount];
    private readonly uint[] _lastOutputEnabled = new uint[PortCount];

    /// <summary>Creates the GPIO block in its reset state.</summary>
    /// <param name="logger">Logger.</param>
    public GpioPorts(ILogger logger)
        : base("gpio", 0x4003_3000, 0x1000, logger)
    {
        var r = Registers;
        for (int p = 0; p < PortCount; p++)
        {
            uint pins = BondedPins[p];
            int port = p;
            if (pins == 0)
            {
                continue; // Port 7 exists only on the R package: its offsets stay unmodelled.
            }

            _pfr[p] = r.Define($"PFR{p:X}", 0x000 + 4 * (uint)p, 32, p == 0 ? 0x001Fu : 0).WithField("P", 0, 16);
            _pcr[p] = r.Define($"PCR{p:X}", 0x100 + 4 * (uint)p, 32).WithField("P", 0, 16);
            _ddr[p] = r.Define($"DDR{p:X}", 0x200 + 4 * (uint)p, 32).WithField("P", 0, 16);
            r.Define($"PDIR{p:X}", 0x300 + 4 * (uint)p, 32).WithField("P", 0, 16, FieldAccess.ReadOnly, _ => InputLevels(port));
            _pdor[p] = r.Define($"PDOR{p:X}", 0x400 + 4 * (uint)p, 32).WithField("P", 0, 16);
            foreach (var reg in new[] { _pfr[p], _pcr[p], _ddr[p], _pdor[p] })
            {
                var register = reg;
                register.WithWriteCallback((_, v) =>
                {
                    register.Value = v & pins;
                    NotifyChanges(port);
                });
            }
        }

        _ade = r.Define("ADE", 0x500, 32, 0xFFFF).WithField("ADE", 0, 16);
        r.Define("SPSR", 0x580, 32).WithFlag("SUBXC", 0).WithFlag("USB0C", 4);
        r.Define("EPFR00", 0x600, 32, 0x0003_0000);
        for (uint i = 1; i <= 10; i++)
        {
            if (i != 3)
            {
                r.Define($"EPFR{i:D2}", 0x600 + 4 * i, 32);
            }
        }

        SnapshotOutputs();
    }

    /// <summary>Raised when a pin's driven output level changes (including a pin starting or stopping to drive).</summary>
    public event Action<PinChange>? OutputChanged;

    /// <summary>Whether the guest drives the pin as a GPIO output (PFR = 0, DDR = 1).</summary>
    /// <param name="port">Port 0..8.</param>
    /// <param name="pin">Pin 0..15.</param>
    /// <returns>True for an output.</returns>
    public bool IsOutput(int port, int pin) => ((OutputEnables(port) >> pin) & 1) != 0;

    /// <summary>The pin's level: the driven output for outputs, otherwise what an input read would see.</summary>
    /// <param name="port">Port 0..8.</param>
    /// <param name="pin">Pin 0..15.</param>
    /// <returns>True for high.</returns>
    public bool GetPinLevel(int port, int pin) => ((InputLevels(port) >> pin) & 1) != 0;

    /// <summary>Drives an input pin from the host (a button, a signal).</summary>
    /// <param name="port">Port 0..8.</param>
    /// <param name="pin">Pin 0..15.</param>
    /// <param name="level">True for high.</param>
    public void SetInputLevel(int port, int pin, bool level)
    {
        Check(port, pin);
        _hostDriven[port] |= 1u << pin;
        _hostLevel[port] = level ? _hostLevel[port] | (1u << pin) : _hostLevel[port] & ~(1u << pin);
    }

    /// <summary>Stops driving an input pin from the host (it floats to its pull-up or low).</summary>
    /// <param name="port">Port 0..8.</param>
    /// <param name="pin">Pin 0..15.</param>
    public void ReleaseInput(int port, int pin)
    {
        Check(port, pin);
        _hostDriven[port] &= ~(1u << pin);
    }

    /// <inheritdoc />
    public override void Reset()
    {
        base.Reset();
        NotifyChanges();
    }

    private static void Check(int port, int pin)
    {
        if (port is < 0 or >= PortCount || pin is < 0 or > 15 || (BondedPins[port] & (1u << pin)) == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(pin), $"P{port:X}{pin:X} is not a pin of the MB9BF506N.");
        }
    }

    private uint OutputEnables(int port) => _pfr[port] is null ? 0 : _ddr[port].Value & ~_pfr[port].Value & 0xFFFF;

    private uint InputLevels(int port)
    {
        if (_pfr[port] is null)
        {
            return 0;
        }

        uint outputs = OutputEnables(port);
        uint floating = _pcr[port].Value;
        uint inputs = (_hostLevel[port] & _hostDriven[port]) | (floating & ~_hostDriven[port]);
        uint levels = ((_pdor[port].Value & outputs) | (inputs & ~outputs)) & BondedPins[port];
        if (port == 1)
        {
            levels &= ~_ade.Value; // Analog pins have their digital input cut off.
        }

        return levels;
    }

    private void NotifyChanges(int onlyPort = -1)
    {
        for (int p = 0; p < PortCount; p++)
        {
            if ((onlyPort >= 0 && p != onlyPort) || _pfr[p] is null)
            {
                continue;
            }

            uint enables = OutputEnables(p);
            uint levels = _pdor[p].Value & enables;
            uint changed = (enables ^ _lastOutputEnabled[p]) | (levels ^ _lastOutput[p]);
            _lastOutputEnabled[p] = enables;
            _lastOutput[p] = levels;
            for (int pin = 0; changed != 0 && pin < 16; pin++)
            {
                if ((changed & (1u << pin)) != 0 && (enables & (1u << pin)) != 0)
                {
                    OutputChanged?.Invoke(new PinChange(p, pin, (levels & (1u << pin)) != 0));
                }
            }
        }
    }

    private void SnapshotOutputs()
    {
        for (int p = 0; p < PortCount; p++)
        {
            _lastOutputEnabled[p] = OutputEnables(p);
            _lastOutput[p] = _pfr[p] is null ? 0 : _pdor[p].Value & _lastOutputEnabled[p];
        }
    }

    /// <inheritdoc />
    protected override void SaveModelState(StateWriter writer)
    {
        for (int p = 0; p < PortCount; p++)
        {
            writer.WriteUInt32(_hostDriven[p]);
            writer.WriteUInt32(_hostLevel[p]);
        }
    }

    /// <inheritdoc />
    protected override void LoadModelState(StateReader reader)
    {
        for (int p = 0; p < PortCount; p++)
        {
            _hostDriven[p] = reader.ReadUInt32();
            _hostLevel[p] = reader.ReadUInt32();
        }

        NotifyChanges();
    }
}
