using Dsm.Emulation.CortexM3.Cpu;

namespace Dsm.Emulation.CortexM3.Tests.Exceptions;

public class ExceptionFaultTests
{
    private const uint Invpc = 1u << 18;
    private const uint Forced = 1u << 30;
    private const ushort BxR1 = 0x4708;

    private static void AssertInvpcHardFault(ExceptionCore t, uint excReturn)
    {
        Assert.Multiple(() =>
        {
            Assert.That(t.Cpu.Ipsr, Is.EqualTo(3u), "UsageFault is disabled: escalated to HardFault");
            Assert.That(t.Exc.Cfsr, Is.EqualTo(Invpc));
            Assert.That(t.Exc.Hfsr, Is.EqualTo(Forced));
            Assert.That(t.Cpu.Lr, Is.EqualTo(excReturn), "LR holds the EXC_RETURN that failed");
            Assert.That(t.Cpu.Pc, Is.EqualTo(ExceptionCore.Handler(3)));
        });
    }

    [TestCase(0xFFFF_FFF5u)]
    [TestCase(0xFFFF_FFF0u)]
    [TestCase(0xFFFF_FFFBu)]
    [TestCase(0xFFFF_FFFFu)]
    public void InvalidExcReturnValueIsInvpcWithoutUnstacking(uint excReturn)
    {
        var t = new ExceptionCore().Irq(0, 0x80).HandlerCode(16, BxR1);
        t[1] = excReturn;
        t.Exc.SetPending(16);
        t.Step(1); // entry + bx r1
        AssertInvpcHardFault(t, excReturn);
        Assert.That(t.Cpu.Sp, Is.EqualTo(ExceptionCore.MainStack - 0x20), "the frame stays for the fault handler");
        Assert.That(t.Exc.IsActive(16), Is.False, "the returning exception was deactivated");
    }

    [Test]
    public void InvalidExcReturnGoesToAnEnabledUsageFault()
    {
        var t = new ExceptionCore().Irq(0, 0x80).HandlerCode(16, BxR1);
        t.Exc.SetEnabled(6, true);
        t[1] = 0xFFFF_FFF5;
        t.Exc.SetPending(16);
        t.Step(1);
        Assert.That((t.Cpu.Ipsr, t.Exc.Cfsr, t.Exc.Hfsr), Is.EqualTo((6u, Invpc, 0u)));
    }

    [Test]
    public void ReturnFromAnExceptionThatIsNotActiveIsInvpc()
    {
        var t = new ExceptionCore().Thread(BxR1);
        t.Cpu.Ipsr = 16; // Handler mode with nothing active (as after an inconsistent import)
        t[1] = 0xFFFF_FFF9;
        t.Step(1);
        AssertInvpcHardFault(t, 0xFFFF_FFF9);
    }

    [Test]
    public void HandlerReturnWithOnlyOneActiveExceptionIsInvpc()
    {
        var t = new ExceptionCore().Irq(0, 0x80).HandlerCode(16, BxR1);
        t[1] = 0xFFFF_FFF1;
        t.Exc.SetPending(16);
        t.Step(1);
        AssertInvpcHardFault(t, 0xFFFF_FFF1);
    }

    [Test]
    public void ThreadReturnWithOtherExceptionsActiveIsInvpcUnlessNonBaseThreadEnable()
    {
        var t = new ExceptionCore().Irq(0, 0x80).Irq(1, 0x40).HandlerCode(17, BxR1);
        t[1] = 0xFFFF_FFF9;
        t.Exc.SetPending(16);
        t.Step(1);
        t.Exc.SetPending(17);
        t.Step(1); // IRQ 1 entry + bx r1 (thread return while IRQ 0 is active)
        AssertInvpcHardFault(t, 0xFFFF_FFF9);
        Assert.That((t.Exc.IsActive(16), t.Exc.IsActive(17)), Is.EqualTo((true, false)));
    }

    [Test]
    public void ThreadReturnWithOtherExceptionsActiveIsAllowedWithNonBaseThreadEnable()
    {
        var t = new ExceptionCore().Irq(0, 0x80).Irq(1, 0x40).HandlerCode(17, ExceptionCore.Nop, BxR1);
        t[1] = 0xFFFF_FFF9;
        t.Ccr(0x201); // STKALIGN | NONBASETHRDENA
        t.Exc.SetPending(16);
        t.Step(1);
        t.Exc.SetPending(17);
        t.Step(1);
        uint frame = t.Cpu.Sp;
        t.SetWord(frame + 28, t.Word(frame + 28) & ~0x1FFu); // the frame now says Thread mode
        t.Step(1);
        Assert.Multiple(() =>
        {
            Assert.That((t.Cpu.Ipsr, t.Exc.IsActive(16), t.Exc.IsActive(17)), Is.EqualTo((0u, true, false)));
            Assert.That(t.Cpu.Sp, Is.EqualTo(frame + 0x20));
            Assert.That(t.Exc.Cfsr, Is.Zero);
        });
    }

