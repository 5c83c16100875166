using System.Runtime.CompilerServices;
using Dsm.Emulation.CortexM3.SystemControl;

namespace Dsm.Emulation.CortexM3.Cpu;

/// <summary>
/// The ARMv7-M exception model on the core's side: exception entry (stacking, vector fetch, EXC_RETURN),
/// exception return (integrity checks, tail-chaining, sleep-on-exit, unstacking), and the delivery of faults
/// and SVC to the <see cref="ExceptionController"/> of an attached <see cref="SystemControlSpace"/>.
/// Without an attached SCS (a bare core in unit tests) faults and SVC stop the core as before.
/// </summary>
public sealed partial class CortexM3Cpu
{
    // The private peripheral bus: privileged access only (except what the SCS permits).
    private const uint PpbBase = 0xE000_0000;
    private const uint PpbEnd = 0xE010_0000;

    // Cortex-M3 latencies: 12 cycles to enter or return, 6 to tail-chain (docs/cycle-model.md).
    private const uint ExceptionEntryCycles = 12;
    private const uint ExceptionReturnCycles = 12;
    private const uint TailChainCycles = 6;

    // A Step result: the instruction completed by writing an EXC_RETURN value to the PC in Handler mode.
    private const int StepExceptionReturn = 7;

    private const uint FrameSize = 0x20;
    private const uint XpsrStackRealigned = 1u << 9;
    private const uint ExcReturnHandler = 0x1;
    private const uint ExcReturnThreadMain = 0x9;
    private const uint ExcReturnThreadProcess = 0xD;

    private SystemControlSpace? _scs;
    private ExceptionController? _exc;
    private uint _pendingExceptionReturn;
    private bool _itStateReplaced;
    private bool _sleepingOnExit;

    // MPU_CTRL.ENABLE as last seen: data accesses then take the general path, which asks the MPU, and blocks are checked at lookup.
    private bool _mpuEnabled;

    // Set while the core makes accesses with unprivileged permissions regardless of its mode (unstacking to unprivileged Thread mode).
    private bool _unprivilegedAccess;

    /// <summary>The system control space whose exception controller takes this core's exceptions, or null (bare core).</summary>
    public SystemControlSpace? SystemControl => _scs;

    /// <summary>
    /// After <see cref="Run"/> returned <see cref="StopReason.Sleeping"/>: true when the core went to sleep on an exception
    /// return to Thread mode with SCR.SLEEPONEXIT set (rather than by WFI/WFE). The return has been completed (the
    /// Thread context is unstacked); an interrupt that wakes the core is taken before the next Thread instruction.
    /// </summary>
    public bool SleepingOnExit => _sleepingOnExit;

    /// <summary>After <see cref="Run"/> returned <see cref="StopReason.Sleeping"/> from a WFI or WFE: true for WFE.</summary>
    internal bool SleptOnWfe => _sleptOnWfe;

    /// <summary>
    /// Connects the core to a system control space: its exception controller then takes every interrupt, fault and
    /// SVC (stopping the core only on lockup), the masks feed its execution priority, VTOR and the CCR traps follow it
    /// live, and unprivileged accesses to the private peripheral bus fault as BusFaults.
    /// </summary>
    /// <param name="scs">The system control space.</param>
    /// <exception cref="InvalidOperationException">A system control space is already attached.</exception>
    public void AttachSystemControl(SystemControlSpace scs)
    {
        ArgumentNullException.ThrowIfNull(scs);
        if (_scs is not null)
        {
            throw new InvalidOperationException("The core is already attached to a system control space.");
        }

        _scs = scs;
        _exc = scs.Exceptions;
        scs.AttachCore(this);
        MasksChanged += _exc.MasksChanged;
        scs.Mpu.Changed = MpuChanged;
        SelectMemoryMaps();

        // CCR.UNALIGN_TRP can change at any store: send every unaligned access down the slow path, which reads it live.
        _unalignedMask4 = 3;
        _unalignedMask2 = 1;
    }

    /// <summary>
    /// The MPU's configuration changed: select the fast or the checked data path, and leave the running block after the
    /// store that changed it (the next block is looked up, and checked for execution, under the new configuration).
    /// </summary>
    private void MpuChanged()
    {
        SelectMemoryMaps();
        _codeModified = true;
    }

