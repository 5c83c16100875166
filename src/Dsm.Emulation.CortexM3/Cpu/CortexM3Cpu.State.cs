using System.Runtime.CompilerServices;
using Dsm.Emulation.CortexM3.SystemControl;

namespace Dsm.Emulation.CortexM3.Cpu;

/// <summary>The register file r0-r14 (r13 is the active stack pointer; the PC lives apart).</summary>
[InlineArray(16)]
internal struct RegisterFile
{
    private uint _element0;
}

public sealed partial class CortexM3Cpu : IExceptionCore
{
    private RegisterFile _registers;
    private uint _pc;

    // Flags in the form cheapest to update: N is bit 31 of _negative, Z is set when _nonZero == 0,
    // C, V and Q are 0 or 1. An ALU result is stored into both _negative and _nonZero.
    private uint _negative;
    private uint _nonZero = 1;
    private uint _carry;
    private uint _overflow;
    private uint _saturation;

    private byte _itState;
    private bool _thumb = true;
    private uint _ipsr;
    private uint _control;
    private uint _inactiveSp;
    private uint _primask;
    private uint _faultmask;
    private uint _basepri;
    private bool _eventRegister;
    private bool _sleptOnWfe;

    // The local exclusive monitor: open after LDREX until STREX, CLREX (or, next issue, an exception).
    private bool _monitorOpen;
    private uint _monitorAddress;

    private ulong _cycles;
    private ulong _instructions;
    private volatile bool _stopRequested;

    private uint _vectorTableOffset;
    private bool _divideByZeroTrap;
    private bool _unalignedTrap;

    /// <summary>
    /// Offset of the vector table read by <see cref="Reset"/> and exception entry (VTOR). With a system control space
    /// attached (<see cref="AttachSystemControl"/>) this is the SCS's live VTOR and writes here are ignored; without one,
    /// the value set here (0 by default).
    /// </summary>
    public uint VectorTableOffset
    {
        get => _scs?.VectorTableOffset ?? _vectorTableOffset;
        set => _vectorTableOffset = value;
    }

    /// <summary>
    /// CCR.DIV_0_TRP: when set, SDIV/UDIV by zero fault (<see cref="FaultKind.DivideByZero"/>); when clear they return 0.
    /// Follows the attached SCS's CCR live; without one, the value set here.
    /// </summary>
    public bool DivideByZeroTrap
    {
        get => _scs?.DivideByZeroTrap ?? _divideByZeroTrap;
        set => _divideByZeroTrap = value;
    }

    /// <summary>
    /// CCR.UNALIGN_TRP: when set, unaligned LDR/STR/LDRH/STRH (and their variants) fault with <see cref="FaultKind.Unaligned"/>.
    /// Follows the attached SCS's CCR live; without one, the value set here.
    /// </summary>
    public bool UnalignedTrap
    {
        get => _scs?.UnalignedTrap ?? _unalignedTrap;
        set
        {
            _unalignedTrap = value;
            if (_scs is null)
            {
                _unalignedMask4 = value ? 3u : 0u;
                _unalignedMask2 = value ? 1u : 0u;
            }
        }
    }

    /// <summary>The PC: the address of the next instruction to execute. Bit 0 is ignored on writes.</summary>
    public uint Pc
    {
        get => _pc;
        set => _pc = value & ~1u;
    }

    /// <summary>The active stack pointer (r13): SP_process in Thread mode with CONTROL.SPSEL set, else SP_main. Bits [1:0] are always zero.</summary>
    public uint Sp
    {
        get => R(SpIndex);
        set => W(SpIndex, value);
    }

    /// <summary>The link register (r14).</summary>
    public uint Lr
    {
        get => R(LrIndex);
        set => W(LrIndex, value);
    }

