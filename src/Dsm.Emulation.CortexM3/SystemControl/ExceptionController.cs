using System.Numerics;
using Dsm.Emulation.CortexM3.State;

namespace Dsm.Emulation.CortexM3.SystemControl;

/// <summary>
/// The ARMv7-M exception state: per exception enabled, pending, active and priority, priority grouping
/// (AIRCR.PRIGROUP), the execution priority, the fault status registers and fault escalation. This is the
/// NVIC plus the system-exception half of the SCB; <see cref="SystemControlSpace"/> is its register view.
/// </summary>
/// <remarks>
/// Every change that can alter a decision (pending, enable, priority, grouping, active, the core's masks)
/// recomputes <see cref="MayPreempt"/>, so the core polls a single field per instruction block.
/// Priorities are stored as the 8-bit register value with unimplemented low bits zero; Reset, NMI and
/// HardFault have the fixed priorities -3, -2 and -1.
/// </remarks>
public sealed class ExceptionController : IInterruptLines, IStatefulComponent
{
    /// <summary>A priority lower than any exception's: the execution priority with nothing active and no mask.</summary>
    public const int NoBoost = 256;

    internal const uint CfsrImplementedBits = 0x030F_9F9B;
    internal const uint HfsrVectorTable = 1u << 1;
    internal const uint HfsrForced = 1u << 30;
    internal const uint HfsrDebugEvent = 1u << 31;
    internal const uint HfsrImplementedBits = HfsrVectorTable | HfsrForced | HfsrDebugEvent;
    internal const uint DfsrBreakpoint = 1u << 1;
    internal const uint DfsrImplementedBits = 0x1F;

    private const ushort StateVersion = 1;
    private const uint MmarValid = 1u << 7;
    private const uint BfarValid = 1u << 15;

    private readonly ExceptionBits _enabled;
    private readonly ExceptionBits _pending;
    private readonly ExceptionBits _active;
    private readonly bool[] _level;
    private readonly int[] _priority;
    private readonly byte _priorityMask;
    private IExceptionCore? _core;
    private int _priorityGroup;
    private int _vectPending;
    private int _pendingGroupPriority = NoBoost;
    private int _activeGroupPriority = NoBoost;
    private int _activeCount;
    private int _executionPriority = NoBoost;
    private bool _mayPreempt;
    private bool _wakesFromWfi;

    /// <summary>Creates the controller for a board.</summary>
    /// <param name="externalInterrupts">Number of external interrupts (0..240).</param>
    /// <param name="priorityBits">Implemented priority bits (3..8): FM3 has 4, QEMU's AN385 3.</param>
    public ExceptionController(int externalInterrupts, int priorityBits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(externalInterrupts);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(externalInterrupts, ExceptionNumber.MaxExternalInterrupts);
        ArgumentOutOfRangeException.ThrowIfLessThan(priorityBits, 3);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(priorityBits, 8);
        ExternalInterruptCount = externalInterrupts;
        PriorityBits = priorityBits;
        _priorityMask = (byte)(0xFF << (8 - priorityBits));
        int count = ExceptionNumber.FirstExternal + externalInterrupts;
        _enabled = new ExceptionBits(count);
        _pending = new ExceptionBits(count);
        _active = new ExceptionBits(count);
        _level = new bool[count];
        _priority = new int[count];
        Reset();
    }

    /// <summary>Number of external interrupts.</summary>
    public int ExternalInterruptCount { get; }

    /// <summary>Number of exception numbers, 16 + <see cref="ExternalInterruptCount"/>.</summary>
    public int ExceptionCount => _priority.Length;

    /// <summary>Implemented priority bits (the high bits of each 8-bit priority field).</summary>
    public int PriorityBits { get; }

    /// <inheritdoc />
    int IInterruptLines.Count => ExternalInterruptCount;

    /// <summary>The core whose masks boost the execution priority; null until the CPU is attached (no boost).</summary>
    public IExceptionCore? Core
    {
        get => _core;
        set
        {
            _core = value;
            RecomputeExecutionPriority();
        }
    }