    /// <summary>Whether the MPU lets the core make a data access of <paramref name="size"/> bytes at <paramref name="address"/>.</summary>
    private bool MpuPermitsData(uint address, int size, MemoryAccess access)
    {
        var mpu = _scs!.Mpu;
        bool privileged = IsPrivileged && !_unprivilegedAccess;
        if (mpu.Check(address, access, privileged) != MpuVerdict.Allowed)
        {
            return false;
        }

        // Permissions are uniform over aligned 32-byte granules (the smallest region and sub-region).
        uint last = address + (uint)size - 1;
        return ((address ^ last) & ~31u) == 0 || mpu.Check(last, access, privileged) == MpuVerdict.Allowed;
    }

    /// <summary>
    /// A block lookup with the MPU enabled: the block, cut short before its first instruction the MPU does not let the
    /// core fetch, or a one-instruction block that raises IACCVIOL when that is its first instruction.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private CodeBlock MpuCheckedLookup(uint pc)
    {
        var block = _code.Lookup(pc);
        var mpu = _scs!.Mpu;
        bool privileged = IsPrivileged;
        uint checkedGranule = 1; // no granule (granules are 32-byte aligned)
        for (int i = 0; i < block.Count; i++)
        {
            uint first = block.Addresses[i], last = first + block.Instructions[i].Length - 1;
            for (uint granule = first & ~31u; ; granule += 32)
            {
                if (granule != checkedGranule)
                {
                    uint probe = granule < first ? first : granule;
                    if (mpu.Check(probe, MemoryAccess.Execute, privileged) != MpuVerdict.Allowed)
                    {
                        return i == 0 ? CodeCache.FetchFault(pc, probe, accessViolation: true) : block.Truncated(i);
                    }

                    checkedGranule = granule;
                }

                if (granule == (last & ~31u))
                {
                    break;
                }
            }
        }

        return block;
    }

    /// <summary>Whether an access to <paramref name="address"/> (at or above the PPB base) is denied because the core is unprivileged.</summary>
    private bool DeniedToUnprivileged(uint address, bool isWrite) =>
        address < PpbEnd && _scs is not null && !IsPrivileged
        && !_scs.PermitsUnprivilegedAccess(address - SystemControlSpace.BaseAddress, isWrite);

    /// <summary>At an instruction boundary with <see cref="ExceptionController.MayPreempt"/> set: takes the pending exception.</summary>
    private int TakePendingException()
    {
        if (!_exc!.TryGetPendingToTake(out int exception))
        {
            return Continue;
        }

        return EnterException(exception, _pc);
    }

    /// <summary>
    /// Exception entry: stacks the context with <paramref name="returnAddress"/>, then takes the highest-priority
    /// pending exception (normally <paramref name="exception"/>; a fault derived from stacking may outrank it).
    /// </summary>
    private int EnterException(int exception, uint returnAddress)
    {
        var exc = _exc!;
        uint excReturn = HandlerMode ? 0xFFFF_FFF0 | ExcReturnHandler
            : UsesProcessStack ? 0xFFFF_FFF0 | ExcReturnThreadProcess : 0xFFFF_FFF0 | ExcReturnThreadMain;
        _cycles += ExceptionEntryCycles;
        if (!PushFrame(returnAddress, Xpsr, out uint failedAddress))
        {
            LastFault = new CpuFault(_pendingFault, returnAddress, 0, null, failedAddress);
            if (exc.RaiseFault(StackingCause()).Lockup)
            {
                return (int)StopReason.Lockup;
            }

            if (exc.TryGetPendingToTake(out int derived))
            {
                exception = derived;
            }
        }

        return ExceptionTaken(exception, excReturn);
    }

    /// <summary>
    /// Pushes the 8-word frame (r0-r3, r12, lr, return address, xPSR) on the active stack, 8-byte aligned when
    /// CCR.STKALIGN is set (xPSR bit 9 records the padding word). The SP moves even if a write fails.
    /// </summary>
    private bool PushFrame(uint returnAddress, uint xpsr, out uint failedAddress)
    {
        uint sp = R(SpIndex);
        bool realign = _scs!.StackAlign8 && (sp & 4) != 0;
        uint frame = (sp - FrameSize) & (realign ? ~7u : ~3u);
        W(SpIndex, frame);
        if (realign)
        {
            xpsr |= XpsrStackRealigned;
        }

        Span<uint> words = [R(0), R(1), R(2), R(3), R(12), R(LrIndex), returnAddress, xpsr];
        for (int i = 0; i < words.Length; i++)
        {
            uint address = frame + (uint)(4 * i);
            if (!Write32(address, words[i]))
            {
                failedAddress = address;
                _codeModified = false;
                return false;
            }
        }

        // The frame may have overwritten decoded code; this is a boundary, the next lookup sees it.
        _codeModified = false;
        failedAddress = 0;
        return true;
    }

