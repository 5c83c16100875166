using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Dsm.Emulation.CortexM3.Cpu;

/// <summary>The interpreter: one switch over decoded operations, run over a block's array.</summary>
public sealed partial class CortexM3Cpu
{
    private const int Continue = -1;

    /// <summary>
    /// Executes the first <paramref name="count"/> instructions of <paramref name="block"/> (fewer if one branches,
    /// faults or stops the core). Updates the PC, <see cref="Cycles"/> and <see cref="Instructions"/>.
    /// </summary>
    /// <param name="block">The block.</param>
    /// <param name="count">Instructions to run at most (the budget may cut a block short).</param>
    /// <param name="executed">Instructions completed.</param>
    /// <returns><see cref="Continue"/>, or the <see cref="StopReason"/> to return from <see cref="Run"/>.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int ExecuteBlock(CodeBlock block, int count, out int executed)
    {
        var code = _code;
        code.Current = block;
        code.CurrentInvalidated = false;
        ref DecodedInstruction first = ref MemoryMarshal.GetArrayDataReference(block.Instructions);
        ulong cycles = 0;
        uint nextPc;
        int status;
        int i = 0;
        for (; i < count; i++)
        {
            ref DecodedInstruction d = ref Unsafe.Add(ref first, i);
            cycles += d.Cycles;
            switch (d.Op)
            {
                // Data processing.
                case Op.AndImm:
                    W(d.Rd, R(d.Rn) & d.Imm);
                    continue;

                case Op.AndsImm:
                    {
                        uint result = R(d.Rn) & d.Imm;
                        W(d.Rd, result);
                        SetNZ(result);
                        ImmediateCarry(in d);
                        continue;
                    }

                case Op.AndReg:
                    W(d.Rd, R(d.Rn) & R(d.Rm));
                    continue;

                case Op.AndsReg:
                    {
                        uint result = R(d.Rn) & R(d.Rm);
                        W(d.Rd, result);
                        SetNZ(result);
                        continue;
                    }

                case Op.AndShf:
                    W(d.Rd, R(d.Rn) & Shift(R(d.Rm), d.ShiftType, d.ShiftAmount));
                    continue;

                case Op.AndsShf:
                    {
                        uint result = R(d.Rn) & ShiftWithCarry(R(d.Rm), d.ShiftType, d.ShiftAmount);
                        W(d.Rd, result);
                        SetNZ(result);
                        continue;
                    }

                case Op.BicImm:
                    W(d.Rd, R(d.Rn) & ~d.Imm);
                    continue;

                case Op.BicsImm:
                    {
                        uint result = R(d.Rn) & ~d.Imm;
                        W(d.Rd, result);
                        SetNZ(result);
                        ImmediateCarry(in d);
                        continue;
                    }

                case Op.BicReg:
                    W(d.Rd, R(d.Rn) & ~R(d.Rm));
                    continue;

                case Op.BicsReg:
                    {
                        uint result = R(d.Rn) & ~R(d.Rm);
                        W(d.Rd, result);
                        SetNZ(result);
                        continue;
                    }

                case Op.BicShf:
                    W(d.Rd, R(d.Rn) & ~Shift(R(d.Rm), d.ShiftType, d.ShiftAmount));
                    continue;

                case Op.BicsShf:
                    {
                        uint result = R(d.Rn) & ~ShiftWithCarry(R(d.Rm), d.ShiftType, d.ShiftAmount);
                        W(d.Rd, result);
                        SetNZ(result);
                        continue;
                    }

                case Op.OrrImm:
                    W(d.Rd, R(d.Rn) | d.Imm);
                    continue;

                case Op.OrrsImm:
                    {
                        uint result = R(d.Rn) | d.Imm;
                        W(d.Rd, result);
                        SetNZ(result);
                        ImmediateCarry(in d);
                        continue;
                    }

                case Op.OrrReg:
                    W(d.Rd, R(d.Rn) | R(d.Rm));
                    continue;

                case Op.OrrsReg:
                    {
                        uint result = R(d.Rn) | R(d.Rm);
                        W(d.Rd, result);
                        SetNZ(result);
                        continue;
                    }

                case Op.OrrShf:
                    W(d.Rd, R(d.Rn) | Shift(R(d.Rm), d.ShiftType, d.ShiftAmount));
                    continue;

                case Op.OrrsShf:
                    {
                        uint result = R(d.Rn) | ShiftWithCarry(R(d.Rm), d.ShiftType, d.ShiftAmount);
                        W(d.Rd, result);
                        SetNZ(result);
                        continue;
                    }

                case Op.OrnImm:
                    W(d.Rd, R(d.Rn) | ~d.Imm);
                    continue;

                case Op.OrnsImm:
                    {
                        uint result = R(d.Rn) | ~d.Imm;
                        W(d.Rd, result);
                        SetNZ(result);
                        ImmediateCarry(in d);
                        continue;
                    }

                case Op.OrnReg:
                    W(d.Rd, R(d.Rn) | ~R(d.Rm));
                    continue;

                case Op.OrnsReg:
                    {
                        uint result = R(d.Rn) | ~R(d.Rm);
                        W(d.Rd, result);
                        SetNZ(result);
                        continue;
                    }

                case Op.OrnShf:
                    W(d.Rd, R(d.Rn) | ~Shift(R(d.Rm), d.ShiftType, d.ShiftAmount));
                    continue;

                case Op.OrnsShf:
                    {
                        uint result = R(d.Rn) | ~ShiftWithCarry(R(d.Rm), d.ShiftType, d.ShiftAmount);
                        W(d.Rd, result);
                        SetNZ(result);
                        continue;
                    }

                case Op.EorImm:
                    W(d.Rd, R(d.Rn) ^ d.Imm);
                    continue;

                case Op.EorsImm:
                    {
                        uint result = R(d.Rn) ^ d.Imm;
                        W(d.Rd, result);
                        SetNZ(result);
                        ImmediateCarry(in d);
                        continue;
                    }

                case Op.EorReg:
                    W(d.Rd, R(d.Rn) ^ R(d.Rm));
                    continue;

                case Op.EorsReg:
                    {
                        uint result = R(d.Rn) ^ R(d.Rm);
                        W(d.Rd, result);
                        SetNZ(result);
                        continue;
                    }

                case Op.EorShf:
                    W(d.Rd, R(d.Rn) ^ Shift(R(d.Rm), d.ShiftType, d.ShiftAmount));
                    continue;

                case Op.EorsShf:
                    {
                        uint result = R(d.Rn) ^ ShiftWithCarry(R(d.Rm), d.ShiftType, d.ShiftAmount);
                        W(d.Rd, result);
                        SetNZ(result);
                        continue;
                    }

                case Op.AddImm:
                    W(d.Rd, R(d.Rn) + d.Imm);
                    continue;

                case Op.AddsImm:
                    W(d.Rd, AddWithCarry(R(d.Rn), d.Imm, 0));
                    continue;

                case Op.AddReg:
                    W(d.Rd, R(d.Rn) + R(d.Rm));
                    continue;

                case Op.AddsReg:
                    W(d.Rd, AddWithCarry(R(d.Rn), R(d.Rm), 0));
                    continue;

                case Op.AddShf:
                    W(d.Rd, R(d.Rn) + Shift(R(d.Rm), d.ShiftType, d.ShiftAmount));
                    continue;

                case Op.AddsShf:
                    W(d.Rd, AddWithCarry(R(d.Rn), Shift(R(d.Rm), d.ShiftType, d.ShiftAmount), 0));
                    continue;

                case Op.AdcImm:
                    W(d.Rd, R(d.Rn) + d.Imm + _carry);
                    continue;

                case Op.AdcsImm:
                    W(d.Rd, AddWithCarry(R(d.Rn), d.Imm, _carry));
                    continue;

                case Op.AdcReg:
                    W(d.Rd, R(d.Rn) + R(d.Rm) + _carry);
                    continue;

                case Op.AdcsReg:
                    W(d.Rd, AddWithCarry(R(d.Rn), R(d.Rm), _carry));
                    continue;

                case Op.AdcShf:
                    W(d.Rd, R(d.Rn) + Shift(R(d.Rm), d.ShiftType, d.ShiftAmount) + _carry);
                    continue;

                case Op.AdcsShf:
                    W(d.Rd, AddWithCarry(R(d.Rn), Shift(R(d.Rm), d.ShiftType, d.ShiftAmount), _carry));
                    continue;

                case Op.SubImm:
                    W(d.Rd, R(d.Rn) - d.Imm);
                    continue;

                case Op.SubsImm:
                    W(d.Rd, AddWithCarry(R(d.Rn), ~d.Imm, 1));
                    continue;

                case Op.SubReg:
                    W(d.Rd, R(d.Rn) - R(d.Rm));
                    continue;

                case Op.SubsReg:
                    W(d.Rd, AddWithCarry(R(d.Rn), ~R(d.Rm), 1));
                    continue;

                case Op.SubShf:
                    W(d.Rd, R(d.Rn) - Shift(R(d.Rm), d.ShiftType, d.ShiftAmount));
                    continue;

                case Op.SubsShf:
                    W(d.Rd, AddWithCarry(R(d.Rn), ~Shift(R(d.Rm), d.ShiftType, d.ShiftAmount), 1));
                    continue;

                case Op.SbcImm:
                    W(d.Rd, R(d.Rn) + ~d.Imm + _carry);
                    continue;

                case Op.SbcsImm:
                    W(d.Rd, AddWithCarry(R(d.Rn), ~d.Imm, _carry));
                    continue;

                case Op.SbcReg:
                    W(d.Rd, R(d.Rn) + ~R(d.Rm) + _carry);
                    continue;

                case Op.SbcsReg:
                    W(d.Rd, AddWithCarry(R(d.Rn), ~R(d.Rm), _carry));
                    continue;

                case Op.SbcShf:
                    W(d.Rd, R(d.Rn) + ~Shift(R(d.Rm), d.ShiftType, d.ShiftAmount) + _carry);
                    continue;

                case Op.SbcsShf:
                    W(d.Rd, AddWithCarry(R(d.Rn), ~Shift(R(d.Rm), d.ShiftType, d.ShiftAmount), _carry));
                    continue;

                case Op.RsbImm:
                    W(d.Rd, d.Imm - R(d.Rn));
                    continue;

                case Op.RsbsImm:
                    W(d.Rd, AddWithCarry(~R(d.Rn), d.Imm, 1));
                    continue;

                case Op.RsbReg:
                    W(d.Rd, R(d.Rm) - R(d.Rn));
                    continue;

                case Op.RsbsReg:
                    W(d.Rd, AddWithCarry(~R(d.Rn), R(d.Rm), 1));
                    continue;

                case Op.RsbShf:
                    W(d.Rd, Shift(R(d.Rm), d.ShiftType, d.ShiftAmount) - R(d.Rn));
                    continue;

                case Op.RsbsShf:
                    W(d.Rd, AddWithCarry(~R(d.Rn), Shift(R(d.Rm), d.ShiftType, d.ShiftAmount), 1));
                    continue;

                case Op.MovImm:
                    W(d.Rd, d.Imm);
                    continue;

                case Op.MovsImm:
                    {
                        uint result = d.Imm;
                        W(d.Rd, result);
                        SetNZ(result);
                        ImmediateCarry(in d);
                        continue;
                    }

                case Op.MovReg:
                    W(d.Rd, R(d.Rm));
                    continue;

                case Op.MovsReg:
                    {
                        uint result = R(d.Rm);
                        W(d.Rd, result);
                        SetNZ(result);
                        continue;
                    }

                case Op.MovShf:
                    W(d.Rd, Shift(R(d.Rm), d.ShiftType, d.ShiftAmount));
                    continue;

                case Op.MovsShf:
                    {
                        uint result = ShiftWithCarry(R(d.Rm), d.ShiftType, d.ShiftAmount);
                        W(d.Rd, result);
                        SetNZ(result);
                        continue;
                    }

                case Op.MvnImm:
                    W(d.Rd, ~d.Imm);
                    continue;

                case Op.MvnsImm:
                    {
                        uint result = ~d.Imm;
                        W(d.Rd, result);
                        SetNZ(result);
                        ImmediateCarry(in d);
                        continue;
                    }

                case Op.MvnReg:
                    W(d.Rd, ~R(d.Rm));
                    continue;

                case Op.MvnsReg:
                    {
                        uint result = ~R(d.Rm);
                        W(d.Rd, result);
                        SetNZ(result);
                        continue;
                    }

                case Op.MvnShf:
                    W(d.Rd, ~Shift(R(d.Rm), d.ShiftType, d.ShiftAmount));
                    continue;

                case Op.MvnsShf:
                    {
                        uint result = ~ShiftWithCarry(R(d.Rm), d.ShiftType, d.ShiftAmount);
                        W(d.Rd, result);
                        SetNZ(result);
                        continue;
                    }

                case Op.TstImm:
                    SetNZ(R(d.Rn) & d.Imm);
                    ImmediateCarry(in d);
                    continue;

                case Op.TstReg:
                    SetNZ(R(d.Rn) & R(d.Rm));
                    continue;

                case Op.TstShf:
                    SetNZ(R(d.Rn) & ShiftWithCarry(R(d.Rm), d.ShiftType, d.ShiftAmount));
                    continue;

                case Op.TeqImm:
                    SetNZ(R(d.Rn) ^ d.Imm);
                    ImmediateCarry(in d);
                    continue;

                case Op.TeqReg:
                    SetNZ(R(d.Rn) ^ R(d.Rm));
                    continue;

                case Op.TeqShf:
                    SetNZ(R(d.Rn) ^ ShiftWithCarry(R(d.Rm), d.ShiftType, d.ShiftAmount));
                    continue;

                case Op.CmpImm:
                    AddWithCarry(R(d.Rn), ~d.Imm, 1);
                    continue;

                case Op.CmpReg:
                    AddWithCarry(R(d.Rn), ~R(d.Rm), 1);
                    continue;

                case Op.CmpShf:
                    AddWithCarry(R(d.Rn), ~Shift(R(d.Rm), d.ShiftType, d.ShiftAmount), 1);
                    continue;

                case Op.CmnImm:
                    AddWithCarry(R(d.Rn), d.Imm, 0);
                    continue;

                case Op.CmnReg:
                    AddWithCarry(R(d.Rn), R(d.Rm), 0);
                    continue;

                case Op.CmnShf:
                    AddWithCarry(R(d.Rn), Shift(R(d.Rm), d.ShiftType, d.ShiftAmount), 0);
                    continue;


                case Op.LslReg:
                    {
                        uint amount = R(d.Rm) & 0xFF;
                        W(d.Rd, amount < 32 ? R(d.Rn) << (int)amount : 0);
                        continue;
                    }

                case Op.LslsReg:
                    {
                        uint result = ShiftLeftWithCarry(R(d.Rn), R(d.Rm) & 0xFF);
                        W(d.Rd, result);
                        SetNZ(result);
                        continue;
                    }

                case Op.LsrReg:
                    {
                        uint amount = R(d.Rm) & 0xFF;
                        W(d.Rd, amount < 32 ? R(d.Rn) >> (int)amount : 0);
                        continue;
                    }

                case Op.LsrsReg:
                    {
                        uint result = ShiftRightWithCarry(R(d.Rn), R(d.Rm) & 0xFF);
                        W(d.Rd, result);
                        SetNZ(result);
                        continue;
                    }

                case Op.AsrReg:
                    {
                        uint amount = R(d.Rm) & 0xFF;
                        W(d.Rd, (uint)((int)R(d.Rn) >> (int)Math.Min(amount, 31u)));
                        continue;
                    }

                case Op.AsrsReg:
                    {
                        uint result = ArithmeticShiftRightWithCarry(R(d.Rn), R(d.Rm) & 0xFF);
                        W(d.Rd, result);
                        SetNZ(result);
                        continue;
                    }

                case Op.RorReg:
                    W(d.Rd, BitOperations.RotateRight(R(d.Rn), (int)(R(d.Rm) & 31)));
                    continue;

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
                        continue;
                    }

                case Op.Movt:
                    W(d.Rd, (R(d.Rd) & 0xFFFF) | d.Imm);
                    continue;

                // Multiply and divide.
                case Op.Mul:
                    W(d.Rd, R(d.Rn) * R(d.Rm));
                    continue;

                case Op.Muls:
                    {
                        uint result = R(d.Rn) * R(d.Rm);
                        W(d.Rd, result);
                        SetNZ(result);
                        continue;
                    }

                case Op.Mla:
                    W(d.Rd, R(d.Ra) + (R(d.Rn) * R(d.Rm)));
                    continue;

                case Op.Mls:
                    W(d.Rd, R(d.Ra) - (R(d.Rn) * R(d.Rm)));
                    continue;

                case Op.Umull:
                    {
                        uint n = R(d.Rn), m = R(d.Rm);
                        ulong product = (ulong)n * m;
                        cycles += LongMultiplyExtraCycles(n, m, false);
                        W(d.Rd, (uint)product);
                        W(d.Ra, (uint)(product >> 32));
                        continue;
                    }

                case Op.Smull:
                    {
                        uint n = R(d.Rn), m = R(d.Rm);
                        long product = (long)(int)n * (int)m;
                        cycles += LongMultiplyExtraCycles(n, m, true);
                        W(d.Rd, (uint)product);
                        W(d.Ra, (uint)((ulong)product >> 32));
                        continue;
                    }

                case Op.Umlal:
                    {
                        uint n = R(d.Rn), m = R(d.Rm);
                        ulong result = (((ulong)R(d.Ra) << 32) | R(d.Rd)) + ((ulong)n * m);
                        cycles += LongMultiplyExtraCycles(n, m, false);
                        W(d.Rd, (uint)result);
                        W(d.Ra, (uint)(result >> 32));
                        continue;
                    }

                case Op.Smlal:
                    {
                        uint n = R(d.Rn), m = R(d.Rm);
                        ulong result = (((ulong)R(d.Ra) << 32) | R(d.Rd)) + (ulong)((long)(int)n * (int)m);
                        cycles += LongMultiplyExtraCycles(n, m, true);
                        W(d.Rd, (uint)result);
                        W(d.Ra, (uint)(result >> 32));
                        continue;
                    }

                case Op.Udiv:
                    {
                        uint n = R(d.Rn), m = R(d.Rm);
                        if (m == 0 && DivideByZeroTrap)
                        {
                            _pendingFault = FaultKind.DivideByZero;
                            _pendingFaultAddress = null;
                            goto fault;
                        }

                        cycles += DivideCycles(n, m);
                        W(d.Rd, m == 0 ? 0 : n / m);
                        continue;
                    }

                case Op.Sdiv:
                    {
                        int n = (int)R(d.Rn), m = (int)R(d.Rm);
                        if (m == 0 && DivideByZeroTrap)
                        {
                            _pendingFault = FaultKind.DivideByZero;
                            _pendingFaultAddress = null;
                            goto fault;
                        }

                        cycles += DivideCycles((uint)Math.Abs((long)n), (uint)Math.Abs((long)m));
                        W(d.Rd, m == 0 ? 0 : (n == int.MinValue && m == -1) ? (uint)n : (uint)(n / m));
                        continue;
                    }

                // Bit fields, extends, byte and bit operations, saturation.
                case Op.Bfi:
                    W(d.Rd, (R(d.Rd) & ~d.Imm) | ((R(d.Rn) << d.ShiftAmount) & d.Imm));
                    continue;

                case Op.Bfc:
                    W(d.Rd, R(d.Rd) & ~d.Imm);
                    continue;

                case Op.Ubfx:
                    {
                        uint value = R(d.Rn) >> d.ShiftAmount;
                        W(d.Rd, d.ShiftType == 32 ? value : value & ((1u << d.ShiftType) - 1));
                        continue;
                    }

                case Op.Sbfx:
                    W(d.Rd, (uint)((int)(R(d.Rn) << (32 - d.ShiftAmount - d.ShiftType)) >> (32 - d.ShiftType)));
                    continue;

                case Op.Sxtb:
                    W(d.Rd, (uint)(sbyte)BitOperations.RotateRight(R(d.Rm), d.ShiftAmount));
                    continue;

                case Op.Sxth:
                    W(d.Rd, (uint)(short)BitOperations.RotateRight(R(d.Rm), d.ShiftAmount));
                    continue;

                case Op.Uxtb:
                    W(d.Rd, (byte)BitOperations.RotateRight(R(d.Rm), d.ShiftAmount));
                    continue;

                case Op.Uxth:
                    W(d.Rd, (ushort)BitOperations.RotateRight(R(d.Rm), d.ShiftAmount));
                    continue;

                case Op.Rev:
                    W(d.Rd, BinaryPrimitives.ReverseEndianness(R(d.Rm)));
                    continue;

                case Op.Rev16:
                    {
                        uint value = R(d.Rm);
                        W(d.Rd, ((value & 0x00FF00FF) << 8) | ((value >> 8) & 0x00FF00FF));
                        continue;
                    }

                case Op.Revsh:
                    W(d.Rd, (uint)(short)BinaryPrimitives.ReverseEndianness((ushort)R(d.Rm)));
                    continue;

                case Op.Rbit:
                    W(d.Rd, ReverseBits(R(d.Rm)));
                    continue;

                case Op.Clz:
                    W(d.Rd, (uint)BitOperations.LeadingZeroCount(R(d.Rm)));
                    continue;

                case Op.Ssat:
                    W(d.Rd, SignedSaturate((int)Shift(R(d.Rn), d.ShiftType, d.ShiftAmount), (int)d.Imm));
                    continue;

                case Op.Usat:
                    W(d.Rd, UnsignedSaturate((int)Shift(R(d.Rn), d.ShiftType, d.ShiftAmount), (int)d.Imm));
                    continue;

                // Single loads.
                case Op.LdrImm:
                    {
                        if (!Read32(R(d.Rn) + d.Imm, out uint value))
                        {
                            goto fault;
                        }

                        W(d.Rd, value);
                        continue;
                    }

                case Op.LdrReg:
                    {
                        if (!Read32(R(d.Rn) + (R(d.Rm) << d.ShiftAmount), out uint value))
                        {
                            goto fault;
                        }

                        W(d.Rd, value);
                        continue;
                    }

                case Op.LdrPre:
                    {
                        uint address = R(d.Rn) + d.Imm;
                        if (!Read32(address, out uint value))
                        {
                            goto fault;
                        }

                        W(d.Rn, address);
                        W(d.Rd, value);
                        continue;
                    }

                case Op.LdrPost:
                    {
                        uint address = R(d.Rn);
                        if (!Read32(address, out uint value))
                        {
                            goto fault;
                        }

                        W(d.Rn, address + d.Imm);
                        W(d.Rd, value);
                        continue;
                    }

                case Op.LdrLit:
                    {
                        if (!Read32(d.Imm, out uint value))
                        {
                            goto fault;
                        }

                        W(d.Rd, value);
                        continue;
                    }

                case Op.LdrhImm:
                    {
                        if (!Read16(R(d.Rn) + d.Imm, out uint value))
                        {
                            goto fault;
                        }

                        W(d.Rd, value);
                        continue;
                    }

                case Op.LdrhReg:
                    {
                        if (!Read16(R(d.Rn) + (R(d.Rm) << d.ShiftAmount), out uint value))
                        {
                            goto fault;
                        }

                        W(d.Rd, value);
                        continue;
                    }

                case Op.LdrhPre:
                    {
                        uint address = R(d.Rn) + d.Imm;
                        if (!Read16(address, out uint value))
                        {
                            goto fault;
                        }

                        W(d.Rn, address);
                        W(d.Rd, value);
                        continue;
                    }

                case Op.LdrhPost:
                    {
                        uint address = R(d.Rn);
                        if (!Read16(address, out uint value))
                        {
                            goto fault;
                        }

                        W(d.Rn, address + d.Imm);
                        W(d.Rd, value);
                        continue;
                    }

                case Op.LdrhLit:
                    {
                        if (!Read16(d.Imm, out uint value))
                        {
                            goto fault;
                        }

                        W(d.Rd, value);
                        continue;
                    }

                case Op.LdrshImm:
                    {
                        if (!Read16(R(d.Rn) + d.Imm, out uint value))
                        {
                            goto fault;
                        }

                        W(d.Rd, (uint)(short)value);
                        continue;
                    }

                case Op.LdrshReg:
                    {
                        if (!Read16(R(d.Rn) + (R(d.Rm) << d.ShiftAmount), out uint value))
                        {
                            goto fault;
                        }

                        W(d.Rd, (uint)(short)value);
                        continue;
                    }

                case Op.LdrshPre:
                    {
                        uint address = R(d.Rn) + d.Imm;
                        if (!Read16(address, out uint value))
                        {
                            goto fault;
                        }

                        W(d.Rn, address);
                        W(d.Rd, (uint)(short)value);
                        continue;
                    }

                case Op.LdrshPost:
                    {
                        uint address = R(d.Rn);
                        if (!Read16(address, out uint value))
                        {
                            goto fault;
                        }

                        W(d.Rn, address + d.Imm);
                        W(d.Rd, (uint)(short)value);
                        continue;
                    }

                case Op.LdrshLit:
                    {
                        if (!Read16(d.Imm, out uint value))
                        {
                            goto fault;
                        }

                        W(d.Rd, (uint)(short)value);
                        continue;
                    }

                case Op.LdrbImm:
                    {
                        if (!Read8(R(d.Rn) + d.Imm, out uint value))
                        {
                            goto fault;
                        }

                        W(d.Rd, value);
                        continue;
                    }

                case Op.LdrbReg:
                    {
                        if (!Read8(R(d.Rn) + (R(d.Rm) << d.ShiftAmount), out uint value))
                        {
                            goto fault;
                        }

                        W(d.Rd, value);
                        continue;
                    }

                case Op.LdrbPre:
                    {
                        uint address = R(d.Rn) + d.Imm;
                        if (!Read8(address, out uint value))
                        {
                            goto fault;
                        }

                        W(d.Rn, address);
                        W(d.Rd, value);
                        continue;
                    }

                case Op.LdrbPost:
                    {
                        uint address = R(d.Rn);
                        if (!Read8(address, out uint value))
                        {
                            goto fault;
                        }

                        W(d.Rn, address + d.Imm);
                        W(d.Rd, value);
                        continue;
                    }

                case Op.LdrbLit:
                    {
                        if (!Read8(d.Imm, out uint value))
                        {
                            goto fault;
                        }

                        W(d.Rd, value);
                        continue;
                    }

                case Op.LdrsbImm:
                    {
                        if (!Read8(R(d.Rn) + d.Imm, out uint value))
                        {
                            goto fault;
                        }

                        W(d.Rd, (uint)(sbyte)value);
                        continue;
                    }

                case Op.LdrsbReg:
                    {
                        if (!Read8(R(d.Rn) + (R(d.Rm) << d.ShiftAmount), out uint value))
                        {
                            goto fault;
                        }

                        W(d.Rd, (uint)(sbyte)value);
                        continue;
                    }

                case Op.LdrsbPre:
                    {
                        uint address = R(d.Rn) + d.Imm;
                        if (!Read8(address, out uint value))
                        {
                            goto fault;
                        }

                        W(d.Rn, address);
                        W(d.Rd, (uint)(sbyte)value);
                        continue;
                    }

                case Op.LdrsbPost:
                    {
                        uint address = R(d.Rn);
                        if (!Read8(address, out uint value))
                        {
                            goto fault;
                        }

                        W(d.Rn, address + d.Imm);
                        W(d.Rd, (uint)(sbyte)value);
                        continue;
                    }

                case Op.LdrsbLit:
                    {
                        if (!Read8(d.Imm, out uint value))
                        {
                            goto fault;
                        }

                        W(d.Rd, (uint)(sbyte)value);
                        continue;
                    }
                // Single stores.
                case Op.StrImm:
                    if (!Write32(R(d.Rn) + d.Imm, R(d.Rd)))
                    {
                        goto fault;
                    }

                    if (code.CurrentInvalidated)
                    {
                        goto leaveAfter;
                    }

                    continue;

                case Op.StrReg:
                    if (!Write32(R(d.Rn) + (R(d.Rm) << d.ShiftAmount), R(d.Rd)))
                    {
                        goto fault;
                    }

                    if (code.CurrentInvalidated)
                    {
                        goto leaveAfter;
                    }

                    continue;

                case Op.StrPre:
                    {
                        uint address = R(d.Rn) + d.Imm;
                        if (!Write32(address, R(d.Rd)))
                        {
                            goto fault;
                        }

                        W(d.Rn, address);
                        if (code.CurrentInvalidated)
                        {
                            goto leaveAfter;
                        }

                        continue;
                    }

                case Op.StrPost:
                    {
                        uint address = R(d.Rn);
                        if (!Write32(address, R(d.Rd)))
                        {
                            goto fault;
                        }

                        W(d.Rn, address + d.Imm);
                        if (code.CurrentInvalidated)
                        {
                            goto leaveAfter;
                        }

                        continue;
                    }

                case Op.StrhImm:
                    {
                        if (!Write16(R(d.Rn) + d.Imm, R(d.Rd)))
                        {
                            goto fault;
                        }

                        if (code.CurrentInvalidated)
                        {
                            goto leaveAfter;
                        }

                        continue;
                    }

                case Op.StrhReg:
                    {
                        if (!Write16(R(d.Rn) + (R(d.Rm) << d.ShiftAmount), R(d.Rd)))
                        {
                            goto fault;
                        }

                        if (code.CurrentInvalidated)
                        {
                            goto leaveAfter;
                        }

                        continue;
                    }

                case Op.StrhPre:
                    {
                        uint address = R(d.Rn) + d.Imm;
                        if (!Write16(address, R(d.Rd)))
                        {
                            goto fault;
                        }

                        W(d.Rn, address);
                        if (code.CurrentInvalidated)
                        {
                            goto leaveAfter;
                        }

                        continue;
                    }

                case Op.StrhPost:
                    {
                        uint address = R(d.Rn);
                        if (!Write16(address, R(d.Rd)))
                        {
                            goto fault;
                        }

                        W(d.Rn, address + d.Imm);
                        if (code.CurrentInvalidated)
                        {
                            goto leaveAfter;
                        }

                        continue;
                    }

                case Op.StrbImm:
                    {
                        if (!Write8(R(d.Rn) + d.Imm, R(d.Rd)))
                        {
                            goto fault;
                        }

                        if (code.CurrentInvalidated)
                        {
                            goto leaveAfter;
                        }

                        continue;
                    }

                case Op.StrbReg:
                    {
                        if (!Write8(R(d.Rn) + (R(d.Rm) << d.ShiftAmount), R(d.Rd)))
                        {
                            goto fault;
                        }

                        if (code.CurrentInvalidated)
                        {
                            goto leaveAfter;
                        }

                        continue;
                    }

                case Op.StrbPre:
                    {
                        uint address = R(d.Rn) + d.Imm;
                        if (!Write8(address, R(d.Rd)))
                        {
                            goto fault;
                        }

                        W(d.Rn, address);
                        if (code.CurrentInvalidated)
                        {
                            goto leaveAfter;
                        }

                        continue;
                    }

                case Op.StrbPost:
                    {
                        uint address = R(d.Rn);
                        if (!Write8(address, R(d.Rd)))
                        {
                            goto fault;
                        }

                        W(d.Rn, address + d.Imm);
                        if (code.CurrentInvalidated)
                        {
                            goto leaveAfter;
                        }

                        continue;
                    }
                // Dual, multiple and exclusive transfers (out of line: less common, more work).
                case Op.LdrdImm:
                case Op.LdrdPre:
                case Op.LdrdPost:
                case Op.LdrdLit:
                    if (!LoadDual(in d))
                    {
                        goto fault;
                    }

                    continue;

                case Op.StrdImm:
                case Op.StrdPre:
                case Op.StrdPost:
                    if (!StoreDual(in d))
                    {
                        goto fault;
                    }

                    if (code.CurrentInvalidated)
                    {
                        goto leaveAfter;
                    }

                    continue;

                case Op.Ldm:
                    if (!LoadMultiple(in d, out _))
                    {
                        goto fault;
                    }

                    continue;

                case Op.Stm:
                    if (!StoreMultiple(in d))
                    {
                        goto fault;
                    }

                    if (code.CurrentInvalidated)
                    {
                        goto leaveAfter;
                    }

                    continue;

                case Op.Ldrex:
                case Op.Ldrexb:
                case Op.Ldrexh:
                    if (!LoadExclusive(in d))
                    {
                        goto fault;
                    }

                    continue;

                case Op.Strex:
                case Op.Strexb:
                case Op.Strexh:
                    if (!StoreExclusive(in d))
                    {
                        goto fault;
                    }

                    if (code.CurrentInvalidated)
                    {
                        goto leaveAfter;
                    }

                    continue;

                case Op.Clrex:
                    _monitorOpen = false;
                    continue;

                // Branches. They end their block, so "continue" after a branch not taken leaves it.
                case Op.B:
                    nextPc = d.Imm;
                    goto taken;

                case Op.BCond:
                    if (ConditionPassed(d.Aux))
                    {
                        cycles += ThumbDecoder.BranchPenalty;
                        nextPc = d.Imm;
                        goto taken;
                    }

                    continue;

                case Op.Cbz:
                    if (R(d.Rn) == 0)
                    {
                        cycles += ThumbDecoder.BranchPenalty;
                        nextPc = d.Imm;
                        goto taken;
                    }

                    continue;

                case Op.Cbnz:
                    if (R(d.Rn) != 0)
                    {
                        cycles += ThumbDecoder.BranchPenalty;
                        nextPc = d.Imm;
                        goto taken;
                    }

                    continue;

                case Op.Bl:
                    W(LrIndex, block.Addresses[i + 1] | 1);
                    nextPc = d.Imm;
                    goto taken;

                case Op.Bx:
                    nextPc = R(d.Rm);
                    goto interworking;

                case Op.BxConst:
                    nextPc = d.Imm;
                    goto interworking;

                case Op.Blx:
                    {
                        // BLXWritePC: interworking, but never an exception return.
                        uint target = R(d.Rm);
                        W(LrIndex, block.Addresses[i + 1] | 1);
                        _thumb = (target & 1) != 0;
                        nextPc = target & ~1u;
                        goto taken;
                    }

                case Op.AddToPc:
                    nextPc = (R(d.Rm) + d.Imm) & ~1u;
                    goto taken;

                case Op.Tbb:
                    {
                        uint table = d.Has(InstructionFlags.BaseIsPc) ? d.Imm : R(d.Rn);
                        if (!Read8(table + R(d.Rm), out uint offset))
                        {
                            goto fault;
                        }

                        nextPc = d.Imm + (offset * 2);
                        goto taken;
                    }

                case Op.Tbh:
                    {
                        uint table = d.Has(InstructionFlags.BaseIsPc) ? d.Imm : R(d.Rn);
                        if (!Read16(table + (R(d.Rm) << 1), out uint offset))
                        {
                            goto fault;
                        }

                        nextPc = d.Imm + (offset * 2);
                        goto taken;
                    }

                case Op.LdrPc:
                    if (!LoadPcValue(in d, out nextPc))
                    {
                        goto fault;
                    }

                    goto interworking;

                case Op.LdmPc:
                    if (!LoadMultiple(in d, out nextPc))
                    {
                        goto fault;
                    }

                    goto interworking;

                // System.
                case Op.Mrs:
                    W(d.Rd, ReadSpecialRegister(d.Aux));
                    continue;

                case Op.Msr:
                    WriteSpecialRegister(d.Aux, R(d.Rn));
                    continue;

                case Op.Cps:
                    ChangeProcessorState(d.Aux);
                    continue;

                case Op.It:
                    _itState = (byte)d.Imm;
                    continue;

                case Op.Nop:
                case Op.Yield:
                case Op.Barrier:
                    continue;

                case Op.Sev:
                    _eventRegister = true;
                    continue;

                case Op.Wfe:
                    if (_eventRegister)
                    {
                        _eventRegister = false;
                        continue;
                    }

                    status = (int)StopReason.Sleeping;
                    goto stopAfter;

                case Op.Wfi:
                    status = (int)StopReason.Sleeping;
                    goto stopAfter;

                case Op.Bkpt:
                    goto breakpoint;

                case Op.Svc:
                    _pendingFault = FaultKind.SupervisorCall;
                    _pendingFaultAddress = null;
                    goto fault;

                case Op.Undefined:
                    _pendingFault = FaultKind.UndefinedInstruction;
                    _pendingFaultAddress = null;
                    goto fault;

                case Op.Unpredictable:
                    _pendingFault = FaultKind.UnpredictableInstruction;
                    _pendingFaultAddress = null;
                    goto fault;

                case Op.NoCoprocessor:
                    _pendingFault = FaultKind.NoCoprocessor;
                    _pendingFaultAddress = null;
                    goto fault;

                case Op.FetchFault:
                    _pendingFault = FaultKind.InstructionBusError;
                    _pendingFaultAddress = d.Imm;
                    goto fault;

                default:
                    throw new InvalidOperationException($"Decoded operation {d.Op} has no implementation.");
            }
        }