    /// <summary>
    /// True when the highest-priority pending enabled exception can preempt now. The core reads this at
    /// every instruction-block boundary and calls <see cref="TryGetPendingToTake"/> only when it is set.
    /// </summary>
    public bool MayPreempt => _mayPreempt;

    /// <summary>
    /// True when a WFI would wake: a pending enabled exception would preempt if PRIMASK were clear (a set
    /// PRIMASK wakes the core without taking the exception).
    /// </summary>
    public bool WakesFromWfi => _wakesFromWfi;

    /// <summary>Current execution priority: -3..255, or <see cref="NoBoost"/> in Thread mode with no mask set.</summary>
    public int ExecutionPriority => _executionPriority;

    /// <summary>AIRCR.PRIGROUP (0..7): priority bits [PRIGROUP:0] are subpriority, the rest group priority.</summary>
    public int PriorityGroup
    {
        get => _priorityGroup;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 7);
            _priorityGroup = value;
            Recompute();
        }
    }

    /// <summary>ICSR.VECTPENDING: the highest-priority pending enabled exception, 0 if none.</summary>
    public int PendingException => _vectPending;

    /// <summary>Number of active exceptions (nesting depth, counting an exception preempted by a fault).</summary>
    public int ActiveCount => _activeCount;

    /// <summary>ICSR.RETTOBASE: at most one exception is active (returning from it reaches Thread mode).</summary>
    public bool ReturnsToBase => _activeCount <= 1;

    /// <summary>ICSR.ISRPENDING: some external interrupt is pending (enabled or not).</summary>
    public bool IsInterruptPending
    {
        get
        {
            for (int i = ExceptionNumber.FirstExternal; i < _priority.Length; i++)
            {
                if (_pending[i])
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>CFSR: MMFSR (bits 7:0), BFSR (15:8), UFSR (31:16).</summary>
    public uint Cfsr { get; internal set; }

    /// <summary>HFSR: VECTTBL, FORCED, DEBUGEVT.</summary>
    public uint Hfsr { get; internal set; }

    /// <summary>DFSR: debug fault status (BKPT is the only source without a debugger).</summary>
    public uint Dfsr { get; internal set; }

    /// <summary>MMFAR: the data address of the last MemManage fault (valid while MMFSR.MMARVALID).</summary>
    public uint Mmfar { get; internal set; }

    /// <summary>BFAR: the data address of the last precise BusFault (valid while BFSR.BFARVALID).</summary>
    public uint Bfar { get; internal set; }

    /// <summary>AFSR: auxiliary fault status (no source on the boards modelled; software-writable one-to-clear).</summary>
    public uint Afsr { get; internal set; }

    /// <summary>SCR.SEVONPEND: an exception becoming pending sets the core's event register.</summary>
    internal bool SendEventOnPend { get; set; }

    /// <summary>Highest pending priority's group priority, <see cref="NoBoost"/> if nothing pending.</summary>
    internal int PendingGroupPriority => _pendingGroupPriority;

    /// <inheritdoc />
    public string SectionName => "nvic";

    /// <summary>Returns every exception to its reset state (levels of the interrupt lines are kept).</summary>
    public void Reset()
    {
        _enabled.Clear();
        _pending.Clear();
        _active.Clear();
        Array.Clear(_priority);
        _priority[ExceptionNumber.Reset] = -3;
        _priority[ExceptionNumber.Nmi] = -2;
        _priority[ExceptionNumber.HardFault] = -1;
        foreach (int fixedEnabled in new[] { ExceptionNumber.Reset, ExceptionNumber.Nmi, ExceptionNumber.HardFault, ExceptionNumber.SVCall, ExceptionNumber.PendSV, ExceptionNumber.SysTick })
        {
            _enabled[fixedEnabled] = true;
        }

        _priorityGroup = 0;
        Cfsr = Hfsr = Dfsr = Mmfar = Bfar = Afsr = 0;
        SendEventOnPend = false;
        Recompute();
    }

    /// <summary>Group priority of a priority value under the current PRIGROUP (negative priorities are their own group).</summary>
    /// <param name="priority">A priority, -3..255.</param>
    /// <returns>The priority with its subpriority bits cleared.</returns>
    public int GroupPriority(int priority) => priority < 0 ? priority : priority & ~((2 << _priorityGroup) - 1);

    /// <summary>Clears the unimplemented low bits of a priority value (what a priority or BASEPRI register stores).</summary>
    /// <param name="value">The value written.</param>
    /// <returns>The value stored.</returns>
    public byte ImplementedPriority(uint value) => (byte)(value & _priorityMask);

    /// <summary>
    /// The BASEPRI value after an MSR to BASEPRI_MAX: the write takes effect only if it raises the
    /// execution priority (non-zero and below the current BASEPRI, or BASEPRI is 0).
    /// </summary>
    /// <param name="currentBasepri">BASEPRI now.</param>
    /// <param name="value">The value written to BASEPRI_MAX.</param>
    /// <returns>The new BASEPRI.</returns>
    public byte BasepriAfterMaxWrite(byte currentBasepri, uint value)
    {
        byte masked = ImplementedPriority(value);
        return masked != 0 && (currentBasepri == 0 || masked < currentBasepri) ? masked : currentBasepri;
    }

    /// <summary>Whether <paramref name="exception"/> is pending.</summary>
    /// <param name="exception">Exception number.</param>
    /// <returns>The pending bit.</returns>
    public bool IsPending(int exception) => _pending[Check(exception)];

    /// <summary>Whether <paramref name="exception"/> is active.</summary>
    /// <param name="exception">Exception number.</param>
    /// <returns>The active bit.</returns>
    public bool IsActive(int exception) => _active[Check(exception)];

    /// <summary>Whether <paramref name="exception"/> is enabled (always for the fixed-enable system exceptions).</summary>
    /// <param name="exception">Exception number.</param>
    /// <returns>The enable bit.</returns>
    public bool IsEnabled(int exception) => _enabled[Check(exception)];

    /// <summary>Priority of <paramref name="exception"/>: -3..-1 for the fixed ones, else the stored 8-bit value.</summary>
    /// <param name="exception">Exception number.</param>
    /// <returns>The priority.</returns>
    public int GetPriority(int exception) => _priority[Check(exception)];

    /// <summary>
    /// Sets a configurable priority (MemManage..SysTick and the external interrupts); unimplemented bits
    /// are dropped. Writes to fixed-priority and reserved exception numbers are ignored.
    /// </summary>
    /// <param name="exception">Exception number.</param>
    /// <param name="value">Priority value (low 8 bits used).</param>
    public void SetPriority(int exception, uint value)
    {
        Check(exception);
        if (HasConfigurablePriority(exception))
        {
            _priority[exception] = ImplementedPriority(value);
            Recompute();
        }
    }

    /// <summary>
    /// Enables or disables an exception that has an enable: external interrupts (ISER/ICER), MemManage,
    /// BusFault and UsageFault (SHCSR), DebugMonitor (DEMCR.MON_EN). Others are ignored.
    /// </summary>
    /// <param name="exception">Exception number.</param>
    /// <param name="enabled">The new enable state.</param>
    public void SetEnabled(int exception, bool enabled)
    {
        Check(exception);
        if (exception >= ExceptionNumber.FirstExternal
            || exception is ExceptionNumber.MemManage or ExceptionNumber.BusFault or ExceptionNumber.UsageFault or ExceptionNumber.DebugMonitor)
        {
            if (_enabled[exception] != enabled)
            {
                _enabled[exception] = enabled;
                Recompute();
            }
        }
    }

    /// <summary>Makes <paramref name="exception"/> pending (NVIC ISPR, ICSR set bits, SHCSR, STIR, peripherals).</summary>
    /// <param name="exception">Exception number, 2..16+N-1 (Reset cannot be pended).</param>
    public void SetPending(int exception)
    {
        Check(exception);
        if (exception == ExceptionNumber.Reset)
        {
            throw new ArgumentOutOfRangeException(nameof(exception), "Reset cannot be pended.");
        }

        if (!_pending[exception])
        {
            _pending[exception] = true;
            Recompute();
            if (SendEventOnPend)
            {
                _core?.SignalEvent();
            }
        }
    }

    /// <summary>
    /// Clears a pending bit. An external interrupt whose line is still asserted and which is not active
    /// stays pending: the NVIC samples the level again at once.
    /// </summary>
    /// <param name="exception">Exception number.</param>
    public void ClearPending(int exception)
    {
        Check(exception);
        if (_pending[exception] && !(_level[exception] && !_active[exception]))
        {
            _pending[exception] = false;
            Recompute();
        }
    }

    /// <summary>
    /// Host access to an active bit, for state import and migration: software can never write these back
    /// on a device, so a system captured inside a handler is recreated here. Not for the CPU's use.
    /// </summary>
    /// <param name="exception">Exception number.</param>
    /// <param name="active">The new active state.</param>
    public void SetActive(int exception, bool active)
    {
        Check(exception);
        _active[exception] = active;
        Recompute();
    }

    /// <summary>
    /// The exception the core should take now, if any: the highest-priority pending enabled exception (lowest
    /// priority value, then lowest number) whose group priority is below the execution priority.
    /// </summary>
    /// <param name="exception">The exception number to take.</param>
    /// <returns>True if an exception must be taken before the next instruction.</returns>
    public bool TryGetPendingToTake(out int exception)
    {
        exception = _vectPending;
        return _mayPreempt;
    }

    /// <summary>Exception entry: <paramref name="exception"/> turns from pending to active (call after stacking succeeded).</summary>
    /// <param name="exception">The exception being taken (from <see cref="TryGetPendingToTake"/>).</param>
    public void Acknowledge(int exception)
    {
        Check(exception);
        _pending[exception] = false;
        _active[exception] = true;
        Recompute();
    }

    /// <summary>
    /// Exception return: clears the active bit. A level-sensitive external interrupt whose line is still
    /// asserted becomes pending again.
    /// </summary>
    /// <param name="exception">The returning exception (IPSR).</param>
    /// <returns>False if it was not active (the return is illegal: INVPC UsageFault).</returns>
    public bool Deactivate(int exception)
    {
        Check(exception);
        if (!_active[exception])
        {
            return false;
        }

        _active[exception] = false;
        bool repend = _level[exception] && !_pending[exception];
        if (repend)
        {
            _pending[exception] = true;
        }

        Recompute();
        if (repend && SendEventOnPend)
        {
            _core?.SignalEvent();
        }

        return true;
    }

    /// <summary>
    /// The core changed PRIMASK, FAULTMASK or BASEPRI (MSR, CPS, exception return clearing FAULTMASK):
    /// recompute the execution priority and <see cref="MayPreempt"/>.
    /// </summary>
    public void MasksChanged() => RecomputeExecutionPriority();

    /// <summary>
    /// Reports a synchronous fault: sets its status bits (and MMFAR/BFAR), then pends the fault's handler, or
    /// HardFault (HFSR.FORCED) when the handler is disabled or cannot preempt the execution priority. When
    /// HardFault itself cannot preempt (execution priority -1 or below: in HardFault, NMI or with FAULTMASK),
    /// nothing is pended and the result says lockup.
    /// </summary>
    /// <param name="cause">What happened.</param>
    /// <param name="faultAddress">The data address for <see cref="FaultCause.DataAccessViolation"/> and <see cref="FaultCause.PreciseDataBusError"/>.</param>
    /// <returns>What was pended, or lockup.</returns>
    public FaultDelivery RaiseFault(FaultCause cause, uint faultAddress = 0)
    {
        int target;
        switch (cause)
        {
            case FaultCause.InstructionAccessViolation: target = ExceptionNumber.MemManage; Cfsr |= 1u << 0; break;
            case FaultCause.DataAccessViolation:
                target = ExceptionNumber.MemManage;
                Cfsr |= (1u << 1) | MmarValid;
                Mmfar = faultAddress;
                break;
            case FaultCause.MemManageOnUnstacking: target = ExceptionNumber.MemManage; Cfsr |= 1u << 3; break;
            case FaultCause.MemManageOnStacking: target = ExceptionNumber.MemManage; Cfsr |= 1u << 4; break;
            case FaultCause.InstructionBusError: target = ExceptionNumber.BusFault; Cfsr |= 1u << 8; break;
            case FaultCause.PreciseDataBusError:
                target = ExceptionNumber.BusFault;
                Cfsr |= (1u << 9) | BfarValid;
                Bfar = faultAddress;
                break;
            case FaultCause.BusFaultOnUnstacking: target = ExceptionNumber.BusFault; Cfsr |= 1u << 11; break;
            case FaultCause.BusFaultOnStacking: target = ExceptionNumber.BusFault; Cfsr |= 1u << 12; break;
            case FaultCause.UndefinedInstruction: target = ExceptionNumber.UsageFault; Cfsr |= 1u << 16; break;
            case FaultCause.InvalidState: target = ExceptionNumber.UsageFault; Cfsr |= 1u << 17; break;
            case FaultCause.InvalidPc: target = ExceptionNumber.UsageFault; Cfsr |= 1u << 18; break;
            case FaultCause.NoCoprocessor: target = ExceptionNumber.UsageFault; Cfsr |= 1u << 19; break;
            case FaultCause.Unaligned: target = ExceptionNumber.UsageFault; Cfsr |= 1u << 24; break;
            case FaultCause.DivideByZero: target = ExceptionNumber.UsageFault; Cfsr |= 1u << 25; break;
            case FaultCause.VectorTableReadError: target = ExceptionNumber.HardFault; Hfsr |= HfsrVectorTable; break;
            case FaultCause.SupervisorCall: target = ExceptionNumber.SVCall; break;
            case FaultCause.Breakpoint:
                Dfsr |= DfsrBreakpoint;
                target = ExceptionNumber.DebugMonitor;
                if (!CanTake(target))
                {
                    // Without a usable monitor a BKPT is a debug event escalated to HardFault.
                    Hfsr |= HfsrDebugEvent;
                    return Deliver(ExceptionNumber.HardFault, escalated: true);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(cause), cause, null);
        }

        if (target != ExceptionNumber.HardFault && !CanTake(target))
        {
            Hfsr |= HfsrForced;
            return Deliver(ExceptionNumber.HardFault, escalated: true);
        }

        return Deliver(target, escalated: false);
    }

    /// <summary>Whether a synchronous exception could be taken now: enabled and its group priority preempts.</summary>
    /// <param name="exception">Exception number.</param>
    /// <returns>True if it would be taken rather than escalated.</returns>
    public bool CanTake(int exception) => _enabled[Check(exception)] && GroupPriority(_priority[exception]) < _executionPriority;

    /// <inheritdoc />
    public void SetLevel(int irq, bool asserted)
    {
        int exception = CheckIrq(irq);
        _level[exception] = asserted;
        if (asserted && !_active[exception])
        {
            SetPending(exception);
        }
    }

    /// <inheritdoc />
    public void Pulse(int irq) => SetPending(CheckIrq(irq));

    /// <summary>AIRCR.VECTCLRACTIVE: clears every active bit and tells the core to clear IPSR.</summary>
    internal void ClearAllActive()
    {
        _active.Clear();
        Recompute();
        _core?.ClearCurrentException();
    }

    /// <inheritdoc />
    public void SaveState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteVersion(StateVersion);
        writer.WriteUInt16((ushort)ExternalInterruptCount);
        writer.WriteByte((byte)PriorityBits);
        writer.WriteByte((byte)_priorityGroup);
        for (int i = 1; i < ExceptionCount; i++)
        {
            int flags = (_enabled[i] ? 1 : 0) | (_pending[i] ? 2 : 0) | (_active[i] ? 4 : 0) | (_level[i] ? 8 : 0);
            writer.WriteByte((byte)flags);
            writer.WriteByte(HasConfigurablePriority(i) ? (byte)_priority[i] : (byte)0);
        }

        writer.WriteUInt32(Cfsr);
        writer.WriteUInt32(Hfsr);
        writer.WriteUInt32(Dfsr);
        writer.WriteUInt32(Mmfar);
        writer.WriteUInt32(Bfar);
        writer.WriteUInt32(Afsr);
    }

    /// <inheritdoc />
    public void LoadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.ReadVersion(StateVersion);
        int external = reader.ReadUInt16();
        int bits = reader.ReadByte();
        if (external != ExternalInterruptCount || bits != PriorityBits)
        {
            throw reader.Corrupt($"image is for {external} interrupts with {bits} priority bits, the machine has {ExternalInterruptCount} with {PriorityBits}");
        }

        int group = reader.ReadByte();
        if (group > 7)
        {
            throw reader.Corrupt($"PRIGROUP {group} is out of range");
        }

        var flags = new byte[ExceptionCount];
        var priorities = new byte[ExceptionCount];
        for (int i = 1; i < ExceptionCount; i++)
        {
            flags[i] = reader.ReadByte();
            priorities[i] = reader.ReadByte();
            if ((flags[i] & ~0xF) != 0 || (priorities[i] & ~_priorityMask) != 0)
            {
                throw reader.Corrupt($"exception {i} has invalid flags 0x{flags[i]:X2} or priority 0x{priorities[i]:X2}");
            }
        }

        uint cfsr = reader.ReadUInt32(), hfsr = reader.ReadUInt32(), dfsr = reader.ReadUInt32();
        uint mmfar = reader.ReadUInt32(), bfar = reader.ReadUInt32(), afsr = reader.ReadUInt32();

        _priorityGroup = group;
        for (int i = 1; i < ExceptionCount; i++)
        {
            _enabled[i] = (flags[i] & 1) != 0;
            _pending[i] = (flags[i] & 2) != 0;
            _active[i] = (flags[i] & 4) != 0;
            _level[i] = (flags[i] & 8) != 0;
            if (HasConfigurablePriority(i))
            {
                _priority[i] = priorities[i];
            }
        }

        (Cfsr, Hfsr, Dfsr, Mmfar, Bfar, Afsr) = (cfsr & CfsrImplementedBits, hfsr & HfsrImplementedBits, dfsr & DfsrImplementedBits, mmfar, bfar, afsr);
        Recompute();
    }

    /// <summary>Whether the exception number has a software-writable priority (4-6, 11, 12, 14, 15 and externals).</summary>
    /// <param name="exception">Exception number.</param>
    /// <returns>True if configurable.</returns>
    internal static bool HasConfigurablePriority(int exception) =>
        exception is ExceptionNumber.MemManage or ExceptionNumber.BusFault or ExceptionNumber.UsageFault
            or ExceptionNumber.SVCall or ExceptionNumber.DebugMonitor or ExceptionNumber.PendSV or ExceptionNumber.SysTick
        || exception >= ExceptionNumber.FirstExternal;

    private FaultDelivery Deliver(int exception, bool escalated)
    {
        if (exception == ExceptionNumber.HardFault && _executionPriority <= -1)
        {
            return new FaultDelivery(0, escalated, Lockup: true);
        }

        SetPending(exception);
        return new FaultDelivery(exception, escalated, Lockup: false);
    }

    private void Recompute()
    {
        int pendingPriority = NoBoost;
        int pending = 0;
        int activeGroup = NoBoost;
        int activeCount = 0;

        // Visits only pending-and-enabled and active exceptions (a tick has one or two), lowest number first as the
        // tie-break between equal priorities requires.
        for (int w = 0; w < _pending.WordCount; w++)
        {
            ulong candidates = _pending.Word(w) & _enabled.Word(w);
            while (candidates != 0)
            {
                int i = (w << 6) + BitOperations.TrailingZeroCount(candidates);
                candidates &= candidates - 1;
                if (_priority[i] < pendingPriority)
                {
                    pendingPriority = _priority[i];
                    pending = i;
                }
            }

            ulong active = _active.Word(w);
            activeCount += BitOperations.PopCount(active);
            while (active != 0)
            {
                int i = (w << 6) + BitOperations.TrailingZeroCount(active);
                active &= active - 1;
                activeGroup = Math.Min(activeGroup, GroupPriority(_priority[i]));
            }
        }

        _vectPending = pending;
        _pendingGroupPriority = pending == 0 ? NoBoost : GroupPriority(pendingPriority);
        _activeGroupPriority = activeGroup;
        _activeCount = activeCount;
        RecomputeExecutionPriority();
    }

    private void RecomputeExecutionPriority()
    {
        int maskBoost = NoBoost;
        int primaskBoost = NoBoost;
        if (_core is { } core)
        {
            uint basepri = core.Basepri & _priorityMask;
            if ((core.Faultmask & 1) != 0)
            {
                maskBoost = -1;
            }
            else if (basepri != 0)
            {
                maskBoost = GroupPriority((int)basepri);
            }

            if ((core.Primask & 1) != 0)
            {
                primaskBoost = 0;
            }
        }

        int withoutPrimask = Math.Min(maskBoost, _activeGroupPriority);
        _executionPriority = Math.Min(withoutPrimask, primaskBoost);
        _mayPreempt = _pendingGroupPriority < _executionPriority;
        _wakesFromWfi = _pendingGroupPriority < withoutPrimask;
    }

    private int Check(int exception)
    {
        if ((uint)exception - 1 >= (uint)(_priority.Length - 1))
        {
            throw new ArgumentOutOfRangeException(nameof(exception), exception, $"Exception numbers run from 1 to {_priority.Length - 1}.");
        }

        return exception;
    }

    private int CheckIrq(int irq)
    {
        if ((uint)irq >= (uint)ExternalInterruptCount)
        {
            throw new ArgumentOutOfRangeException(nameof(irq), irq, $"The board has {ExternalInterruptCount} interrupt lines.");
        }

        return irq + ExceptionNumber.FirstExternal;
    }
}

/// <summary>One bit per exception number, so a recomputation visits only the set bits instead of every exception.</summary>
internal readonly struct ExceptionBits
{
    private readonly ulong[] _words;

    /// <summary>Creates the set for exception numbers 0..<paramref name="count"/>-1, all clear.</summary>
    /// <param name="count">Number of exception numbers.</param>
    public ExceptionBits(int count) => _words = new ulong[(count + 63) / 64];

    /// <summary>Number of 64-bit words.</summary>
    public int WordCount => _words.Length;

    /// <summary>The bit of <paramref name="exception"/>.</summary>
    /// <param name="exception">Exception number.</param>
    public bool this[int exception]
    {
        get => (_words[exception >> 6] & (1UL << exception)) != 0;
        set
        {
            if (value)
            {
                _words[exception >> 6] |= 1UL << exception;
            }
            else
            {
                _words[exception >> 6] &= ~(1UL << exception);
            }
        }
    }

    /// <summary>Bits 64·<paramref name="word"/>.. of the set.</summary>
    /// <param name="word">Word index.</param>
    /// <returns>The word.</returns>
    public ulong Word(int word) => _words[word];

    /// <summary>Clears every bit.</summary>
    public void Clear() => Array.Clear(_words);
}
