using Dsm.Emulation.CortexM3.SystemControl;

namespace Dsm.Peripherals.Mps2;

/// <summary>An interrupt line driven by several sources through an OR gate (the AN385's UART overrun IRQ 12).</summary>
public sealed class SharedInterruptLine
{
    private readonly IInterruptLines _lines;
    private readonly HashSet<object> _asserted = new(ReferenceEqualityComparer.Instance);

    /// <summary>Creates the gate in front of NVIC line <paramref name="irq"/>.</summary>
    /// <param name="lines">The NVIC lines.</param>
    /// <param name="irq">The IRQ the gate drives.</param>
    public SharedInterruptLine(IInterruptLines lines, int irq)
    {
        ArgumentNullException.ThrowIfNull(lines);
        _lines = lines;
        Irq = irq;
    }

    /// <summary>The IRQ the gate drives.</summary>
    public int Irq { get; }

    /// <summary>Whether any source asserts the line.</summary>
    public bool Level => _asserted.Count > 0;

    /// <summary>Sets one source's input level.</summary>
    /// <param name="source">The source.</param>
    /// <param name="asserted">Its level.</param>
    public void SetSource(object source, bool asserted)
    {
        bool before = Level;
        if (asserted)
        {
            _asserted.Add(source);
        }
        else
        {
            _asserted.Remove(source);
        }

        if (Level != before)
        {
            _lines.SetLevel(Irq, Level);
        }
    }
}
