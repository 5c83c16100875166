namespace Dsm.Emulation.CortexM3.Cpu;

/// <summary>
/// The operations of decoded instructions. One architectural instruction maps to the most specific
/// operation its fields allow (operand form, flag setting, addressing mode), so the executor never
/// re-examines encoding fields. The ALU families are laid out as six consecutive forms
/// (Imm, ImmS, Reg, RegS, Shf, ShfS) and the compare families as three (Imm, Reg, Shf);
/// <see cref="ThumbDecoder"/> computes those members arithmetically, so keep the order.
/// </summary>
internal enum Op : byte
{
    /// <summary>Never produced by the decoder; the zero value of an empty slot.</summary>
    Invalid = 0,

    // ALU families: result = Rn op operand2, operand2 an immediate, a register or a register shifted by an immediate.
    AndImm, AndsImm, AndReg, AndsReg, AndShf, AndsShf,
    BicImm, BicsImm, BicReg, BicsReg, BicShf, BicsShf,
    OrrImm, OrrsImm, OrrReg, OrrsReg, OrrShf, OrrsShf,
    OrnImm, OrnsImm, OrnReg, OrnsReg, OrnShf, OrnsShf,
    EorImm, EorsImm, EorReg, EorsReg, EorShf, EorsShf,
    AddImm, AddsImm, AddReg, AddsReg, AddShf, AddsShf,
    AdcImm, AdcsImm, AdcReg, AdcsReg, AdcShf, AdcsShf,
    SubImm, SubsImm, SubReg, SubsReg, SubShf, SubsShf,
    SbcImm, SbcsImm, SbcReg, SbcsReg, SbcShf, SbcsShf,
    RsbImm, RsbsImm, RsbReg, RsbsReg, RsbShf, RsbsShf,
    MovImm, MovsImm, MovReg, MovsReg, MovShf, MovsShf,
    MvnImm, MvnsImm, MvnReg, MvnsReg, MvnShf, MvnsShf,

    // Compare families: flags only.
    TstImm, TstReg, TstShf,
    TeqImm, TeqReg, TeqShf,
    CmpImm, CmpReg, CmpShf,
    CmnImm, CmnReg, CmnShf,

    // Shifts by register (amount = Rm[7:0]).
    LslReg, LslsReg, LsrReg, LsrsReg, AsrReg, AsrsReg, RorReg, RorsReg,

    /// <summary>Rd[31:16] = imm16.</summary>
    Movt,

    // Multiply and divide.
    Mul, Muls, Mla, Mls, Umull, Smull, Umlal, Smlal, Udiv, Sdiv,

    // Bit fields (Imm = mask for BFI/BFC, ShiftAmount = lsb, ShiftType = width for extracts).
    Bfi, Bfc, Ubfx, Sbfx,

    // Extends (ShiftAmount = rotation) and byte/bit operations.
    Sxtb, Sxth, Uxtb, Uxth, Rev, Rev16, Revsh, Rbit, Clz,

    // Saturation (ShiftType/ShiftAmount = operand shift, Imm = saturation bit position).
    Ssat, Usat,

    // Single loads: Imm = signed offset, Reg = Rn + (Rm LSL ShiftAmount), Pre/Post = indexed with writeback, Lit = absolute address in Imm.
    LdrImm, LdrReg, LdrPre, LdrPost, LdrLit,
    LdrhImm, LdrhReg, LdrhPre, LdrhPost, LdrhLit,
    LdrshImm, LdrshReg, LdrshPre, LdrshPost, LdrshLit,
    LdrbImm, LdrbReg, LdrbPre, LdrbPost, LdrbLit,
    LdrsbImm, LdrsbReg, LdrsbPre, LdrsbPost, LdrsbLit,

    // Single stores.
    StrImm, StrReg, StrPre, StrPost,
    StrhImm, StrhReg, StrhPre, StrhPost,
    StrbImm, StrbReg, StrbPre, StrbPost,

    /// <summary>LDR with Rt = PC in any addressing mode (Aux = <see cref="AddressingMode"/>): an interworking branch.</summary>
    LdrPc,

    // Dual loads and stores (Rd = Rt, Ra = Rt2).
    LdrdImm, LdrdPre, LdrdPost, LdrdLit, StrdImm, StrdPre, StrdPost,

    // Multiple loads and stores (Imm = register list; flags say decrement-before and writeback).
    Ldm, LdmPc, Stm,

    // Exclusives.
    Ldrex, Ldrexb, Ldrexh, Strex, Strexb, Strexh, Clrex,

    // Branches. Imm holds the absolute target.
    B, Bl, Bx, Blx, Cbz, Cbnz, Tbb, Tbh,

    // B<cond>, one operation per condition (0000 EQ to 1101 LE, also kept in Aux) so the fast loop dispatches once.
    BEq, BNe, BCs, BCc, BMi, BPl, BVs, BVc, BHi, BLs, BGe, BLt, BGt, BLe,

    /// <summary>ADD PC, Rm / MOV PC, Rm: PC = (Rm + Imm) with bit 0 cleared (ALUWritePC).</summary>
    AddToPc,

    /// <summary>BX PC: an interworking branch to the constant in Imm.</summary>
    BxConst,

    // System.
    Mrs, Msr, Cps, It, Svc, Bkpt, Nop, Yield, Wfe, Wfi, Sev, Barrier,

    // Encodings that fault when executed (Imm = the halfwords, first in the low half).
    Undefined, Unpredictable, NoCoprocessor, FetchFault,

    // MOV/MOVS with an immediate LSL (1-31), LSR or ASR (1-32): the common shifts, without the generic shift dispatch.
    LslImm, LslsImm, LsrImm, LsrsImm, AsrImm, AsrsImm,

    /// <summary>A B whose target the decoder went on decoding: the block continues there (the general path branches).</summary>
    BFollowed,

    /// <summary>One past the last operation.</summary>
    Count,
}

/// <summary>Addressing mode of the general <see cref="Op.LdrPc"/> operation.</summary>
internal enum AddressingMode : byte
{
    /// <summary>[Rn, #imm].</summary>
    Offset,

    /// <summary>[Rn, Rm, LSL #n].</summary>
    Register,

    /// <summary>[Rn, #imm]!.</summary>
    PreIndexed,

    /// <summary>[Rn], #imm.</summary>
    PostIndexed,

    /// <summary>Absolute address in Imm.</summary>
    Literal,
}

/// <summary>Shift types of decoded shifted-register operands.</summary>
internal enum ShiftKind : byte
{
    /// <summary>Logical shift left.</summary>
    Lsl,

    /// <summary>Logical shift right (amount 1..32).</summary>
    Lsr,

    /// <summary>Arithmetic shift right (amount 1..32).</summary>
    Asr,

    /// <summary>Rotate right (amount 1..31).</summary>
    Ror,

    /// <summary>Rotate right by one through the carry flag.</summary>
    Rrx,
}
