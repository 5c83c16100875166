using Dsm.Emulation.CortexM3.Cpu;
using Moq;

namespace Dsm.Emulation.CortexM3.Tests.Cpu;

public class SystemTests
{
    [Test]
    public void ResetLoadsTheVectorTable()
    {
        var t = new TestCore();
        t.SetWord(0x400, 0x2000_0003);
        t.SetWord(0x404, 0x0000_0201);
        t.Cpu.VectorTableOffset = 0x400;
        t.Cpu.Control = 3;
        t.Cpu.Primask = 1;
        t.Cpu.Reset();
        Assert.Multiple(() =>
        {
            Assert.That(t.Cpu.Msp, Is.EqualTo(0x2000_0000u));
            Assert.That(t.Cpu.Sp, Is.EqualTo(0x2000_0000u));
            Assert.That(t.Cpu.Psp, Is.EqualTo(0u));
            Assert.That((t.Cpu.Pc, t.Cpu.ThumbBit), Is.EqualTo((0x200u, true)));
            Assert.That((t.Cpu.Control, t.Cpu.Primask, t.Cpu.Ipsr, t.Cpu.ItState), Is.EqualTo((0u, 0u, 0u, (byte)0)));
            Assert.That(t.Cpu.Lr, Is.EqualTo(0xFFFF_FFFFu));
        });
    }

    [Test]
    public void ResetWithAnArmVectorFaultsOnTheFirstInstruction()
    {
        var t = new TestCore();
        t.SetWord(0, 0x8000);
        t.SetWord(4, 0x200);
        t.Cpu.Reset();
        Assert.That(t.Run(1), Is.EqualTo(StopReason.Fault));
        Assert.That((t.Cpu.LastFault!.Kind, t.Cpu.LastFault.Pc), Is.EqualTo((FaultKind.InvalidState, 0x200u)));
    }

    [Test]
    public void MrsReadsXpsrViews()
    {
        // mrs r0, apsr; mrs r1, xpsr... encoded with Rd = 0 and patched below.
        var t = new TestCore().Code(0xF3EF, 0x8000, 0xF3EF, 0x8103, 0xF3EF, 0x8205).WithFlags(TestCore.FlagsFrom("NC"));
        t.Cpu.Ipsr = 0; // Thread mode
        t.Step(3);
        Assert.That((t[0], t[1], t[2]), Is.EqualTo((0xA000_0000u, 0xA000_0000u, 0u)), "EPSR reads as zero");
    }

    [Test]
    public void MsrApsrWritesFlagsOnly()
    {
        var t = new TestCore().Code(0xF380, 0x8800).With(0, 0xF800_0000 | 0x1FF).Step(); // msr apsr_nzcvq, r0
        Assert.That((t.Cpu.Apsr, t.Cpu.Ipsr), Is.EqualTo((0xF800_0000u, 0u)));
    }

    [Test]
    public void MsrControlSwitchesTheStackInThreadMode()
    {
        // msr psp, r0; msr control, r1; mrs r2, msp
        var t = new TestCore().Code(0xF380, 0x8809, 0xF381, 0x8814, 0xF3EF, 0x8208).With(0, 0x3000).With(1, 2);
        t.Step(2);
        Assert.That((t.Cpu.Sp, t.Cpu.Psp, t.Cpu.Msp, t.Cpu.Control), Is.EqualTo((0x3000u, 0x3000u, TestCore.StackTop, 2u)));
        t.Step();
        Assert.That(t[2], Is.EqualTo(TestCore.StackTop));
        t.Cpu.Control = 0;
        Assert.That(t.Cpu.Sp, Is.EqualTo(TestCore.StackTop));
    }

    [Test]
    public void UnprivilegedCodeCannotWriteSpecialRegisters()
    {
        // msr primask, r0; msr control, r1; mrs r2, primask; cpsid i
        var t = new TestCore().Code(0xF380, 0x8810, 0xF381, 0x8814, 0xF3EF, 0x8210, 0xB672).With(0, 1).With(1, 0);
        t.Cpu.Control = 1; // nPRIV
        t.Step(4);
        Assert.That((t.Cpu.Primask, t.Cpu.Control, t[2]), Is.EqualTo((0u, 1u, 0u)));
    }

    [Test]
    public void MasksThroughMsrAndCps()
    {
        var changes = 0;
        // msr basepri, r0; msr basepri_max, r1; msr faultmask, r2; cpsid i; cpsie f
        var t = new TestCore().Code(0xF380, 0x8811, 0xF381, 0x8812, 0xF382, 0x8813, 0xB672, 0xB661).With(0, 0x40).With(1, 0x80).With(2, 1);
        t.Cpu.MasksChanged = () => changes++;
        t.Step(2);
        Assert.That(t.Cpu.Basepri, Is.EqualTo(0x40u), "BASEPRI_MAX never lowers the boost");
        t.With(1, 0x20).CodeAt(4, 0xF381, 0x8812).Step();
        Assert.That(t.Cpu.Basepri, Is.EqualTo(0x20u));
        t.CodeAt(8, 0xF382, 0x8813, 0xB672, 0xB661).Step(2);
        Assert.That((t.Cpu.Faultmask, t.Cpu.Primask), Is.EqualTo((1u, 1u)));
        t.Step();
        Assert.That(t.Cpu.Faultmask, Is.EqualTo(0u));
        Assert.That(changes, Is.GreaterThanOrEqualTo(4));
    }

