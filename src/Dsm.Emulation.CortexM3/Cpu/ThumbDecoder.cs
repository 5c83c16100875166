using System.Numerics;

namespace Dsm.Emulation.CortexM3.Cpu;

/// <summary>
/// Decodes ARMv7-M Thumb instructions (the base architecture of a Cortex-M3: no DSP, no FP) into
/// <see cref="DecodedInstruction"/>s. The tables below follow the ARMv7-M ARM's encoding diagrams row by
/// row; the first matching row wins, so specific rows (TST) precede the general ones they overlap (AND).
/// An encoding no row matches is UNDEFINED. Each handler applies the instruction's UNPREDICTABLE
/// conditions; PC reads are folded into constants because the instruction's address is known.
/// </summary>
internal static class ThumbDecoder
{
    private const int SP = 13;
    private const int LR = 14;
    private const int PC = 15;

    /// <summary>Pipeline refill penalty of a taken branch (docs/cycle-model.md).</summary>
    internal const int BranchPenalty = 2;

    private static readonly DecodePattern[] Thumb16Table = BuildThumb16();
    private static readonly DecodePattern[] Thumb32Table = BuildThumb32();
    private static readonly DecodePattern[][] Thumb16Buckets = Bucket(Thumb16Table, 16, 8);
    private static readonly DecodePattern[][] Thumb32Buckets = Bucket(Thumb32Table, 32, 12);

    /// <summary>The 16-bit decode table, in match order.</summary>
    internal static IReadOnlyList<DecodePattern> Thumb16 => Thumb16Table;

    /// <summary>The 32-bit decode table, in match order.</summary>
    internal static IReadOnlyList<DecodePattern> Thumb32 => Thumb32Table;

    /// <summary>Whether a first halfword starts a 32-bit instruction (bits [15:11] are 11101, 11110 or 11111).</summary>
    /// <param name="firstHalfword">The halfword at the instruction's address.</param>
    public static bool IsWide(ushort firstHalfword) => firstHalfword >= 0xE800;

    /// <summary>Decodes one instruction.</summary>
    /// <param name="address">Its address (needed for PC-relative forms).</param>
    /// <param name="firstHalfword">The halfword at <paramref name="address"/>.</param>
    /// <param name="secondHalfword">The following halfword (ignored for 16-bit instructions).</param>
    /// <returns>The decoded form.</returns>
    public static DecodedInstruction Decode(uint address, ushort firstHalfword, ushort secondHalfword)
    {
        bool wide = IsWide(firstHalfword);
        uint bits = wide ? ((uint)firstHalfword << 16) | secondHalfword : firstHalfword;
        var c = new DecodeContext(address, bits, wide);
        var pattern = Find(bits, wide);
        if (pattern is null)
        {
            c.Undefined();
        }
        else if (!pattern.ShouldBitsHold(bits))
        {
            c.Unpredictable();
        }
        else
        {
            pattern.Handler(ref c);
        }

        Finish(ref c, firstHalfword, wide ? secondHalfword : (ushort)0);
        return c.D;
    }

    /// <summary>The table row an instruction matches, or null (UNDEFINED).</summary>
    /// <param name="bits">Instruction bits (32-bit: first halfword high).</param>
    /// <param name="wide">True for 32-bit instructions.</param>
    /// <returns>The row.</returns>
    internal static DecodePattern? Find(uint bits, bool wide)
    {
        var bucket = wide ? Thumb32Buckets[bits >> 20] : Thumb16Buckets[bits >> 8];
        foreach (var p in bucket)
        {
            if (p.Matches(bits))
            {
                return p;
            }
        }

        return null;
    }

    private static DecodePattern[][] Bucket(DecodePattern[] table, int width, int indexBits)
    {
        int shift = width - indexBits;
        var buckets = new DecodePattern[1 << indexBits][];
        for (uint index = 0; index < buckets.Length; index++)
        {
            uint top = index << shift;
            uint topMask = ~0u << shift;
            if (width == 16)
            {
                topMask &= 0xFFFF;
            }

            buckets[index] = table.Where(p => ((p.Value ^ top) & p.Mask & topMask) == 0).ToArray();
        }

        return buckets;
    }

    private static void Finish(ref DecodeContext c, ushort hw1, ushort hw2)
    {
        ref var d = ref c.D;
        switch (d.Op)
        {
            case Op.Undefined:
            case Op.Unpredictable:
            case Op.NoCoprocessor:
            case Op.Invalid:
                var op = d.Op == Op.Invalid ? Op.Undefined : d.Op;
                byte length = d.Length;
                d = default;
                d.Op = op;
                d.Length = length;
                d.Imm = hw1 | ((uint)hw2 << 16);
                d.Flags = InstructionFlags.EndsBlock;
                return;
        }

        if (d.Cycles == 0)
        {
            d.Cycles = DefaultCycles(d.Op);
        }

        if (d.Rd == SP && !IsConditionalBranch(d.Op) && d.Op is not (Op.LdrPc or Op.Mrs or Op.Msr or Op.Cps))
        {
            // The fast loop writes results as "value & ~Aux": SP writes drop bits [1:0].
            d.Aux = 3;
        }

        if (EndsBlock(d.Op))
        {
            d.Flags |= InstructionFlags.EndsBlock;
        }
    }

    /// <summary>
    /// Whether a decoded block must end after an operation. Conditional branches do not end it: the fast loop leaves
    /// the block where one is taken, and runs on where it is not (fewer, longer blocks; exceptions are still taken
    /// only between blocks, and a DSB/ISB with one to take still ends its block). The code cache also follows a B to
    /// code of the same region (<see cref="Op.BFollowed"/>).
    /// </summary>
    /// <param name="op">The operation.</param>
    internal static bool EndsBlock(Op op) => op switch
    {
        Op.LdrPc or Op.LdmPc or Op.B or Op.Bl or Op.Bx or Op.Blx
            or Op.Tbb or Op.Tbh or Op.AddToPc or Op.BxConst => true,
        Op.Msr or Op.Cps or Op.It or Op.Svc or Op.Bkpt or Op.Wfi or Op.Wfe => true,
        Op.Undefined or Op.Unpredictable or Op.NoCoprocessor or Op.FetchFault or Op.Invalid => true,
        _ => false,
    };

    private static byte DefaultCycles(Op op) => op switch
    {
        Op.Mla or Op.Mls => 2,
        Op.Umull or Op.Smull or Op.Umlal or Op.Smlal => 3,
        Op.Udiv or Op.Sdiv => 0,
        >= Op.LdrImm and <= Op.StrbPost => 2,
        Op.LdrPc => 2 + BranchPenalty,
        >= Op.LdrdImm and <= Op.StrdPost => 3,
        Op.Ldrex or Op.Ldrexb or Op.Ldrexh or Op.Strex or Op.Strexb or Op.Strexh => 2,
        Op.B or Op.Bl or Op.Bx or Op.Blx or Op.AddToPc or Op.BxConst => 1 + BranchPenalty,
        Op.Tbb or Op.Tbh => 2 + BranchPenalty,
        Op.Mrs or Op.Msr => 2,
        _ => 1,
    };

    // ---------------------------------------------------------------- helpers

    private static DecodePattern P(string bits, string name, DecodeHandler handler) => DecodePattern.Parse(bits, name, handler);

    private static bool Bad(int r) => r == SP || r == PC;

    private enum Alu
    {
        And, Bic, Orr, Orn, Eor, Add, Adc, Sub, Sbc, Rsb, Mov, Mvn,
    }

    private enum Compare
    {
        Tst, Teq, Cmp, Cmn,
    }

    private static bool IsLogical(Alu family) => family is Alu.And or Alu.Bic or Alu.Orr or Alu.Orn or Alu.Eor or Alu.Mov or Alu.Mvn;

    private static Op AluOp(Alu family, int form, bool setFlags) => (Op)((int)Op.AndImm + ((int)family * 6) + (form * 2) + (setFlags ? 1 : 0));

    private static Op CompareOp(Compare family, int form) => (Op)((int)Op.TstImm + ((int)family * 3) + form);

    /// <summary>DecodeImmShift: the shift of an immediate-shifted register operand.</summary>
    private static (ShiftKind Kind, int Amount) ImmShift(int type, int imm5) => type switch
    {
        0 => (ShiftKind.Lsl, imm5),
        1 => (ShiftKind.Lsr, imm5 == 0 ? 32 : imm5),
        2 => (ShiftKind.Asr, imm5 == 0 ? 32 : imm5),
        _ => imm5 == 0 ? (ShiftKind.Rrx, 1) : (ShiftKind.Ror, imm5),
    };