    [Test]
    public void FrameIpsrThatContradictsThreadReturnIsInvpcOnARestackedFrame()
    {
        var t = new ExceptionCore().Irq(0, 0x80).HandlerCode(16, ExceptionCore.Nop, ExceptionCore.BxLr);
        t[0] = 0x55;
        t.Exc.SetPending(16);
        t.Step(1);
        const uint Frame = ExceptionCore.MainStack - 0x20;
        t.SetWord(Frame + 28, t.Word(Frame + 28) | 5);
        t.Step(1); // bx lr: unstacks, finds IPSR 5 for a Thread return
        AssertInvpcHardFault(t, 0xFFFF_FFF9);
        Assert.That(t.Cpu.Sp, Is.EqualTo(Frame), "popped and pushed again");
        Assert.That(t.Frame(Frame)[0], Is.EqualTo(0x55u));
        Assert.That(t.Frame(Frame)[6], Is.EqualTo(ExceptionCore.ThreadCode));
    }

    [Test]
    public void FrameIpsrZeroOnAHandlerReturnIsInvpc()
    {
        var t = new ExceptionCore().Irq(0, 0x80).Irq(1, 0x40).HandlerCode(17, ExceptionCore.Nop, ExceptionCore.BxLr);
        t.Exc.SetPending(16);
        t.Step(1);
        t.Exc.SetPending(17);
        t.Step(1);
        uint frame = t.Cpu.Sp;
        t.SetWord(frame + 28, t.Word(frame + 28) & ~0x1FFu);
        t.Step(1);
        AssertInvpcHardFault(t, 0xFFFF_FFF1);
    }

    [Test]
    public void UndefinedInstructionEscalatesToHardFaultWhenUsageFaultIsDisabled()
    {
        var t = new ExceptionCore().Thread(0xBF00, 0xDE00); // nop; udf #0
        t.Step(2); // nop, then the fault's entry + the handler's first instruction
        Assert.Multiple(() =>
        {
            Assert.That((t.Cpu.Ipsr, t.Exc.Cfsr, t.Exc.Hfsr), Is.EqualTo((3u, 1u << 16, Forced)));
            Assert.That(t.Word(ExceptionCore.MainStack - 0x20 + 24), Is.EqualTo(0x202u), "a fault returns to the faulting instruction");
            Assert.That(t.Cpu.LastFault!.Kind, Is.EqualTo(FaultKind.UndefinedInstruction));
        });
    }

    [Test]
    public void UndefinedInstructionTakesAnEnabledUsageFault()
    {
        var t = new ExceptionCore().Thread(0xDE00);
        t.Exc.SetEnabled(6, true);
        t.Step(1);
        Assert.That((t.Cpu.Ipsr, t.Exc.Cfsr, t.Exc.Hfsr), Is.EqualTo((6u, 1u << 16, 0u)));
    }

    [TestCase(false, 3u)]
    [TestCase(true, 5u)]
    public void LoadFromUnmappedMemoryIsAPreciseBusFaultWithBfar(bool busFaultEnabled, uint taken)
    {
        var t = new ExceptionCore().Thread(0x6808); // ldr r0, [r1]
        t.Exc.SetEnabled(5, busFaultEnabled);
        t[1] = 0x3000_0010;
        t.Step(1);
        Assert.Multiple(() =>
        {
            Assert.That(t.Cpu.Ipsr, Is.EqualTo(taken));
            Assert.That(t.Exc.Cfsr, Is.EqualTo(0x8200u), "PRECISERR | BFARVALID");
            Assert.That(t.Exc.Bfar, Is.EqualTo(0x3000_0010u));
            Assert.That(t.Exc.Hfsr, Is.EqualTo(busFaultEnabled ? 0u : Forced));
        });
    }

