using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Dsm.Emulation.CortexM3.Cpu;

/// <summary>
/// The fast loop: runs chained blocks back to back with the common operations written out inline (registers
/// through one ref, flags as fields, loads and stores through the region table), and everything else through
/// <see cref="Step"/>. It leaves to <see cref="Run"/> whatever needs the outer loop's checks: IT blocks, stop
/// requests, the budget, INVSTATE, BKPT, and faults.
/// </summary>
public sealed partial class CortexM3Cpu
{
    /// <summary>
    /// Runs blocks until the budget is spent, a fault or stop occurs, or the outer loop must look (IT block
    /// started, CONTROL written, a mask written that lets an exception in, Thumb bit cleared, stop requested).
    /// </summary>
    /// <param name="remaining">Instruction budget, decreased by the instructions run.</param>
    /// <returns><see cref="Continue"/> or a <see cref="StopReason"/>.</returns>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int RunFast(ref long remaining)
    {
        ref uint regs = ref Registers;
        long budget = remaining;
        uint pc = _pc;
        ulong instructions = 0;
        CodeBlock? previous = null;
        int status = Continue;
        var exceptions = _exc;
        while (!_stopRequested && budget > 0)
        {
            if (exceptions is not null && exceptions.MayPreempt)
            {
                break; // an exception to take at this boundary: the run loop takes it
            }

            CodeBlock block = NextBlock(previous, pc);
            if (_translator is not null)
            {
                // Translated code runs while its translator is attached.
                CountForTranslation(block);
                if (block.Compiled is { } compiled && block.Count <= budget && _cycles + block.WorstCaseCycles < _cycleLimit)
                {
                    _pc = pc;
                    _instructions += instructions;
                    instructions = 0;
                    status = compiled(this, block, out int ran);
                    budget -= ran;
                    pc = _pc;
                    previous = null;
                    if (status != Continue || _itState != 0 || !_thumb)
                    {
                        break;
                    }

                    continue;
                }
            }

            int count = block.Count <= budget ? block.Count : (int)budget;
            if (_cycles + block.WorstCaseCycles >= _cycleLimit)
            {
                // Near the cycle limit: one instruction at a time, stopping at the first boundary at or past it.
                if (_cycles >= _cycleLimit)
                {
                    break;
                }

                count = 1;
            }

            ref DecodedInstruction first = ref MemoryMarshal.GetArrayDataReference(block.Instructions);
            ref DecodedInstruction end = ref Unsafe.Add(ref first, count);
            ref DecodedInstruction d = ref Unsafe.Subtract(ref first, 1);
            uint nextPc;
            int index;
            while (true)
            {
                d = ref Unsafe.Add(ref d, 1);
                if (!Unsafe.IsAddressLessThan(ref d, ref end))
                {
                    goto fellOff;
                }

                _cycles += d.Cycles;
                switch (d.Op)
                {
                    case Op.AndImm:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rn) & d.Imm) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.AndsImm:
                        {
                        uint result = Unsafe.Add(ref regs, d.Rn) & d.Imm;
                        _negative = result;
                        _nonZero = result;
                        if (d.Has(InstructionFlags.ImmediateCarry))
                        {
                            _carry = d.Has(InstructionFlags.ImmediateCarryValue) ? 1u : 0u;
                        }

                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.AndReg:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rn) & Unsafe.Add(ref regs, d.Rm)) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.AndsReg:
                        {
                        uint result = Unsafe.Add(ref regs, d.Rn) & Unsafe.Add(ref regs, d.Rm);
                        _negative = result;
                        _nonZero = result;
                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.AndShf:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rn) & (d.ShiftType == 0 ? Unsafe.Add(ref regs, d.Rm) << d.ShiftAmount : ShiftOperand(Unsafe.Add(ref regs, d.Rm), d.ShiftType, d.ShiftAmount))) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.BicImm:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rn) & ~d.Imm) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.BicsImm:
                        {
                        uint result = Unsafe.Add(ref regs, d.Rn) & ~d.Imm;
                        _negative = result;
                        _nonZero = result;
                        if (d.Has(InstructionFlags.ImmediateCarry))
                        {
                            _carry = d.Has(InstructionFlags.ImmediateCarryValue) ? 1u : 0u;
                        }

                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.BicReg:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rn) & ~Unsafe.Add(ref regs, d.Rm)) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.BicsReg:
                        {
                        uint result = Unsafe.Add(ref regs, d.Rn) & ~Unsafe.Add(ref regs, d.Rm);
                        _negative = result;
                        _nonZero = result;
                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.BicShf:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rn) & ~(d.ShiftType == 0 ? Unsafe.Add(ref regs, d.Rm) << d.ShiftAmount : ShiftOperand(Unsafe.Add(ref regs, d.Rm), d.ShiftType, d.ShiftAmount))) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.OrrImm:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rn) | d.Imm) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.OrrsImm:
                        {
                        uint result = Unsafe.Add(ref regs, d.Rn) | d.Imm;
                        _negative = result;
                        _nonZero = result;
                        if (d.Has(InstructionFlags.ImmediateCarry))
                        {
                            _carry = d.Has(InstructionFlags.ImmediateCarryValue) ? 1u : 0u;
                        }

                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.OrrReg:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rn) | Unsafe.Add(ref regs, d.Rm)) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.OrrsReg:
                        {
                        uint result = Unsafe.Add(ref regs, d.Rn) | Unsafe.Add(ref regs, d.Rm);
                        _negative = result;
                        _nonZero = result;
                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.OrrShf:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rn) | (d.ShiftType == 0 ? Unsafe.Add(ref regs, d.Rm) << d.ShiftAmount : ShiftOperand(Unsafe.Add(ref regs, d.Rm), d.ShiftType, d.ShiftAmount))) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.OrnImm:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rn) | ~d.Imm) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.OrnsImm:
                        {
                        uint result = Unsafe.Add(ref regs, d.Rn) | ~d.Imm;
                        _negative = result;
                        _nonZero = result;
                        if (d.Has(InstructionFlags.ImmediateCarry))
                        {
                            _carry = d.Has(InstructionFlags.ImmediateCarryValue) ? 1u : 0u;
                        }

                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.OrnReg:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rn) | ~Unsafe.Add(ref regs, d.Rm)) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.OrnsReg:
                        {
                        uint result = Unsafe.Add(ref regs, d.Rn) | ~Unsafe.Add(ref regs, d.Rm);
                        _negative = result;
                        _nonZero = result;
                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.OrnShf:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rn) | ~(d.ShiftType == 0 ? Unsafe.Add(ref regs, d.Rm) << d.ShiftAmount : ShiftOperand(Unsafe.Add(ref regs, d.Rm), d.ShiftType, d.ShiftAmount))) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.EorImm:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rn) ^ d.Imm) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.EorsImm:
                        {
                        uint result = Unsafe.Add(ref regs, d.Rn) ^ d.Imm;
                        _negative = result;
                        _nonZero = result;
                        if (d.Has(InstructionFlags.ImmediateCarry))
                        {
                            _carry = d.Has(InstructionFlags.ImmediateCarryValue) ? 1u : 0u;
                        }

                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.EorReg:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rn) ^ Unsafe.Add(ref regs, d.Rm)) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.EorsReg:
                        {
                        uint result = Unsafe.Add(ref regs, d.Rn) ^ Unsafe.Add(ref regs, d.Rm);
                        _negative = result;
                        _nonZero = result;
                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.EorShf:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rn) ^ (d.ShiftType == 0 ? Unsafe.Add(ref regs, d.Rm) << d.ShiftAmount : ShiftOperand(Unsafe.Add(ref regs, d.Rm), d.ShiftType, d.ShiftAmount))) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.AddImm:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rn) + d.Imm) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.AddsImm:
                        {
                        uint x = Unsafe.Add(ref regs, d.Rn), y = d.Imm;
                        uint result = x + y;
                        _carry = result < x ? 1u : 0u;
                        _overflow = ((x ^ result) & (y ^ result)) >> 31;
                        _negative = result;
                        _nonZero = result;
                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.AddReg:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rn) + Unsafe.Add(ref regs, d.Rm)) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.AddsReg:
                        {
                        uint x = Unsafe.Add(ref regs, d.Rn), y = Unsafe.Add(ref regs, d.Rm);
                        uint result = x + y;
                        _carry = result < x ? 1u : 0u;
                        _overflow = ((x ^ result) & (y ^ result)) >> 31;
                        _negative = result;
                        _nonZero = result;
                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.AddShf:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rn) + (d.ShiftType == 0 ? Unsafe.Add(ref regs, d.Rm) << d.ShiftAmount : ShiftOperand(Unsafe.Add(ref regs, d.Rm), d.ShiftType, d.ShiftAmount))) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.AddsShf:
                        {
                        uint x = Unsafe.Add(ref regs, d.Rn), y = (d.ShiftType == 0 ? Unsafe.Add(ref regs, d.Rm) << d.ShiftAmount : ShiftOperand(Unsafe.Add(ref regs, d.Rm), d.ShiftType, d.ShiftAmount));
                        uint result = x + y;
                        _carry = result < x ? 1u : 0u;
                        _overflow = ((x ^ result) & (y ^ result)) >> 31;
                        _negative = result;
                        _nonZero = result;
                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.AdcImm:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rn) + d.Imm + _carry) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.AdcsImm:
                        {
                        uint x = Unsafe.Add(ref regs, d.Rn), y = d.Imm;
                        ulong sum = (ulong)x + y + _carry;
                        uint result = (uint)sum;
                        _carry = (uint)(sum >> 32);
                        _overflow = ((x ^ result) & (y ^ result)) >> 31;
                        _negative = result;
                        _nonZero = result;
                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.AdcReg:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rn) + Unsafe.Add(ref regs, d.Rm) + _carry) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.AdcsReg:
                        {
                        uint x = Unsafe.Add(ref regs, d.Rn), y = Unsafe.Add(ref regs, d.Rm);
                        ulong sum = (ulong)x + y + _carry;
                        uint result = (uint)sum;
                        _carry = (uint)(sum >> 32);
                        _overflow = ((x ^ result) & (y ^ result)) >> 31;
                        _negative = result;
                        _nonZero = result;
                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.AdcShf:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rn) + (d.ShiftType == 0 ? Unsafe.Add(ref regs, d.Rm) << d.ShiftAmount : ShiftOperand(Unsafe.Add(ref regs, d.Rm), d.ShiftType, d.ShiftAmount)) + _carry) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.AdcsShf:
                        {
                        uint x = Unsafe.Add(ref regs, d.Rn), y = (d.ShiftType == 0 ? Unsafe.Add(ref regs, d.Rm) << d.ShiftAmount : ShiftOperand(Unsafe.Add(ref regs, d.Rm), d.ShiftType, d.ShiftAmount));
                        ulong sum = (ulong)x + y + _carry;
                        uint result = (uint)sum;
                        _carry = (uint)(sum >> 32);
                        _overflow = ((x ^ result) & (y ^ result)) >> 31;
                        _negative = result;
                        _nonZero = result;
                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.SubImm:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rn) - d.Imm) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.SubsImm:
                        {
                        uint x = Unsafe.Add(ref regs, d.Rn), y = d.Imm;
                        uint result = x - y;
                        _carry = x >= y ? 1u : 0u;
                        _overflow = ((x ^ y) & (x ^ result)) >> 31;
                        _negative = result;
                        _nonZero = result;
                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.SubReg:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rn) - Unsafe.Add(ref regs, d.Rm)) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.SubsReg:
                        {
                        uint x = Unsafe.Add(ref regs, d.Rn), y = Unsafe.Add(ref regs, d.Rm);
                        uint result = x - y;
                        _carry = x >= y ? 1u : 0u;
                        _overflow = ((x ^ y) & (x ^ result)) >> 31;
                        _negative = result;
                        _nonZero = result;
                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.SubShf:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rn) - (d.ShiftType == 0 ? Unsafe.Add(ref regs, d.Rm) << d.ShiftAmount : ShiftOperand(Unsafe.Add(ref regs, d.Rm), d.ShiftType, d.ShiftAmount))) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.SubsShf:
                        {
                        uint x = Unsafe.Add(ref regs, d.Rn), y = (d.ShiftType == 0 ? Unsafe.Add(ref regs, d.Rm) << d.ShiftAmount : ShiftOperand(Unsafe.Add(ref regs, d.Rm), d.ShiftType, d.ShiftAmount));
                        uint result = x - y;
                        _carry = x >= y ? 1u : 0u;
                        _overflow = ((x ^ y) & (x ^ result)) >> 31;
                        _negative = result;
                        _nonZero = result;
                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.SbcImm:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rn) + ~d.Imm + _carry) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.SbcsImm:
                        {
                        uint x = Unsafe.Add(ref regs, d.Rn), y = ~d.Imm;
                        ulong sum = (ulong)x + y + _carry;
                        uint result = (uint)sum;
                        _carry = (uint)(sum >> 32);
                        _overflow = ((x ^ result) & (y ^ result)) >> 31;
                        _negative = result;
                        _nonZero = result;
                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.SbcReg:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rn) + ~Unsafe.Add(ref regs, d.Rm) + _carry) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.SbcsReg:
                        {
                        uint x = Unsafe.Add(ref regs, d.Rn), y = ~Unsafe.Add(ref regs, d.Rm);
                        ulong sum = (ulong)x + y + _carry;
                        uint result = (uint)sum;
                        _carry = (uint)(sum >> 32);
                        _overflow = ((x ^ result) & (y ^ result)) >> 31;
                        _negative = result;
                        _nonZero = result;
                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.SbcShf:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rn) + ~(d.ShiftType == 0 ? Unsafe.Add(ref regs, d.Rm) << d.ShiftAmount : ShiftOperand(Unsafe.Add(ref regs, d.Rm), d.ShiftType, d.ShiftAmount)) + _carry) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.SbcsShf:
                        {
                        uint x = Unsafe.Add(ref regs, d.Rn), y = ~(d.ShiftType == 0 ? Unsafe.Add(ref regs, d.Rm) << d.ShiftAmount : ShiftOperand(Unsafe.Add(ref regs, d.Rm), d.ShiftType, d.ShiftAmount));
                        ulong sum = (ulong)x + y + _carry;
                        uint result = (uint)sum;
                        _carry = (uint)(sum >> 32);
                        _overflow = ((x ^ result) & (y ^ result)) >> 31;
                        _negative = result;
                        _nonZero = result;
                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.RsbImm:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (d.Imm - Unsafe.Add(ref regs, d.Rn)) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.RsbsImm:
                        {
                        uint x = ~Unsafe.Add(ref regs, d.Rn), y = d.Imm;
                        ulong sum = (ulong)x + y + 1;
                        uint result = (uint)sum;
                        _carry = (uint)(sum >> 32);
                        _overflow = ((x ^ result) & (y ^ result)) >> 31;
                        _negative = result;
                        _nonZero = result;
                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.RsbReg:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rm) - Unsafe.Add(ref regs, d.Rn)) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.RsbsReg:
                        {
                        uint x = ~Unsafe.Add(ref regs, d.Rn), y = Unsafe.Add(ref regs, d.Rm);
                        ulong sum = (ulong)x + y + 1;
                        uint result = (uint)sum;
                        _carry = (uint)(sum >> 32);
                        _overflow = ((x ^ result) & (y ^ result)) >> 31;
                        _negative = result;
                        _nonZero = result;
                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.RsbShf:
                        {
                        Unsafe.Add(ref regs, d.Rd) = ((d.ShiftType == 0 ? Unsafe.Add(ref regs, d.Rm) << d.ShiftAmount : ShiftOperand(Unsafe.Add(ref regs, d.Rm), d.ShiftType, d.ShiftAmount)) - Unsafe.Add(ref regs, d.Rn)) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.RsbsShf:
                        {
                        uint x = ~Unsafe.Add(ref regs, d.Rn), y = (d.ShiftType == 0 ? Unsafe.Add(ref regs, d.Rm) << d.ShiftAmount : ShiftOperand(Unsafe.Add(ref regs, d.Rm), d.ShiftType, d.ShiftAmount));
                        ulong sum = (ulong)x + y + 1;
                        uint result = (uint)sum;
                        _carry = (uint)(sum >> 32);
                        _overflow = ((x ^ result) & (y ^ result)) >> 31;
                        _negative = result;
                        _nonZero = result;
                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.MovImm:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (d.Imm) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.MovsImm:
                        {
                        uint result = d.Imm;
                        _negative = result;
                        _nonZero = result;
                        if (d.Has(InstructionFlags.ImmediateCarry))
                        {
                            _carry = d.Has(InstructionFlags.ImmediateCarryValue) ? 1u : 0u;
                        }

                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.MovReg:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rm)) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.MovsReg:
                        {
                        uint result = Unsafe.Add(ref regs, d.Rm);
                        _negative = result;
                        _nonZero = result;
                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.MovShf:
                        {
                        Unsafe.Add(ref regs, d.Rd) = ((d.ShiftType == 0 ? Unsafe.Add(ref regs, d.Rm) << d.ShiftAmount : ShiftOperand(Unsafe.Add(ref regs, d.Rm), d.ShiftType, d.ShiftAmount))) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.MvnImm:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (~d.Imm) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.MvnsImm:
                        {
                        uint result = ~d.Imm;
                        _negative = result;
                        _nonZero = result;
                        if (d.Has(InstructionFlags.ImmediateCarry))
                        {
                            _carry = d.Has(InstructionFlags.ImmediateCarryValue) ? 1u : 0u;
                        }

                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.MvnReg:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (~Unsafe.Add(ref regs, d.Rm)) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.MvnsReg:
                        {
                        uint result = ~Unsafe.Add(ref regs, d.Rm);
                        _negative = result;
                        _nonZero = result;
                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.MvnShf:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (~(d.ShiftType == 0 ? Unsafe.Add(ref regs, d.Rm) << d.ShiftAmount : ShiftOperand(Unsafe.Add(ref regs, d.Rm), d.ShiftType, d.ShiftAmount))) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.CmpImm:
                        {
                        uint x = Unsafe.Add(ref regs, d.Rn), y = d.Imm;
                        uint result = x - y;
                        _carry = x >= y ? 1u : 0u;
                        _overflow = ((x ^ y) & (x ^ result)) >> 31;
                        _negative = result;
                        _nonZero = result;
                        continue;
                        }

                    case Op.CmpReg:
                        {
                        uint x = Unsafe.Add(ref regs, d.Rn), y = Unsafe.Add(ref regs, d.Rm);
                        uint result = x - y;
                        _carry = x >= y ? 1u : 0u;
                        _overflow = ((x ^ y) & (x ^ result)) >> 31;
                        _negative = result;
                        _nonZero = result;
                        continue;
                        }

                    case Op.CmnImm:
                        {
                        uint x = Unsafe.Add(ref regs, d.Rn), y = d.Imm;
                        uint result = x + y;
                        _carry = result < x ? 1u : 0u;
                        _overflow = ((x ^ result) & (y ^ result)) >> 31;
                        _negative = result;
                        _nonZero = result;
                        continue;
                        }

                    case Op.CmnReg:
                        {
                        uint x = Unsafe.Add(ref regs, d.Rn), y = Unsafe.Add(ref regs, d.Rm);
                        uint result = x + y;
                        _carry = result < x ? 1u : 0u;
                        _overflow = ((x ^ result) & (y ^ result)) >> 31;
                        _negative = result;
                        _nonZero = result;
                        continue;
                        }

                    case Op.TstImm:
                        {
                        uint result = Unsafe.Add(ref regs, d.Rn) & d.Imm;
                        _negative = result;
                        _nonZero = result;
                        if (d.Has(InstructionFlags.ImmediateCarry))
                        {
                            _carry = d.Has(InstructionFlags.ImmediateCarryValue) ? 1u : 0u;
                        }

                        continue;
                        }

                    case Op.TstReg:
                        {
                        uint result = Unsafe.Add(ref regs, d.Rn) & Unsafe.Add(ref regs, d.Rm);
                        _negative = result;
                        _nonZero = result;
                        continue;
                        }

                    case Op.TeqImm:
                        {
                        uint result = Unsafe.Add(ref regs, d.Rn) ^ d.Imm;
                        _negative = result;
                        _nonZero = result;
                        if (d.Has(InstructionFlags.ImmediateCarry))
                        {
                            _carry = d.Has(InstructionFlags.ImmediateCarryValue) ? 1u : 0u;
                        }

                        continue;
                        }

                    case Op.TeqReg:
                        {
                        uint result = Unsafe.Add(ref regs, d.Rn) ^ Unsafe.Add(ref regs, d.Rm);
                        _negative = result;
                        _nonZero = result;
                        continue;
                        }

                    case Op.LslImm:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rm) << d.ShiftAmount) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LsrImm:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (d.ShiftAmount >= 32 ? 0 : Unsafe.Add(ref regs, d.Rm) >> d.ShiftAmount) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.AsrImm:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (uint)((int)Unsafe.Add(ref regs, d.Rm) >> Math.Min((int)d.ShiftAmount, 31)) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LslsImm:
                        {
                        uint value = Unsafe.Add(ref regs, d.Rm);
                        int amount = d.ShiftAmount;
                        _carry = (value >> (32 - amount)) & 1;
                        uint result = value << amount;
                        _negative = result;
                        _nonZero = result;
                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LsrsImm:
                        {
                        uint value = Unsafe.Add(ref regs, d.Rm);
                        int amount = d.ShiftAmount;
                        _carry = (value >> (amount - 1)) & 1;
                        uint result = amount >= 32 ? 0 : value >> amount;
                        _negative = result;
                        _nonZero = result;
                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.AsrsImm:
                        {
                        int value = (int)Unsafe.Add(ref regs, d.Rm);
                        int amount = d.ShiftAmount;
                        _carry = (uint)(value >> (amount - 1)) & 1;
                        uint result = (uint)(value >> Math.Min(amount, 31));
                        _negative = result;
                        _nonZero = result;
                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.Movt:
                        {
                        Unsafe.Add(ref regs, d.Rd) = ((Unsafe.Add(ref regs, d.Rd) & 0xFFFF) | d.Imm) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.Mul:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Rn) * Unsafe.Add(ref regs, d.Rm)) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.Muls:
                        {
                        uint result = Unsafe.Add(ref regs, d.Rn) * Unsafe.Add(ref regs, d.Rm);
                        _negative = result;
                        _nonZero = result;
                        Unsafe.Add(ref regs, d.Rd) = result & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.Mla:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Ra) + (Unsafe.Add(ref regs, d.Rn) * Unsafe.Add(ref regs, d.Rm))) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.Mls:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (Unsafe.Add(ref regs, d.Ra) - (Unsafe.Add(ref regs, d.Rn) * Unsafe.Add(ref regs, d.Rm))) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LslReg:
                        {
                        uint amount = Unsafe.Add(ref regs, d.Rm) & 0xFF;
                        Unsafe.Add(ref regs, d.Rd) = (amount < 32 ? Unsafe.Add(ref regs, d.Rn) << (int)amount : 0) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LsrReg:
                        {
                        uint amount = Unsafe.Add(ref regs, d.Rm) & 0xFF;
                        Unsafe.Add(ref regs, d.Rd) = (amount < 32 ? Unsafe.Add(ref regs, d.Rn) >> (int)amount : 0) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.AsrReg:
                        {
                        uint amount = Unsafe.Add(ref regs, d.Rm) & 0xFF;
                        Unsafe.Add(ref regs, d.Rd) = (uint)((int)Unsafe.Add(ref regs, d.Rn) >> (int)Math.Min(amount, 31u)) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.Umull:
                        {
                        uint n = Unsafe.Add(ref regs, d.Rn), m = Unsafe.Add(ref regs, d.Rm);
                        ulong product = (ulong)n * m;
                        _cycles += LongMultiplyExtraCycles(n, m, false);
                        Unsafe.Add(ref regs, d.Rd) = (uint)product & (d.Rd == SpIndex ? ~3u : ~0u);
                        Unsafe.Add(ref regs, d.Ra) = (uint)(product >> 32) & (d.Ra == SpIndex ? ~3u : ~0u);
                        continue;
                        }

                    case Op.Smull:
                        {
                        uint n = Unsafe.Add(ref regs, d.Rn), m = Unsafe.Add(ref regs, d.Rm);
                        ulong product = (ulong)((long)(int)n * (int)m);
                        _cycles += LongMultiplyExtraCycles(n, m, true);
                        Unsafe.Add(ref regs, d.Rd) = (uint)product & (d.Rd == SpIndex ? ~3u : ~0u);
                        Unsafe.Add(ref regs, d.Ra) = (uint)(product >> 32) & (d.Ra == SpIndex ? ~3u : ~0u);
                        continue;
                        }

                    case Op.Udiv:
                        {
                        uint n = Unsafe.Add(ref regs, d.Rn), m = Unsafe.Add(ref regs, d.Rm);
                        if (m == 0)
                        {
                            goto general; // the divide-by-zero trap and its result: the general path
                        }

                        _cycles += DivideCycles(n, m);
                        Unsafe.Add(ref regs, d.Rd) = (n / m) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.Uxtb:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (byte)BitOperations.RotateRight(Unsafe.Add(ref regs, d.Rm), d.ShiftAmount) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.Uxth:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (ushort)BitOperations.RotateRight(Unsafe.Add(ref regs, d.Rm), d.ShiftAmount) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.Sxtb:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (uint)(sbyte)BitOperations.RotateRight(Unsafe.Add(ref regs, d.Rm), d.ShiftAmount) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.Sxth:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (uint)(short)BitOperations.RotateRight(Unsafe.Add(ref regs, d.Rm), d.ShiftAmount) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.Ubfx:
                        {
                        uint value = Unsafe.Add(ref regs, d.Rn) >> d.ShiftAmount;
                        Unsafe.Add(ref regs, d.Rd) = (d.ShiftType == 32 ? value : value & ((1u << d.ShiftType) - 1)) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.Bfi:
                        {
                        Unsafe.Add(ref regs, d.Rd) = ((Unsafe.Add(ref regs, d.Rd) & ~d.Imm) | ((Unsafe.Add(ref regs, d.Rn) << d.ShiftAmount) & d.Imm)) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.Clz:
                        {
                        Unsafe.Add(ref regs, d.Rd) = (uint)BitOperations.LeadingZeroCount(Unsafe.Add(ref regs, d.Rm)) & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LdrImm:
                        {
                        ulong value = Load32(Unsafe.Add(ref regs, d.Rn) + d.Imm);
                        if (value > uint.MaxValue)
                        {
                            goto fault;
                        }

                        Unsafe.Add(ref regs, d.Rd) = (uint)value & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LdrReg:
                        {
                        ulong value = Load32(Unsafe.Add(ref regs, d.Rn) + (Unsafe.Add(ref regs, d.Rm) << d.ShiftAmount));
                        if (value > uint.MaxValue)
                        {
                            goto fault;
                        }

                        Unsafe.Add(ref regs, d.Rd) = (uint)value & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LdrLit:
                        {
                        ulong value = Load32(d.Imm);
                        if (value > uint.MaxValue)
                        {
                            goto fault;
                        }

                        Unsafe.Add(ref regs, d.Rd) = (uint)value & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LdrhImm:
                        {
                        ulong value = Load16(Unsafe.Add(ref regs, d.Rn) + d.Imm);
                        if (value > uint.MaxValue)
                        {
                            goto fault;
                        }

                        Unsafe.Add(ref regs, d.Rd) = (uint)value & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LdrhReg:
                        {
                        ulong value = Load16(Unsafe.Add(ref regs, d.Rn) + (Unsafe.Add(ref regs, d.Rm) << d.ShiftAmount));
                        if (value > uint.MaxValue)
                        {
                            goto fault;
                        }

                        Unsafe.Add(ref regs, d.Rd) = (uint)value & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LdrhLit:
                        {
                        ulong value = Load16(d.Imm);
                        if (value > uint.MaxValue)
                        {
                            goto fault;
                        }

                        Unsafe.Add(ref regs, d.Rd) = (uint)value & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LdrshImm:
                        {
                        ulong value = Load16(Unsafe.Add(ref regs, d.Rn) + d.Imm);
                        if (value > uint.MaxValue)
                        {
                            goto fault;
                        }

                        Unsafe.Add(ref regs, d.Rd) = (uint)(short)value & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LdrshReg:
                        {
                        ulong value = Load16(Unsafe.Add(ref regs, d.Rn) + (Unsafe.Add(ref regs, d.Rm) << d.ShiftAmount));
                        if (value > uint.MaxValue)
                        {
                            goto fault;
                        }

                        Unsafe.Add(ref regs, d.Rd) = (uint)(short)value & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LdrshLit:
                        {
                        ulong value = Load16(d.Imm);
                        if (value > uint.MaxValue)
                        {
                            goto fault;
                        }

                        Unsafe.Add(ref regs, d.Rd) = (uint)(short)value & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LdrbImm:
                        {
                        ulong value = Load8(Unsafe.Add(ref regs, d.Rn) + d.Imm);
                        if (value > uint.MaxValue)
                        {
                            goto fault;
                        }

                        Unsafe.Add(ref regs, d.Rd) = (uint)value & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LdrbReg:
                        {
                        ulong value = Load8(Unsafe.Add(ref regs, d.Rn) + (Unsafe.Add(ref regs, d.Rm) << d.ShiftAmount));
                        if (value > uint.MaxValue)
                        {
                            goto fault;
                        }

                        Unsafe.Add(ref regs, d.Rd) = (uint)value & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LdrbLit:
                        {
                        ulong value = Load8(d.Imm);
                        if (value > uint.MaxValue)
                        {
                            goto fault;
                        }

                        Unsafe.Add(ref regs, d.Rd) = (uint)value & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LdrsbImm:
                        {
                        ulong value = Load8(Unsafe.Add(ref regs, d.Rn) + d.Imm);
                        if (value > uint.MaxValue)
                        {
                            goto fault;
                        }

                        Unsafe.Add(ref regs, d.Rd) = (uint)(sbyte)value & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LdrsbReg:
                        {
                        ulong value = Load8(Unsafe.Add(ref regs, d.Rn) + (Unsafe.Add(ref regs, d.Rm) << d.ShiftAmount));
                        if (value > uint.MaxValue)
                        {
                            goto fault;
                        }

                        Unsafe.Add(ref regs, d.Rd) = (uint)(sbyte)value & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LdrsbLit:
                        {
                        ulong value = Load8(d.Imm);
                        if (value > uint.MaxValue)
                        {
                            goto fault;
                        }

                        Unsafe.Add(ref regs, d.Rd) = (uint)(sbyte)value & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LdrPre:
                        {
                        uint address = Unsafe.Add(ref regs, d.Rn) + d.Imm;
                        ulong value = Load32(address);
                        if (value > uint.MaxValue)
                        {
                            goto fault;
                        }

                        Unsafe.Add(ref regs, d.Rn) = d.Rn == SpIndex ? address & ~3u : address;
                        Unsafe.Add(ref regs, d.Rd) = (uint)value & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LdrPost:
                        {
                        uint address = Unsafe.Add(ref regs, d.Rn);
                        ulong value = Load32(address);
                        if (value > uint.MaxValue)
                        {
                            goto fault;
                        }

                        address += d.Imm;
                        Unsafe.Add(ref regs, d.Rn) = d.Rn == SpIndex ? address & ~3u : address;
                        Unsafe.Add(ref regs, d.Rd) = (uint)value & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.StrImm:
                        {
                        if (!Write32(Unsafe.Add(ref regs, d.Rn) + d.Imm, Unsafe.Add(ref regs, d.Rd)))
                        {
                            goto fault;
                        }

                        if (_codeModified)
                        {
                            _codeModified = false;
                            goto leaveAfter;
                        }

                        continue;
                        }

                    case Op.StrReg:
                        {
                        if (!Write32(Unsafe.Add(ref regs, d.Rn) + (Unsafe.Add(ref regs, d.Rm) << d.ShiftAmount), Unsafe.Add(ref regs, d.Rd)))
                        {
                            goto fault;
                        }

                        if (_codeModified)
                        {
                            _codeModified = false;
                            goto leaveAfter;
                        }

                        continue;
                        }

                    case Op.StrhImm:
                        {
                        if (!Write16(Unsafe.Add(ref regs, d.Rn) + d.Imm, Unsafe.Add(ref regs, d.Rd)))
                        {
                            goto fault;
                        }

                        if (_codeModified)
                        {
                            _codeModified = false;
                            goto leaveAfter;
                        }

                        continue;
                        }

                    case Op.StrhReg:
                        {
                        if (!Write16(Unsafe.Add(ref regs, d.Rn) + (Unsafe.Add(ref regs, d.Rm) << d.ShiftAmount), Unsafe.Add(ref regs, d.Rd)))
                        {
                            goto fault;
                        }

                        if (_codeModified)
                        {
                            _codeModified = false;
                            goto leaveAfter;
                        }

                        continue;
                        }

                    case Op.StrbImm:
                        {
                        if (!Write8(Unsafe.Add(ref regs, d.Rn) + d.Imm, Unsafe.Add(ref regs, d.Rd)))
                        {
                            goto fault;
                        }

                        if (_codeModified)
                        {
                            _codeModified = false;
                            goto leaveAfter;
                        }

                        continue;
                        }

                    case Op.StrbReg:
                        {
                        if (!Write8(Unsafe.Add(ref regs, d.Rn) + (Unsafe.Add(ref regs, d.Rm) << d.ShiftAmount), Unsafe.Add(ref regs, d.Rd)))
                        {
                            goto fault;
                        }

                        if (_codeModified)
                        {
                            _codeModified = false;
                            goto leaveAfter;
                        }

                        continue;
                        }

                    case Op.StrPre:
                        {
                        uint address = Unsafe.Add(ref regs, d.Rn) + d.Imm;
                        if (!Write32(address, Unsafe.Add(ref regs, d.Rd)))
                        {
                            goto fault;
                        }

                        Unsafe.Add(ref regs, d.Rn) = d.Rn == SpIndex ? address & ~3u : address;
                        if (_codeModified)
                        {
                            _codeModified = false;
                            goto leaveAfter;
                        }

                        continue;
                        }

                    case Op.StrPost:
                        {
                        uint address = Unsafe.Add(ref regs, d.Rn);
                        if (!Write32(address, Unsafe.Add(ref regs, d.Rd)))
                        {
                            goto fault;
                        }

                        address += d.Imm;
                        Unsafe.Add(ref regs, d.Rn) = d.Rn == SpIndex ? address & ~3u : address;
                        if (_codeModified)
                        {
                            _codeModified = false;
                            goto leaveAfter;
                        }

                        continue;
                        }

                    case Op.LdrhPre:
                        {
                        uint address = Unsafe.Add(ref regs, d.Rn) + d.Imm;
                        ulong value = Load16(address);
                        if (value > uint.MaxValue)
                        {
                            goto fault;
                        }

                        Unsafe.Add(ref regs, d.Rn) = d.Rn == SpIndex ? address & ~3u : address;
                        Unsafe.Add(ref regs, d.Rd) = (uint)value & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LdrhPost:
                        {
                        uint address = Unsafe.Add(ref regs, d.Rn);
                        ulong value = Load16(address);
                        if (value > uint.MaxValue)
                        {
                            goto fault;
                        }

                        address += d.Imm;
                        Unsafe.Add(ref regs, d.Rn) = d.Rn == SpIndex ? address & ~3u : address;
                        Unsafe.Add(ref regs, d.Rd) = (uint)value & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LdrshPre:
                        {
                        uint address = Unsafe.Add(ref regs, d.Rn) + d.Imm;
                        ulong value = Load16(address);
                        if (value > uint.MaxValue)
                        {
                            goto fault;
                        }

                        Unsafe.Add(ref regs, d.Rn) = d.Rn == SpIndex ? address & ~3u : address;
                        Unsafe.Add(ref regs, d.Rd) = (uint)(short)value & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LdrshPost:
                        {
                        uint address = Unsafe.Add(ref regs, d.Rn);
                        ulong value = Load16(address);
                        if (value > uint.MaxValue)
                        {
                            goto fault;
                        }

                        address += d.Imm;
                        Unsafe.Add(ref regs, d.Rn) = d.Rn == SpIndex ? address & ~3u : address;
                        Unsafe.Add(ref regs, d.Rd) = (uint)(short)value & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LdrbPre:
                        {
                        uint address = Unsafe.Add(ref regs, d.Rn) + d.Imm;
                        ulong value = Load8(address);
                        if (value > uint.MaxValue)
                        {
                            goto fault;
                        }

                        Unsafe.Add(ref regs, d.Rn) = d.Rn == SpIndex ? address & ~3u : address;
                        Unsafe.Add(ref regs, d.Rd) = (uint)value & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LdrbPost:
                        {
                        uint address = Unsafe.Add(ref regs, d.Rn);
                        ulong value = Load8(address);
                        if (value > uint.MaxValue)
                        {
                            goto fault;
                        }

                        address += d.Imm;
                        Unsafe.Add(ref regs, d.Rn) = d.Rn == SpIndex ? address & ~3u : address;
                        Unsafe.Add(ref regs, d.Rd) = (uint)value & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LdrsbPre:
                        {
                        uint address = Unsafe.Add(ref regs, d.Rn) + d.Imm;
                        ulong value = Load8(address);
                        if (value > uint.MaxValue)
                        {
                            goto fault;
                        }

                        Unsafe.Add(ref regs, d.Rn) = d.Rn == SpIndex ? address & ~3u : address;
                        Unsafe.Add(ref regs, d.Rd) = (uint)(sbyte)value & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.LdrsbPost:
                        {
                        uint address = Unsafe.Add(ref regs, d.Rn);
                        ulong value = Load8(address);
                        if (value > uint.MaxValue)
                        {
                            goto fault;
                        }

                        address += d.Imm;
                        Unsafe.Add(ref regs, d.Rn) = d.Rn == SpIndex ? address & ~3u : address;
                        Unsafe.Add(ref regs, d.Rd) = (uint)(sbyte)value & ~(uint)d.Aux;
                        continue;
                        }

                    case Op.StrhPre:
                        {
                        uint address = Unsafe.Add(ref regs, d.Rn) + d.Imm;
                        if (!Write16(address, Unsafe.Add(ref regs, d.Rd)))
                        {
                            goto fault;
                        }

                        Unsafe.Add(ref regs, d.Rn) = d.Rn == SpIndex ? address & ~3u : address;
                        if (_codeModified)
                        {
                            _codeModified = false;
                            goto leaveAfter;
                        }

                        continue;
                        }

                    case Op.StrhPost:
                        {
                        uint address = Unsafe.Add(ref regs, d.Rn);
                        if (!Write16(address, Unsafe.Add(ref regs, d.Rd)))
                        {
                            goto fault;
                        }

                        address += d.Imm;
                        Unsafe.Add(ref regs, d.Rn) = d.Rn == SpIndex ? address & ~3u : address;
                        if (_codeModified)
                        {
                            _codeModified = false;
                            goto leaveAfter;
                        }

                        continue;
                        }

                    case Op.StrbPre:
                        {
                        uint address = Unsafe.Add(ref regs, d.Rn) + d.Imm;
                        if (!Write8(address, Unsafe.Add(ref regs, d.Rd)))
                        {
                            goto fault;
                        }

                        Unsafe.Add(ref regs, d.Rn) = d.Rn == SpIndex ? address & ~3u : address;
                        if (_codeModified)
                        {
                            _codeModified = false;
                            goto leaveAfter;
                        }

                        continue;
                        }

                    case Op.StrbPost:
                        {
                        uint address = Unsafe.Add(ref regs, d.Rn);
                        if (!Write8(address, Unsafe.Add(ref regs, d.Rd)))
                        {
                            goto fault;
                        }

                        address += d.Imm;
                        Unsafe.Add(ref regs, d.Rn) = d.Rn == SpIndex ? address & ~3u : address;
                        if (_codeModified)
                        {
                            _codeModified = false;
                            goto leaveAfter;
                        }

                        continue;
                        }

                    case Op.Ldm:
                        {
                        if (!LoadMultiple(in d, out _))
                        {
                            goto fault;
                        }

                        continue;
                        }

                    case Op.Stm:
                        {
                        if (!StoreMultiple(in d))
                        {
                            goto fault;
                        }

                        if (_codeModified)
                        {
                            _codeModified = false;
                            goto leaveAfter;
                        }

                        continue;
                        }

                    case Op.LdrdImm:
                        {
                        if (!LoadDual(in d))
                        {
                            goto fault;
                        }

                        continue;
                        }

                    case Op.StrdImm:
                        {
                        if (!StoreDual(in d))
                        {
                            goto fault;
                        }

                        if (_codeModified)
                        {
                            _codeModified = false;
                            goto leaveAfter;
                        }

                        continue;
                        }

                    case Op.B:
                        {
                        nextPc = d.Imm;
                        goto taken;
                        }

                    case Op.BFollowed:
                        {
                        continue; // the block goes on at the target
                        }

                    case Op.BEq:
                        if (_nonZero == 0)
                        {
                            goto conditionalTaken;
                        }

                        continue;

                    case Op.BNe:
                        if (_nonZero != 0)
                        {
                            goto conditionalTaken;
                        }

                        continue;

                    case Op.BCs:
                        if (_carry != 0)
                        {
                            goto conditionalTaken;
                        }

                        continue;

                    case Op.BCc:
                        if (_carry == 0)
                        {
                            goto conditionalTaken;
                        }

                        continue;

                    case Op.BMi:
                        if ((int)_negative < 0)
                        {
                            goto conditionalTaken;
                        }

                        continue;

                    case Op.BPl:
                        if ((int)_negative >= 0)
                        {
                            goto conditionalTaken;
                        }

                        continue;

                    case Op.BVs:
                        if (_overflow != 0)
                        {
                            goto conditionalTaken;
                        }

                        continue;

                    case Op.BVc:
                        if (_overflow == 0)
                        {
                            goto conditionalTaken;
                        }

                        continue;

                    case Op.BHi:
                        if (_carry != 0 && _nonZero != 0)
                        {
                            goto conditionalTaken;
                        }

                        continue;

                    case Op.BLs:
                        if (_carry == 0 || _nonZero == 0)
                        {
                            goto conditionalTaken;
                        }

                        continue;

                    case Op.BGe:
                        if ((_negative >> 31) == _overflow)
                        {
                            goto conditionalTaken;
                        }

                        continue;

                    case Op.BLt:
                        if ((_negative >> 31) != _overflow)
                        {
                            goto conditionalTaken;
                        }

                        continue;

                    case Op.BGt:
                        if (_nonZero != 0 && (_negative >> 31) == _overflow)
                        {
                            goto conditionalTaken;
                        }

                        continue;

                    case Op.BLe:
                        if (_nonZero == 0 || (_negative >> 31) != _overflow)
                        {
                            goto conditionalTaken;
                        }

                        continue;

                    case Op.Cbz:
                        {
                        if (Unsafe.Add(ref regs, d.Rn) == 0)
                        {
                            _cycles += ThumbDecoder.BranchPenalty;
                            nextPc = d.Imm;
                            goto taken;
                        }

                        continue;
                        }

                    case Op.Cbnz:
                        {
                        if (Unsafe.Add(ref regs, d.Rn) != 0)
                        {
                            _cycles += ThumbDecoder.BranchPenalty;
                            nextPc = d.Imm;
                            goto taken;
                        }

                        continue;
                        }

                    case Op.Bl:
                        {
                        Unsafe.Add(ref regs, LrIndex) = block.End | 1;
                        nextPc = d.Imm;
                        goto taken;
                        }

                    case Op.Bx:
                        {
                        nextPc = Unsafe.Add(ref regs, d.Rm);
                        goto interworking;
                        }

                    case Op.Blx:
                        {
                        // BLXWritePC: interworking, but never an exception return.
                        nextPc = Unsafe.Add(ref regs, d.Rm);
                        Unsafe.Add(ref regs, LrIndex) = block.End | 1;
                        _thumb = (nextPc & 1) != 0;
                        nextPc &= ~1u;
                        goto taken;
                        }

                    case Op.Tbb:
                        {
                        uint table = d.Has(InstructionFlags.BaseIsPc) ? d.Imm : Unsafe.Add(ref regs, d.Rn);
                        ulong offset = Load8(table + Unsafe.Add(ref regs, d.Rm));
                        if (offset > uint.MaxValue)
                        {
                            goto fault;
                        }

                        nextPc = d.Imm + ((uint)offset * 2);
                        goto taken;
                        }

                    case Op.Tbh:
                        {
                        uint table = d.Has(InstructionFlags.BaseIsPc) ? d.Imm : Unsafe.Add(ref regs, d.Rn);
                        ulong offset = Load16(table + (Unsafe.Add(ref regs, d.Rm) << 1));
                        if (offset > uint.MaxValue)
                        {
                            goto fault;
                        }

                        nextPc = d.Imm + ((uint)offset * 2);
                        goto taken;
                        }

                    case Op.LdmPc:
                        {
                        if (!LoadMultiple(in d, out nextPc))
                        {
                            goto fault;
                        }

                        goto interworking;
                        }

                    case Op.Nop:
                        {
                        continue;
                        }

                    case Op.It:
                        _itState = (byte)d.Imm;
                        goto itBlock;

                    default:
                        {
                            index = Index(ref first, ref d);
                            switch (Step(ref d, block.Addresses[index + 1], ref _cycles, out nextPc))
                            {
                                case StepNext:
                                    continue;
                                case StepBranch:
                                    goto taken;
                                case StepFault:
                                    goto fault;
                                case StepLeaveAfter:
                                    goto leaveAfter;
                                case StepExitAfter:
                                    goto exitAfter;
                                case StepStopAfter:
                                    status = (int)_stepStopReason;
                                    goto exitAfter;
                                case StepExceptionReturn:
                                    nextPc = _pendingExceptionReturn;
                                    goto exceptionReturn;
                                default:
                                    goto general;
                            }
                        }
                }
            }

        fellOff:
            pc = count == block.Count ? block.End : block.Addresses[count];
            instructions += (ulong)count;
            budget -= count;
            previous = block.Cache is null ? null : block;
            continue;

        conditionalTaken:
            _cycles += ThumbDecoder.BranchPenalty;
            nextPc = d.Imm;
            goto taken;

        interworking:
            if ((nextPc >> 28) == 0xF && _ipsr != 0)
            {
                if (exceptions is not null)
                {
                    goto exceptionReturn;
                }

                _pendingFault = FaultKind.InvalidExceptionReturn;
                _pendingFaultAddress = nextPc;
                goto fault;
            }

            _thumb = (nextPc & 1) != 0;
            nextPc &= ~1u;

        taken:
            index = Index(ref first, ref d) + 1;
            pc = nextPc;
            instructions += (ulong)index;
            budget -= index;
            previous = block.Cache is null ? null : block;
            if (!_thumb)
            {
                break;
            }

            continue;

        leaveAfter:
            // A store rewrote decoded code: resume after it, from a fresh lookup.
            index = Index(ref first, ref d) + 1;
            pc = block.Addresses[index];
            instructions += (ulong)index;
            budget -= index;
            previous = null;
            continue;

        itBlock:
            // The instructions an IT covers go through the IT path one by one, with the run loop's checks at each
            // boundary (an interrupt may come between them), without leaving the fast loop.
            index = Index(ref first, ref d) + 1;
            pc = block.Addresses[index];
            instructions += (ulong)index;
            budget -= index;
            _pc = pc;
            _instructions += instructions;
            instructions = 0;
            do
            {
                if (_stopRequested || budget <= 0 || _cycles >= _cycleLimit || (exceptions is not null && exceptions.MayPreempt))
                {
                    goto leave; // the run loop takes it from here, IT block and all
                }

                status = StepInItBlock(out int executedInIt);
                budget -= executedInIt;
            }
            while (status == Continue && _itState != 0);

            pc = _pc;
            previous = null;
            if (status != Continue || !_thumb)
            {
                break;
            }

            continue;

        exitAfter:
            index = Index(ref first, ref d) + 1;
            pc = block.Addresses[index];
            instructions += (ulong)index;
            budget -= index;
            break;

        exceptionReturn:
            // The instruction completed by writing EXC_RETURN to the PC: count it, then return from the exception.
            index = Index(ref first, ref d);
            instructions += (ulong)index + 1;
            budget -= index + 1;
            _instructions += instructions;
            instructions = 0;
            status = ExceptionReturn(nextPc, block.Addresses[index]);
            pc = _pc;
            if (status != Continue || _itState != 0 || !_thumb)
            {
                break; // asleep on exit, a fault, or back inside an IT block or in ARM state: the run loop looks
            }

            // Back in the interrupted code (or tail-chaining, which the loop's first check sees): go on here rather than
            // leave and re-enter, once per interrupt.
            previous = null;
            continue;

        fault:
            index = Index(ref first, ref d);
            instructions += (ulong)index;
            budget -= index;
            _pc = pc;
            _cycles -= d.Cycles;
            _instructions += instructions;
            remaining = budget;
            return (int)RaiseFault(_pendingFault, block.Addresses[index], _pendingFaultAddress);

        general:
            // BKPT: run it through the general path with the state committed (its handler may look at anything).
            index = Index(ref first, ref d);
            instructions += (ulong)index;
            budget -= index;
            _pc = block.Addresses[index];
            _cycles -= d.Cycles;
            _instructions += instructions;
            instructions = 0;
            status = ExecuteGeneral(block, index, 1, out int executed);
            budget -= executed;
            pc = _pc;
            previous = null;
            if (status != Continue || _itState != 0 || !_thumb)
            {
                break;
            }
        }

        _pc = pc;
        _instructions += instructions;
    leave:
        remaining = budget;
        return status;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Index(ref DecodedInstruction first, ref DecodedInstruction d) =>
        (int)((nuint)Unsafe.ByteOffset(ref first, ref d) / (nuint)Unsafe.SizeOf<DecodedInstruction>());

    /// <summary>Offers a block to the translator once it has run <see cref="IBlockTranslator.HotThreshold"/> times.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CountForTranslation(CodeBlock block)
    {
        if (block.Compiled is null && ++block.ExecutionCount == _translator!.HotThreshold && block.IsValid)
        {
            block.Compiled = _translator.Translate(block);
        }
    }

    /// <summary>The non-carry shift of a shifted-register operand other than LSL (which callers do inline).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private uint ShiftOperand(uint value, int kind, int amount) => Shift(value, kind, amount);
}
