namespace Dsm.Emulation.CortexM3.SystemControl;

/// <summary>
/// The external interrupt inputs of the NVIC as a peripheral sees them. Line numbers are IRQ numbers
/// (exception number minus 16).
/// </summary>
public interface IInterruptLines
{
    /// <summary>Number of external interrupt lines the board has.</summary>
    int Count { get; }

    /// <summary>
    /// Drives line <paramref name="irq"/> to a level. A rising edge pends the interrupt; while the line
    /// stays high the NVIC keeps it pending, including right after its handler returns, as level
    /// interrupts behave on an ARMv7-M NVIC.
    /// </summary>
    /// <param name="irq">IRQ number.</param>
    /// <param name="asserted">True to assert the line.</param>
    void SetLevel(int irq, bool asserted);

    /// <summary>Pends <paramref name="irq"/> once, as a single-cycle pulse does.</summary>
    /// <param name="irq">IRQ number.</param>
    void Pulse(int irq);
}