    /// <summary>ThumbExpandImm_C: the constant of a modified immediate, and its carry-out if it has one.</summary>
    private static bool ExpandImm(ref DecodeContext c, out uint value, out bool hasCarry, out bool carry)
    {
        int imm12 = (c.F(26, 26) << 11) | (c.F(14, 12) << 8) | c.F(7, 0);
        uint imm8 = (uint)(imm12 & 0xFF);
        hasCarry = false;
        carry = false;
        if ((imm12 >> 10) == 0)
        {
            value = ((imm12 >> 8) & 3) switch
            {
                0 => imm8,
                1 => (imm8 << 16) | imm8,
                2 => (imm8 << 24) | (imm8 << 8),
                _ => (imm8 << 24) | (imm8 << 16) | (imm8 << 8) | imm8,
            };
            return !c.UnpredictableIf(((imm12 >> 8) & 3) != 0 && imm8 == 0);
        }

        value = BitOperations.RotateRight(0x80 | (imm8 & 0x7F), imm12 >> 7);
        hasCarry = true;
        carry = (value >> 31) != 0;
        return true;
    }

    private static void AluImmediate(ref DecodeContext c, Alu family, bool setFlags, int rd, int rn, uint imm, bool hasCarry = false, bool carry = false)
    {
        if (family == Alu.Mvn)
        {
            family = Alu.Mov;
            imm = ~imm;
        }

        c.D.Op = AluOp(family, 0, setFlags);
        c.Regs(rd, rn);
        c.D.Imm = imm;
        if (setFlags && hasCarry && IsLogical(family))
        {
            c.Flag(InstructionFlags.ImmediateCarry | (carry ? InstructionFlags.ImmediateCarryValue : 0));
        }
    }

    private static void AluRegister(ref DecodeContext c, Alu family, bool setFlags, int rd, int rn, int rm, ShiftKind kind = ShiftKind.Lsl, int amount = 0)
    {
        bool plain = kind == ShiftKind.Lsl && amount == 0;
        c.D.Op = AluOp(family, plain ? 1 : 2, setFlags);
        if (family == Alu.Mov && !plain && kind is ShiftKind.Lsl or ShiftKind.Lsr or ShiftKind.Asr)
        {
            c.D.Op = (Op)((int)Op.LslImm + ((int)kind * 2) + (setFlags ? 1 : 0));
        }

        c.Regs(rd, rn, rm);
        c.D.ShiftType = (byte)kind;
        c.D.ShiftAmount = (byte)amount;
    }

    private static void CompareImmediate(ref DecodeContext c, Compare family, int rn, uint imm, bool hasCarry = false, bool carry = false)
    {
        c.D.Op = CompareOp(family, 0);
        c.Regs(0, rn);
        c.D.Imm = imm;
        if (hasCarry && family is Compare.Tst or Compare.Teq)
        {
            c.Flag(InstructionFlags.ImmediateCarry | (carry ? InstructionFlags.ImmediateCarryValue : 0));
        }
    }

    private static void CompareRegister(ref DecodeContext c, Compare family, int rn, int rm, ShiftKind kind = ShiftKind.Lsl, int amount = 0)
    {
        bool plain = kind == ShiftKind.Lsl && amount == 0;
        c.D.Op = CompareOp(family, plain ? 1 : 2);
        c.Regs(0, rn, rm);
        c.D.ShiftType = (byte)kind;
        c.D.ShiftAmount = (byte)amount;
    }

    private static void Branch(ref DecodeContext c, Op op, int offset)
    {
        c.D.Op = op;
        c.D.Imm = (uint)(c.PcValue + offset);
        c.Flag(InstructionFlags.BranchLike);
    }

    /// <summary>B&lt;cond&gt; with a condition 0-13 (1110 and 1111 are other encodings).</summary>
    private static void ConditionalBranch(ref DecodeContext c, int condition, int offset)
    {
        c.D.Op = (Op)((int)Op.BEq + condition);
        c.D.Imm = (uint)(c.PcValue + offset);
        c.D.Aux = (byte)condition;
        c.Flag(InstructionFlags.NotInIt);
    }

    /// <summary>Whether <paramref name="op"/> is a B&lt;cond&gt; (its condition in Aux).</summary>
    /// <param name="op">The operation.</param>
    internal static bool IsConditionalBranch(Op op) => op is >= Op.BEq and <= Op.BLe;

    private static int SignExtend(int value, int bits) => (value << (32 - bits)) >> (32 - bits);

    private enum Load
    {
        Word, Half, SignedHalf, Byte, SignedByte,
    }

    private enum Store
    {
        Word, Half, Byte,
    }

    private static void LoadSingle(ref DecodeContext c, Load kind, int rt, int rn, AddressingMode mode, int offset, int rm = 0, int shift = 0)
    {
        if (rt == PC)
        {
            // Only a word load can write the PC; the decoders route byte/halfword Rt = PC forms to hints first.
            c.D.Op = Op.LdrPc;
            c.D.Aux = (byte)mode;
            c.Flag(InstructionFlags.BranchLike);
        }
        else
        {
            c.D.Op = (Op)((int)Op.LdrImm + ((int)kind * 5) + (int)mode);
            c.Flag(InstructionFlags.SingleLoad);
        }

        c.Regs(rt, rn, rm);
        c.D.ShiftAmount = (byte)shift;
        c.D.Imm = mode == AddressingMode.Literal ? (uint)(c.AlignedPc + offset) : (uint)offset;
    }

    private static void StoreSingle(ref DecodeContext c, Store kind, int rt, int rn, AddressingMode mode, int offset, int rm = 0, int shift = 0)
    {
        c.D.Op = (Op)((int)Op.StrImm + ((int)kind * 4) + (int)mode);
        c.Flag(InstructionFlags.SingleStore);
        c.Regs(rt, rn, rm);
        c.D.ShiftAmount = (byte)shift;
        c.D.Imm = (uint)offset;
    }

    private static void Multiple(ref DecodeContext c, bool load, int rn, int list, bool decrementBefore, bool writeback)
    {
        bool loadsPc = load && (list & (1 << PC)) != 0;
        c.D.Op = load ? (loadsPc ? Op.LdmPc : Op.Ldm) : Op.Stm;
        c.Regs(0, rn);
        c.D.Imm = (uint)list;
        c.D.Cycles = (byte)(1 + BitOperations.PopCount((uint)list) + (loadsPc ? BranchPenalty : 0));
        if (decrementBefore)
        {
            c.Flag(InstructionFlags.DecrementBefore);
        }

        if (writeback)
        {
            c.Flag(InstructionFlags.Writeback);
        }

        if (loadsPc)
        {
            c.Flag(InstructionFlags.BranchLike);
        }
    }

    private static void Simple(ref DecodeContext c, Op op, int rd = 0, int rn = 0, int rm = 0, int ra = 0)
    {
        c.D.Op = op;
        c.Regs(rd, rn, rm, ra);
    }

    // ---------------------------------------------------------------- 16-bit table

