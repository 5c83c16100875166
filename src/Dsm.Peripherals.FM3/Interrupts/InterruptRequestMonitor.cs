using Dsm.Emulation.CortexM3.Registers;
using Microsoft.Extensions.Logging;

namespace Dsm.Peripherals.FM3.Interrupts;

/// <summary>
/// The interrupt-request batch-read registers at 0x4003_1000 (DRQSEL at +0x000, EXC02MON at +0x010,
/// IRQnnMON at +0x014 + 4·nn for nn = 0..47, per the MB9BF50x header). Each monitor is read-only and
/// shows the request bits of the modelled sources behind its IRQ line; lines whose sources are not
/// modelled read 0.
/// </summary>
public sealed class InterruptRequestMonitor : Fm3Peripheral
{
    private readonly Dictionary<int, Func<uint>> _sources = new();
    private Func<uint>? _exceptionSources;

    /// <summary>Creates the monitor block with no sources.</summary>
    /// <param name="logger">Logger.</param>
    public InterruptRequestMonitor(ILogger logger)
        : base("intreq", 0x4003_1000, 0x1000, logger)
    {
        Registers.Define("DRQSEL", 0x000, 32);
        Registers.Define("EXC02MON", 0x010, 32).WithField("MON", 0, 2, FieldAccess.ReadOnly, _ => _exceptionSources?.Invoke() ?? 0);
        for (int irq = 0; irq < 48; irq++)
        {
            int line = irq;
            Registers.Define($"IRQ{irq:D2}MON", 0x014 + 4 * (uint)irq, 32)
                .WithField("MON", 0, 32, FieldAccess.ReadOnly, _ => _sources.TryGetValue(line, out var source) ? source() : 0);
        }
    }

    /// <summary>Sets what IRQnnMON shows for <paramref name="irq"/>.</summary>
    /// <param name="irq">IRQ number 0..47.</param>
    /// <param name="source">Returns the monitor bits.</param>
    public void SetSource(int irq, Func<uint> source) => _sources[irq] = source;

    /// <summary>Sets what EXC02MON shows (bit 0 NMI pin request, bit 1 hardware watchdog interrupt).</summary>
    /// <param name="source">Returns the monitor bits.</param>
    public void SetExceptionSource(Func<uint> source) => _exceptionSources = source;
}
