using Dsm.Emulation.CortexM3.Cpu;

namespace Dsm.Emulation.CortexM3.Tests.Exceptions;

public class ExceptionEntryReturnTests
{
    private const ushort MovsR0Five = 0x2005;

    [Test]
    public void InterruptEntryStacksTheFrameAndReturnRestoresIt()
    {
        var t = new ExceptionCore().Irq(0, 0x80).HandlerCode(16, MovsR0Five, ExceptionCore.BxLr);
        (t[0], t[1], t[2], t[3], t[12], t[14]) = (0x10u, 0x11u, 0x12u, 0x13u, 0x1Cu, 0x333u);
        t.Cpu.Apsr = 0xF000_0000;
        t.Step(2);
        t.Exc.SetPending(16);

        t.Step(1); // entry, then the handler's first instruction
        Assert.Multiple(() =>
        {
            Assert.That(t.Cpu.Ipsr, Is.EqualTo(16u));
            Assert.That(t.Cpu.Lr, Is.EqualTo(0xFFFF_FFF9u));
            Assert.That(t.Cpu.Sp, Is.EqualTo(ExceptionCore.MainStack - 0x20));
            Assert.That(t.Cpu.Pc, Is.EqualTo(ExceptionCore.Handler(16) + 2));
            Assert.That(t.Frame(ExceptionCore.MainStack - 0x20), Is.EqualTo(new uint[] { 0x10, 0x11, 0x12, 0x13, 0x1C, 0x333, 0x204, 0xF100_0000 }));
            Assert.That((t.Exc.IsActive(16), t.Exc.IsPending(16)), Is.EqualTo((true, false)));
        });

        t.Step(1); // bx lr
        Assert.Multiple(() =>
        {
            Assert.That((t.Cpu.Ipsr, t.Cpu.Pc, t.Cpu.Sp), Is.EqualTo((0u, 0x204u, ExceptionCore.MainStack)));
            Assert.That((t[0], t[1], t[2], t[3], t[12], t[14]), Is.EqualTo((0x10u, 0x11u, 0x12u, 0x13u, 0x1Cu, 0x333u)));
            Assert.That(t.Cpu.Apsr, Is.EqualTo(0xF000_0000u), "the flags MOVS changed come back from the frame");
            Assert.That(t.Exc.IsActive(16), Is.False);
        });
    }

    [TestCase(true, 0x7FD8u, true)]
    [TestCase(false, 0x7FDCu, false)]
    public void StackAlignmentPadsToEightBytesAndRecordsItInXpsrBit9(bool stkalign, uint frame, bool bit9)
    {
        var t = new ExceptionCore().Irq(0, 0x80).HandlerCode(16, ExceptionCore.BxLr);
        t.Ccr(stkalign ? 0x200u : 0u);
        t.Cpu.Sp = 0x7FFC;
        t.Exc.SetPending(16);
        t.Step(1); // entry + bx lr
        Assert.That(t.Cpu.Ipsr, Is.EqualTo(0u));
        Assert.That(t.Cpu.Sp, Is.EqualTo(0x7FFCu), "the padding word is removed on return");
        Assert.That((t.Word(frame + 28) & (1u << 9)) != 0, Is.EqualTo(bit9));
        Assert.That(t.Word(frame + 24), Is.EqualTo(ExceptionCore.ThreadCode), "the return address is at the aligned frame");
    }

    [Test]
    public void ThreadOnProcessStackStacksThereAndHandlerRunsOnMainStack()
    {
        var t = new ExceptionCore().Irq(0, 0x80).HandlerCode(16, ExceptionCore.Nop, ExceptionCore.BxLr);
        t.Cpu.Psp = ExceptionCore.ProcessStack;
        t.Cpu.Control = 2;
        t[0] = 0xAB;
        t.Exc.SetPending(16);
        t.Step(1);
        Assert.Multiple(() =>
        {
            Assert.That(t.Cpu.Lr, Is.EqualTo(0xFFFF_FFFDu));
            Assert.That(t.Cpu.Control & 2, Is.Zero, "Handler mode uses SP_main");
            Assert.That((t.Cpu.Sp, t.Cpu.Msp, t.Cpu.Psp), Is.EqualTo((ExceptionCore.MainStack, ExceptionCore.MainStack, ExceptionCore.ProcessStack - 0x20)));
            Assert.That(t.Word(ExceptionCore.ProcessStack - 0x20), Is.EqualTo(0xABu));
        });

        t.Step(1);
        Assert.Multiple(() =>
        {
            Assert.That((t.Cpu.Ipsr, t.Cpu.Control, t.Cpu.Pc), Is.EqualTo((0u, 2u, ExceptionCore.ThreadCode)));
            Assert.That((t.Cpu.Sp, t.Cpu.Psp, t.Cpu.Msp), Is.EqualTo((ExceptionCore.ProcessStack, ExceptionCore.ProcessStack, ExceptionCore.MainStack)));
        });
    }

