using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Dsm.Emulation.CortexM3.Memory;

namespace Dsm.Emulation.CortexM3.Cpu;

/// <summary>The run loop, the IT-block path, fault reporting and the out-of-line instruction helpers.</summary>
public sealed partial class CortexM3Cpu
{
    private static readonly Op[] FlagFreeVariant = BuildFlagFreeVariants();

    private CodeCache _code = null!;
    private CodeBlock?[] _recentBlocks = null!;
    private CodeBlock _itScratch = null!;
    private IBlockTranslator? _translator;

    // Set by the code cache when a store invalidated decoded code; the executors leave their block after the store.
    private bool _codeModified;
    private ulong _cycleLimit = ulong.MaxValue;

    /// <summary>A translator for hot blocks, or null to interpret everything.</summary>
    internal IBlockTranslator? BlockTranslator
    {
        get => _translator;
        set => _translator = value;
    }

    /// <summary>The decoded-instruction cache.</summary>
    internal CodeCache CodeCache => _code;

    /// <summary>Runs every instruction through the general executor (tests compare it with the fast loop).</summary>
    internal bool GeneralPathOnly { get; set; }

    /// <summary>Called by the code cache when decoded instructions were invalidated by a store.</summary>
    internal void NoteCodeModified() => _codeModified = true;

    private void InitializeExecution()
    {
        _code = new CodeCache(Bus, this);
        _recentBlocks = _code.Recent;
        _itScratch = new CodeBlock([default], [0, 0], null);
    }

    /// <summary>Drops every decoded instruction (they are re-decoded from memory on their next execution).</summary>
    public void InvalidateCodeCache() => _code.Clear();

    /// <summary>
    /// A cycle count at which <see cref="Run"/> returns <see cref="StopReason.InstructionLimit"/>: it stops at the first
    /// instruction boundary where <see cref="Cycles"/> has reached it (the next timer deadline, for instance).
    /// <see cref="ulong.MaxValue"/> (the default) means no limit.
    /// </summary>
    public ulong CycleLimit
    {
        get => _cycleLimit;
        set => _cycleLimit = value;
    }

    /// <summary>
    /// Executes until <paramref name="maxInstructions"/> instructions have run or something stops the core: a stop
    /// request, an unclaimed BKPT (PC left at the BKPT), a fault (PC at the faulting instruction, details in
    /// <see cref="LastFault"/>), SVC (reported as <see cref="FaultKind.SupervisorCall"/> until exceptions exist),
    /// or WFI/WFE with nothing to wake the core (PC after the instruction).
    /// </summary>
    /// <param name="maxInstructions">The instruction budget.</param>
    /// <returns>Why execution stopped.</returns>
    public StopReason Run(long maxInstructions)
    {
        RefreshMemoryMap();
        _sleepingOnExit = false;
        long remaining = maxInstructions;
        while (true)
        {
            if (_stopRequested)
            {
                _stopRequested = false;
                return StopReason.StopRequested;
            }

            if (remaining <= 0 || _cycles >= _cycleLimit)
            {
                return StopReason.InstructionLimit;
            }

            int status;
            if (_exc is { MayPreempt: true })
            {
                // An instruction boundary with an exception to take (interrupt, pended fault or SVC).
                status = TakePendingException();
            }
            else if (_itState != 0)
            {
                status = StepInItBlock(out int executed);
                remaining -= executed;
            }
            else if (!_thumb)
            {
                status = (int)RaiseFault(FaultKind.InvalidState, _pc, null);
            }
            else if (GeneralPathOnly)
            {
                var block = _mpuEnabled ? MpuCheckedLookup(_pc) : _code.Lookup(_pc);
                status = ExecuteGeneral(block, 0, block.Count <= remaining ? block.Count : (int)remaining, out int executed);
                remaining -= executed;
            }
            else
            {
                status = RunFast(ref remaining);
            }

            if (status != Continue)
            {
                return (StopReason)status;
            }
        }
    }

