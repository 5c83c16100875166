using Dsm.Emulation.CortexM3.SystemControl;

namespace Dsm.Peripherals.FM3;

/// <summary>
/// Interrupt lines the peripherals can drive before the board is connected to an NVIC: levels are
/// remembered and replayed on connection, then every change is forwarded.
/// </summary>
internal sealed class LateBoundInterrupts : IInterruptLines
{
    private readonly bool[] _levels;
    private IInterruptLines? _target;

    public LateBoundInterrupts(int count) => _levels = new bool[count];

    public int Count => _levels.Length;

    public void Connect(IInterruptLines target)
    {
        _target = target;
        for (int irq = 0; irq < _levels.Length; irq++)
        {
            if (_levels[irq])
            {
                target.SetLevel(irq, true);
            }
        }
    }

    public void SetLevel(int irq, bool asserted)
    {
        _levels[irq] = asserted;
        _target?.SetLevel(irq, asserted);
    }

    public void Pulse(int irq) => _target?.Pulse(irq);
}