    private static DecodePattern[] BuildThumb16() =>
    [
        // Shift (immediate), add, subtract, move, and compare.
        P("000 00 00000 mmm ddd", "MOVS (register)", static (ref c) =>
        {
            AluRegister(ref c, Alu.Mov, true, c.R3(0), 0, c.R3(3));
            c.Flag(InstructionFlags.NotInIt);
        }),
        P("000 00 iiiii mmm ddd", "LSLS (immediate)", static (ref c) => Shift16(ref c, 0)),
        P("000 01 iiiii mmm ddd", "LSRS (immediate)", static (ref c) => Shift16(ref c, 1)),
        P("000 10 iiiii mmm ddd", "ASRS (immediate)", static (ref c) => Shift16(ref c, 2)),
        P("000 1100 mmm nnn ddd", "ADDS (register)", static (ref c) => Alu16Register(ref c, Alu.Add, c.R3(0), c.R3(3), c.R3(6))),
        P("000 1101 mmm nnn ddd", "SUBS (register)", static (ref c) => Alu16Register(ref c, Alu.Sub, c.R3(0), c.R3(3), c.R3(6))),
        P("000 1110 iii nnn ddd", "ADDS (immediate, 3 bits)", static (ref c) => Alu16Immediate(ref c, Alu.Add, c.R3(0), c.R3(3), (uint)c.F(8, 6))),
        P("000 1111 iii nnn ddd", "SUBS (immediate, 3 bits)", static (ref c) => Alu16Immediate(ref c, Alu.Sub, c.R3(0), c.R3(3), (uint)c.F(8, 6))),
        P("001 00 ddd iiiiiiii", "MOVS (immediate)", static (ref c) => Alu16Immediate(ref c, Alu.Mov, c.R3(8), 0, (uint)c.F(7, 0))),
        P("001 01 nnn iiiiiiii", "CMP (immediate)", static (ref c) => CompareImmediate(ref c, Compare.Cmp, c.R3(8), (uint)c.F(7, 0))),
        P("001 10 ddd iiiiiiii", "ADDS (immediate, 8 bits)", static (ref c) => Alu16Immediate(ref c, Alu.Add, c.R3(8), c.R3(8), (uint)c.F(7, 0))),
        P("001 11 ddd iiiiiiii", "SUBS (immediate, 8 bits)", static (ref c) => Alu16Immediate(ref c, Alu.Sub, c.R3(8), c.R3(8), (uint)c.F(7, 0))),

        // Data processing.
        P("010000 0000 mmm ddd", "ANDS (register)", static (ref c) => Alu16Register(ref c, Alu.And, c.R3(0), c.R3(0), c.R3(3))),
        P("010000 0001 mmm ddd", "EORS (register)", static (ref c) => Alu16Register(ref c, Alu.Eor, c.R3(0), c.R3(0), c.R3(3))),
        P("010000 0010 mmm ddd", "LSLS (register)", static (ref c) => Shift16Register(ref c, Op.LslsReg)),
        P("010000 0011 mmm ddd", "LSRS (register)", static (ref c) => Shift16Register(ref c, Op.LsrsReg)),
        P("010000 0100 mmm ddd", "ASRS (register)", static (ref c) => Shift16Register(ref c, Op.AsrsReg)),
        P("010000 0101 mmm ddd", "ADCS (register)", static (ref c) => Alu16Register(ref c, Alu.Adc, c.R3(0), c.R3(0), c.R3(3))),
        P("010000 0110 mmm ddd", "SBCS (register)", static (ref c) => Alu16Register(ref c, Alu.Sbc, c.R3(0), c.R3(0), c.R3(3))),
        P("010000 0111 mmm ddd", "RORS (register)", static (ref c) => Shift16Register(ref c, Op.RorsReg)),
        P("010000 1000 mmm nnn", "TST (register)", static (ref c) => CompareRegister(ref c, Compare.Tst, c.R3(0), c.R3(3))),
        P("010000 1001 nnn ddd", "RSBS (immediate, NEG)", static (ref c) => Alu16Immediate(ref c, Alu.Rsb, c.R3(0), c.R3(3), 0)),
        P("010000 1010 mmm nnn", "CMP (register)", static (ref c) => CompareRegister(ref c, Compare.Cmp, c.R3(0), c.R3(3))),
        P("010000 1011 mmm nnn", "CMN (register)", static (ref c) => CompareRegister(ref c, Compare.Cmn, c.R3(0), c.R3(3))),
        P("010000 1100 mmm ddd", "ORRS (register)", static (ref c) => Alu16Register(ref c, Alu.Orr, c.R3(0), c.R3(0), c.R3(3))),
        P("010000 1101 nnn ddd", "MULS", static (ref c) =>
        {
            Simple(ref c, Op.Muls, c.R3(0), c.R3(3), c.R3(0));
            c.Flag(InstructionFlags.FlagsOnlyOutsideIt);
        }),
        P("010000 1110 mmm ddd", "BICS (register)", static (ref c) => Alu16Register(ref c, Alu.Bic, c.R3(0), c.R3(0), c.R3(3))),
        P("010000 1111 mmm ddd", "MVNS (register)", static (ref c) => Alu16Register(ref c, Alu.Mvn, c.R3(0), 0, c.R3(3))),

        // Special data processing and branch-exchange.
        P("010001 00 d mmmm ddd", "ADD (high registers)", static (ref c) => AddHigh(ref c)),
        P("010001 01 n mmmm nnn", "CMP (high registers)", static (ref c) =>
        {
            int n = (c.F(7, 7) << 3) | c.R3(0), m = c.R(3);
            if (!c.UnpredictableIf((n < 8 && m < 8) || n == PC || m == PC))
            {
                CompareRegister(ref c, Compare.Cmp, n, m);
            }
        }),
        P("010001 10 d mmmm ddd", "MOV (high registers)", static (ref c) => MovHigh(ref c)),
        P("010001 110 mmmm zzz", "BX", static (ref c) =>
        {
            int m = c.R(3);
            if (m == PC)
            {
                c.D.Op = Op.BxConst;
                c.D.Imm = c.PcValue;
            }
            else
            {
                Simple(ref c, Op.Bx, rm: m);
            }

            c.Flag(InstructionFlags.BranchLike);
        }),
        P("010001 111 mmmm zzz", "BLX (register)", static (ref c) =>
        {
            if (!c.UnpredictableIf(c.R(3) == PC))
            {
                Simple(ref c, Op.Blx, rm: c.R(3));
                c.Flag(InstructionFlags.BranchLike);
            }
        }),

        // Loads and stores.
        P("01001 ttt iiiiiiii", "LDR (literal)", static (ref c) => LoadSingle(ref c, Load.Word, c.R3(8), PC, AddressingMode.Literal, c.F(7, 0) * 4)),
        P("0101 000 mmm nnn ttt", "STR (register)", static (ref c) => StoreSingle(ref c, Store.Word, c.R3(0), c.R3(3), AddressingMode.Register, 0, c.R3(6))),
        P("0101 001 mmm nnn ttt", "STRH (register)", static (ref c) => StoreSingle(ref c, Store.Half, c.R3(0), c.R3(3), AddressingMode.Register, 0, c.R3(6))),
        P("0101 010 mmm nnn ttt", "STRB (register)", static (ref c) => StoreSingle(ref c, Store.Byte, c.R3(0), c.R3(3), AddressingMode.Register, 0, c.R3(6))),
        P("0101 011 mmm nnn ttt", "LDRSB (register)", static (ref c) => LoadSingle(ref c, Load.SignedByte, c.R3(0), c.R3(3), AddressingMode.Register, 0, c.R3(6))),
        P("0101 100 mmm nnn ttt", "LDR (register)", static (ref c) => LoadSingle(ref c, Load.Word, c.R3(0), c.R3(3), AddressingMode.Register, 0, c.R3(6))),
        P("0101 101 mmm nnn ttt", "LDRH (register)", static (ref c) => LoadSingle(ref c, Load.Half, c.R3(0), c.R3(3), AddressingMode.Register, 0, c.R3(6))),
        P("0101 110 mmm nnn ttt", "LDRB (register)", static (ref c) => LoadSingle(ref c, Load.Byte, c.R3(0), c.R3(3), AddressingMode.Register, 0, c.R3(6))),
        P("0101 111 mmm nnn ttt", "LDRSH (register)", static (ref c) => LoadSingle(ref c, Load.SignedHalf, c.R3(0), c.R3(3), AddressingMode.Register, 0, c.R3(6))),
        P("011 00 iiiii nnn ttt", "STR (immediate)", static (ref c) => StoreSingle(ref c, Store.Word, c.R3(0), c.R3(3), AddressingMode.Offset, c.F(10, 6) * 4)),
        P("011 01 iiiii nnn ttt", "LDR (immediate)", static (ref c) => LoadSingle(ref c, Load.Word, c.R3(0), c.R3(3), AddressingMode.Offset, c.F(10, 6) * 4)),
        P("011 10 iiiii nnn ttt", "STRB (immediate)", static (ref c) => StoreSingle(ref c, Store.Byte, c.R3(0), c.R3(3), AddressingMode.Offset, c.F(10, 6))),
        P("011 11 iiiii nnn ttt", "LDRB (immediate)", static (ref c) => LoadSingle(ref c, Load.Byte, c.R3(0), c.R3(3), AddressingMode.Offset, c.F(10, 6))),
        P("1000 0 iiiii nnn ttt", "STRH (immediate)", static (ref c) => StoreSingle(ref c, Store.Half, c.R3(0), c.R3(3), AddressingMode.Offset, c.F(10, 6) * 2)),
        P("1000 1 iiiii nnn ttt", "LDRH (immediate)", static (ref c) => LoadSingle(ref c, Load.Half, c.R3(0), c.R3(3), AddressingMode.Offset, c.F(10, 6) * 2)),
        P("1001 0 ttt iiiiiiii", "STR (SP plus immediate)", static (ref c) => StoreSingle(ref c, Store.Word, c.R3(8), SP, AddressingMode.Offset, c.F(7, 0) * 4)),
        P("1001 1 ttt iiiiiiii", "LDR (SP plus immediate)", static (ref c) => LoadSingle(ref c, Load.Word, c.R3(8), SP, AddressingMode.Offset, c.F(7, 0) * 4)),

        // PC- and SP-relative addresses.
        P("1010 0 ddd iiiiiiii", "ADR", static (ref c) => AluImmediate(ref c, Alu.Mov, false, c.R3(8), 0, (uint)(c.AlignedPc + (c.F(7, 0) * 4)))),
        P("1010 1 ddd iiiiiiii", "ADD (SP plus immediate)", static (ref c) => AluImmediate(ref c, Alu.Add, false, c.R3(8), SP, (uint)(c.F(7, 0) * 4))),

        // Miscellaneous 16-bit instructions.
        P("1011 0000 0 iiiiiii", "ADD SP, SP, #imm", static (ref c) => AluImmediate(ref c, Alu.Add, false, SP, SP, (uint)(c.F(6, 0) * 4))),
        P("1011 0000 1 iiiiiii", "SUB SP, SP, #imm", static (ref c) => AluImmediate(ref c, Alu.Sub, false, SP, SP, (uint)(c.F(6, 0) * 4))),
        P("1011 x 0 i 1 iiiii nnn", "CBZ/CBNZ", static (ref c) =>
        {
            Branch(ref c, c.Bit(11) ? Op.Cbnz : Op.Cbz, (c.F(9, 9) << 6) | (c.F(7, 3) << 1));
            c.Regs(0, c.R3(0));
            c.Flag(InstructionFlags.NotInIt);
        }),
        P("1011 0010 00 mmm ddd", "SXTH", static (ref c) => Simple(ref c, Op.Sxth, c.R3(0), rm: c.R3(3))),
        P("1011 0010 01 mmm ddd", "SXTB", static (ref c) => Simple(ref c, Op.Sxtb, c.R3(0), rm: c.R3(3))),
        P("1011 0010 10 mmm ddd", "UXTH", static (ref c) => Simple(ref c, Op.Uxth, c.R3(0), rm: c.R3(3))),
        P("1011 0010 11 mmm ddd", "UXTB", static (ref c) => Simple(ref c, Op.Uxtb, c.R3(0), rm: c.R3(3))),
        P("1011 010 r llllllll", "PUSH", static (ref c) =>
        {
            int list = (c.F(8, 8) << LR) | c.F(7, 0);
            if (!c.UnpredictableIf(list == 0))
            {
                Multiple(ref c, false, SP, list, true, true);
            }
        }),
        P("1011 0110 011 m zz i f", "CPS", static (ref c) =>
        {
            if (!c.UnpredictableIf(c.F(1, 0) == 0))
            {
                c.D.Op = Op.Cps;
                c.D.Aux = (byte)c.F(4, 0);
                c.Flag(InstructionFlags.NotInIt);
            }
        }),
        P("1011 1010 00 mmm ddd", "REV", static (ref c) => Simple(ref c, Op.Rev, c.R3(0), rm: c.R3(3))),
        P("1011 1010 01 mmm ddd", "REV16", static (ref c) => Simple(ref c, Op.Rev16, c.R3(0), rm: c.R3(3))),
        P("1011 1010 11 mmm ddd", "REVSH", static (ref c) => Simple(ref c, Op.Revsh, c.R3(0), rm: c.R3(3))),
        P("1011 110 p llllllll", "POP", static (ref c) =>
        {
            int list = (c.F(8, 8) << PC) | c.F(7, 0);
            if (!c.UnpredictableIf(list == 0))
            {
                Multiple(ref c, true, SP, list, false, true);
            }
        }),
        P("1011 1110 iiiiiiii", "BKPT", static (ref c) =>
        {
            c.D.Op = Op.Bkpt;
            c.D.Imm = (uint)c.F(7, 0);
            c.Flag(InstructionFlags.Unconditional);
        }),
        P("1011 1111 aaaa 0000", "hint", static (ref c) => Hint(ref c, c.F(7, 4))),
        P("1011 1111 cccc mmmm", "IT", static (ref c) =>
        {
            int firstCondition = c.F(7, 4), mask = c.F(3, 0);
            if (!c.UnpredictableIf(firstCondition == 15 || (firstCondition == 14 && BitOperations.PopCount((uint)mask) != 1)))
            {
                c.D.Op = Op.It;
                c.D.Imm = (uint)c.F(7, 0);
                c.Flag(InstructionFlags.NotInIt);
            }
        }),

        // Multiple loads and stores.
        P("1100 0 nnn llllllll", "STM", static (ref c) =>
        {
            int n = c.R3(8), list = c.F(7, 0);
            bool baseNotLowest = (list & (1 << n)) != 0 && (list & ((1 << n) - 1)) != 0;
            if (!c.UnpredictableIf(list == 0 || baseNotLowest))
            {
                Multiple(ref c, false, n, list, false, true);
            }
        }),
        P("1100 1 nnn llllllll", "LDM", static (ref c) =>
        {
            int n = c.R3(8), list = c.F(7, 0);
            if (!c.UnpredictableIf(list == 0))
            {
                Multiple(ref c, true, n, list, false, (list & (1 << n)) == 0);
            }
        }),

        // Conditional branch, supervisor call, permanently undefined.
        P("1101 1110 iiiiiiii", "UDF", static (ref c) => c.Undefined()),
        P("1101 1111 iiiiiiii", "SVC", static (ref c) =>
        {
            c.D.Op = Op.Svc;
            c.D.Imm = (uint)c.F(7, 0);
        }),
        P("1101 cccc iiiiiiii", "B<cond>", static (ref c) =>
        {
            ConditionalBranch(ref c, c.F(11, 8), SignExtend(c.F(7, 0) << 1, 9));
        }),
        P("11100 iiiiiiiiiii", "B", static (ref c) => Branch(ref c, Op.B, SignExtend(c.F(10, 0) << 1, 12))),
    ];

