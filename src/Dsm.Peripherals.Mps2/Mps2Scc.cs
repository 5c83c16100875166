using Dsm.Emulation.CortexM3.Registers;
using Dsm.Emulation.CortexM3.State;
using Microsoft.Extensions.Logging;

namespace Dsm.Peripherals.Mps2;

/// <summary>
/// The MPS2 serial configuration controller's register block (AN385: 0x4002F000): CFG0/CFG1 (stored),
/// CFG3/CFG4 (read-only board configuration), the configuration-bus interface (CFGDATA_RTN, CFGDATA_OUT,
/// CFGCTRL, CFGSTAT) through which firmware reads or sets the OSCCLK oscillators (function 1), DLL
/// (locked), AID and ID. A CFGCTRL write with START set performs the transfer at once: CFGSTAT reads
/// DONE, plus ERROR for a function or device that does not exist.
/// </summary>
public sealed class Mps2Scc : Mps2Peripheral
{
    /// <summary>CFGDATA_RTN offset.</summary>
    public const uint ConfigDataReturnOffset = 0xA0;

    /// <summary>CFGDATA_OUT offset.</summary>
    public const uint ConfigDataOutOffset = 0xA4;

    /// <summary>CFGCTRL offset.</summary>
    public const uint ConfigControlOffset = 0xA8;

    /// <summary>CFGSTAT offset.</summary>
    public const uint ConfigStatusOffset = 0xAC;

    /// <summary>ID offset.</summary>
    public const uint IdOffset = 0xFFC;

    /// <summary>CFGCTRL: start the transfer.</summary>
    public const uint ControlStart = 1u << 31;

    /// <summary>CFGCTRL: the transfer writes (else reads).</summary>
    public const uint ControlWrite = 1u << 30;

    private const int OscillatorFunction = 1;

    // The AN385's OSCCLK settings at power-on: 50 MHz, 24.576 MHz, 25 MHz.
    private static readonly uint[] ResetOscillators = [50_000_000, 24_576_000, 25_000_000];

    private readonly uint[] _oscillators = (uint[])ResetOscillators.Clone();
    private readonly Register _dataReturn, _dataOut, _status;

    /// <summary>Creates the SCC as the AN385 configures it (CFG4 = 2, AID 0x00200008, ID 0x41043850).</summary>
    /// <param name="name">Device name ("scc").</param>
    /// <param name="logger">Logger.</param>
    public Mps2Scc(string name, ILogger? logger = null)
        : base(name, logger)
    {
        var r = Registers;
        r.Define("CFG0", 0x00, 32);
        r.Define("CFG1", 0x04, 32);
        r.Define("CFG3", 0x0C, 32).WithField("CFG3", 0, 32, FieldAccess.ReadOnly);
        r.Define("CFG4", 0x10, 32, 0x2).WithField("CFG4", 0, 32, FieldAccess.ReadOnly);
        _dataReturn = r.Define("CFGDATA_RTN", ConfigDataReturnOffset, 32);
        _dataOut = r.Define("CFGDATA_OUT", ConfigDataOutOffset, 32);
        r.Define("CFGCTRL", ConfigControlOffset, 32).WithWriteCallback((_, value) => Transfer(value));
        _status = r.Define("CFGSTAT", ConfigStatusOffset, 32).WithField("DONE", 0, 1, FieldAccess.ReadOnly).WithField("ERROR", 1, 1, FieldAccess.ReadOnly);
        r.Define("DLL", 0x100, 32, 0xFFFF_0001).WithField("DLL", 0, 32, FieldAccess.ReadOnly);
        r.Define("AID", 0xFF8, 32, 0x0020_0008).WithField("AID", 0, 32, FieldAccess.ReadOnly);
        r.Define("ID", IdOffset, 32, 0x4104_3850).WithField("ID", 0, 32, FieldAccess.ReadOnly);
    }

    /// <summary>The OSCCLK settings in Hz (index = configuration device).</summary>
    public IReadOnlyList<uint> Oscillators => _oscillators;

    /// <inheritdoc />
    public override void Reset()
    {
        base.Reset();
        ResetOscillators.CopyTo(_oscillators, 0);
    }

    private void Transfer(uint control)
    {
        if ((control & ControlStart) == 0)
        {
            return;
        }

        int function = (int)((control >> 20) & 0x3F);
        int device = (int)(control & 0xFFF);
        bool ok = function == OscillatorFunction && device < _oscillators.Length;
        if (ok && (control & ControlWrite) != 0)
        {
            _oscillators[device] = _dataOut.Value;
        }
        else if (ok)
        {
            _dataReturn.Value = _oscillators[device];
        }
        else
        {
            Logger.LogWarning("{Scc}: configuration function {Function} device {Device} is not modelled", Name, function, device);
        }

        _status.Value = ok ? 1u : 3u;
    }

    /// <inheritdoc />
    protected override void SaveModelState(StateWriter writer)
    {
        foreach (uint hz in _oscillators)
        {
            writer.WriteUInt32(hz);
        }
    }

    /// <inheritdoc />
    protected override void LoadModelState(StateReader reader)
    {
        for (int i = 0; i < _oscillators.Length; i++)
        {
            _oscillators[i] = reader.ReadUInt32();
        }
    }
}
