using Dsm.Emulation.CortexM3.Registers;
using Microsoft.Extensions.Logging;

namespace Dsm.Peripherals.FM3.Misc;

/// <summary>
/// Flash interface registers at 0x4000_0000 (FASZR, FRWTR, FSTR, FSYNDN, CRTRMM per the MB9BF50x
/// header/SVD). Firmware sets the access size and wait cycles and reads the CR trimming mirror at boot;
/// flash programming commands are not modelled, so FSTR always reports ready (RDY = 1).
/// </summary>
public sealed class FlashInterface : Fm3Peripheral
{
    /// <summary>Creates the flash interface.</summary>
    /// <param name="crTrimMirror">Factory CR trimming value read from CRTRMM (10 bits; 0x3FF means "not trimmed", which makes SystemInit skip trimming).</param>
    /// <param name="logger">Logger.</param>
    public FlashInterface(uint crTrimMirror, ILogger logger)
        : base("flashif", 0x4000_0000, 0x1000, logger)
    {
        var r = Registers;
        r.Define("FASZR", 0x000, 32, 0x02).WithField("ASZ", 0, 2);
        r.Define("FRWTR", 0x004, 32, 0x02).WithField("RWT", 0, 2);
        r.Define("FSTR", 0x008, 32).WithField("RDY", 0, 1, FieldAccess.ReadOnly, _ => 1).WithFlag("HNG", 1, FieldAccess.ReadOnly).WithFlag("ERR", 2, FieldAccess.ReadOnly);
        r.Define("FSYNDN", 0x010, 32).WithField("SD", 0, 3);
        r.Define("CRTRMM", 0x100, 32, crTrimMirror & 0x3FF).WithField("TRMM", 0, 10, FieldAccess.ReadOnly);
    }
}