    private static void Shift16(ref DecodeContext c, int type)
    {
        var (kind, amount) = ImmShift(type, c.F(10, 6));
        AluRegister(ref c, Alu.Mov, true, c.R3(0), 0, c.R3(3), kind, amount);
        c.Flag(InstructionFlags.FlagsOnlyOutsideIt);
    }

    private static void Shift16Register(ref DecodeContext c, Op op)
    {
        Simple(ref c, op, c.R3(0), c.R3(0), c.R3(3));
        c.Flag(InstructionFlags.FlagsOnlyOutsideIt);
    }

    private static void Alu16Register(ref DecodeContext c, Alu family, int rd, int rn, int rm)
    {
        AluRegister(ref c, family, true, rd, rn, rm);
        c.Flag(InstructionFlags.FlagsOnlyOutsideIt);
    }

    private static void Alu16Immediate(ref DecodeContext c, Alu family, int rd, int rn, uint imm)
    {
        AluImmediate(ref c, family, true, rd, rn, imm);
        c.Flag(InstructionFlags.FlagsOnlyOutsideIt);
    }

    private static void AddHigh(ref DecodeContext c)
    {
        // ADD (register) T2 and ADD (SP plus register) T1/T2 share this encoding; all are Rdn = Rdn + Rm without flags.
        int dn = (c.F(7, 7) << 3) | c.R3(0), m = c.R(3);
        if (dn == PC)
        {
            if (!c.UnpredictableIf(m == PC))
            {
                Simple(ref c, Op.AddToPc, rm: m);
                c.D.Imm = c.PcValue;
                c.Flag(InstructionFlags.BranchLike);
            }
        }
        else if (m == PC)
        {
            AluImmediate(ref c, Alu.Add, false, dn, dn, c.PcValue);
        }
        else
        {
            AluRegister(ref c, Alu.Add, false, dn, dn, m);
        }
    }

    private static void MovHigh(ref DecodeContext c)
    {
        int d = (c.F(7, 7) << 3) | c.R3(0), m = c.R(3);
        if (d == PC)
        {
            if (m == PC)
            {
                c.D.Op = Op.B;
                c.D.Imm = c.PcValue;
            }
            else
            {
                Simple(ref c, Op.AddToPc, rm: m);
            }

            c.Flag(InstructionFlags.BranchLike);
        }
        else if (m == PC)
        {
            AluImmediate(ref c, Alu.Mov, false, d, 0, c.PcValue);
        }
        else
        {
            AluRegister(ref c, Alu.Mov, false, d, 0, m);
        }
    }

    private static void Hint(ref DecodeContext c, int hint)
    {
        // Unallocated hints execute as NOPs.
        c.D.Op = hint switch
        {
            1 => Op.Yield,
            2 => Op.Wfe,
            3 => Op.Wfi,
            4 => Op.Sev,
            _ => Op.Nop,
        };
    }

    // ---------------------------------------------------------------- 32-bit table