    /// <summary>APSR: N, Z, C, V, Q in bits 31..27; the other bits read as zero and ignore writes.</summary>
    public uint Apsr
    {
        get => (_negative & 0x8000_0000u) | (_nonZero == 0 ? 1u << 30 : 0) | (_carry << 29) | (_overflow << 28) | (_saturation << 27);
        set
        {
            _negative = value & 0x8000_0000u;
            _nonZero = ((value >> 30) & 1) ^ 1;
            _carry = (value >> 29) & 1;
            _overflow = (value >> 28) & 1;
            _saturation = (value >> 27) & 1;
        }
    }

    /// <summary>IPSR: the number of the exception being handled, 0 in Thread mode (9 bits).</summary>
    public uint Ipsr
    {
        get => _ipsr;
        set => _ipsr = value & 0x1FF;
    }

    /// <summary>ITSTATE (IT[7:0]): the condition and mask of the IT block in progress, 0 outside one.</summary>
    public byte ItState
    {
        get => _itState;
        set => _itState = value;
    }

    /// <summary>EPSR.T: instructions execute only while it is set; a branch to an even address clears it and the next instruction faults (INVSTATE).</summary>
    public bool ThumbBit
    {
        get => _thumb;
        set => _thumb = value;
    }

    /// <summary>
    /// xPSR: APSR (bits 31..27) | EPSR (T bit 24, IT[1:0] in bits 26:25, IT[7:2] in bits 15:10) | IPSR (bits 8..0).
    /// </summary>
    public uint Xpsr
    {
        get => Apsr | ((uint)(_itState & 3) << 25) | ((uint)(_itState >> 2) << 10) | (_thumb ? 1u << 24 : 0) | _ipsr;
        set
        {
            Apsr = value;
            _itState = (byte)(((value >> 25) & 3) | (((value >> 10) & 0x3F) << 2));
            _thumb = (value & (1u << 24)) != 0;
            Ipsr = value;
        }
    }

    /// <summary>SP_main, whichever stack is active. Bits [1:0] are always zero.</summary>
    public uint Msp
    {
        get => UsesProcessStack ? _inactiveSp : R(SpIndex);
        set
        {
            if (UsesProcessStack)
            {
                _inactiveSp = value & ~3u;
            }
            else
            {
                W(SpIndex, value);
            }
        }
    }

    /// <summary>SP_process, whichever stack is active. Bits [1:0] are always zero.</summary>
    public uint Psp
    {
        get => UsesProcessStack ? R(SpIndex) : _inactiveSp;
        set
        {
            if (UsesProcessStack)
            {
                W(SpIndex, value);
            }
            else
            {
                _inactiveSp = value & ~3u;
            }
        }
    }

    /// <summary>CONTROL: nPRIV (bit 0), SPSEL (bit 1). Changing SPSEL switches the active stack pointer.</summary>
    public uint Control
    {
        get => _control;
        set
        {
            bool wasProcess = UsesProcessStack;
            _control = value & 3;
            if (wasProcess != UsesProcessStack)
            {
                (_inactiveSp, Unsafe.Add(ref Registers, SpIndex)) = (Unsafe.Add(ref Registers, SpIndex), _inactiveSp);
            }
        }
    }

    /// <summary>PRIMASK (bit 0).</summary>
    public uint Primask
    {
        get => _primask;
        set
        {
            _primask = value & 1;
            MasksChanged?.Invoke();
        }
    }

    /// <summary>FAULTMASK (bit 0).</summary>
    public uint Faultmask
    {
        get => _faultmask;
        set
        {
            _faultmask = value & 1;
            MasksChanged?.Invoke();
        }
    }

    /// <summary>BASEPRI (bits 7..0).</summary>
    public uint Basepri
    {
        get => _basepri;
        set
        {
            _basepri = value & 0xFF;
            MasksChanged?.Invoke();
        }
    }

    /// <summary>Called after PRIMASK, FAULTMASK or BASEPRI change (by MSR, CPS or these properties), for the exception controller.</summary>
    public Action? MasksChanged { get; set; }