    /// <summary>The block at <paramref name="pc"/>: a chained successor of the previous block if it matches, else a cache lookup.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private CodeBlock NextBlock(CodeBlock? previous, uint pc)
    {
        if (_mpuEnabled)
        {
            // Execute permission depends on the privilege and priority of the moment: checked at every block.
            return MpuCheckedLookup(pc);
        }

        if (previous is not null)
        {
            // An invalidated block's Start is odd, so it never matches.
            var next = previous.Next0;
            if (next is not null && next.Start == pc)
            {
                return next;
            }

            next = previous.Next1;
            if (next is not null && next.Start == pc)
            {
                return next;
            }
        }

        var recent = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_recentBlocks), (nint)((pc >> 1) & (CodeCache.RecentSlots - 1)));
        if (recent is not null && recent.Start == pc)
        {
            return recent;
        }

        return LookupAndChain(previous, pc);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private CodeBlock LookupAndChain(CodeBlock? previous, uint pc)
    {
        var block = _code.Lookup(pc);
        if (block.Cache is not null)
        {
            _recentBlocks[(pc >> 1) & (CodeCache.RecentSlots - 1)] = block;
        }

        // A shared block (another core runs it too) links only to blocks of its own shared image, never to this core's.
        if (previous is not null && block.Cache is not null && (!previous.Cache!.IsShared || ReferenceEquals(previous.Cache, block.Cache)))
        {
            // Keep the two most recent successors; a stale slot is the one to replace.
            if (previous.Next0 is null || !previous.Next0.IsValid)
            {
                previous.Next0 = block;
            }
            else
            {
                previous.Next1 = block;
            }
        }

        return block;
    }

    /// <summary>
    /// Executes one instruction of an IT block: checks the IT rules, skips it if its condition fails, runs it without
    /// the flag setting 16-bit instructions lose inside IT, then advances ITSTATE.
    /// </summary>
    private int StepInItBlock(out int executed)
    {
        uint pc = _pc;
        executed = 0;
        if (!_thumb)
        {
            return (int)RaiseFault(FaultKind.InvalidState, pc, null);
        }

        var block = _mpuEnabled ? MpuCheckedLookup(pc) : _code.Lookup(pc);
        var d = block.Instructions[0];
        bool lastInBlock = (_itState & 0xF) == 0x8;
        if (d.Has(InstructionFlags.NotInIt) || (d.Has(InstructionFlags.BranchLike) && !lastInBlock))
        {
            return (int)RaiseFault(FaultKind.UnpredictableInstruction, pc, null);
        }

        if (!d.Has(InstructionFlags.Unconditional) && !ConditionPassed(_itState >> 4))
        {
            _pc = pc + d.Length;
            _cycles += 1;
            _instructions += 1;
            executed = 1;
            AdvanceItState();
            return Continue;
        }

        if (d.Has(InstructionFlags.FlagsOnlyOutsideIt))
        {
            d.Op = FlagFreeVariant[(int)d.Op];
        }

        var scratch = _itScratch;
        scratch.Instructions[0] = d;
        scratch.Addresses[0] = pc;
        scratch.Addresses[1] = pc + d.Length;
        scratch.Start = pc;
        scratch.End = pc + d.Length;
        _itStateReplaced = false;
        int status = ExecuteGeneral(scratch, 0, 1, out executed);
        if (executed == 1 && !_itStateReplaced)
        {
            // (An exception return restored ITSTATE from its frame: that state stands.)
            AdvanceItState();
        }

        return status;
    }

    private void AdvanceItState() =>
        _itState = (_itState & 7) == 0 ? (byte)0 : (byte)((_itState & 0xE0) | ((_itState << 1) & 0x1F));

    private static Op[] BuildFlagFreeVariants()
    {
        var table = new Op[(int)Op.Count];
        for (int i = 0; i < table.Length; i++)
        {
            table[i] = (Op)i;
        }

        // ALU families: each flag-setting form directly follows its flag-free form.
        for (int op = (int)Op.AndImm; op <= (int)Op.MvnsShf; op += 2)
        {
            table[op + 1] = (Op)op;
        }

        table[(int)Op.LslsReg] = Op.LslReg;
        table[(int)Op.LsrsReg] = Op.LsrReg;
        table[(int)Op.AsrsReg] = Op.AsrReg;
        table[(int)Op.RorsReg] = Op.RorReg;
        table[(int)Op.Muls] = Op.Mul;
        table[(int)Op.LslsImm] = Op.LslImm;
        table[(int)Op.LsrsImm] = Op.LsrImm;
        table[(int)Op.AsrsImm] = Op.AsrImm;
        return table;
    }

    /// <summary>
    /// The single place faults are raised: records <see cref="LastFault"/> and leaves the PC at the faulting
    /// instruction. With a system control space attached the fault goes to its exception controller (UsageFault,
    /// BusFault, MemManage or HardFault, taken at the run loop's next boundary) and only lockup stops the core.
    /// </summary>
    /// <param name="kind">What went wrong.</param>
    /// <param name="instructionAddress">Address of the faulting instruction (the branch target for INVSTATE).</param>
    /// <param name="address">The data or fetch address involved, if any.</param>
    /// <returns><see cref="StopReason.Fault"/> (bare core), <see cref="StopReason.Lockup"/>, or <see cref="Continue"/> as a stop reason.</returns>
    private StopReason RaiseFault(FaultKind kind, uint instructionAddress, uint? address)
    {
        Span<byte> bytes = stackalloc byte[4];
        ushort first = 0;
        ushort? second = null;
        if (Bus.TryPeek(instructionAddress, bytes[..2]))
        {
            first = (ushort)(bytes[0] | (bytes[1] << 8));
            if (ThumbDecoder.IsWide(first) && Bus.TryPeek(instructionAddress + 2, bytes[2..]))
            {
                second = (ushort)(bytes[2] | (bytes[3] << 8));
            }
        }

        _pc = instructionAddress;
        CurrentInstructionAddress = instructionAddress;
        LastFault = new CpuFault(kind, instructionAddress, first, second, address);
        return _exc is null ? StopReason.Fault : DeliverFault(kind, instructionAddress, address);
    }

    /// <summary>BKPT: the handler gets first say with the PC already past the BKPT; unclaimed, the core stops at it.</summary>
    private int Breakpoint(CodeBlock block, int index, ref int executed)
    {
        uint address = block.Addresses[index];
        ref readonly var d = ref block.Instructions[index];
        CurrentInstructionAddress = address;
        _pc = address + d.Length;
        if (BreakpointHandler?.OnBreakpoint(this, (byte)d.Imm) == true)
        {
            _cycles += d.Cycles;
            _instructions++;
            executed++;
            return Continue;
        }

        _pc = address;
        return (int)StopReason.Breakpoint;
    }

    // ---------------------------------------------------------------- flags and ALU helpers

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetNZ(uint result)
    {
        _negative = result;
        _nonZero = result;
    }

    /// <summary>AddWithCarry, setting N, Z, C and V.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint AddWithCarry(uint x, uint y, uint carryIn)
    {
        ulong sum = (ulong)x + y + carryIn;
        uint result = (uint)sum;
        _carry = (uint)(sum >> 32);
        _overflow = ((x ^ result) & (y ^ result)) >> 31;
        _negative = result;
        _nonZero = result;
        return result;
    }

    /// <summary>The carry-out of a rotated modified immediate (ThumbExpandImm_C); unrotated ones leave C alone.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ImmediateCarry(in DecodedInstruction d)
    {
        if (d.Has(InstructionFlags.ImmediateCarry))
        {
            _carry = d.Has(InstructionFlags.ImmediateCarryValue) ? 1u : 0u;
        }
    }

    /// <summary>An immediate shift without carry-out (amounts as decoded: LSL 0-31, LSR/ASR 1-32, ROR 1-31, RRX).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint Shift(uint value, int kind, int amount) => (ShiftKind)kind switch
    {
        ShiftKind.Lsl => value << amount,
        ShiftKind.Lsr => amount >= 32 ? 0 : value >> amount,
        ShiftKind.Asr => (uint)((int)value >> Math.Min(amount, 31)),
        ShiftKind.Ror => BitOperations.RotateRight(value, amount),
        _ => (_carry << 31) | (value >> 1),
    };

    /// <summary>Shift_C for an immediate shift: the result, with the shifter's carry-out stored into C.</summary>
    private uint ShiftWithCarry(uint value, int kind, int amount)
    {
        switch ((ShiftKind)kind)
        {
            case ShiftKind.Lsl:
                if (amount == 0)
                {
                    return value;
                }

                _carry = (value >> (32 - amount)) & 1;
                return value << amount;
            case ShiftKind.Lsr:
                _carry = (value >> (amount - 1)) & 1;
                return amount >= 32 ? 0 : value >> amount;
            case ShiftKind.Asr:
                _carry = (uint)((int)value >> (amount - 1)) & 1;
                return (uint)((int)value >> Math.Min(amount, 31));
            case ShiftKind.Ror:
                value = BitOperations.RotateRight(value, amount);
                _carry = value >> 31;
                return value;
            default:
                uint result = (_carry << 31) | (value >> 1);
                _carry = value & 1;
                return result;
        }
    }

    /// <summary>LSL by a register amount (0-255) with carry-out.</summary>
    private uint ShiftLeftWithCarry(uint value, uint amount)
    {
        if (amount == 0)
        {
            return value;
        }

        _carry = amount <= 32 ? (uint)(((ulong)value << (int)amount) >> 32) & 1 : 0;
        return amount < 32 ? value << (int)amount : 0;
    }

    /// <summary>LSR by a register amount (0-255) with carry-out.</summary>
    private uint ShiftRightWithCarry(uint value, uint amount)
    {
        if (amount == 0)
        {
            return value;
        }

        _carry = amount <= 32 ? (value >> (int)(amount - 1)) & 1 : 0;
        return amount < 32 ? value >> (int)amount : 0;
    }

    /// <summary>ASR by a register amount (0-255) with carry-out.</summary>
    private uint ArithmeticShiftRightWithCarry(uint value, uint amount)
    {
        if (amount == 0)
        {
            return value;
        }

        int shift = (int)Math.Min(amount, 32u);
        _carry = (uint)((int)value >> (shift - 1)) & 1;
        return (uint)((int)value >> Math.Min(shift, 31));
    }

    /// <summary>ConditionPassed for a 4-bit condition (1110 and 1111 always pass).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool ConditionPassed(int condition)
    {
        bool result = (condition >> 1) switch
        {
            0 => _nonZero == 0,
            1 => _carry != 0,
            2 => (int)_negative < 0,
            3 => _overflow != 0,
            4 => _carry != 0 && _nonZero != 0,
            5 => (_negative >> 31) == _overflow,
            6 => _nonZero != 0 && (_negative >> 31) == _overflow,
            _ => true,
        };
        return (condition & 1) != 0 && condition != 15 ? !result : result;
    }

    private static uint ReverseBits(uint value)
    {
        value = ((value >> 1) & 0x5555_5555) | ((value & 0x5555_5555) << 1);
        value = ((value >> 2) & 0x3333_3333) | ((value & 0x3333_3333) << 2);
        value = ((value >> 4) & 0x0F0F_0F0F) | ((value & 0x0F0F_0F0F) << 4);
        return BinaryPrimitives.ReverseEndianness(value);
    }

    /// <summary>SignedSatQ to <paramref name="bits"/> bits (1-32), setting Q on saturation.</summary>
    private uint SignedSaturate(int value, int bits)
    {
        long max = (1L << (bits - 1)) - 1, min = -(1L << (bits - 1));
        if (value > max)
        {
            _saturation = 1;
            return (uint)max;
        }

        if (value < min)
        {
            _saturation = 1;
            return (uint)min;
        }

        return (uint)value;
    }

    /// <summary>UnsignedSatQ to <paramref name="bits"/> bits (0-31), setting Q on saturation.</summary>
    private uint UnsignedSaturate(int value, int bits)
    {
        long max = (1L << bits) - 1;
        if (value > max)
        {
            _saturation = 1;
            return (uint)max;
        }

        if (value < 0)
        {
            _saturation = 1;
            return 0;
        }

        return (uint)value;
    }

    /// <summary>Cycles beyond the 3 of a long multiply: the multiplier terminates early on short operands (3-5 in all).</summary>
    private static uint LongMultiplyExtraCycles(uint n, uint m, bool signed)
    {
        static bool Short(uint x, bool signed) => signed ? (int)x == (short)x : x <= 0xFFFF;
        return (Short(n, signed) ? 0u : 1u) + (Short(m, signed) ? 0u : 1u);
    }

    /// <summary>SDIV/UDIV take 2-12 cycles: about one per 3.2 quotient bits beyond the first two.</summary>
    private static uint DivideCycles(uint dividend, uint divisor)
    {
        if (divisor == 0 || dividend < divisor)
        {
            return 2;
        }

        uint quotientBits = (uint)(BitOperations.LeadingZeroCount(divisor) - BitOperations.LeadingZeroCount(dividend) + 1);
        return 2 + (((quotientBits * 10) + 31) / 32);
    }

    // ---------------------------------------------------------------- out-of-line transfers

    private bool LoadPcValue(in DecodedInstruction d, out uint value)
    {
        uint address = (AddressingMode)d.Aux switch
        {
            AddressingMode.Offset or AddressingMode.PreIndexed => R(d.Rn) + d.Imm,
            AddressingMode.Register => R(d.Rn) + (R(d.Rm) << d.ShiftAmount),
            AddressingMode.PostIndexed => R(d.Rn),
            _ => d.Imm,
        };
        if (!Read32(address, out value))
        {
            return false;
        }

        switch ((AddressingMode)d.Aux)
        {
            case AddressingMode.PreIndexed:
                W(d.Rn, address);
                break;
            case AddressingMode.PostIndexed:
                W(d.Rn, address + d.Imm);
                break;
        }

        return true;
    }

    private bool LoadDual(in DecodedInstruction d)
    {
        uint address = d.Op switch
        {
            Op.LdrdLit => d.Imm,
            Op.LdrdPost => R(d.Rn),
            _ => R(d.Rn) + d.Imm,
        };
        if (!CheckAligned(address, 3) || !Read32(address, out uint low) || !Read32(address + 4, out uint high))
        {
            return false;
        }

        if (d.Op == Op.LdrdPre)
        {
            W(d.Rn, address);
        }
        else if (d.Op == Op.LdrdPost)
        {
            W(d.Rn, address + d.Imm);
        }

        W(d.Rd, low);
        W(d.Ra, high);
        return true;
    }

    private bool StoreDual(in DecodedInstruction d)
    {
        uint address = d.Op == Op.StrdPost ? R(d.Rn) : R(d.Rn) + d.Imm;
        if (!CheckAligned(address, 3) || !Write32(address, R(d.Rd)) || !Write32(address + 4, R(d.Ra)))
        {
            return false;
        }

        if (d.Op == Op.StrdPre)
        {
            W(d.Rn, address);
        }
        else if (d.Op == Op.StrdPost)
        {
            W(d.Rn, address + d.Imm);
        }

        return true;
    }

    /// <summary>LDM/POP: all loads complete before any register changes, so a fault leaves the registers intact.</summary>
    private bool LoadMultiple(in DecodedInstruction d, out uint pcValue)
    {
        pcValue = 0;
        uint list = d.Imm;
        uint bytes = (uint)BitOperations.PopCount(list) * 4;
        uint baseValue = R(d.Rn);
        bool decrement = d.Has(InstructionFlags.DecrementBefore);
        uint address = decrement ? baseValue - bytes : baseValue;
        if (!CheckAligned(address, 3))
        {
            return false;
        }

        ref readonly var region = ref Slot(_readMap, address);
        uint offset = address - region.Base;
        if (offset < region.Limit4 && region.Limit1 - offset >= bytes)
        {
            // All in one RAM/ROM array: reading has no side effects, so load straight into the registers.
            ref byte source = ref At(region.Data, offset);
            if (d.Has(InstructionFlags.Writeback))
            {
                W(d.Rn, decrement ? baseValue - bytes : baseValue + bytes);
            }

            for (uint remaining = list; remaining != 0; remaining &= remaining - 1)
            {
                int r = BitOperations.TrailingZeroCount(remaining);
                uint value = Unsafe.ReadUnaligned<uint>(ref source);
                source = ref Unsafe.Add(ref source, 4);
                if (r == 15)
                {
                    pcValue = value;
                }
                else
                {
                    W(r, value);
                }
            }

            return true;
        }

        Span<uint> values = stackalloc uint[16];
        for (uint remaining = list; remaining != 0; remaining &= remaining - 1)
        {
            int r = BitOperations.TrailingZeroCount(remaining);
            if (!Read32(address, out values[r]))
            {
                return false;
            }

            address += 4;
        }

        if (d.Has(InstructionFlags.Writeback))
        {
            W(d.Rn, decrement ? baseValue - bytes : baseValue + bytes);
        }

        for (uint remaining = list & 0x7FFF; remaining != 0; remaining &= remaining - 1)
        {
            int r = BitOperations.TrailingZeroCount(remaining);
            W(r, values[r]);
        }

        pcValue = values[15];
        return true;
    }

    /// <summary>STM/PUSH: registers are read before the base is written back (a base stored first stores its old value).</summary>
    private bool StoreMultiple(in DecodedInstruction d)
    {
        uint list = d.Imm;
        uint bytes = (uint)BitOperations.PopCount(list) * 4;
        uint baseValue = R(d.Rn);
        bool decrement = d.Has(InstructionFlags.DecrementBefore);
        uint address = decrement ? baseValue - bytes : baseValue;
        if (!CheckAligned(address, 3))
        {
            return false;
        }

        ref readonly var region = ref Slot(_writeMap, address);
        uint offset = address - region.Base;
        if (bytes != 0 && offset < region.Limit4 && region.Limit1 - offset >= bytes
            && (At(region.CodePages, offset >> MemoryRegion.CodePageShift) | At(region.CodePages, (offset + bytes - 1) >> MemoryRegion.CodePageShift)) == 0)
        {
            // All in one RAM array holding no decoded code (a range of at most 64 bytes spans at most two code pages).
            ref byte target = ref At(region.Data, offset);
            for (uint remaining = list; remaining != 0; remaining &= remaining - 1)
            {
                Unsafe.WriteUnaligned(ref target, R(BitOperations.TrailingZeroCount(remaining)));
                target = ref Unsafe.Add(ref target, 4);
            }
        }
        else
        {
            for (uint remaining = list; remaining != 0; remaining &= remaining - 1)
            {
                if (!Write32(address, R(BitOperations.TrailingZeroCount(remaining))))
                {
                    return false;
                }

                address += 4;
            }
        }

        if (d.Has(InstructionFlags.Writeback))
        {
            W(d.Rn, decrement ? baseValue - bytes : baseValue + bytes);
        }

        return true;
    }

    private bool LoadExclusive(in DecodedInstruction d)
    {
        uint address = R(d.Rn) + d.Imm;
        uint value = 0;
        bool ok = d.Op switch
        {
            Op.Ldrex => CheckAligned(address, 3) && Read32(address, out value),
            Op.Ldrexh => CheckAligned(address, 1) && Read16(address, out value),
            _ => Read8(address, out value),
        };
        if (!ok)
        {
            return false;
        }

        _monitorOpen = true;
        _monitorAddress = address;
        W(d.Rd, value);
        return true;
    }

    /// <summary>STREX: stores and writes 0 to the status register if the monitor is open for this address, else writes 1.</summary>
    private bool StoreExclusive(in DecodedInstruction d)
    {
        uint address = R(d.Rn) + d.Imm;
        uint mask = d.Op switch { Op.Strex => 3u, Op.Strexh => 1u, _ => 0u };
        if (!CheckAligned(address, mask))
        {
            return false;
        }

        bool pass = _monitorOpen && _monitorAddress == address;
        if (pass)
        {
            uint value = R(d.Rd);
            bool ok = d.Op switch
            {
                Op.Strex => Write32(address, value),
                Op.Strexh => Write16(address, value),
                _ => Write8(address, value),
            };
            if (!ok)
            {
                return false;
            }
        }

        _monitorOpen = false;
        W(d.Ra, pass ? 0u : 1u);
        return true;
    }

    // ---------------------------------------------------------------- special registers

    /// <summary>MRS: xPSR views (EPSR reads as zero), and the privileged-only stack pointers and masks.</summary>
    private uint ReadSpecialRegister(int sysm)
    {
        bool privileged = IsPrivileged;
        switch (sysm >> 3)
        {
            case 0:
                uint value = 0;
                if ((sysm & 1) != 0)
                {
                    value |= _ipsr;
                }

                if ((sysm & 4) == 0)
                {
                    value |= Apsr;
                }

                return value;
            case 1:
                return !privileged ? 0 : (sysm & 7) == 0 ? Msp : Psp;
            default:
                return (sysm & 7) switch
                {
                    0 => privileged ? _primask : 0,
                    1 or 2 => privileged ? _basepri : 0,
                    3 => privileged ? _faultmask : 0,
                    _ => _control,
                };
        }
    }

    /// <summary>MSR: APSR flags always; everything else only when privileged (unprivileged writes are ignored).</summary>
    private void WriteSpecialRegister(int sysm, uint value)
    {
        if (sysm >> 3 == 0)
        {
            if ((sysm & 4) == 0)
            {
                Apsr = value;
            }

            return;
        }

        if (!IsPrivileged)
        {
            return;
        }

        switch (sysm)
        {
            case 8:
                Msp = value;
                break;
            case 9:
                Psp = value;
                break;
            case 16:
                Primask = value;
                break;
            case 17:
                Basepri = _exc is null ? value : _exc.ImplementedPriority(value);
                break;
            case 18:
                // BASEPRI_MAX only raises the boost (a lower non-zero value), or sets it from zero.
                if (_exc is not null)
                {
                    Basepri = _exc.BasepriAfterMaxWrite((byte)_basepri, value);
                }
                else if ((value & 0xFF) != 0 && ((value & 0xFF) < _basepri || _basepri == 0))
                {
                    Basepri = value;
                }

                break;
            case 19:
                if (CanSetFaultmask)
                {
                    Faultmask = value;
                }

                break;
            case 20:
                // SPSEL is writable only in Thread mode; Handler mode always uses SP_main.
                Control = HandlerMode ? (_control & 2) | (value & 1) : value & 3;
                break;
        }
    }

    /// <summary>FAULTMASK can be set only when the execution priority is above -1: not in NMI (2) or HardFault (3).</summary>
    private bool CanSetFaultmask => _ipsr != 2 && _ipsr != 3;

    /// <summary>CPSIE/CPSID i/f (Aux: bit 4 = disable, bit 1 = PRIMASK, bit 0 = FAULTMASK); ignored when unprivileged.</summary>
    private void ChangeProcessorState(int aux)
    {
        if (!IsPrivileged)
        {
            return;
        }

        bool disable = (aux & 0x10) != 0;
        if ((aux & 2) != 0)
        {
            Primask = disable ? 1u : 0u;
        }

        if ((aux & 1) != 0 && (!disable || CanSetFaultmask))
        {
            Faultmask = disable ? 1u : 0u;
        }
    }
}