    [Test]
    public void DivideByZeroTrapFollowsTheCcrLive()
    {
        var t = new ExceptionCore().Thread(0xFBB1, 0xF0F2, 0xFBB1, 0xF0F2); // udiv r0, r1, r2 (twice)
        t.Exc.SetEnabled(6, true);
        (t[0], t[1], t[2]) = (7u, 9u, 0u);
        t.Step(1);
        Assert.That((t[0], t.Cpu.Ipsr), Is.EqualTo((0u, 0u)), "no trap: the quotient is 0");
        t.Ccr(0x210); // STKALIGN | DIV_0_TRP, written through the SCS
        t.Step(1);
        Assert.That((t.Cpu.Ipsr, t.Exc.Cfsr), Is.EqualTo((6u, 1u << 25)));
        Assert.That(t.Word(ExceptionCore.MainStack - 0x20 + 24), Is.EqualTo(0x204u));
    }

    [Test]
    public void UnalignedTrapFollowsTheCcrLive()
    {
        var t = new ExceptionCore().Thread(0x6808, 0x6808); // ldr r0, [r1] (twice)
        t.Exc.SetEnabled(6, true);
        t.SetWord(0x100, 0x4433_2211);
        t.SetWord(0x104, 0x8877_6655);
        t[1] = 0x101;
        t.Step(1);
        Assert.That(t[0], Is.EqualTo(0x5544_3322u));
        t.Ccr(0x208); // STKALIGN | UNALIGN_TRP
        t.Step(1);
        Assert.That((t.Cpu.Ipsr, t.Exc.Cfsr), Is.EqualTo((6u, 1u << 24)));
    }

    [Test]
    public void UnprivilegedAccessToTheScsIsABusFault()
    {
        var t = new ExceptionCore().Thread(0x6808, 0x6808); // ldr r0, [r1] (twice)
        t.Exc.SetEnabled(5, true);
        t[1] = 0xE000_ED00; // CPUID
        t.Step(1);
        Assert.That(t[0], Is.EqualTo(0x412F_C231u), "privileged: readable");
        t.Cpu.Control = 1; // unprivileged Thread mode
        t.Step(1);
        Assert.That((t.Cpu.Ipsr, t.Exc.Cfsr, t.Exc.Bfar), Is.EqualTo((5u, 0x8200u, 0xE000_ED00u)));
    }

    [Test]
    public void VectorWithoutTheThumbBitFaultsInvstateAtTheHandler()
    {
        var t = new ExceptionCore().Irq(0, 0x80);
        t.SetWord(4 * 16, ExceptionCore.Handler(16)); // bit 0 clear
        t.Exc.SetPending(16);
        t.Step(1);
        Assert.Multiple(() =>
        {
            Assert.That((t.Cpu.Ipsr, t.Exc.Cfsr, t.Exc.Hfsr), Is.EqualTo((3u, 1u << 17, Forced)));
            Assert.That(t.Word(t.Cpu.Sp + 24), Is.EqualTo(ExceptionCore.Handler(16)), "the stacked PC is the handler's address");
            Assert.That(t.Cpu.LastFault!.Kind, Is.EqualTo(FaultKind.InvalidState));
        });
    }

    [Test]
    public void FaultInsideTheHardFaultHandlerLocksTheCoreUp()
    {
        var t = new ExceptionCore().Thread(0xDE00).HandlerCode(3, 0xDE00);
        Assert.That(t.Run(100), Is.EqualTo(StopReason.Lockup));
        Assert.That((t.Cpu.Ipsr, t.Cpu.LastFault!.Kind, t.Cpu.LastFault.Pc), Is.EqualTo((3u, FaultKind.UndefinedInstruction, ExceptionCore.Handler(3))));
    }

    [Test]
    public void StackingToUnmappedMemoryIsAStackingBusFault()
    {
        var t = new ExceptionCore().Irq(0, 0x80);
        t.Cpu.Sp = 0x3000_0000; // nothing mapped below it
        t.Exc.SetPending(16);
        t.Step(1);
        Assert.That((t.Cpu.Ipsr, t.Exc.Cfsr & (1u << 12), t.Exc.Hfsr), Is.EqualTo((3u, 1u << 12, Forced)));
    }

    [Test]
    public void BareCoreStillStopsOnSvc()
    {
        var core = new Dsm.Emulation.CortexM3.Tests.Cpu.TestCore().Code(0xDF05);
        Assert.That(core.Run(10), Is.EqualTo(StopReason.Fault));
        Assert.That(core.Cpu.LastFault!.Kind, Is.EqualTo(FaultKind.SupervisorCall));
    }
}