    [Test]
    public void HigherPriorityInterruptPreemptsWithHandlerExcReturnAndLowerWaits()
    {
        var t = new ExceptionCore().Irq(0, 0x80).Irq(1, 0x40).Irq(2, 0xC0).Irq(3, 0x80)
            .HandlerCode(17, ExceptionCore.Nop, ExceptionCore.BxLr);
        t.Exc.SetPending(16);
        t.Step(1);
        t.Exc.SetPending(18); // lower priority: waits
        t.Exc.SetPending(19); // same group priority: cannot preempt
        t.Step(1);
        Assert.That((t.Cpu.Ipsr, t.Exc.IsPending(18), t.Exc.IsPending(19)), Is.EqualTo((16u, true, true)));

        uint resume = t.Cpu.Pc;
        t.Exc.SetPending(17);
        t.Step(1);
        Assert.Multiple(() =>
        {
            Assert.That(t.Cpu.Ipsr, Is.EqualTo(17u));
            Assert.That(t.Cpu.Lr, Is.EqualTo(0xFFFF_FFF1u));
            Assert.That(t.Cpu.Sp, Is.EqualTo(ExceptionCore.MainStack - 0x40));
            Assert.That(t.Word(ExceptionCore.MainStack - 0x40 + 24), Is.EqualTo(resume));
            Assert.That(t.Word(ExceptionCore.MainStack - 0x40 + 28) & 0x1FF, Is.EqualTo(16u), "the stacked IPSR is the preempted handler's");
        });

        t.Step(1); // bx lr back into IRQ 0's handler
        Assert.That((t.Cpu.Ipsr, t.Cpu.Pc, t.Cpu.Sp), Is.EqualTo((16u, resume, ExceptionCore.MainStack - 0x20)));
    }

    [Test]
    public void TailChainingTakesTheNextHandlerWithoutUnstackingOrRestacking()
    {
        var t = new ExceptionCore().Irq(0, 0x40).Irq(1, 0x80)
            .HandlerCode(16, MovsR0Five, ExceptionCore.BxLr)
            .HandlerCode(17, ExceptionCore.BxLr);
        t[0] = 0x10;
        t.Exc.SetPending(16);
        t.Exc.SetPending(17);
        t.Step(1); // IRQ 0 entry + movs
        const uint Frame = ExceptionCore.MainStack - 0x20;
        t.SetWord(Frame, 0x77); // an unstack would load this into r0
        ulong cycles = t.Cpu.Cycles;

        t.Step(1); // bx lr: tail-chains into IRQ 1
        Assert.Multiple(() =>
        {
            Assert.That((t.Cpu.Ipsr, t.Cpu.Pc), Is.EqualTo((17u, ExceptionCore.Handler(17))));
            Assert.That(t[0], Is.EqualTo(5u), "no unstacking: r0 still holds the first handler's value");
            Assert.That((t.Cpu.Sp, t.Cpu.Lr), Is.EqualTo((Frame, 0xFFFF_FFF9u)), "same frame, same EXC_RETURN");
            Assert.That(t.Frame(Frame)[0], Is.EqualTo(0x77u), "no restacking");
            Assert.That((t.Exc.IsActive(16), t.Exc.IsActive(17)), Is.EqualTo((false, true)));
            Assert.That(t.Cpu.Cycles - cycles, Is.LessThan(12u), "tail-chaining costs less than a return plus an entry");
        });

        t.Step(1);
        Assert.That((t.Cpu.Ipsr, t.Cpu.Pc, t[0], t.Cpu.Sp), Is.EqualTo((0u, ExceptionCore.ThreadCode, 0x77u, ExceptionCore.MainStack)));
    }

    [Test]
    public void BasepriMasksInterruptsAtOrBelowItsPriorityUntilLowered()
    {
        // msr basepri, r0; nop; nop; msr basepri, r1; nop
        var t = new ExceptionCore().Irq(0, 0x80).Irq(1, 0x40).Thread(0xF380, 0x8811, 0xBF00, 0xBF00, 0xF381, 0x8811, 0xBF00);
        t[0] = 0x8F;
        t[1] = 0;
        t.Step(1);
        Assert.That(t.Cpu.Basepri, Is.EqualTo(0x80u), "unimplemented priority bits read as zero");
        t.Exc.SetPending(16);
        t.Step(1);
        Assert.That((t.Cpu.Ipsr, t.Exc.IsPending(16)), Is.EqualTo((0u, true)), "priority 0x80 is masked by BASEPRI 0x80");

        t.Exc.SetPending(17);
        t.Step(1);
        Assert.That(t.Cpu.Ipsr, Is.EqualTo(17u), "priority 0x40 preempts BASEPRI 0x80");
        t.Exc.ClearPending(17);
        t.Exc.SetActive(17, false);
        t.Cpu.Ipsr = 0;
        t.Cpu.Sp = ExceptionCore.MainStack;
        t.Cpu.Pc = 0x208;
        t.Step(1); // msr basepri, r1 (0)
        t.Step(1);
        Assert.That((t.Cpu.Ipsr, t.Word(ExceptionCore.MainStack - 0x20 + 24)), Is.EqualTo((16u, 0x20Cu)), "taken at the boundary right after the unmasking MSR");
    }

