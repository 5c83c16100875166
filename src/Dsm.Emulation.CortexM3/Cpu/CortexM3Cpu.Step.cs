using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Dsm.Emulation.CortexM3.Cpu;

/// <summary>
/// The general executor: every operation, one instruction at a time. The fast loop (<c>RunFast</c>) hands it
/// the operations it does not inline; the IT-block path and single steps use it for everything.
/// </summary>
public sealed partial class CortexM3Cpu
{
    // An executor's result when the run goes on (otherwise it returns a StopReason).
    private const int Continue = -1;

    // What Step tells its caller to do next.
    private const int StepNext = 0;
    private const int StepBranch = 1;
    private const int StepFault = 2;
    private const int StepLeaveAfter = 3;
    private const int StepStopAfter = 4;
    private const int StepBreakpoint = 5;
    private const int StepExitAfter = 6;

    // The reason a StepStopAfter stops the core.
    private StopReason _stepStopReason;

    /// <summary>
    /// Executes one decoded instruction whose cycles are already counted. Returns <see cref="StepNext"/>,
    /// <see cref="StepBranch"/> (with <paramref name="nextPc"/>, interworking applied), <see cref="StepFault"/>
    /// (the pending fault set), <see cref="StepLeaveAfter"/> (it rewrote decoded code: leave the block after it),
    /// <see cref="StepExitAfter"/> (it changed state the run loop checks: IT, masks, CONTROL),
    /// <see cref="StepStopAfter"/> (it completed and the core stops: WFI/WFE) or <see cref="StepBreakpoint"/>
    /// (nothing done yet: the caller runs the BKPT handler with the state committed).
    /// </summary>
    /// <param name="d">The instruction.</param>
    /// <param name="nextAddress">Address of the following instruction (the return address of BL/BLX).</param>
    /// <param name="cycles">Cycle accumulator, for data-dependent extras.</param>
    /// <param name="nextPc">Branch target when the result is <see cref="StepBranch"/>.</param>
    /// <returns>What to do next.</returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int Step(ref DecodedInstruction d, uint nextAddress, ref ulong cycles, out uint nextPc)
    {
        nextPc = 0;
        switch (d.Op)
        {
            // Data processing.
            case Op.AndImm:
                W(d.Rd, R(d.Rn) & d.Imm);
                return StepNext;

            case Op.AndsImm:
                {
                    uint result = R(d.Rn) & d.Imm;
                    W(d.Rd, result);
                    SetNZ(result);
                    ImmediateCarry(in d);
                    return StepNext;
                }

            case Op.AndReg:
                W(d.Rd, R(d.Rn) & R(d.Rm));
                return StepNext;

            case Op.AndsReg:
                {
                    uint result = R(d.Rn) & R(d.Rm);
                    W(d.Rd, result);
                    SetNZ(result);
                    return StepNext;
                }

            case Op.AndShf:
                W(d.Rd, R(d.Rn) & Shift(R(d.Rm), d.ShiftType, d.ShiftAmount));
                return StepNext;

            case Op.AndsShf:
                {
                    uint result = R(d.Rn) & ShiftWithCarry(R(d.Rm), d.ShiftType, d.ShiftAmount);
                    W(d.Rd, result);
                    SetNZ(result);
                    return StepNext;
                }

            case Op.BicImm:
                W(d.Rd, R(d.Rn) & ~d.Imm);
                return StepNext;

            case Op.BicsImm:
                {
                    uint result = R(d.Rn) & ~d.Imm;
                    W(d.Rd, result);
                    SetNZ(result);
                    ImmediateCarry(in d);
                    return StepNext;
                }

            case Op.BicReg:
                W(d.Rd, R(d.Rn) & ~R(d.Rm));
                return StepNext;

            case Op.BicsReg:
                {
                    uint result = R(d.Rn) & ~R(d.Rm);
                    W(d.Rd, result);
                    SetNZ(result);
                    return StepNext;
                }

            case Op.BicShf:
                W(d.Rd, R(d.Rn) & ~Shift(R(d.Rm), d.ShiftType, d.ShiftAmount));
                return StepNext;

            case Op.BicsShf:
                {
                    uint result = R(d.Rn) & ~ShiftWithCarry(R(d.Rm), d.ShiftType, d.ShiftAmount);
                    W(d.Rd, result);
                    SetNZ(result);
                    return StepNext;
                }

            case Op.OrrImm:
                W(d.Rd, R(d.Rn) | d.Imm);
                return StepNext;

            case Op.OrrsImm:
                {
                    uint result = R(d.Rn) | d.Imm;
                    W(d.Rd, result);
                    SetNZ(result);
                    ImmediateCarry(in d);
                    return StepNext;
                }

            case Op.OrrReg:
                W(d.Rd, R(d.Rn) | R(d.Rm));
                return StepNext;

            case Op.OrrsReg:
                {
                    uint result = R(d.Rn) | R(d.Rm);
                    W(d.Rd, result);
                    SetNZ(result);
                    return StepNext;
                }

            case Op.OrrShf:
                W(d.Rd, R(d.Rn) | Shift(R(d.Rm), d.ShiftType, d.ShiftAmount));
                return StepNext;

            case Op.OrrsShf:
                {
                    uint result = R(d.Rn) | ShiftWithCarry(R(d.Rm), d.ShiftType, d.ShiftAmount);
                    W(d.Rd, result);
                    SetNZ(result);
                    return StepNext;
                }

            case Op.OrnImm:
                W(d.Rd, R(d.Rn) | ~d.Imm);
                return StepNext;

            case Op.OrnsImm:
                {
                    uint result = R(d.Rn) | ~d.Imm;
                    W(d.Rd, result);
                    SetNZ(result);
                    ImmediateCarry(in d);
                    return StepNext;
                }

            case Op.OrnReg:
                W(d.Rd, R(d.Rn) | ~R(d.Rm));
                return StepNext;

            case Op.OrnsReg:
                {
                    uint result = R(d.Rn) | ~R(d.Rm);
                    W(d.Rd, result);
                    SetNZ(result);
                    return StepNext;
                }

            case Op.OrnShf:
                W(d.Rd, R(d.Rn) | ~Shift(R(d.Rm), d.ShiftType, d.ShiftAmount));
                return StepNext;

            case Op.OrnsShf:
                {
                    uint result = R(d.Rn) | ~ShiftWithCarry(R(d.Rm), d.ShiftType, d.ShiftAmount);
                    W(d.Rd, result);
                    SetNZ(result);
                    return StepNext;
                }

            case Op.EorImm:
                W(d.Rd, R(d.Rn) ^ d.Imm);
                return StepNext;

            case Op.EorsImm:
                {
                    uint result = R(d.Rn) ^ d.Imm;
                    W(d.Rd, result);
                    SetNZ(result);
                    ImmediateCarry(in d);
                    return StepNext;
                }

            case Op.EorReg:
                W(d.Rd, R(d.Rn) ^ R(d.Rm));
                return StepNext;

            case Op.EorsReg:
                {
                    uint result = R(d.Rn) ^ R(d.Rm);
                    W(d.Rd, result);
                    SetNZ(result);
                    return StepNext;
                }

            case Op.EorShf:
                W(d.Rd, R(d.Rn) ^ Shift(R(d.Rm), d.ShiftType, d.ShiftAmount));
                return StepNext;

            case Op.EorsShf:
                {
                    uint result = R(d.Rn) ^ ShiftWithCarry(R(d.Rm), d.ShiftType, d.ShiftAmount);
                    W(d.Rd, result);
                    SetNZ(result);
                    return StepNext;
                }

            case Op.AddImm:
                W(d.Rd, R(d.Rn) + d.Imm);
                return StepNext;

            case Op.AddsImm:
                W(d.Rd, AddWithCarry(R(d.Rn), d.Imm, 0));
                return StepNext;

            case Op.AddReg:
                W(d.Rd, R(d.Rn) + R(d.Rm));
                return StepNext;

            case Op.AddsReg:
                W(d.Rd, AddWithCarry(R(d.Rn), R(d.Rm), 0));
                return StepNext;

            case Op.AddShf:
                W(d.Rd, R(d.Rn) + Shift(R(d.Rm), d.ShiftType, d.ShiftAmount));
                return StepNext;

            case Op.AddsShf:
                W(d.Rd, AddWithCarry(R(d.Rn), Shift(R(d.Rm), d.ShiftType, d.ShiftAmount), 0));
                return StepNext;

            case Op.AdcImm:
                W(d.Rd, R(d.Rn) + d.Imm + _carry);
                return StepNext;

            case Op.AdcsImm:
                W(d.Rd, AddWithCarry(R(d.Rn), d.Imm, _carry));
                return StepNext;

            case Op.AdcReg:
                W(d.Rd, R(d.Rn) + R(d.Rm) + _carry);
                return StepNext;

            case Op.AdcsReg:
                W(d.Rd, AddWithCarry(R(d.Rn), R(d.Rm), _carry));
                return StepNext;

            case Op.AdcShf:
                W(d.Rd, R(d.Rn) + Shift(R(d.Rm), d.ShiftType, d.ShiftAmount) + _carry);
                return StepNext;

            case Op.AdcsShf:
                W(d.Rd, AddWithCarry(R(d.Rn), Shift(R(d.Rm), d.ShiftType, d.ShiftAmount), _carry));
                return StepNext;

            case Op.SubImm:
                W(d.Rd, R(d.Rn) - d.Imm);
                return StepNext;

            case Op.SubsImm:
                W(d.Rd, AddWithCarry(R(d.Rn), ~d.Imm, 1));
                return StepNext;

            case Op.SubReg:
                W(d.Rd, R(d.Rn) - R(d.Rm));
                return StepNext;

            case Op.SubsReg:
                W(d.Rd, AddWithCarry(R(d.Rn), ~R(d.Rm), 1));
                return StepNext;

            case Op.SubShf:
                W(d.Rd, R(d.Rn) - Shift(R(d.Rm), d.ShiftType, d.ShiftAmount));
                return StepNext;

            case Op.SubsShf:
                W(d.Rd, AddWithCarry(R(d.Rn), ~Shift(R(d.Rm), d.ShiftType, d.ShiftAmount), 1));
                return StepNext;

            case Op.SbcImm:
                W(d.Rd, R(d.Rn) + ~d.Imm + _carry);
                return StepNext;

            case Op.SbcsImm:
                W(d.Rd, AddWithCarry(R(d.Rn), ~d.Imm, _carry));
                return StepNext;

            case Op.SbcReg:
                W(d.Rd, R(d.Rn) + ~R(d.Rm) + _carry);
                return StepNext;

            case Op.SbcsReg:
                W(d.Rd, AddWithCarry(R(d.Rn), ~R(d.Rm), _carry));
                return StepNext;

            case Op.SbcShf:
                W(d.Rd, R(d.Rn) + ~Shift(R(d.Rm), d.ShiftType, d.ShiftAmount) + _carry);
                return StepNext;

            case Op.SbcsShf:
                W(d.Rd, AddWithCarry(R(d.Rn), ~Shift(R(d.Rm), d.ShiftType, d.ShiftAmount), _carry));
                return StepNext;

            case Op.RsbImm:
                W(d.Rd, d.Imm - R(d.Rn));
                return StepNext;

            case Op.RsbsImm:
                W(d.Rd, AddWithCarry(~R(d.Rn), d.Imm, 1));
                return StepNext;

            case Op.RsbReg:
                W(d.Rd, R(d.Rm) - R(d.Rn));
                return StepNext;

            case Op.RsbsReg:
                W(d.Rd, AddWithCarry(~R(d.Rn), R(d.Rm), 1));
                return StepNext;

            case Op.RsbShf:
                W(d.Rd, Shift(R(d.Rm), d.ShiftType, d.ShiftAmount) - R(d.Rn));
                return StepNext;

            case Op.RsbsShf:
                W(d.Rd, AddWithCarry(~R(d.Rn), Shift(R(d.Rm), d.ShiftType, d.ShiftAmount), 1));
                return StepNext;

            case Op.MovImm:
                W(d.Rd, d.Imm);
                return StepNext;

            case Op.MovsImm:
                {
                    uint result = d.Imm;
                    W(d.Rd, result);
                    SetNZ(result);
                    ImmediateCarry(in d);
                    return StepNext;
                }

            case Op.MovReg:
                W(d.Rd, R(d.Rm));
                return StepNext;

            case Op.MovsReg:
                {
                    uint result = R(d.Rm);
                    W(d.Rd, result);
                    SetNZ(result);
                    return StepNext;
                }

            case Op.MovShf:
                W(d.Rd, Shift(R(d.Rm), d.ShiftType, d.ShiftAmount));
                return StepNext;

            case Op.MovsShf:
                {
                    uint result = ShiftWithCarry(R(d.Rm), d.ShiftType, d.ShiftAmount);
                    W(d.Rd, result);
                    SetNZ(result);
                    return StepNext;
                }

            case Op.MvnImm:
                W(d.Rd, ~d.Imm);
                return StepNext;

            case Op.MvnsImm:
                {
                    uint result = ~d.Imm;
                    W(d.Rd, result);
                    SetNZ(result);
                    ImmediateCarry(in d);
                    return StepNext;
                }

            case Op.MvnReg:
                W(d.Rd, ~R(d.Rm));
                return StepNext;

            case Op.MvnsReg:
                {
                    uint result = ~R(d.Rm);
                    W(d.Rd, result);
                    SetNZ(result);
                    return StepNext;
                }

            case Op.MvnShf:
                W(d.Rd, ~Shift(R(d.Rm), d.ShiftType, d.ShiftAmount));
                return StepNext;

            case Op.MvnsShf:
                {
                    uint result = ~ShiftWithCarry(R(d.Rm), d.ShiftType, d.ShiftAmount);
                    W(d.Rd, result);
                    SetNZ(result);
                    return StepNext;
                }

            case Op.TstImm:
                SetNZ(R(d.Rn) & d.Imm);
                ImmediateCarry(in d);
                return StepNext;

            case Op.TstReg:
                SetNZ(R(d.Rn) & R(d.Rm));
                return StepNext;

            case Op.TstShf:
                SetNZ(R(d.Rn) & ShiftWithCarry(R(d.Rm), d.ShiftType, d.ShiftAmount));
                return StepNext;

            case Op.TeqImm:
                SetNZ(R(d.Rn) ^ d.Imm);
                ImmediateCarry(in d);
                return StepNext;

            case Op.TeqReg:
                SetNZ(R(d.Rn) ^ R(d.Rm));
                return StepNext;

            case Op.TeqShf:
                SetNZ(R(d.Rn) ^ ShiftWithCarry(R(d.Rm), d.ShiftType, d.ShiftAmount));
                return StepNext;

            case Op.CmpImm:
                AddWithCarry(R(d.Rn), ~d.Imm, 1);
                return StepNext;

            case Op.CmpReg:
                AddWithCarry(R(d.Rn), ~R(d.Rm), 1);
                return StepNext;

            case Op.CmpShf:
                AddWithCarry(R(d.Rn), ~Shift(R(d.Rm), d.ShiftType, d.ShiftAmount), 1);
                return StepNext;

            case Op.CmnImm:
                AddWithCarry(R(d.Rn), d.Imm, 0);
                return StepNext;

            case Op.CmnReg:
                AddWithCarry(R(d.Rn), R(d.Rm), 0);
                return StepNext;

            case Op.CmnShf:
                AddWithCarry(R(d.Rn), Shift(R(d.Rm), d.ShiftType, d.ShiftAmount), 0);
                return StepNext;


            case Op.LslReg:
                {
                    uint amount = R(d.Rm) & 0xFF;
                    W(d.Rd, amount < 32 ? R(d.Rn) << (int)amount : 0);
                    return StepNext;
                }

            case Op.LslsReg:
                {
                    uint result = ShiftLeftWithCarry(R(d.Rn), R(d.Rm) & 0xFF);
                    W(d.Rd, result);
                    SetNZ(result);
                    return StepNext;
                }

            case Op.LsrReg:
                {
                    uint amount = R(d.Rm) & 0xFF;
                    W(d.Rd, amount < 32 ? R(d.Rn) >> (int)amount : 0);
                    return StepNext;
                }

            case Op.LsrsReg:
                {
                    uint result = ShiftRightWithCarry(R(d.Rn), R(d.Rm) & 0xFF);
                    W(d.Rd, result);
                    SetNZ(result);
                    return StepNext;
                }

            case Op.AsrReg:
                {
                    uint amount = R(d.Rm) & 0xFF;
                    W(d.Rd, (uint)((int)R(d.Rn) >> (int)Math.Min(amount, 31u)));
                    return StepNext;
                }

            case Op.AsrsReg:
                {
                    uint result = ArithmeticShiftRightWithCarry(R(d.Rn), R(d.Rm) & 0xFF);
                    W(d.Rd, result);
                    SetNZ(result);
                    return StepNext;
                }

            case Op.RorReg:
                W(d.Rd, BitOperations.RotateRight(R(d.Rn), (int)(R(d.Rm) & 31)));
                return StepNext;

            case Op.RorsReg:
                {
                    uint value = R(d.Rn), amount = R(d.Rm) & 0xFF;
                    if (amount != 0)
                    {
                        value = BitOperations.RotateRight(value, (int)(amount & 31));
                        _carry = value >> 31;
                    }

                    W(d.Rd, value);
                    SetNZ(value);
                    return StepNext;
                }

            case Op.LslImm:
                W(d.Rd, R(d.Rm) << d.ShiftAmount);
                return StepNext;

            case Op.LslsImm:
            case Op.LsrsImm:
            case Op.AsrsImm:
                {
                    uint result = ShiftWithCarry(R(d.Rm), (int)(d.Op - Op.LslsImm) / 2, d.ShiftAmount);
                    W(d.Rd, result);
                    SetNZ(result);
                    return StepNext;
                }

            case Op.LsrImm:
                W(d.Rd, d.ShiftAmount >= 32 ? 0 : R(d.Rm) >> d.ShiftAmount);
                return StepNext;

            case Op.AsrImm:
                W(d.Rd, (uint)((int)R(d.Rm) >> Math.Min((int)d.ShiftAmount, 31)));
                return StepNext;

            case Op.Movt:
                W(d.Rd, (R(d.Rd) & 0xFFFF) | d.Imm);
                return StepNext;

            // Multiply and divide.
            case Op.Mul:
                W(d.Rd, R(d.Rn) * R(d.Rm));
                return StepNext;

            case Op.Muls:
                {
                    uint result = R(d.Rn) * R(d.Rm);
                    W(d.Rd, result);
                    SetNZ(result);
                    return StepNext;
                }

            case Op.Mla:
                W(d.Rd, R(d.Ra) + (R(d.Rn) * R(d.Rm)));
                return StepNext;

            case Op.Mls:
                W(d.Rd, R(d.Ra) - (R(d.Rn) * R(d.Rm)));
                return StepNext;

            case Op.Umull:
                {
                    uint n = R(d.Rn), m = R(d.Rm);
                    ulong product = (ulong)n * m;
                    cycles += LongMultiplyExtraCycles(n, m, false);
                    W(d.Rd, (uint)product);
                    W(d.Ra, (uint)(product >> 32));
                    return StepNext;
                }

            case Op.Smull:
                {
                    uint n = R(d.Rn), m = R(d.Rm);
                    long product = (long)(int)n * (int)m;
                    cycles += LongMultiplyExtraCycles(n, m, true);
                    W(d.Rd, (uint)product);
                    W(d.Ra, (uint)((ulong)product >> 32));
                    return StepNext;
                }

            case Op.Umlal:
                {
                    uint n = R(d.Rn), m = R(d.Rm);
                    ulong result = (((ulong)R(d.Ra) << 32) | R(d.Rd)) + ((ulong)n * m);
                    cycles += LongMultiplyExtraCycles(n, m, false);
                    W(d.Rd, (uint)result);
                    W(d.Ra, (uint)(result >> 32));
                    return StepNext;
                }

            case Op.Smlal:
                {
                    uint n = R(d.Rn), m = R(d.Rm);
                    ulong result = (((ulong)R(d.Ra) << 32) | R(d.Rd)) + (ulong)((long)(int)n * (int)m);
                    cycles += LongMultiplyExtraCycles(n, m, true);
                    W(d.Rd, (uint)result);
                    W(d.Ra, (uint)(result >> 32));
                    return StepNext;
                }

            case Op.Udiv:
                {
                    uint n = R(d.Rn), m = R(d.Rm);
                    if (m == 0 && DivideByZeroTrap)
                    {
                        _pendingFault = FaultKind.DivideByZero;
                        _pendingFaultAddress = null;
                        return StepFault;
                    }

                    cycles += DivideCycles(n, m);
                    W(d.Rd, m == 0 ? 0 : n / m);
                    return StepNext;
                }

            case Op.Sdiv:
                {
                    int n = (int)R(d.Rn), m = (int)R(d.Rm);
                    if (m == 0 && DivideByZeroTrap)
                    {
                        _pendingFault = FaultKind.DivideByZero;
                        _pendingFaultAddress = null;
                        return StepFault;
                    }

                    cycles += DivideCycles((uint)Math.Abs((long)n), (uint)Math.Abs((long)m));
                    W(d.Rd, m == 0 ? 0 : (n == int.MinValue && m == -1) ? (uint)n : (uint)(n / m));
                    return StepNext;
                }

            // Bit fields, extends, byte and bit operations, saturation.
            case Op.Bfi:
                W(d.Rd, (R(d.Rd) & ~d.Imm) | ((R(d.Rn) << d.ShiftAmount) & d.Imm));
                return StepNext;

            case Op.Bfc:
                W(d.Rd, R(d.Rd) & ~d.Imm);
                return StepNext;

            case Op.Ubfx:
                {
                    uint value = R(d.Rn) >> d.ShiftAmount;
                    W(d.Rd, d.ShiftType == 32 ? value : value & ((1u << d.ShiftType) - 1));
                    return StepNext;
                }

            case Op.Sbfx:
                W(d.Rd, (uint)((int)(R(d.Rn) << (32 - d.ShiftAmount - d.ShiftType)) >> (32 - d.ShiftType)));
                return StepNext;

            case Op.Sxtb:
                W(d.Rd, (uint)(sbyte)BitOperations.RotateRight(R(d.Rm), d.ShiftAmount));
                return StepNext;

            case Op.Sxth:
                W(d.Rd, (uint)(short)BitOperations.RotateRight(R(d.Rm), d.ShiftAmount));
                return StepNext;

            case Op.Uxtb:
                W(d.Rd, (byte)BitOperations.RotateRight(R(d.Rm), d.ShiftAmount));
                return StepNext;

            case Op.Uxth:
                W(d.Rd, (ushort)BitOperations.RotateRight(R(d.Rm), d.ShiftAmount));
                return StepNext;

            case Op.Rev:
                W(d.Rd, BinaryPrimitives.ReverseEndianness(R(d.Rm)));
                return StepNext;

            case Op.Rev16:
                {
                    uint value = R(d.Rm);
                    W(d.Rd, ((value & 0x00FF00FF) << 8) | ((value >> 8) & 0x00FF00FF));
                    return StepNext;
                }

            case Op.Revsh:
                W(d.Rd, (uint)(short)BinaryPrimitives.ReverseEndianness((ushort)R(d.Rm)));
                return StepNext;

            case Op.Rbit:
                W(d.Rd, ReverseBits(R(d.Rm)));
                return StepNext;

            case Op.Clz:
                W(d.Rd, (uint)BitOperations.LeadingZeroCount(R(d.Rm)));
                return StepNext;

            case Op.Ssat:
                W(d.Rd, SignedSaturate((int)Shift(R(d.Rn), d.ShiftType, d.ShiftAmount), (int)d.Imm));
                return StepNext;

            case Op.Usat:
                W(d.Rd, UnsignedSaturate((int)Shift(R(d.Rn), d.ShiftType, d.ShiftAmount), (int)d.Imm));
                return StepNext;

            // Single loads.
            case Op.LdrImm:
                {
                    if (!Read32(R(d.Rn) + d.Imm, out uint value))
                    {
                        return StepFault;
                    }

                    W(d.Rd, value);
                    return StepNext;
                }

            case Op.LdrReg:
                {
                    if (!Read32(R(d.Rn) + (R(d.Rm) << d.ShiftAmount), out uint value))
                    {
                        return StepFault;
                    }

                    W(d.Rd, value);
                    return StepNext;
                }

            case Op.LdrPre:
                {
                    uint address = R(d.Rn) + d.Imm;
                    if (!Read32(address, out uint value))
                    {
                        return StepFault;
                    }

                    W(d.Rn, address);
                    W(d.Rd, value);
                    return StepNext;
                }

            case Op.LdrPost:
                {
                    uint address = R(d.Rn);
                    if (!Read32(address, out uint value))
                    {
                        return StepFault;
                    }

                    W(d.Rn, address + d.Imm);
                    W(d.Rd, value);
                    return StepNext;
                }

            case Op.LdrLit:
                {
                    if (!Read32(d.Imm, out uint value))
                    {
                        return StepFault;
                    }

                    W(d.Rd, value);
                    return StepNext;
                }

            case Op.LdrhImm:
                {
                    if (!Read16(R(d.Rn) + d.Imm, out uint value))
                    {
                        return StepFault;
                    }

                    W(d.Rd, value);
                    return StepNext;
                }

            case Op.LdrhReg:
                {
                    if (!Read16(R(d.Rn) + (R(d.Rm) << d.ShiftAmount), out uint value))
                    {
                        return StepFault;
                    }

                    W(d.Rd, value);
                    return StepNext;
                }

            case Op.LdrhPre:
                {
                    uint address = R(d.Rn) + d.Imm;
                    if (!Read16(address, out uint value))
                    {
                        return StepFault;
                    }

                    W(d.Rn, address);
                    W(d.Rd, value);
                    return StepNext;
                }

            case Op.LdrhPost:
                {
                    uint address = R(d.Rn);
                    if (!Read16(address, out uint value))
                    {
                        return StepFault;
                    }

                    W(d.Rn, address + d.Imm);
                    W(d.Rd, value);
                    return StepNext;
                }

            case Op.LdrhLit:
                {
                    if (!Read16(d.Imm, out uint value))
                    {
                        return StepFault;
                    }

                    W(d.Rd, value);
                    return StepNext;
                }

            case Op.LdrshImm:
                {
                    if (!Read16(R(d.Rn) + d.Imm, out uint value))
                    {
                        return StepFault;
                    }

                    W(d.Rd, (uint)(short)value);
                    return StepNext;
                }

            case Op.LdrshReg:
                {
                    if (!Read16(R(d.Rn) + (R(d.Rm) << d.ShiftAmount), out uint value))
                    {
                        return StepFault;
                    }

                    W(d.Rd, (uint)(short)value);
                    return StepNext;
                }

            case Op.LdrshPre:
                {
                    uint address = R(d.Rn) + d.Imm;
                    if (!Read16(address, out uint value))
                    {
                        return StepFault;
                    }

                    W(d.Rn, address);
                    W(d.Rd, (uint)(short)value);
                    return StepNext;
                }

            case Op.LdrshPost:
                {
                    uint address = R(d.Rn);
                    if (!Read16(address, out uint value))
                    {
                        return StepFault;
                    }

                    W(d.Rn, address + d.Imm);
                    W(d.Rd, (uint)(short)value);
                    return StepNext;
                }

            case Op.LdrshLit:
                {
                    if (!Read16(d.Imm, out uint value))
                    {
                        return StepFault;
                    }

                    W(d.Rd, (uint)(short)value);
                    return StepNext;
                }

            case Op.LdrbImm:
                {
                    if (!Read8(R(d.Rn) + d.Imm, out uint value))
                    {
                        return StepFault;
                    }

                    W(d.Rd, value);
                    return StepNext;
                }

            case Op.LdrbReg:
                {
                    if (!Read8(R(d.Rn) + (R(d.Rm) << d.ShiftAmount), out uint value))
                    {
                        return StepFault;
                    }

                    W(d.Rd, value);
                    return StepNext;
                }

            case Op.LdrbPre:
                {
                    uint address = R(d.Rn) + d.Imm;
                    if (!Read8(address, out uint value))
                    {
                        return StepFault;
                    }

                    W(d.Rn, address);
                    W(d.Rd, value);
                    return StepNext;
                }

            case Op.LdrbPost:
                {
                    uint address = R(d.Rn);
                    if (!Read8(address, out uint value))
                    {
                        return StepFault;
                    }

                    W(d.Rn, address + d.Imm);
                    W(d.Rd, value);
                    return StepNext;
                }

            case Op.LdrbLit:
                {
                    if (!Read8(d.Imm, out uint value))
                    {
                        return StepFault;
                    }

                    W(d.Rd, value);
                    return StepNext;
                }

            case Op.LdrsbImm:
                {
                    if (!Read8(R(d.Rn) + d.Imm, out uint value))
                    {
                        return StepFault;
                    }

                    W(d.Rd, (uint)(sbyte)value);
                    return StepNext;
                }

            case Op.LdrsbReg:
                {
                    if (!Read8(R(d.Rn) + (R(d.Rm) << d.ShiftAmount), out uint value))
                    {
                        return StepFault;
                    }

                    W(d.Rd, (uint)(sbyte)value);
                    return StepNext;
                }

            case Op.LdrsbPre:
                {
                    uint address = R(d.Rn) + d.Imm;
                    if (!Read8(address, out uint value))
                    {
                        return StepFault;
                    }

                    W(d.Rn, address);
                    W(d.Rd, (uint)(sbyte)value);
                    return StepNext;
                }

            case Op.LdrsbPost:
                {
                    uint address = R(d.Rn);
                    if (!Read8(address, out uint value))
                    {
                        return StepFault;
                    }

                    W(d.Rn, address + d.Imm);
                    W(d.Rd, (uint)(sbyte)value);
                    return StepNext;
                }

            case Op.LdrsbLit:
                {
                    if (!Read8(d.Imm, out uint value))
                    {
                        return StepFault;
                    }

                    W(d.Rd, (uint)(sbyte)value);
                    return StepNext;
                }
            // Single stores.
            case Op.StrImm:
                if (!Write32(R(d.Rn) + d.Imm, R(d.Rd)))
                {
                    return StepFault;
                }

                if (_codeModified)
                {
                    _codeModified = false;
                    return StepLeaveAfter;
                }

                return StepNext;

            case Op.StrReg:
                if (!Write32(R(d.Rn) + (R(d.Rm) << d.ShiftAmount), R(d.Rd)))
                {
                    return StepFault;
                }

                if (_codeModified)
                {
                    _codeModified = false;
                    return StepLeaveAfter;
                }

                return StepNext;

            case Op.StrPre:
                {
                    uint address = R(d.Rn) + d.Imm;
                    if (!Write32(address, R(d.Rd)))
                    {
                        return StepFault;
                    }

                    W(d.Rn, address);
                    if (_codeModified)
                    {
                        _codeModified = false;
                        return StepLeaveAfter;
                    }

                    return StepNext;
                }

            case Op.StrPost:
                {
                    uint address = R(d.Rn);
                    if (!Write32(address, R(d.Rd)))
                    {
                        return StepFault;
                    }

                    W(d.Rn, address + d.Imm);
                    if (_codeModified)
                    {
                        _codeModified = false;
                        return StepLeaveAfter;
                    }

                    return StepNext;
                }

            case Op.StrhImm:
                {
                    if (!Write16(R(d.Rn) + d.Imm, R(d.Rd)))
                    {
                        return StepFault;
                    }

                    if (_codeModified)
                    {
                        _codeModified = false;
                        return StepLeaveAfter;
                    }

                    return StepNext;
                }

            case Op.StrhReg:
                {
                    if (!Write16(R(d.Rn) + (R(d.Rm) << d.ShiftAmount), R(d.Rd)))
                    {
                        return StepFault;
                    }

                    if (_codeModified)
                    {
                        _codeModified = false;
                        return StepLeaveAfter;
                    }

                    return StepNext;
                }

            case Op.StrhPre:
                {
                    uint address = R(d.Rn) + d.Imm;
                    if (!Write16(address, R(d.Rd)))
                    {
                        return StepFault;
                    }

                    W(d.Rn, address);
                    if (_codeModified)
                    {
                        _codeModified = false;
                        return StepLeaveAfter;
                    }

                    return StepNext;
                }

            case Op.StrhPost:
                {
                    uint address = R(d.Rn);
                    if (!Write16(address, R(d.Rd)))
                    {
                        return StepFault;
                    }

                    W(d.Rn, address + d.Imm);
                    if (_codeModified)
                    {
                        _codeModified = false;
                        return StepLeaveAfter;
                    }

                    return StepNext;
                }

            case Op.StrbImm:
                {
                    if (!Write8(R(d.Rn) + d.Imm, R(d.Rd)))
                    {
                        return StepFault;
                    }

                    if (_codeModified)
                    {
                        _codeModified = false;
                        return StepLeaveAfter;
                    }

                    return StepNext;
                }

            case Op.StrbReg:
                {
                    if (!Write8(R(d.Rn) + (R(d.Rm) << d.ShiftAmount), R(d.Rd)))
                    {
                        return StepFault;
                    }

                    if (_codeModified)
                    {
                        _codeModified = false;
                        return StepLeaveAfter;
                    }

                    return StepNext;
                }

            case Op.StrbPre:
                {
                    uint address = R(d.Rn) + d.Imm;
                    if (!Write8(address, R(d.Rd)))
                    {
                        return StepFault;
                    }

                    W(d.Rn, address);
                    if (_codeModified)
                    {
                        _codeModified = false;
                        return StepLeaveAfter;
                    }

                    return StepNext;
                }

            case Op.StrbPost:
                {
                    uint address = R(d.Rn);
                    if (!Write8(address, R(d.Rd)))
                    {
                        return StepFault;
                    }

                    W(d.Rn, address + d.Imm);
                    if (_codeModified)
                    {
                        _codeModified = false;
                        return StepLeaveAfter;
                    }

                    return StepNext;
                }
            // Dual, multiple and exclusive transfers (out of line: less common, more work).
            case Op.LdrdImm:
            case Op.LdrdPre:
            case Op.LdrdPost:
            case Op.LdrdLit:
                if (!LoadDual(in d))
                {
                    return StepFault;
                }

                return StepNext;

            case Op.StrdImm:
            case Op.StrdPre:
            case Op.StrdPost:
                if (!StoreDual(in d))
                {
                    return StepFault;
                }

                if (_codeModified)
                {
                    _codeModified = false;
                    return StepLeaveAfter;
                }

                return StepNext;

            case Op.Ldm:
                if (!LoadMultiple(in d, out _))
                {
                    return StepFault;
                }

                return StepNext;

            case Op.Stm:
                if (!StoreMultiple(in d))
                {
                    return StepFault;
                }

                if (_codeModified)
                {
                    _codeModified = false;
                    return StepLeaveAfter;
                }

                return StepNext;

            case Op.Ldrex:
            case Op.Ldrexb:
            case Op.Ldrexh:
                if (!LoadExclusive(in d))
                {
                    return StepFault;
                }

                return StepNext;

            case Op.Strex:
            case Op.Strexb:
            case Op.Strexh:
                if (!StoreExclusive(in d))
                {
                    return StepFault;
                }

                if (_codeModified)
                {
                    _codeModified = false;
                    return StepLeaveAfter;
                }

                return StepNext;

            case Op.Clrex:
                _monitorOpen = false;
                return StepNext;

            // Branches. A conditional branch not taken goes on with the next instruction of its block.
            case Op.B:
            case Op.BFollowed:
                nextPc = d.Imm;
                return StepBranch;

            case Op.BEq:
            case Op.BNe:
            case Op.BCs:
            case Op.BCc:
            case Op.BMi:
            case Op.BPl:
            case Op.BVs:
            case Op.BVc:
            case Op.BHi:
            case Op.BLs:
            case Op.BGe:
            case Op.BLt:
            case Op.BGt:
            case Op.BLe:
                if (ConditionPassed(d.Aux))
                {
                    cycles += ThumbDecoder.BranchPenalty;
                    nextPc = d.Imm;
                    return StepBranch;
                }

                return StepNext;

            case Op.Cbz:
                if (R(d.Rn) == 0)
                {
                    cycles += ThumbDecoder.BranchPenalty;
                    nextPc = d.Imm;
                    return StepBranch;
                }

                return StepNext;

            case Op.Cbnz:
                if (R(d.Rn) != 0)
                {
                    cycles += ThumbDecoder.BranchPenalty;
                    nextPc = d.Imm;
                    return StepBranch;
                }

                return StepNext;

            case Op.Bl:
                W(LrIndex, nextAddress | 1);
                nextPc = d.Imm;
                return StepBranch;

            case Op.Bx:
                nextPc = R(d.Rm);
                return Interwork(ref nextPc);

            case Op.BxConst:
                nextPc = d.Imm;
                return Interwork(ref nextPc);

            case Op.Blx:
                {
                    // BLXWritePC: interworking, but never an exception return.
                    uint target = R(d.Rm);
                    W(LrIndex, nextAddress | 1);
                    _thumb = (target & 1) != 0;
                    nextPc = target & ~1u;
                    return StepBranch;
                }

            case Op.AddToPc:
                nextPc = (R(d.Rm) + d.Imm) & ~1u;
                return StepBranch;

            case Op.Tbb:
                {
                    uint table = d.Has(InstructionFlags.BaseIsPc) ? d.Imm : R(d.Rn);
                    if (!Read8(table + R(d.Rm), out uint offset))
                    {
                        return StepFault;
                    }

                    nextPc = d.Imm + (offset * 2);
                    return StepBranch;
                }

            case Op.Tbh:
                {
                    uint table = d.Has(InstructionFlags.BaseIsPc) ? d.Imm : R(d.Rn);
                    if (!Read16(table + (R(d.Rm) << 1), out uint offset))
                    {
                        return StepFault;
                    }

                    nextPc = d.Imm + (offset * 2);
                    return StepBranch;
                }

            case Op.LdrPc:
                if (!LoadPcValue(in d, out nextPc))
                {
                    return StepFault;
                }

                return Interwork(ref nextPc);

            case Op.LdmPc:
                if (!LoadMultiple(in d, out nextPc))
                {
                    return StepFault;
                }

                return Interwork(ref nextPc);

            // System.
            case Op.Mrs:
                W(d.Rd, ReadSpecialRegister(d.Aux));
                return StepNext;

            case Op.Msr:
                WriteSpecialRegister(d.Aux, R(d.Rn));

                // A mask write (PRIMASK, BASEPRI, BASEPRI_MAX, FAULTMASK) leaves the block only when it lets an exception
                // in, which is taken right after it; an RTOS masks and unmasks twice per tick, and each exit cost a
                // fast-loop entry. Other special registers (CONTROL, the stack pointers) still leave.
                return d.Aux is >= 16 and <= 19 && _exc is not { MayPreempt: true } ? StepNext : StepExitAfter;

            case Op.Cps:
                ChangeProcessorState(d.Aux);
                return _exc is { MayPreempt: true } ? StepExitAfter : StepNext;

            case Op.It:
                _itState = (byte)d.Imm;
                return StepExitAfter;

            case Op.Nop:
            case Op.Yield:
                return StepNext;

            case Op.Barrier:
                // DSB/ISB: an exception a preceding store made pending (ISPR, ICSR, enables) is taken right after it.
                return _exc is { MayPreempt: true } ? StepExitAfter : StepNext;

            case Op.Sev:
                _eventRegister = true;
                return StepNext;

            case Op.Wfe:
                if (_eventRegister)
                {
                    _eventRegister = false;
                    return StepNext;
                }

                if (_exc is { MayPreempt: true })
                {
                    return StepExitAfter; // an exception is about to be taken: no sleep
                }

                _stepStopReason = StopReason.Sleeping;
                _sleptOnWfe = true;
                return StepStopAfter;

            case Op.Wfi:
                if (_exc is { WakesFromWfi: true })
                {
                    return StepExitAfter; // already woken: the run loop takes the interrupt (unless PRIMASK holds it)
                }

                _stepStopReason = StopReason.Sleeping;
                _sleptOnWfe = false;
                return StepStopAfter;

            case Op.Bkpt:
                return StepBreakpoint;

            case Op.Svc:
                if (_exc is not null)
                {
                    return SupervisorCall(nextAddress - 2);
                }

                _pendingFault = FaultKind.SupervisorCall;
                _pendingFaultAddress = null;
                return StepFault;

            case Op.Undefined:
                _pendingFault = FaultKind.UndefinedInstruction;
                _pendingFaultAddress = null;
                return StepFault;

            case Op.Unpredictable:
                _pendingFault = FaultKind.UnpredictableInstruction;
                _pendingFaultAddress = null;
                return StepFault;

            case Op.NoCoprocessor:
                _pendingFault = FaultKind.NoCoprocessor;
                _pendingFaultAddress = null;
                return StepFault;

            case Op.FetchFault:
                _pendingFault = d.Aux != 0 ? FaultKind.InstructionAccessViolation : FaultKind.InstructionBusError;
                _pendingFaultAddress = d.Imm;
                return StepFault;

            default:
                throw new InvalidOperationException($"Decoded operation {d.Op} has no implementation.");
        }
    }