    [Test]
    public void SvcIsReportedUntilExceptionsExist()
    {
        var t = new TestCore().Code(0x2001, 0xDF05); // movs r0, #1; svc #5
        Assert.That(t.Run(10), Is.EqualTo(StopReason.Fault));
        Assert.That(t.Cpu.LastFault, Is.EqualTo(new CpuFault(FaultKind.SupervisorCall, 2, 0xDF05, null, null)));
    }

    [Test]
    public void ClaimedBreakpointContinuesAfterIt()
    {
        var handler = new Mock<IBreakpointHandler>();
        uint seenAddress = 0;
        handler.Setup(h => h.OnBreakpoint(It.IsAny<CortexM3Cpu>(), 0xAB)).Returns((CortexM3Cpu c, byte _) =>
        {
            seenAddress = c.CurrentInstructionAddress;
            c.SetRegister(0, 99);
            return true;
        });
        var t = new TestCore().Code(0x2001, 0xBEAB, 0x1C41); // movs r0, #1; bkpt #0xab; adds r1, r0, #1
        t.Cpu.BreakpointHandler = handler.Object;
        t.Step(3);
        Assert.That((t[1], seenAddress, t.Cpu.Instructions), Is.EqualTo((100u, 2u, 3ul)));
    }

    [Test]
    public void UnclaimedBreakpointStopsAtIt()
    {
        var t = new TestCore().Code(0x2001, 0xBE07);
        Assert.That(t.Run(10), Is.EqualTo(StopReason.Breakpoint));
        Assert.That((t.Cpu.Pc, t.Cpu.Instructions), Is.EqualTo((2u, 1ul)));
    }

    [Test]
    public void RequestStopFromAHandlerStopsAfterTheBreakpoint()
    {
        var handler = new Mock<IBreakpointHandler>();
        handler.Setup(h => h.OnBreakpoint(It.IsAny<CortexM3Cpu>(), It.IsAny<byte>())).Returns((CortexM3Cpu c, byte _) =>
        {
            c.RequestStop();
            return true;
        });
        var t = new TestCore().Code(0xBEAB, 0x2001);
        t.Cpu.BreakpointHandler = handler.Object;
        Assert.That(t.Run(10), Is.EqualTo(StopReason.StopRequested));
        Assert.That((t.Cpu.Pc, t[0]), Is.EqualTo((2u, 0u)));
        Assert.That(t.Run(1), Is.EqualTo(StopReason.InstructionLimit), "the request is consumed");
    }

    [Test]
    public void WaitForInterruptSleepsAfterTheInstruction()
    {
        var t = new TestCore().Code(0xBF00, 0xBF30, 0xBF00); // nop; wfi; nop
        Assert.That(t.Run(10), Is.EqualTo(StopReason.Sleeping));
        Assert.That((t.Cpu.Pc, t.Cpu.Instructions), Is.EqualTo((4u, 2ul)));
    }

    [Test]
    public void WaitForEventConsumesAPendingEvent()
    {
        var t = new TestCore().Code(0xBF40, 0xBF20, 0xBF20, 0xBF00); // sev; wfe; wfe; nop
        Assert.That(t.Run(10), Is.EqualTo(StopReason.Sleeping));
        Assert.That((t.Cpu.Pc, t.Cpu.EventRegister), Is.EqualTo((6u, false)));
    }

    [Test]
    public void HintsAndBarriersExecuteAsNops()
    {
        // nop; yield; dmb; dsb; isb; nop.w
        var t = new TestCore().Code(0xBF00, 0xBF10, 0xF3BF, 0x8F5F, 0xF3BF, 0x8F4F, 0xF3BF, 0x8F6F, 0xF3AF, 0x8000).Step(6);
        Assert.That(t.Cpu.Pc, Is.EqualTo(20u));
    }

    [Test]
    public void RegisterAccessorsAndXpsrRoundTrip()
    {
        var cpu = new TestCore().Cpu;
        cpu.Xpsr = 0xF900_0000 | (1u << 24) | 0x0B;
        Assert.That((cpu.Apsr, cpu.ThumbBit, cpu.Ipsr, cpu.HandlerMode), Is.EqualTo((0xF800_0000u, true, 0x0Bu, true)));
        Assert.That(cpu.Xpsr, Is.EqualTo(0xF900_000Bu));
        cpu.SetRegister(15, 0x1235);
        Assert.That(cpu.GetRegister(15), Is.EqualTo(0x1234u));
        Assert.Throws<ArgumentOutOfRangeException>(() => cpu.GetRegister(16));
    }
}