    /// <summary>The fault of a failed <see cref="PushFrame"/>: MSTKERR when the MPU denied the write, else STKERR.</summary>
    private FaultCause StackingCause() =>
        _pendingFault == FaultKind.DataAccessViolation ? FaultCause.MemManageOnStacking : FaultCause.BusFaultOnStacking;

    /// <summary>
    /// ExceptionTaken: no stacking. Fetches the vector (a failed read escalates to HardFault, HFSR.VECTTBL), marks
    /// the exception active, enters Handler mode on SP_main with LR = <paramref name="excReturn"/>, clears ITSTATE
    /// and the exclusive monitor and branches to the handler (a vector with bit 0 clear faults INVSTATE there).
    /// </summary>
    private int ExceptionTaken(int exception, uint excReturn)
    {
        var exc = _exc!;
        uint vectorAddress = VectorTableOffset + (4 * (uint)exception);
        if (!Bus.TryRead(vectorAddress, 4, out uint vector))
        {
            LastFault = new CpuFault(FaultKind.DataBusError, _pc, 0, null, vectorAddress);
            if (exception == ExceptionNumber.HardFault || exc.RaiseFault(FaultCause.VectorTableReadError).Lockup)
            {
                return (int)StopReason.Lockup;
            }

            exception = ExceptionNumber.HardFault;
            vectorAddress = VectorTableOffset + (4 * (uint)exception);
            if (!Bus.TryRead(vectorAddress, 4, out vector))
            {
                LastFault = new CpuFault(FaultKind.DataBusError, _pc, 0, null, vectorAddress);
                return (int)StopReason.Lockup;
            }
        }

        exc.Acknowledge(exception);
        _ipsr = (uint)exception;
        W(LrIndex, excReturn);
        if (UsesProcessStack)
        {
            Control = _control & ~2u;
        }

        _itState = 0;
        _pc = vector & ~1u;
        _thumb = (vector & 1) != 0;
        _monitorOpen = false;
        return Continue;
    }

    /// <summary>
    /// A fault found during exception return (integrity check, unstacking): pended through the controller and taken at
    /// once without stacking, with LR = <paramref name="excReturn"/>, on the frame already in memory.
    /// </summary>
    private int FaultOnReturn(FaultCause cause, FaultKind kind, uint instructionAddress, uint? address, uint excReturn)
    {
        LastFault = new CpuFault(kind, instructionAddress, 0, null, address);
        var exc = _exc!;
        if (exc.RaiseFault(cause).Lockup || !exc.TryGetPendingToTake(out int exception))
        {
            return (int)StopReason.Lockup;
        }

        _cycles += TailChainCycles;
        return ExceptionTaken(exception, excReturn);
    }