    /// <summary>BXWritePC / LoadWritePC: bit 0 selects the instruction set; in Handler mode 0xFxxxxxxx is an exception return.</summary>
    private int Interwork(ref uint nextPc)
    {
        if ((nextPc >> 28) == 0xF && _ipsr != 0)
        {
            if (_exc is not null)
            {
                _pendingExceptionReturn = nextPc;
                return StepExceptionReturn;
            }

            _pendingFault = FaultKind.InvalidExceptionReturn;
            _pendingFaultAddress = nextPc;
            return StepFault;
        }

        _thumb = (nextPc & 1) != 0;
        nextPc &= ~1u;
        return StepBranch;
    }

    /// <summary>
    /// Executes instructions <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> - 1 of
    /// <paramref name="block"/> one by one through <see cref="Step"/>, stopping early at a branch, fault or stop.
    /// Updates the PC, <see cref="Cycles"/> and <see cref="Instructions"/>.
    /// </summary>
    /// <param name="block">The block.</param>
    /// <param name="start">Index of the first instruction to run.</param>
    /// <param name="count">Instructions to run at most.</param>
    /// <param name="executed">Instructions completed.</param>
    /// <returns><see cref="Continue"/>, or the <see cref="StopReason"/> to return from <see cref="Run"/>.</returns>
    private int ExecuteGeneral(CodeBlock block, int start, int count, out int executed)
    {
        int end = start + count;
        for (int i = start; i < end; i++)
        {
            ref DecodedInstruction d = ref block.Instructions[i];
            _cycles += d.Cycles;
            switch (Step(ref d, block.Addresses[i + 1], ref _cycles, out uint nextPc))
            {
                case StepNext:
                    continue;
                case StepBranch:
                    executed = i + 1 - start;
                    _pc = nextPc;
                    break;
                case StepFault:
                    executed = i - start;
                    _cycles -= d.Cycles;
                    _instructions += (ulong)executed;
                    return (int)RaiseFault(_pendingFault, block.Addresses[i], _pendingFaultAddress);
                case StepBreakpoint:
                    executed = i - start;
                    _cycles -= d.Cycles;
                    _instructions += (ulong)executed;
                    return Breakpoint(block, i, ref executed);
                case StepStopAfter:
                    executed = i + 1 - start;
                    _pc = block.Addresses[i + 1];
                    _instructions += (ulong)executed;
                    return (int)_stepStopReason;
                case StepExceptionReturn:
                    executed = i + 1 - start;
                    _pc = block.Addresses[i + 1];
                    _instructions += (ulong)executed;
                    return ExceptionReturn(_pendingExceptionReturn, block.Addresses[i]);
                default:
                    // StepLeaveAfter, StepExitAfter: the instruction completed; continue after it.
                    executed = i + 1 - start;
                    _pc = block.Addresses[i + 1];
                    break;
            }

            _instructions += (ulong)executed;
            return Continue;
        }

        executed = count;
        _pc = block.Addresses[end];
        _instructions += (ulong)count;
        return Continue;
    }
}