    private static DecodePattern[] BuildThumb32() =>
    [
        // Load/store multiple.
        P("1110 1000 10w0 nnnn z m z lllllllllllll", "STM.W", static (ref c) => StoreMultiple(ref c, false)),
        P("1110 1000 10w1 nnnn p m z lllllllllllll", "LDM.W", static (ref c) => LoadMultiple(ref c, false)),
        P("1110 1001 00w0 nnnn z m z lllllllllllll", "STMDB", static (ref c) => StoreMultiple(ref c, true)),
        P("1110 1001 00w1 nnnn p m z lllllllllllll", "LDMDB", static (ref c) => LoadMultiple(ref c, true)),

        // Load/store exclusive and table branch (the P = 0, W = 0 corner of the dual space).
        P("1110 1000 0100 nnnn tttt dddd iiiiiiii", "STREX", static (ref c) =>
            StoreExclusive(ref c, Op.Strex, c.F(7, 0) * 4, c.R(8))),
        P("1110 1000 0101 nnnn tttt oooo iiiiiiii", "LDREX", static (ref c) =>
            LoadExclusive(ref c, Op.Ldrex, c.F(7, 0) * 4)),
        P("1110 1000 1100 nnnn tttt oooo 0100 dddd", "STREXB", static (ref c) => StoreExclusive(ref c, Op.Strexb, 0, c.R(0))),
        P("1110 1000 1100 nnnn tttt oooo 0101 dddd", "STREXH", static (ref c) => StoreExclusive(ref c, Op.Strexh, 0, c.R(0))),
        P("1110 1000 1101 nnnn oooo zzzz 000h mmmm", "TBB/TBH", static (ref c) =>
        {
            int n = c.R(16), m = c.R(0);
            if (!c.UnpredictableIf(n == SP || Bad(m)))
            {
                Simple(ref c, c.Bit(4) ? Op.Tbh : Op.Tbb, rn: n, rm: m);
                c.D.Imm = c.PcValue;
                c.Flag(InstructionFlags.BranchLike | (n == PC ? InstructionFlags.BaseIsPc : 0));
            }
        }),
        P("1110 1000 1101 nnnn tttt oooo 0100 oooo", "LDREXB", static (ref c) => LoadExclusive(ref c, Op.Ldrexb, 0)),
        P("1110 1000 1101 nnnn tttt oooo 0101 oooo", "LDREXH", static (ref c) => LoadExclusive(ref c, Op.Ldrexh, 0)),

        // Load/store dual.
        P("1110 1001 u1w0 nnnn tttt TTTT iiiiiiii", "STRD (immediate)", static (ref c) => Dual(ref c, false)),
        P("1110 1000 u110 nnnn tttt TTTT iiiiiiii", "STRD (post-indexed)", static (ref c) => Dual(ref c, false)),
        P("1110 1001 u1w1 nnnn tttt TTTT iiiiiiii", "LDRD (immediate/literal)", static (ref c) => Dual(ref c, true)),
        P("1110 1000 u111 nnnn tttt TTTT iiiiiiii", "LDRD (post-indexed)", static (ref c) => Dual(ref c, true)),

        // Data processing (shifted register).
        P("1110101 0000 1 nnnn z iii 1111 ii tt mmmm", "TST.W (register)", static (ref c) => CompareShifted(ref c, Compare.Tst)),
        P("1110101 0000 s nnnn z iii dddd ii tt mmmm", "AND.W (register)", static (ref c) => AluShifted(ref c, Alu.And)),
        P("1110101 0001 s nnnn z iii dddd ii tt mmmm", "BIC.W (register)", static (ref c) => AluShifted(ref c, Alu.Bic)),
        P("1110101 0010 s 1111 z iii dddd ii tt mmmm", "MOV.W (register, shifts)", static (ref c) => MoveShifted(ref c, Alu.Mov)),
        P("1110101 0010 s nnnn z iii dddd ii tt mmmm", "ORR.W (register)", static (ref c) => AluShifted(ref c, Alu.Orr)),
        P("1110101 0011 s 1111 z iii dddd ii tt mmmm", "MVN.W (register)", static (ref c) => MoveShifted(ref c, Alu.Mvn)),
        P("1110101 0011 s nnnn z iii dddd ii tt mmmm", "ORN (register)", static (ref c) => AluShifted(ref c, Alu.Orn)),
        P("1110101 0100 1 nnnn z iii 1111 ii tt mmmm", "TEQ (register)", static (ref c) => CompareShifted(ref c, Compare.Teq)),
        P("1110101 0100 s nnnn z iii dddd ii tt mmmm", "EOR.W (register)", static (ref c) => AluShifted(ref c, Alu.Eor)),
        P("1110101 1000 1 nnnn z iii 1111 ii tt mmmm", "CMN.W (register)", static (ref c) => CompareShifted(ref c, Compare.Cmn)),
        P("1110101 1000 s nnnn z iii dddd ii tt mmmm", "ADD.W (register)", static (ref c) => AluShifted(ref c, Alu.Add)),
        P("1110101 1010 s nnnn z iii dddd ii tt mmmm", "ADC.W (register)", static (ref c) => AluShifted(ref c, Alu.Adc)),
        P("1110101 1011 s nnnn z iii dddd ii tt mmmm", "SBC.W (register)", static (ref c) => AluShifted(ref c, Alu.Sbc)),
        P("1110101 1101 1 nnnn z iii 1111 ii tt mmmm", "CMP.W (register)", static (ref c) => CompareShifted(ref c, Compare.Cmp)),
        P("1110101 1101 s nnnn z iii dddd ii tt mmmm", "SUB.W (register)", static (ref c) => AluShifted(ref c, Alu.Sub)),
        P("1110101 1110 s nnnn z iii dddd ii tt mmmm", "RSB.W (register)", static (ref c) => AluShifted(ref c, Alu.Rsb)),

        // Coprocessor space: a Cortex-M3 has no coprocessors (UsageFault NOCP); the 111x 1111 corner is UNDEFINED.
        P("111. 110. .... .... .... .... .... ....", "coprocessor load/store, MCRR/MRRC", static (ref c) => c.D.Op = Op.NoCoprocessor),
        P("111. 1110 .... .... .... .... .... ....", "coprocessor data processing, MCR/MRC", static (ref c) => c.D.Op = Op.NoCoprocessor),

        // Data processing (modified immediate).
        P("11110 i 0 0000 1 nnnn 0 iii 1111 iiiiiiii", "TST (immediate)", static (ref c) => CompareModified(ref c, Compare.Tst)),
        P("11110 i 0 0000 s nnnn 0 iii dddd iiiiiiii", "AND (immediate)", static (ref c) => AluModified(ref c, Alu.And)),
        P("11110 i 0 0001 s nnnn 0 iii dddd iiiiiiii", "BIC (immediate)", static (ref c) => AluModified(ref c, Alu.Bic)),
        P("11110 i 0 0010 s 1111 0 iii dddd iiiiiiii", "MOV.W (immediate)", static (ref c) => AluModified(ref c, Alu.Mov)),
        P("11110 i 0 0010 s nnnn 0 iii dddd iiiiiiii", "ORR (immediate)", static (ref c) => AluModified(ref c, Alu.Orr)),
        P("11110 i 0 0011 s 1111 0 iii dddd iiiiiiii", "MVN (immediate)", static (ref c) => AluModified(ref c, Alu.Mvn)),
        P("11110 i 0 0011 s nnnn 0 iii dddd iiiiiiii", "ORN (immediate)", static (ref c) => AluModified(ref c, Alu.Orn)),
        P("11110 i 0 0100 1 nnnn 0 iii 1111 iiiiiiii", "TEQ (immediate)", static (ref c) => CompareModified(ref c, Compare.Teq)),
        P("11110 i 0 0100 s nnnn 0 iii dddd iiiiiiii", "EOR (immediate)", static (ref c) => AluModified(ref c, Alu.Eor)),
        P("11110 i 0 1000 1 nnnn 0 iii 1111 iiiiiiii", "CMN (immediate)", static (ref c) => CompareModified(ref c, Compare.Cmn)),
        P("11110 i 0 1000 s nnnn 0 iii dddd iiiiiiii", "ADD.W (immediate)", static (ref c) => AluModified(ref c, Alu.Add)),
        P("11110 i 0 1010 s nnnn 0 iii dddd iiiiiiii", "ADC (immediate)", static (ref c) => AluModified(ref c, Alu.Adc)),
        P("11110 i 0 1011 s nnnn 0 iii dddd iiiiiiii", "SBC (immediate)", static (ref c) => AluModified(ref c, Alu.Sbc)),
        P("11110 i 0 1101 1 nnnn 0 iii 1111 iiiiiiii", "CMP.W (immediate)", static (ref c) => CompareModified(ref c, Compare.Cmp)),
        P("11110 i 0 1101 s nnnn 0 iii dddd iiiiiiii", "SUB.W (immediate)", static (ref c) => AluModified(ref c, Alu.Sub)),
        P("11110 i 0 1110 s nnnn 0 iii dddd iiiiiiii", "RSB.W (immediate)", static (ref c) => AluModified(ref c, Alu.Rsb)),

        // Data processing (plain binary immediate).
        P("11110 i 1 00000 1111 0 iii dddd iiiiiiii", "ADR.W (add)", static (ref c) => Adr(ref c, true)),
        P("11110 i 1 00000 nnnn 0 iii dddd iiiiiiii", "ADDW", static (ref c) => AddSubWide(ref c, Alu.Add)),
        P("11110 i 1 00100 iiii 0 iii dddd iiiiiiii", "MOVW", static (ref c) =>
        {
            if (!c.UnpredictableIf(Bad(c.R(8))))
            {
                AluImmediate(ref c, Alu.Mov, false, c.R(8), 0, Imm16(ref c));
            }
        }),
        P("11110 i 1 01010 1111 0 iii dddd iiiiiiii", "ADR.W (subtract)", static (ref c) => Adr(ref c, false)),
        P("11110 i 1 01010 nnnn 0 iii dddd iiiiiiii", "SUBW", static (ref c) => AddSubWide(ref c, Alu.Sub)),
        P("11110 i 1 01100 iiii 0 iii dddd iiiiiiii", "MOVT", static (ref c) =>
        {
            if (!c.UnpredictableIf(Bad(c.R(8))))
            {
                Simple(ref c, Op.Movt, c.R(8));
                c.D.Imm = Imm16(ref c) << 16;
            }
        }),
        P("11110 z 1 100 h 0 nnnn 0 iii dddd ii z sssss", "SSAT", static (ref c) => Saturate(ref c, Op.Ssat)),
        P("11110 z 1 10100 nnnn 0 iii dddd ii z wwwww", "SBFX", static (ref c) => BitFieldExtract(ref c, Op.Sbfx)),
        P("11110 z 1 10110 1111 0 iii dddd ii z mmmmm", "BFC", static (ref c) => BitFieldInsert(ref c, Op.Bfc)),
        P("11110 z 1 10110 nnnn 0 iii dddd ii z mmmmm", "BFI", static (ref c) => BitFieldInsert(ref c, Op.Bfi)),
        P("11110 z 1 110 h 0 nnnn 0 iii dddd ii z sssss", "USAT", static (ref c) => Saturate(ref c, Op.Usat)),
        P("11110 z 1 11100 nnnn 0 iii dddd ii z wwwww", "UBFX", static (ref c) => BitFieldExtract(ref c, Op.Ubfx)),

        // Branches and miscellaneous control.
        P("11110 0 11100 z nnnn 10z0 kk zz ssssssss", "MSR", static (ref c) => Msr(ref c)),
        P("11110 0 111010 oooo 10z0 z aaa hhhhhhhh", "hint (32-bit)", static (ref c) =>
        {
            if (c.F(10, 8) != 0)
            {
                c.Undefined();
            }
            else
            {
                // DBG and the other hints with a non-zero upper nibble execute as NOPs.
                Hint(ref c, c.F(7, 4) == 0 ? c.F(3, 0) : 0);
            }
        }),
        P("11110 0 111011 oooo 10z0 oooo xxxx yyyy", "miscellaneous control", static (ref c) => MiscControl(ref c)),
        P("11110 0 11111 z oooo 10z0 dddd ssssssss", "MRS", static (ref c) => Mrs(ref c)),
        P("11110 s cccc iiiiii 10j0 j iiiiiiiiiii", "B<cond>.W", static (ref c) =>
        {
            int cond = c.F(25, 22);
            if ((cond >> 1) == 7)
            {
                // BXJ, SUBS PC, LR, SMC, UDF and the rest of this corner do not exist on ARMv7-M.
                c.Undefined();
                return;
            }

            int offset = (c.F(26, 26) << 20) | (c.F(11, 11) << 19) | (c.F(13, 13) << 18) | (c.F(21, 16) << 12) | (c.F(10, 0) << 1);
            ConditionalBranch(ref c, cond, SignExtend(offset, 21));
        }),
        P("11110 s iiiiiiiiii 10j1 j iiiiiiiiiii", "B.W", static (ref c) => Branch(ref c, Op.B, Branch24(ref c))),
        P("11110 s iiiiiiiiii 11j1 j iiiiiiiiiii", "BL", static (ref c) => Branch(ref c, Op.Bl, Branch24(ref c))),

        // Store single data item.
        P("11111 000 1000 nnnn tttt iiiiiiiiiiii", "STRB.W (immediate)", static (ref c) => StoreImm12(ref c, Store.Byte)),
        P("11111 000 0000 nnnn tttt 1puw iiiiiiii", "STRB (immediate, indexed)", static (ref c) => StoreImm8(ref c, Store.Byte)),
        P("11111 000 0000 nnnn tttt 000000 ii mmmm", "STRB.W (register)", static (ref c) => StoreRegister(ref c, Store.Byte)),
        P("11111 000 1010 nnnn tttt iiiiiiiiiiii", "STRH.W (immediate)", static (ref c) => StoreImm12(ref c, Store.Half)),
        P("11111 000 0010 nnnn tttt 1puw iiiiiiii", "STRH (immediate, indexed)", static (ref c) => StoreImm8(ref c, Store.Half)),
        P("11111 000 0010 nnnn tttt 000000 ii mmmm", "STRH.W (register)", static (ref c) => StoreRegister(ref c, Store.Half)),
        P("11111 000 1100 nnnn tttt iiiiiiiiiiii", "STR.W (immediate)", static (ref c) => StoreImm12(ref c, Store.Word)),
        P("11111 000 0100 nnnn tttt 1puw iiiiiiii", "STR (immediate, indexed)", static (ref c) => StoreImm8(ref c, Store.Word)),
        P("11111 000 0100 nnnn tttt 000000 ii mmmm", "STR.W (register)", static (ref c) => StoreRegister(ref c, Store.Word)),

        // Load byte and memory hints (PLD, PLI).
        P("11111 00 s u 001 1111 tttt iiiiiiiiiiii", "LDRB/LDRSB (literal), PLD/PLI", static (ref c) => LoadLiteral(ref c, c.Bit(24) ? Load.SignedByte : Load.Byte)),
        P("11111 00 s 1 001 nnnn tttt iiiiiiiiiiii", "LDRB/LDRSB (immediate 12), PLD/PLI", static (ref c) => LoadImm12(ref c, c.Bit(24) ? Load.SignedByte : Load.Byte)),
        P("11111 00 s 0 001 nnnn tttt 1puw iiiiiiii", "LDRB/LDRSB (immediate 8), PLD/PLI", static (ref c) => LoadImm8(ref c, c.Bit(24) ? Load.SignedByte : Load.Byte)),
        P("11111 00 s 0 001 nnnn tttt 000000 ii mmmm", "LDRB/LDRSB (register), PLD/PLI", static (ref c) => LoadRegister(ref c, c.Bit(24) ? Load.SignedByte : Load.Byte)),

        // Load halfword and unallocated memory hints.
        P("11111 00 s u 011 1111 tttt iiiiiiiiiiii", "LDRH/LDRSH (literal)", static (ref c) => LoadLiteral(ref c, c.Bit(24) ? Load.SignedHalf : Load.Half)),
        P("11111 00 s 1 011 nnnn tttt iiiiiiiiiiii", "LDRH/LDRSH (immediate 12)", static (ref c) => LoadImm12(ref c, c.Bit(24) ? Load.SignedHalf : Load.Half)),
        P("11111 00 s 0 011 nnnn tttt 1puw iiiiiiii", "LDRH/LDRSH (immediate 8)", static (ref c) => LoadImm8(ref c, c.Bit(24) ? Load.SignedHalf : Load.Half)),
        P("11111 00 s 0 011 nnnn tttt 000000 ii mmmm", "LDRH/LDRSH (register)", static (ref c) => LoadRegister(ref c, c.Bit(24) ? Load.SignedHalf : Load.Half)),

        // Load word.
        P("11111 00 0 u 101 1111 tttt iiiiiiiiiiii", "LDR.W (literal)", static (ref c) => LoadLiteral(ref c, Load.Word)),
        P("11111 00 0 1 101 nnnn tttt iiiiiiiiiiii", "LDR.W (immediate 12)", static (ref c) => LoadImm12(ref c, Load.Word)),
        P("11111 00 0 0 101 nnnn tttt 1puw iiiiiiii", "LDR (immediate 8)", static (ref c) => LoadImm8(ref c, Load.Word)),
        P("11111 00 0 0 101 nnnn tttt 000000 ii mmmm", "LDR.W (register)", static (ref c) => LoadRegister(ref c, Load.Word)),

        // Data processing (register).
        P("11111 010 0 tt s nnnn 1111 dddd 0000 mmmm", "LSL/LSR/ASR/ROR.W (register)", static (ref c) =>
        {
            int d = c.R(8), n = c.R(16), m = c.R(0);
            if (!c.UnpredictableIf(Bad(d) || Bad(n) || Bad(m)))
            {
                Simple(ref c, (Op)((int)Op.LslReg + (c.F(22, 21) * 2) + (c.Bit(20) ? 1 : 0)), d, n, m);
            }
        }),
        P("11111 010 0000 1111 1111 dddd 1z rr mmmm", "SXTH.W", static (ref c) => Extend(ref c, Op.Sxth)),
        P("11111 010 0001 1111 1111 dddd 1z rr mmmm", "UXTH.W", static (ref c) => Extend(ref c, Op.Uxth)),
        P("11111 010 0100 1111 1111 dddd 1z rr mmmm", "SXTB.W", static (ref c) => Extend(ref c, Op.Sxtb)),
        P("11111 010 0101 1111 1111 dddd 1z rr mmmm", "UXTB.W", static (ref c) => Extend(ref c, Op.Uxtb)),
        P("11111 010 1001 mmmm 1111 dddd 1000 MMMM", "REV.W", static (ref c) => Unary(ref c, Op.Rev)),
        P("11111 010 1001 mmmm 1111 dddd 1001 MMMM", "REV16.W", static (ref c) => Unary(ref c, Op.Rev16)),
        P("11111 010 1001 mmmm 1111 dddd 1010 MMMM", "RBIT", static (ref c) => Unary(ref c, Op.Rbit)),
        P("11111 010 1001 mmmm 1111 dddd 1011 MMMM", "REVSH.W", static (ref c) => Unary(ref c, Op.Revsh)),
        P("11111 010 1011 mmmm 1111 dddd 1000 MMMM", "CLZ", static (ref c) => Unary(ref c, Op.Clz)),

        // Multiply and multiply-accumulate.
        P("11111 011 0000 nnnn 1111 dddd 0000 mmmm", "MUL.W", static (ref c) =>
        {
            int d = c.R(8), n = c.R(16), m = c.R(0);
            if (!c.UnpredictableIf(Bad(d) || Bad(n) || Bad(m)))
            {
                Simple(ref c, Op.Mul, d, n, m);
            }
        }),
        P("11111 011 0000 nnnn aaaa dddd 0000 mmmm", "MLA", static (ref c) => MultiplyAccumulate(ref c, Op.Mla)),
        P("11111 011 0000 nnnn aaaa dddd 0001 mmmm", "MLS", static (ref c) => MultiplyAccumulate(ref c, Op.Mls)),

        // Long multiply and divide.
        P("11111 011 1000 nnnn llll hhhh 0000 mmmm", "SMULL", static (ref c) => LongMultiply(ref c, Op.Smull)),
        P("11111 011 1001 nnnn oooo dddd 1111 mmmm", "SDIV", static (ref c) => Divide(ref c, Op.Sdiv)),
        P("11111 011 1010 nnnn llll hhhh 0000 mmmm", "UMULL", static (ref c) => LongMultiply(ref c, Op.Umull)),
        P("11111 011 1011 nnnn oooo dddd 1111 mmmm", "UDIV", static (ref c) => Divide(ref c, Op.Udiv)),
        P("11111 011 1100 nnnn llll hhhh 0000 mmmm", "SMLAL", static (ref c) => LongMultiply(ref c, Op.Smlal)),
        P("11111 011 1110 nnnn llll hhhh 0000 mmmm", "UMLAL", static (ref c) => LongMultiply(ref c, Op.Umlal)),
    ];