    [Test]
    public void BasepriMaxOnlyRaisesTheBoost()
    {
        // msr basepri_max, r0; msr basepri_max, r1
        var t = new ExceptionCore().Thread(0xF380, 0x8812, 0xF381, 0x8812);
        t.Cpu.Basepri = 0x80;
        (t[0], t[1]) = (0xC0u, 0x40u);
        t.Step(1);
        Assert.That(t.Cpu.Basepri, Is.EqualTo(0x80u));
        t.Step(1);
        Assert.That(t.Cpu.Basepri, Is.EqualTo(0x40u));
    }

    [Test]
    public void CpsieTakesTheHeldInterruptAtTheNextBoundary()
    {
        var t = new ExceptionCore().Irq(0, 0x80).Thread(0xB672, 0xBF00, 0xB662, 0xBF00); // cpsid i; nop; cpsie i; nop
        t.Step(1);
        t.Exc.SetPending(16);
        t.Step(2);
        Assert.That((t.Cpu.Ipsr, t.Cpu.Pc), Is.EqualTo((0u, 0x206u)));
        t.Step(1);
        Assert.That((t.Cpu.Ipsr, t.Word(ExceptionCore.MainStack - 0x20 + 24)), Is.EqualTo((16u, 0x206u)));
    }

    [Test]
    public void SvcHandlerFindsTheSvcNumberFromTheStackedPc()
    {
        // SVCall: ldr r0, [sp, #24]; subs r0, #2; ldrb r0, [r0]; bx lr
        var t = new ExceptionCore().Thread(0xDF2A, 0xBF00).HandlerCode(11, 0x9806, 0x3802, 0x7800, ExceptionCore.BxLr);
        t[0] = 0x1234;
        t.Step(1);
        Assert.That((t.Cpu.Pc, t.Exc.IsPending(11)), Is.EqualTo((0x202u, true)));
        t.Step(3);
        Assert.Multiple(() =>
        {
            Assert.That(t.Cpu.Ipsr, Is.EqualTo(11u));
            Assert.That(t[0], Is.EqualTo(42u));
            Assert.That(t.Word(ExceptionCore.MainStack - 0x20 + 24), Is.EqualTo(0x202u), "SVC returns to the next instruction");
        });
        t.Step(1);
        Assert.That((t.Cpu.Ipsr, t.Cpu.Pc, t[0]), Is.EqualTo((0u, 0x202u, 0x1234u)));
    }

    [Test]
    public void SvcThatCannotPreemptEscalatesToHardFault()
    {
        var t = new ExceptionCore().Irq(0, 0x40).HandlerCode(16, 0xDF01); // svc #1 inside a priority-0x40 handler
        t.Exc.SetPriority(11, 0x80);
        t.Exc.SetPending(16);
        t.Step(2);
        Assert.That((t.Cpu.Ipsr, t.Exc.Hfsr), Is.EqualTo((3u, 1u << 30)));
    }

    [Test]
    public void WfiSleepsAndTheWakingInterruptIsTakenBeforeTheNextInstruction()
    {
        var t = new ExceptionCore().Irq(0, 0x80).Thread(0xBF30, 0x2001); // wfi; movs r0, #1
        Assert.That(t.Run(10), Is.EqualTo(StopReason.Sleeping));
        Assert.That((t.Cpu.Pc, t.Cpu.SleepingOnExit), Is.EqualTo((0x202u, false)));
        t.Exc.SetPending(16);
        t.Step(1);
        Assert.Multiple(() =>
        {
            Assert.That(t.Cpu.Ipsr, Is.EqualTo(16u));
            Assert.That(t[0], Is.Zero, "the instruction after WFI has not run");
            Assert.That(t.Word(ExceptionCore.MainStack - 0x20 + 24), Is.EqualTo(0x202u));
        });
    }

    [Test]
    public void WfiWithAPendingInterruptHeldByPrimaskDoesNotSleep()
    {
        var t = new ExceptionCore().Irq(0, 0x80).Thread(0xBF30, 0x2001);
        t.Cpu.Primask = 1;
        t.Exc.SetPending(16);
        t.Step(2);
        Assert.That((t.Cpu.Ipsr, t[0]), Is.EqualTo((0u, 1u)));
    }

    [Test]
    public void SleepOnExitSleepsOnTheReturnToThreadMode()
    {
        var t = new ExceptionCore().Irq(0, 0x80).HandlerCode(16, ExceptionCore.BxLr);
        t.Scs.Write(0xD10, 4, 2); // SCR.SLEEPONEXIT
        t.Exc.SetPending(16);
        Assert.That(t.Run(10), Is.EqualTo(StopReason.Sleeping));
        Assert.That((t.Cpu.SleepingOnExit, t.Cpu.Ipsr, t.Exc.IsActive(16)), Is.EqualTo((true, 0u, false)));
    }
}