    /// <summary>True while handling an exception (IPSR != 0).</summary>
    public bool HandlerMode => _ipsr != 0;

    /// <summary>True in Handler mode or when CONTROL.nPRIV is clear.</summary>
    public bool IsPrivileged => _ipsr != 0 || (_control & 1) == 0;

    /// <summary>The event register WFE waits on (set by SEV and, next issue, by exceptions).</summary>
    public bool EventRegister
    {
        get => _eventRegister;
        set => _eventRegister = value;
    }

    /// <summary>Whether the local exclusive monitor is open (after LDREX, before STREX/CLREX).</summary>
    public bool ExclusiveMonitorOpen => _monitorOpen;

    /// <summary>Address of the instruction executing; valid inside callbacks (BKPT) and after a fault.</summary>
    public uint CurrentInstructionAddress { get; private set; }

    private bool UsesProcessStack => (_control & 2) != 0;

    private const int SpIndex = 13;
    private const int LrIndex = 14;

    private ref uint Registers => ref Unsafe.As<RegisterFile, uint>(ref _registers);

    /// <summary>Reads r0-r15 (r13 = the active SP, r15 = <see cref="Pc"/>).</summary>
    /// <param name="n">Register number 0-15.</param>
    /// <returns>The value.</returns>
    public uint GetRegister(int n)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)n, 15u, nameof(n));
        return n == 15 ? _pc : R(n);
    }

    /// <summary>Writes r0-r15 (r13 = the active SP with bits [1:0] forced to zero, r15 = <see cref="Pc"/> with bit 0 ignored).</summary>
    /// <param name="n">Register number 0-15.</param>
    /// <param name="value">The value.</param>
    public void SetRegister(int n, uint value)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)n, 15u, nameof(n));
        if (n == 15)
        {
            Pc = value;
        }
        else
        {
            W(n, value);
        }
    }

    /// <summary>
    /// Takes the reset: SP_main and the PC from the vector table at <see cref="VectorTableOffset"/>, everything else to
    /// its reset value (PSP, CONTROL, the masks, IPSR, ITSTATE zero; LR 0xFFFFFFFF; the exclusive monitor and event
    /// register clear). <see cref="Cycles"/> and <see cref="Instructions"/> keep counting.
    /// </summary>
    /// <exception cref="InvalidOperationException">The vector table cannot be read.</exception>
    public void Reset()
    {
        if (!Bus.TryRead(VectorTableOffset, 4, out uint initialSp) || !Bus.TryRead(VectorTableOffset + 4, 4, out uint resetVector))
        {
            throw new InvalidOperationException($"No memory holds the vector table at 0x{VectorTableOffset:X8}.");
        }

        _registers = default;
        _control = 0;
        _ipsr = 0;
        _inactiveSp = 0;
        W(SpIndex, initialSp);
        W(LrIndex, 0xFFFF_FFFF);
        _pc = resetVector & ~1u;
        _thumb = (resetVector & 1) != 0;
        Apsr = 0;
        _itState = 0;
        _primask = 0;
        _faultmask = 0;
        _basepri = 0;
        _monitorOpen = false;
        _eventRegister = false;
        LastFault = null;
    }

    /// <inheritdoc />
    public void ClearCurrentException() => _ipsr = 0;

    /// <inheritdoc />
    public void SignalEvent() => _eventRegister = true;

    /// <summary>
    /// Asks <see cref="Run"/> to return <see cref="StopReason.StopRequested"/> at the next block boundary (within a few
    /// dozen instructions). Safe to call from a BKPT handler or another thread.
    /// </summary>
    public void RequestStop() => _stopRequested = true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint R(int n) => Unsafe.Add(ref Registers, n);

    /// <summary>Writes a register; SP writes drop bits [1:0] as on every ARMv7-M core.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void W(int n, uint value)
    {
        if (n == SpIndex)
        {
            value &= ~3u;
        }

        Unsafe.Add(ref Registers, n) = value;
    }
}