    private static void StoreMultiple(ref DecodeContext c, bool decrementBefore)
    {
        int n = c.R(16), list = c.F(15, 0);
        bool wback = c.Bit(21);
        if (!c.UnpredictableIf(n == PC || BitOperations.PopCount((uint)list) < 2 || (wback && (list & (1 << n)) != 0)))
        {
            Multiple(ref c, false, n, list, decrementBefore, wback);
        }
    }

    private static void LoadMultiple(ref DecodeContext c, bool decrementBefore)
    {
        int n = c.R(16), list = c.F(15, 0);
        bool wback = c.Bit(21);
        bool pcAndLr = c.Bit(15) && c.Bit(14);
        if (!c.UnpredictableIf(n == PC || BitOperations.PopCount((uint)list) < 2 || pcAndLr || (wback && (list & (1 << n)) != 0)))
        {
            Multiple(ref c, true, n, list, decrementBefore, wback);
        }
    }

    private static void StoreExclusive(ref DecodeContext c, Op op, int offset, int d)
    {
        int n = c.R(16), t = c.R(12);
        if (!c.UnpredictableIf(Bad(d) || Bad(t) || n == PC || d == n || d == t))
        {
            Simple(ref c, op, t, n, ra: d);
            c.D.Imm = (uint)offset;
        }
    }

