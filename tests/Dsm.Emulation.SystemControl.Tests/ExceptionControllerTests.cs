using Dsm.Emulation.CortexM3.SystemControl;

namespace Dsm.Emulation.SystemControl.Tests;

[TestFixture]
public sealed class ExceptionControllerTests
{
    private FakeCore _core = null!;
    private ExceptionController _nvic = null!;

    [SetUp]
    public void SetUp()
    {
        _core = new FakeCore();
        _nvic = new ExceptionController(externalInterrupts: 48, priorityBits: 4) { Core = _core };
    }

    private void PendExternal(int irq, uint priority)
    {
        int exception = ExceptionNumber.FirstExternal + irq;
        _nvic.SetPriority(exception, priority);
        _nvic.SetEnabled(exception, true);
        _nvic.SetPending(exception);
    }

    private void Activate(int exception)
    {
        _nvic.SetPending(exception);
        _nvic.Acknowledge(exception);
    }

    [Test]
    public void ResetStateHasFixedPrioritiesAndEnables()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_nvic.GetPriority(ExceptionNumber.Reset), Is.EqualTo(-3));
            Assert.That(_nvic.GetPriority(ExceptionNumber.Nmi), Is.EqualTo(-2));
            Assert.That(_nvic.GetPriority(ExceptionNumber.HardFault), Is.EqualTo(-1));
            Assert.That(_nvic.IsEnabled(ExceptionNumber.SVCall), Is.True);
            Assert.That(_nvic.IsEnabled(ExceptionNumber.PendSV), Is.True);
            Assert.That(_nvic.IsEnabled(ExceptionNumber.SysTick), Is.True);
            Assert.That(_nvic.IsEnabled(ExceptionNumber.MemManage), Is.False);
            Assert.That(_nvic.IsEnabled(ExceptionNumber.UsageFault), Is.False);
            Assert.That(_nvic.IsEnabled(ExceptionNumber.DebugMonitor), Is.False);
            Assert.That(_nvic.IsEnabled(ExceptionNumber.FirstExternal), Is.False);
            Assert.That(_nvic.ExecutionPriority, Is.EqualTo(ExceptionController.NoBoost));
            Assert.That(_nvic.MayPreempt, Is.False);
            Assert.That(_nvic.ExceptionCount, Is.EqualTo(64));
        });
    }

    [Test]
    public void FixedPrioritiesCannotBeChangedAndUnimplementedBitsReadZero()
    {
        _nvic.SetPriority(ExceptionNumber.HardFault, 0x40);
        _nvic.SetPriority(ExceptionNumber.FirstExternal, 0xFF);
        _nvic.SetPriority(ExceptionNumber.SysTick, 0x1F);
        _nvic.SetPriority(7, 0x80); // reserved exception number
        Assert.Multiple(() =>
        {
            Assert.That(_nvic.GetPriority(ExceptionNumber.HardFault), Is.EqualTo(-1));
            Assert.That(_nvic.GetPriority(ExceptionNumber.FirstExternal), Is.EqualTo(0xF0));
            Assert.That(_nvic.GetPriority(ExceptionNumber.SysTick), Is.EqualTo(0x10));
            Assert.That(_nvic.GetPriority(7), Is.Zero);
        });
    }

    [Test]
    public void EnabledPendingInterruptPreemptsThreadMode()
    {
        PendExternal(5, 0x80);
        Assert.Multiple(() =>
        {
            Assert.That(_nvic.MayPreempt, Is.True);
            Assert.That(_nvic.TryGetPendingToTake(out int exception), Is.True);
            Assert.That(exception, Is.EqualTo(21));
            Assert.That(_nvic.PendingException, Is.EqualTo(21));
        });
    }

    [Test]
    public void DisabledPendingInterruptIsNeitherTakenNorShownInVectPending()
    {
        _nvic.SetPending(ExceptionNumber.FirstExternal + 3);
        Assert.Multiple(() =>
        {
            Assert.That(_nvic.MayPreempt, Is.False);
            Assert.That(_nvic.PendingException, Is.Zero);
            Assert.That(_nvic.IsInterruptPending, Is.True, "ISRPENDING counts disabled interrupts too");
        });
        _nvic.SetEnabled(ExceptionNumber.FirstExternal + 3, true);
        Assert.That(_nvic.MayPreempt, Is.True);
    }

    [Test]
    public void HighestPriorityThenLowestNumberIsChosen()
    {
        PendExternal(9, 0x40);
        PendExternal(2, 0x60);
        PendExternal(4, 0x40);
        _nvic.TryGetPendingToTake(out int first);
        Assert.That(first, Is.EqualTo(ExceptionNumber.FirstExternal + 4));
        _nvic.Acknowledge(first);
        _nvic.Deactivate(first);
        _nvic.TryGetPendingToTake(out int second);
        Assert.That(second, Is.EqualTo(ExceptionNumber.FirstExternal + 9));
    }

    [TestCase(3, true)]  // group bits 7:4: 0x30 < 0x40
    [TestCase(5, true)]  // group bits 7:6: group(0x30) = 0x00 < 0x40
    [TestCase(6, false)] // group bit 7 only: both in group 0x00
    [TestCase(7, false)] // no group bits: nothing preempts a configurable exception
    public void PriorityGroupingDecidesPreemption(int priorityGroup, bool preempts)
    {
        _nvic.PriorityGroup = priorityGroup;
        PendExternal(0, 0x40);
        Activate(ExceptionNumber.FirstExternal);
        PendExternal(1, 0x30);
        Assert.That(_nvic.MayPreempt, Is.EqualTo(preempts));
    }

    [Test]
    public void SubpriorityOrdersPendingExceptionsWithinAGroup()
    {
        _nvic.PriorityGroup = 6; // bit 7 group, bits 6:4 subpriority
        PendExternal(0, 0x70);
        PendExternal(1, 0x10);
        Assert.That(_nvic.PendingException, Is.EqualTo(ExceptionNumber.FirstExternal + 1));
    }

    [Test]
    public void ExecutionPriorityIsTheHighestActiveGroupPriority()
    {
        _nvic.PriorityGroup = 4; // group mask 0xE0
        PendExternal(0, 0xB0);
        Activate(ExceptionNumber.FirstExternal);
        PendExternal(1, 0x50);
        Activate(ExceptionNumber.FirstExternal + 1);
        Assert.Multiple(() =>
        {
            Assert.That(_nvic.ExecutionPriority, Is.EqualTo(0x40));
            Assert.That(_nvic.ActiveCount, Is.EqualTo(2));
            Assert.That(_nvic.ReturnsToBase, Is.False);
        });
        _nvic.Deactivate(ExceptionNumber.FirstExternal + 1);
        Assert.Multiple(() =>
        {
            Assert.That(_nvic.ExecutionPriority, Is.EqualTo(0xA0));
            Assert.That(_nvic.ReturnsToBase, Is.True);
        });
    }

    [Test]
    public void PrimaskBlocksConfigurableExceptionsButNotNmiAndStillWakesWfi()
    {
        _core.Primask = true;
        _nvic.MasksChanged();
        PendExternal(0, 0x00);
        Assert.Multiple(() =>
        {
            Assert.That(_nvic.ExecutionPriority, Is.Zero);
            Assert.That(_nvic.MayPreempt, Is.False);
            Assert.That(_nvic.WakesFromWfi, Is.True);
        });
        _nvic.SetPending(ExceptionNumber.Nmi);
        Assert.That(_nvic.TryGetPendingToTake(out int exception) && exception == ExceptionNumber.Nmi, Is.True);
    }

    [Test]
    public void FaultmaskBlocksHardFaultButNotNmi()
    {
        _core.Faultmask = true;
        _nvic.MasksChanged();
        _nvic.SetPending(ExceptionNumber.HardFault);
        Assert.Multiple(() =>
        {
            Assert.That(_nvic.ExecutionPriority, Is.EqualTo(-1));
            Assert.That(_nvic.MayPreempt, Is.False);
        });
        _nvic.SetPending(ExceptionNumber.Nmi);
        Assert.That(_nvic.MayPreempt, Is.True);
    }

    [Test]
    public void BasepriMasksAtAndBelowItsGroupPriority()
    {
        _core.Basepri = 0x40;
        _nvic.MasksChanged();
        PendExternal(0, 0x40);
        Assert.That(_nvic.MayPreempt, Is.False);
        PendExternal(1, 0x30);
        Assert.That(_nvic.MayPreempt, Is.True);
    }

    [Test]
    public void BasepriIsGroupedByPrigroup()
    {
        _nvic.PriorityGroup = 5; // group mask 0xC0
        _core.Basepri = 0x70;    // group priority 0x40
        _nvic.MasksChanged();
        PendExternal(0, 0x40);
        Assert.That(_nvic.MayPreempt, Is.False);
        PendExternal(1, 0x30); // group 0x00
        Assert.That(_nvic.MayPreempt, Is.True);
    }

    [Test]
    public void BasepriUnimplementedBitsAreIgnored()
    {
        _core.Basepri = 0x4F; // 4 implemented bits: acts as 0x40
        _nvic.MasksChanged();
        PendExternal(0, 0x40);
        Assert.That(_nvic.MayPreempt, Is.False);
        _core.Basepri = 0x0F; // only unimplemented bits: no masking at all
        _nvic.MasksChanged();
        Assert.That(_nvic.MayPreempt, Is.True);
    }

    [Test]
    public void WakeFromWfiIgnoresPrimaskButNotBasepri()
    {
        _core.Primask = true;
        _core.Basepri = 0x40;
        _nvic.MasksChanged();
        PendExternal(0, 0x80);
        Assert.That(_nvic.WakesFromWfi, Is.False, "masked by BASEPRI");
        PendExternal(1, 0x20);
        Assert.Multiple(() =>
        {
            Assert.That(_nvic.WakesFromWfi, Is.True);
            Assert.That(_nvic.MayPreempt, Is.False, "PRIMASK still prevents taking it");
        });
    }

    [Test]
    public void BasepriZeroDisablesMasking()
    {
        _core.Basepri = 0;
        _nvic.MasksChanged();
        PendExternal(0, 0xF0);
        Assert.That(_nvic.MayPreempt, Is.True);
    }

    [Test]
    public void MaskChangesTakeEffectWhenTheCoreReportsThem()
    {
        PendExternal(0, 0x80);
        _core.Primask = true;
        _nvic.MasksChanged();
        Assert.That(_nvic.MayPreempt, Is.False);
        _core.Primask = false;
        _nvic.MasksChanged();
        Assert.That(_nvic.MayPreempt, Is.True);
    }

    [TestCase(0x00, 0x40u, 0x40)] // from no masking: any non-zero value raises
    [TestCase(0x40, 0x60u, 0x40)] // lower priority: ignored
    [TestCase(0x40, 0x20u, 0x20)] // higher priority: taken
    [TestCase(0x40, 0x00u, 0x40)] // zero never clears through BASEPRI_MAX
    [TestCase(0x40, 0x4Fu, 0x40)] // unimplemented bits dropped before comparing
    [TestCase(0x00, 0x0Fu, 0x00)] // a value with only unimplemented bits is zero
    public void BasepriMaxOnlyRaisesPriority(int current, uint written, int expected)
    {
        Assert.That(_nvic.BasepriAfterMaxWrite((byte)current, written), Is.EqualTo((byte)expected));
    }

    [Test]
    public void AcknowledgeMovesPendingToActiveAndDeactivateReportsIllegalReturns()
    {
        PendExternal(7, 0x20);
        _nvic.Acknowledge(ExceptionNumber.FirstExternal + 7);
        Assert.Multiple(() =>
        {
            Assert.That(_nvic.IsPending(ExceptionNumber.FirstExternal + 7), Is.False);
            Assert.That(_nvic.IsActive(ExceptionNumber.FirstExternal + 7), Is.True);
            Assert.That(_nvic.ExecutionPriority, Is.EqualTo(0x20));
            Assert.That(_nvic.Deactivate(ExceptionNumber.FirstExternal + 7), Is.True);
            Assert.That(_nvic.Deactivate(ExceptionNumber.FirstExternal + 7), Is.False);
            Assert.That(_nvic.ExecutionPriority, Is.EqualTo(ExceptionController.NoBoost));
        });
    }

    [Test]
    public void SamePriorityPendingWaitsForTailChain()
    {
        PendExternal(0, 0x40);
        Activate(ExceptionNumber.FirstExternal);
        PendExternal(1, 0x40);
        Assert.That(_nvic.MayPreempt, Is.False);
        _nvic.Deactivate(ExceptionNumber.FirstExternal);
        Assert.That(_nvic.TryGetPendingToTake(out int next) && next == ExceptionNumber.FirstExternal + 1, Is.True);
    }

    [Test]
    public void AssertedLevelRependsAfterHandlerReturns()
    {
        int exception = ExceptionNumber.FirstExternal + 2;
        _nvic.SetEnabled(exception, true);
        ((Dsm.Emulation.CortexM3.SystemControl.IInterruptLines)_nvic).SetLevel(2, true);
        Assert.That(_nvic.IsPending(exception), Is.True);
        _nvic.Acknowledge(exception);
        Assert.That(_nvic.IsPending(exception), Is.False, "not pending while its handler runs");
        _nvic.Deactivate(exception);
        Assert.That(_nvic.IsPending(exception), Is.True, "still asserted at return: pending again");
        _nvic.Acknowledge(exception);
        _nvic.SetLevel(2, false);
        _nvic.Deactivate(exception);
        Assert.That(_nvic.IsPending(exception), Is.False);
    }

    [Test]
    public void ClearingPendingOfAnAssertedInactiveLineHasNoEffect()
    {
        int exception = ExceptionNumber.FirstExternal + 1;
        _nvic.SetLevel(1, true);
        _nvic.ClearPending(exception);
        Assert.That(_nvic.IsPending(exception), Is.True);
        _nvic.SetLevel(1, false);
        _nvic.ClearPending(exception);
        Assert.That(_nvic.IsPending(exception), Is.False);
    }

    [Test]
    public void PulsePendsOnce()
    {
        int exception = ExceptionNumber.FirstExternal + 4;
        _nvic.Pulse(4);
        _nvic.Acknowledge(exception);
        _nvic.Deactivate(exception);
        Assert.That(_nvic.IsPending(exception), Is.False);
    }

    [Test]
    public void InvalidNumbersAreRejected()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => _nvic.SetPending(ExceptionNumber.Reset), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => _nvic.SetPending(64), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => _nvic.SetPending(0), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => _nvic.SetLevel(48, true), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => new ExceptionController(241, 4), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => new ExceptionController(8, 2), Throws.InstanceOf<ArgumentOutOfRangeException>());
        });
    }

    [Test]
    public void DisabledConfigurableFaultEscalatesToHardFault()
    {
        var delivery = _nvic.RaiseFault(FaultCause.UndefinedInstruction);
        Assert.Multiple(() =>
        {
            Assert.That(delivery, Is.EqualTo(new FaultDelivery(ExceptionNumber.HardFault, Escalated: true, Lockup: false)));
            Assert.That(_nvic.Hfsr, Is.EqualTo(1u << 30));
            Assert.That(_nvic.Cfsr, Is.EqualTo(1u << 16));
            Assert.That(_nvic.IsPending(ExceptionNumber.HardFault), Is.True);
            Assert.That(_nvic.IsPending(ExceptionNumber.UsageFault), Is.False);
        });
    }

    [Test]
    public void EnabledFaultThatCanPreemptIsTakenByItsHandler()
    {
        _nvic.SetEnabled(ExceptionNumber.UsageFault, true);
        var delivery = _nvic.RaiseFault(FaultCause.DivideByZero);
        Assert.Multiple(() =>
        {
            Assert.That(delivery, Is.EqualTo(new FaultDelivery(ExceptionNumber.UsageFault, false, false)));
            Assert.That(_nvic.Cfsr, Is.EqualTo(1u << 25));
            Assert.That(_nvic.Hfsr, Is.Zero);
            Assert.That(_nvic.TryGetPendingToTake(out int taken) && taken == ExceptionNumber.UsageFault, Is.True);
        });
    }

    [Test]
    public void EnabledFaultAtOrBelowExecutionPriorityEscalates()
    {
        _nvic.SetEnabled(ExceptionNumber.BusFault, true);
        _nvic.SetPriority(ExceptionNumber.BusFault, 0x40);
        PendExternal(0, 0x40);
        Activate(ExceptionNumber.FirstExternal);
        var delivery = _nvic.RaiseFault(FaultCause.PreciseDataBusError, 0x6000_0004);
        Assert.Multiple(() =>
        {
            Assert.That(delivery.Exception, Is.EqualTo(ExceptionNumber.HardFault));
            Assert.That(delivery.Escalated, Is.True);
            Assert.That(_nvic.Cfsr, Is.EqualTo((1u << 9) | (1u << 15)));
            Assert.That(_nvic.Bfar, Is.EqualTo(0x6000_0004u));
        });
    }

    [Test]
    public void PrimaskMakesSvcEscalate()
    {
        _core.Primask = true;
        _nvic.MasksChanged();
        Assert.That(_nvic.RaiseFault(FaultCause.SupervisorCall).Exception, Is.EqualTo(ExceptionNumber.HardFault));
        _core.Primask = false;
        _nvic.MasksChanged();
        _nvic.ClearPending(ExceptionNumber.HardFault);
        Assert.That(_nvic.RaiseFault(FaultCause.SupervisorCall), Is.EqualTo(new FaultDelivery(ExceptionNumber.SVCall, false, false)));
    }

    [TestCase(ExceptionNumber.HardFault)]
    [TestCase(ExceptionNumber.Nmi)]
    public void FaultInHardFaultOrNmiIsLockup(int activeException)
    {
        _nvic.SetActive(activeException, true);
        var delivery = _nvic.RaiseFault(FaultCause.InvalidState);
        Assert.Multiple(() =>
        {
            Assert.That(delivery.Lockup, Is.True);
            Assert.That(_nvic.IsPending(ExceptionNumber.HardFault), Is.False);
            Assert.That(_nvic.Cfsr, Is.EqualTo(1u << 17), "status is still recorded");
        });
    }

    [Test]
    public void FaultWithFaultmaskSetIsLockup()
    {
        _core.Faultmask = true;
        _nvic.MasksChanged();
        Assert.That(_nvic.RaiseFault(FaultCause.Unaligned).Lockup, Is.True);
    }

    [Test]
    public void DataAccessViolationRecordsMmfar()
    {
        _nvic.SetEnabled(ExceptionNumber.MemManage, true);
        var delivery = _nvic.RaiseFault(FaultCause.DataAccessViolation, 0x2000_0100);
        Assert.Multiple(() =>
        {
            Assert.That(delivery.Exception, Is.EqualTo(ExceptionNumber.MemManage));
            Assert.That(_nvic.Cfsr, Is.EqualTo(0x82u));
            Assert.That(_nvic.Mmfar, Is.EqualTo(0x2000_0100u));
        });
    }

    [Test]
    public void VectorTableReadErrorGoesStraightToHardFault()
    {
        var delivery = _nvic.RaiseFault(FaultCause.VectorTableReadError);
        Assert.Multiple(() =>
        {
            Assert.That(delivery, Is.EqualTo(new FaultDelivery(ExceptionNumber.HardFault, false, false)));
            Assert.That(_nvic.Hfsr, Is.EqualTo(2u));
        });
    }

    [Test]
    public void BreakpointWithoutMonitorIsADebugEventHardFault()
    {
        var delivery = _nvic.RaiseFault(FaultCause.Breakpoint);
        Assert.Multiple(() =>
        {
            Assert.That(delivery.Exception, Is.EqualTo(ExceptionNumber.HardFault));
            Assert.That(_nvic.Hfsr, Is.EqualTo(1u << 31));
            Assert.That(_nvic.Dfsr, Is.EqualTo(2u));
        });
        _nvic.SetEnabled(ExceptionNumber.DebugMonitor, true);
        Assert.That(_nvic.RaiseFault(FaultCause.Breakpoint).Exception, Is.EqualTo(ExceptionNumber.DebugMonitor));
    }

    [Test]
    public void EveryConfigurableFaultCauseSetsItsOwnStatusBit()
    {
        var expected = new Dictionary<FaultCause, uint>
        {
            [FaultCause.InstructionAccessViolation] = 1u << 0,
            [FaultCause.MemManageOnUnstacking] = 1u << 3,
            [FaultCause.MemManageOnStacking] = 1u << 4,
            [FaultCause.InstructionBusError] = 1u << 8,
            [FaultCause.BusFaultOnUnstacking] = 1u << 11,
            [FaultCause.BusFaultOnStacking] = 1u << 12,
            [FaultCause.InvalidPc] = 1u << 18,
            [FaultCause.NoCoprocessor] = 1u << 19,
        };
        foreach (var (cause, bit) in expected)
        {
            _nvic.Reset();
            _nvic.RaiseFault(cause);
            Assert.That(_nvic.Cfsr, Is.EqualTo(bit), cause.ToString());
        }
    }

    [Test]
    public void HostCanSetActiveStateSoftwareCannotWrite()
    {
        _nvic.SetActive(ExceptionNumber.PendSV, true);
        _nvic.SetPriority(ExceptionNumber.PendSV, 0xF0);
        _nvic.SetActive(ExceptionNumber.FirstExternal + 3, true);
        _nvic.SetPriority(ExceptionNumber.FirstExternal + 3, 0x20);
        Assert.Multiple(() =>
        {
            Assert.That(_nvic.ActiveCount, Is.EqualTo(2));
            Assert.That(_nvic.ExecutionPriority, Is.EqualTo(0x20));
        });
    }

    [Test]
    public void ResetClearsStateButNotLineLevels()
    {
        PendExternal(0, 0x10);
        _nvic.SetLevel(1, true);
        _nvic.RaiseFault(FaultCause.Unaligned);
        _nvic.PriorityGroup = 3;
        _nvic.Reset();
        Assert.Multiple(() =>
        {
            Assert.That(_nvic.IsPending(ExceptionNumber.FirstExternal), Is.False);
            Assert.That(_nvic.IsEnabled(ExceptionNumber.FirstExternal), Is.False);
            Assert.That(_nvic.GetPriority(ExceptionNumber.FirstExternal), Is.Zero);
            Assert.That(_nvic.Cfsr | _nvic.Hfsr, Is.Zero);
            Assert.That(_nvic.PriorityGroup, Is.Zero);
        });
        _nvic.Acknowledge(ExceptionNumber.FirstExternal + 1);
        _nvic.Deactivate(ExceptionNumber.FirstExternal + 1);
        Assert.That(_nvic.IsPending(ExceptionNumber.FirstExternal + 1), Is.True, "the line is still high");
    }
}