        // Ran off the end (or out of budget): continue at the next instruction.
        executed = i;
        _pc = block.Addresses[i];
        goto commit;

    interworking:
        // BXWritePC / LoadWritePC: bit 0 selects the instruction set; a Handler-mode 0xFxxxxxxx is an exception return.
        if ((nextPc >> 28) == 0xF && _ipsr != 0)
        {
            _pendingFault = FaultKind.InvalidExceptionReturn;
            _pendingFaultAddress = nextPc;
            goto fault;
        }

        _thumb = (nextPc & 1) != 0;
        nextPc &= ~1u;

    taken:
        executed = i + 1;
        _pc = nextPc;
        goto commit;

    leaveAfter:
        // A store rewrote the running block: resume after the store so the next fetch decodes the new code.
        executed = i + 1;
        _pc = block.Addresses[i + 1];

    commit:
        _cycles += cycles;
        _instructions += (ulong)executed;
        return Continue;

    stopAfter:
        executed = i + 1;
        _pc = block.Addresses[i + 1];
        _cycles += cycles;
        _instructions += (ulong)executed;
        return status;

    fault:
        executed = i;
        _cycles += cycles - block.Instructions[i].Cycles;
        _instructions += (ulong)i;
        return (int)RaiseFault(_pendingFault, block.Addresses[i], _pendingFaultAddress);

    breakpoint:
        executed = i;
        _cycles += cycles;
        _instructions += (ulong)i;
        return Breakpoint(block, i, ref executed);
    }
}