    private static void LoadExclusive(ref DecodeContext c, Op op, int offset)
    {
        int n = c.R(16), t = c.R(12);
        if (!c.UnpredictableIf(Bad(t) || n == PC))
        {
            Simple(ref c, op, t, n);
            c.D.Imm = (uint)offset;
        }
    }

    private static void Dual(ref DecodeContext c, bool load)
    {
        int n = c.R(16), t = c.R(12), t2 = c.R(8);
        bool index = c.Bit(24), add = c.Bit(23), wback = c.Bit(21);
        int offset = add ? c.F(7, 0) * 4 : -(c.F(7, 0) * 4);
        if (load && n == PC)
        {
            // LDRD (literal): no writeback.
            if (!c.UnpredictableIf(Bad(t) || Bad(t2) || t == t2 || wback))
            {
                Simple(ref c, Op.LdrdLit, t, ra: t2);
                c.D.Imm = (uint)(c.AlignedPc + offset);
            }

            return;
        }

        bool bad = wback && (n == t || n == t2);
        bad |= load ? (Bad(t) || Bad(t2) || t == t2) : (n == PC || Bad(t) || Bad(t2));
        if (c.UnpredictableIf(bad))
        {
            return;
        }

        Op op = (index, wback) switch
        {
            (true, false) => load ? Op.LdrdImm : Op.StrdImm,
            (true, true) => load ? Op.LdrdPre : Op.StrdPre,
            _ => load ? Op.LdrdPost : Op.StrdPost,
        };
        Simple(ref c, op, t, n, ra: t2);
        c.D.Imm = (uint)offset;
    }

    private static void AluShifted(ref DecodeContext c, Alu family)
    {
        int d = c.R(8), n = c.R(16), m = c.R(0);
        bool s = c.Bit(20);
        var (kind, amount) = ImmShift(c.F(5, 4), (c.F(14, 12) << 2) | c.F(7, 6));
        bool bad = family switch
        {
            // The SP forms: ADD/SUB (SP plus/minus register) allow d = SP only with LSL #0-3.
            Alu.Add or Alu.Sub when n == SP => d == PC || Bad(m) || (d == SP && (kind != ShiftKind.Lsl || amount > 3)),
            Alu.Add or Alu.Sub => Bad(d) || n == PC || Bad(m),
            Alu.Orr or Alu.Orn => Bad(d) || n == SP || Bad(m),
            _ => Bad(d) || Bad(n) || Bad(m),
        };
        if (!c.UnpredictableIf(bad))
        {
            AluRegister(ref c, family, s, d, n, m, kind, amount);
        }
    }

    private static void MoveShifted(ref DecodeContext c, Alu family)
    {
        int d = c.R(8), m = c.R(0);
        bool s = c.Bit(20);
        var (kind, amount) = ImmShift(c.F(5, 4), (c.F(14, 12) << 2) | c.F(7, 6));
        bool plainMove = family == Alu.Mov && kind == ShiftKind.Lsl && amount == 0;
        bool bad = plainMove
            ? (s ? Bad(d) || Bad(m) : d == PC || m == PC || (d == SP && m == SP))
            : Bad(d) || Bad(m);
        if (!c.UnpredictableIf(bad))
        {
            AluRegister(ref c, family, s, d, 0, m, kind, amount);
        }
    }

    private static void CompareShifted(ref DecodeContext c, Compare family)
    {
        int n = c.R(16), m = c.R(0);
        var (kind, amount) = ImmShift(c.F(5, 4), (c.F(14, 12) << 2) | c.F(7, 6));
        bool bad = family is Compare.Cmp or Compare.Cmn ? n == PC || Bad(m) : Bad(n) || Bad(m);
        if (!c.UnpredictableIf(bad))
        {
            CompareRegister(ref c, family, n, m, kind, amount);
        }
    }

    private static void AluModified(ref DecodeContext c, Alu family)
    {
        int d = c.R(8), n = c.R(16);
        bool s = c.Bit(20);
        bool bad = family switch
        {
            Alu.Add or Alu.Sub when n == SP => d == PC,
            Alu.Add or Alu.Sub => Bad(d) || n == PC,
            Alu.Orr or Alu.Orn => Bad(d) || n == SP,
            Alu.Mov or Alu.Mvn => Bad(d),
            _ => Bad(d) || Bad(n),
        };
        if (!c.UnpredictableIf(bad) && ExpandImm(ref c, out uint imm, out bool hasCarry, out bool carry))
        {
            AluImmediate(ref c, family, s, d, n, imm, hasCarry, carry);
        }
    }

    private static void CompareModified(ref DecodeContext c, Compare family)
    {
        int n = c.R(16);
        bool bad = family is Compare.Cmp or Compare.Cmn ? n == PC : Bad(n);
        if (!c.UnpredictableIf(bad) && ExpandImm(ref c, out uint imm, out bool hasCarry, out bool carry))
        {
            CompareImmediate(ref c, family, n, imm, hasCarry, carry);
        }
    }

    private static int Imm12(ref DecodeContext c) => (c.F(26, 26) << 11) | (c.F(14, 12) << 8) | c.F(7, 0);

    private static uint Imm16(ref DecodeContext c) => (uint)((c.F(19, 16) << 12) | Imm12(ref c));

    private static void Adr(ref DecodeContext c, bool add)
    {
        int d = c.R(8);
        if (!c.UnpredictableIf(Bad(d)))
        {
            int offset = add ? Imm12(ref c) : -Imm12(ref c);
            AluImmediate(ref c, Alu.Mov, false, d, 0, (uint)(c.AlignedPc + offset));
        }
    }

    private static void AddSubWide(ref DecodeContext c, Alu family)
    {
        int d = c.R(8), n = c.R(16);
        bool bad = n == SP ? d == PC : Bad(d);
        if (!c.UnpredictableIf(bad))
        {
            AluImmediate(ref c, family, false, d, n, (uint)Imm12(ref c));
        }
    }

    private static void Saturate(ref DecodeContext c, Op op)
    {
        int d = c.R(8), n = c.R(16);
        int shiftAmount = (c.F(14, 12) << 2) | c.F(7, 6);
        bool asr = c.Bit(21);
        if (asr && shiftAmount == 0)
        {
            // SSAT16/USAT16 belong to the DSP extension, which a Cortex-M3 lacks.
            c.Undefined();
            return;
        }

        if (!c.UnpredictableIf(Bad(d) || Bad(n)))
        {
            Simple(ref c, op, d, n);
            c.D.ShiftType = (byte)(asr ? ShiftKind.Asr : ShiftKind.Lsl);
            c.D.ShiftAmount = (byte)shiftAmount;
            c.D.Imm = (uint)(c.F(4, 0) + (op == Op.Ssat ? 1 : 0));
        }
    }

