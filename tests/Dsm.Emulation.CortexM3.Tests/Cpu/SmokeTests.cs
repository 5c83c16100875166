using Dsm.Emulation.CortexM3.Cpu;

namespace Dsm.Emulation.CortexM3.Tests.Cpu;

public class SmokeTests
{
    [Test]
    public void AddsThenConditionalMove()
    {
        // adds r0, r1, r2; mov.w r3, #0xff00ff00; it eq; moveq r0, #1; bkpt #0
        var t = new TestCore().Code(0x1888, 0xF04F, 0x23FF, 0xBF08, 0x2001, 0xBE00).With(1, 5).With(2, unchecked((uint)-5));
        var reason = t.Run(100);
        Assert.Multiple(() =>
        {
            Assert.That(reason, Is.EqualTo(StopReason.Breakpoint));
            Assert.That(t[0], Is.EqualTo(1u));
            Assert.That(t[3], Is.EqualTo(0xFF00FF00u));
            Assert.That(t.Cpu.Pc, Is.EqualTo(10u));
        });
    }
}
