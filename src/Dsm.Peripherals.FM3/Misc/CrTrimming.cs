using Dsm.Emulation.CortexM3.Registers;
using Microsoft.Extensions.Logging;

namespace Dsm.Peripherals.FM3.Misc;

/// <summary>
/// High-speed CR trimming at 0x4002_E000 (MCR_PSR, MCR_FTRM, MCR_RLR per the MB9BF50x header/SVD).
/// MCR_FTRM is writable only after 0x1ACCE554 was written to MCR_RLR (the vendor SystemInit's
/// sequence); any other value locks again. The trimmed frequency itself is not modelled: CLKHC stays 4 MHz.
/// </summary>
public sealed class CrTrimming : Fm3Peripheral
{
    /// <summary>The value that unlocks MCR_FTRM.</summary>
    public const uint UnlockKey = 0x1ACC_E554;

    private readonly Register _lock;

    /// <summary>Creates the trimming block.</summary>
    /// <param name="logger">Logger.</param>
    public CrTrimming(ILogger logger)
        : base("crtrim", 0x4002_E000, 0x1000, logger)
    {
        var r = Registers;
        r.Define("MCR_PSR", 0x00, 32, 0x01).WithField("CSR", 0, 2);
        _lock = r.Define("MCR_RLR", 0x0C, 32, 0x01).WithValueProvider(v => v == UnlockKey ? 0u : 1u);
        r.Define("MCR_FTRM", 0x04, 32, 0x0180).WithField("TRD", 0, 10).WithWriteGate(() => _lock.Value == UnlockKey);
    }
}