    private static void BitFieldExtract(ref DecodeContext c, Op op)
    {
        int d = c.R(8), n = c.R(16);
        int lsb = (c.F(14, 12) << 2) | c.F(7, 6), widthMinus1 = c.F(4, 0);
        if (!c.UnpredictableIf(Bad(d) || Bad(n) || lsb + widthMinus1 > 31))
        {
            Simple(ref c, op, d, n);
            c.D.ShiftAmount = (byte)lsb;
            c.D.ShiftType = (byte)(widthMinus1 + 1);
        }
    }

    private static void BitFieldInsert(ref DecodeContext c, Op op)
    {
        int d = c.R(8), n = op == Op.Bfc ? 0 : c.R(16);
        int lsb = (c.F(14, 12) << 2) | c.F(7, 6), msb = c.F(4, 0);
        if (!c.UnpredictableIf(Bad(d) || (op == Op.Bfi && n == SP) || msb < lsb))
        {
            Simple(ref c, op, d, n);
            c.D.ShiftAmount = (byte)lsb;
            c.D.Imm = (uint)((((ulong)1 << (msb - lsb + 1)) - 1) << lsb);
        }
    }

    private static void Msr(ref DecodeContext c)
    {
        int n = c.R(16), mask = c.F(11, 10), sysm = c.F(7, 0);
        // Without the DSP extension only mask = 0b10 (NZCVQ) is meaningful, and only it is allowed for non-APSR registers.
        if (!c.UnpredictableIf(mask != 2 || Bad(n) || !IsValidSysm(sysm)))
        {
            Simple(ref c, Op.Msr, rn: n);
            c.D.Aux = (byte)sysm;
        }
    }

    private static void Mrs(ref DecodeContext c)
    {
        int d = c.R(8), sysm = c.F(7, 0);
        if (!c.UnpredictableIf(Bad(d) || !IsValidSysm(sysm)))
        {
            Simple(ref c, Op.Mrs, d);
            c.D.Aux = (byte)sysm;
        }
    }

    private static bool IsValidSysm(int sysm) => sysm is (>= 0 and <= 3) or (>= 5 and <= 9) or (>= 16 and <= 20);

    private static void MiscControl(ref DecodeContext c)
    {
        switch (c.F(7, 4))
        {
            case 0b0010:
                if (!c.UnpredictableIf(c.F(3, 0) != 0b1111))
                {
                    c.D.Op = Op.Clrex;
                }

                break;
            case 0b0100:
            case 0b0101:
                c.D.Op = Op.Barrier;
                break;
            case 0b0110:
                // ISB refills the pipeline.
                c.D.Op = Op.Barrier;
                c.D.Cycles = 1 + BranchPenalty;
                break;
            default:
                c.Undefined();
                break;
        }
    }

    private static int Branch24(ref DecodeContext c)
    {
        int s = c.F(26, 26);
        int i1 = ~(c.F(13, 13) ^ s) & 1, i2 = ~(c.F(11, 11) ^ s) & 1;
        int offset = (s << 24) | (i1 << 23) | (i2 << 22) | (c.F(25, 16) << 12) | (c.F(10, 0) << 1);
        return SignExtend(offset, 25);
    }

    private static void StoreImm12(ref DecodeContext c, Store kind)
    {
        int n = c.R(16), t = c.R(12);
        if (n == PC)
        {
            c.Undefined();
        }
        else if (!c.UnpredictableIf(kind == Store.Word ? t == PC : Bad(t)))
        {
            StoreSingle(ref c, kind, t, n, AddressingMode.Offset, c.F(11, 0));
        }
    }

    private static void StoreImm8(ref DecodeContext c, Store kind)
    {
        int n = c.R(16), t = c.R(12);
        bool index = c.Bit(10), add = c.Bit(9), wback = c.Bit(8);
        if (n == PC || (!index && !wback))
        {
            c.Undefined();
            return;
        }

        int offset = add ? c.F(7, 0) : -c.F(7, 0);
        bool unprivileged = index && add && !wback;
        bool bad = unprivileged || kind != Store.Word ? Bad(t) : t == PC;
        if (c.UnpredictableIf(bad || (wback && n == t)))
        {
            return;
        }

        // STRT/STRBT/STRHT are unprivileged accesses; without an MPU they behave as privileged ones.
        StoreSingle(ref c, kind, t, n, Indexing(index, wback), offset);
    }

    private static AddressingMode Indexing(bool index, bool wback) =>
        !wback ? AddressingMode.Offset : index ? AddressingMode.PreIndexed : AddressingMode.PostIndexed;

    private static void StoreRegister(ref DecodeContext c, Store kind)
    {
        int n = c.R(16), t = c.R(12), m = c.R(0);
        if (n == PC)
        {
            c.Undefined();
        }
        else if (!c.UnpredictableIf((kind == Store.Word ? t == PC : Bad(t)) || Bad(m)))
        {
            StoreSingle(ref c, kind, t, n, AddressingMode.Register, 0, m, c.F(5, 4));
        }
    }

    private static void LoadLiteral(ref DecodeContext c, Load kind)
    {
        int t = c.R(12);
        int offset = c.Bit(23) ? c.F(11, 0) : -c.F(11, 0);
        if (kind != Load.Word && t == PC)
        {
            c.D.Op = Op.Nop; // PLD/PLI (literal) and the unallocated halfword hints.
            return;
        }

        if (!c.UnpredictableIf(kind != Load.Word && t == SP))
        {
            LoadSingle(ref c, kind, t, PC, AddressingMode.Literal, offset);
        }
    }

    private static void LoadImm12(ref DecodeContext c, Load kind)
    {
        int n = c.R(16), t = c.R(12);
        if (kind != Load.Word && t == PC)
        {
            c.D.Op = Op.Nop;
            return;
        }

        if (!c.UnpredictableIf(kind != Load.Word && t == SP))
        {
            LoadSingle(ref c, kind, t, n, AddressingMode.Offset, c.F(11, 0));
        }
    }

    private static void LoadImm8(ref DecodeContext c, Load kind)
    {
        int n = c.R(16), t = c.R(12);
        bool index = c.Bit(10), add = c.Bit(9), wback = c.Bit(8);
        if (!index && !wback)
        {
            c.Undefined();
            return;
        }

        bool unprivileged = index && add && !wback;
        if (kind != Load.Word && t == PC && index && !add && !wback)
        {
            c.D.Op = Op.Nop; // PLD/PLI (immediate, negative offset) and unallocated hints.
            return;
        }

        bool bad = unprivileged || kind != Load.Word ? Bad(t) : false;
        if (c.UnpredictableIf(bad || (wback && n == t)))
        {
            return;
        }

        // LDRT and friends are unprivileged accesses; without an MPU they behave as privileged ones.
        LoadSingle(ref c, kind, t, n, Indexing(index, wback), add ? c.F(7, 0) : -c.F(7, 0));
    }

    private static void LoadRegister(ref DecodeContext c, Load kind)
    {
        int n = c.R(16), t = c.R(12), m = c.R(0);
        if (kind != Load.Word && t == PC)
        {
            // PLD/PLI (register) and the unallocated halfword hints: still UNPREDICTABLE with a bad Rm.
            if (!c.UnpredictableIf(Bad(m)))
            {
                c.D.Op = Op.Nop;
            }

            return;
        }

        if (!c.UnpredictableIf((kind != Load.Word && t == SP) || Bad(m)))
        {
            LoadSingle(ref c, kind, t, n, AddressingMode.Register, 0, m, c.F(5, 4));
        }
    }

    private static void Extend(ref DecodeContext c, Op op)
    {
        int d = c.R(8), m = c.R(0);
        if (!c.UnpredictableIf(Bad(d) || Bad(m)))
        {
            Simple(ref c, op, d, rm: m);
            c.D.ShiftAmount = (byte)(c.F(5, 4) * 8);
        }
    }

    private static void Unary(ref DecodeContext c, Op op)
    {
        int d = c.R(8), m = c.R(0);
        if (!c.UnpredictableIf(c.R(16) != m || Bad(d) || Bad(m)))
        {
            Simple(ref c, op, d, rm: m);
        }
    }

    private static void MultiplyAccumulate(ref DecodeContext c, Op op)
    {
        int d = c.R(8), n = c.R(16), m = c.R(0), a = c.R(12);
        bool badAccumulator = op == Op.Mla ? a == SP : Bad(a);
        if (!c.UnpredictableIf(Bad(d) || Bad(n) || Bad(m) || badAccumulator))
        {
            Simple(ref c, op, d, n, m, a);
        }
    }

    private static void LongMultiply(ref DecodeContext c, Op op)
    {
        int lo = c.R(12), hi = c.R(8), n = c.R(16), m = c.R(0);
        if (!c.UnpredictableIf(Bad(lo) || Bad(hi) || Bad(n) || Bad(m) || lo == hi))
        {
            Simple(ref c, op, lo, n, m, hi);
        }
    }

    private static void Divide(ref DecodeContext c, Op op)
    {
        int d = c.R(8), n = c.R(16), m = c.R(0);
        if (!c.UnpredictableIf(Bad(d) || Bad(n) || Bad(m)))
        {
            Simple(ref c, op, d, n, m);
        }
    }
}