    /// <summary>
    /// Exception return: an instruction at <paramref name="instructionAddress"/> wrote <paramref name="excReturn"/>
    /// (0xFxxxxxxx) to the PC in Handler mode. It has completed and been counted.
    /// </summary>
    /// <returns><see cref="Continue"/>, <see cref="StopReason.Sleeping"/> (sleep-on-exit) or <see cref="StopReason.Lockup"/>.</returns>
    private int ExceptionReturn(uint excReturn, uint instructionAddress)
    {
        var exc = _exc!;
        int returning = (int)_ipsr;
        bool toBase = exc.ReturnsToBase;
        bool wasActive = returning < exc.ExceptionCount && exc.Deactivate(returning);
        if (returning != ExceptionNumber.Nmi)
        {
            _faultmask = 0;
        }

        exc.MasksChanged();
        uint kind = excReturn & 0xF;
        bool valid = wasActive && kind switch
        {
            ExcReturnHandler => !toBase,
            ExcReturnThreadMain or ExcReturnThreadProcess => toBase || _scs!.NonBaseThreadEnable,
            _ => false,
        };
        if (!valid)
        {
            return FaultOnReturn(FaultCause.InvalidPc, FaultKind.InvalidExceptionReturn, instructionAddress, excReturn, excReturn);
        }

        // Tail-chaining: a pending exception that preempts the priority being returned to is taken on the same frame.
        if (exc.MayPreempt && exc.TryGetPendingToTake(out int next))
        {
            _cycles += TailChainCycles;
            return ExceptionTaken(next, excReturn);
        }

        bool toThread = kind != ExcReturnHandler;
        bool process = kind == ExcReturnThreadProcess;
        if (process != UsesProcessStack)
        {
            Control = process ? _control | 2 : _control & ~2u;
        }

        uint frame = R(SpIndex);
        Span<uint> words = stackalloc uint[8];

        // Unstacking uses the permissions of the mode returned to.
        _unprivilegedAccess = toThread && (_control & 1) != 0;
        for (int i = 0; i < 8; i++)
        {
            if (!Read32(frame + (uint)(4 * i), out words[i]))
            {
                _unprivilegedAccess = false;
                bool mpu = _pendingFault == FaultKind.DataAccessViolation;
                return FaultOnReturn(
                    mpu ? FaultCause.MemManageOnUnstacking : FaultCause.BusFaultOnUnstacking,
                    _pendingFault,
                    instructionAddress,
                    frame + (uint)(4 * i),
                    excReturn);
            }
        }

        _unprivilegedAccess = false;

        W(0, words[0]);
        W(1, words[1]);
        W(2, words[2]);
        W(3, words[3]);
        W(12, words[4]);
        W(LrIndex, words[5]);
        uint psr = words[7];
        W(SpIndex, (frame + FrameSize) | ((psr & XpsrStackRealigned) != 0 ? 4u : 0u));
        Xpsr = psr;
        _pc = words[6] & ~1u;
        _monitorOpen = false;
        _itStateReplaced = true;
        _cycles += ExceptionReturnCycles;

        if (toThread == (_ipsr != 0))
        {
            // The frame's IPSR contradicts the mode returned to: INVPC, taken on a frame pushed again.
            LastFault = new CpuFault(FaultKind.InvalidExceptionReturn, instructionAddress, 0, null, excReturn);
            if (exc.RaiseFault(FaultCause.InvalidPc).Lockup)
            {
                return (int)StopReason.Lockup;
            }

            if (!PushFrame(_pc, Xpsr, out uint failedAddress))
            {
                LastFault = new CpuFault(_pendingFault, instructionAddress, 0, null, failedAddress);
                if (exc.RaiseFault(StackingCause()).Lockup)
                {
                    return (int)StopReason.Lockup;
                }
            }

            if (!exc.TryGetPendingToTake(out int fault))
            {
                return (int)StopReason.Lockup;
            }

            return ExceptionTaken(fault, excReturn);
        }

        if (toThread && _scs!.SleepOnExit)
        {
            _sleepingOnExit = true;
            return (int)StopReason.Sleeping;
        }

        return Continue;
    }

    /// <summary>SVC with an exception model: pends SVCall (or HardFault, or lockup); the run loop takes it after the SVC.</summary>
    private int SupervisorCall(uint instructionAddress)
    {
        if (_exc!.RaiseFault(FaultCause.SupervisorCall).Lockup)
        {
            LastFault = new CpuFault(FaultKind.SupervisorCall, instructionAddress, 0, null, null);
            _stepStopReason = StopReason.Lockup;
            return StepStopAfter;
        }

        return StepExitAfter;
    }

    /// <summary>Reports a fault the core detected to the exception controller; the run loop takes the exception it pended.</summary>
    /// <returns><see cref="Continue"/> as a stop reason, or <see cref="StopReason.Lockup"/>.</returns>
    private StopReason DeliverFault(FaultKind kind, uint instructionAddress, uint? address)
    {
        var cause = kind switch
        {
            FaultKind.UndefinedInstruction or FaultKind.UnpredictableInstruction => FaultCause.UndefinedInstruction,
            FaultKind.InvalidState => FaultCause.InvalidState,
            FaultKind.InvalidExceptionReturn => FaultCause.InvalidPc,
            FaultKind.Unaligned => FaultCause.Unaligned,
            FaultKind.DivideByZero => FaultCause.DivideByZero,
            FaultKind.NoCoprocessor => FaultCause.NoCoprocessor,
            FaultKind.DataBusError => FaultCause.PreciseDataBusError,
            FaultKind.SupervisorCall => FaultCause.SupervisorCall,
            FaultKind.DataAccessViolation => FaultCause.DataAccessViolation,
            FaultKind.InstructionAccessViolation => FaultCause.InstructionAccessViolation,
            _ => IsExecuteNever(address ?? instructionAddress) ? FaultCause.InstructionAccessViolation : FaultCause.InstructionBusError,
        };
        return _exc!.RaiseFault(cause, address ?? 0).Lockup ? StopReason.Lockup : (StopReason)Continue;
    }

    /// <summary>Execute-never regions of the default memory map: peripheral, device and system space (MemManage IACCVIOL).</summary>
    private static bool IsExecuteNever(uint address) =>
        address is >= 0x4000_0000 and < 0x6000_0000 || address >= 0xA000_0000;
}
