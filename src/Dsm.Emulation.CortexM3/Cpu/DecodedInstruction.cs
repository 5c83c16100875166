using System.Runtime.InteropServices;

namespace Dsm.Emulation.CortexM3.Cpu;

/// <summary>Properties of a decoded instruction that matter outside its own execution.</summary>
[Flags]
internal enum InstructionFlags : ushort
{
    None = 0,

    /// <summary>A 16-bit instruction that sets flags only outside an IT block (ADDS/ADD, MOVS/MOV...).</summary>
    FlagsOnlyOutsideIt = 1 << 0,

    /// <summary>A flag-setting immediate form whose ThumbExpandImm_C produces a carry (rotated constant).</summary>
    ImmediateCarry = 1 << 1,

    /// <summary>The carry value of <see cref="ImmediateCarry"/>.</summary>
    ImmediateCarryValue = 1 << 2,

    /// <summary>UNPREDICTABLE inside an IT block (CBZ, IT, B&lt;cond&gt;, CPS, MOVS Rd,Rm T2).</summary>
    NotInIt = 1 << 3,

    /// <summary>Writes the PC: UNPREDICTABLE inside an IT block unless it is the block's last instruction.</summary>
    BranchLike = 1 << 4,

    /// <summary>The decoded block ends after this instruction (unconditional control flow, state change, fault).</summary>
    EndsBlock = 1 << 5,

    /// <summary>LDM/STM: decrement before (else increment after).</summary>
    DecrementBefore = 1 << 6,

    /// <summary>LDM/STM: write the final address back to Rn.</summary>
    Writeback = 1 << 7,

    /// <summary>TBB/TBH with Rn = PC: the table base is Imm.</summary>
    BaseIsPc = 1 << 8,

    /// <summary>A single load (LDR/LDRH/LDRB/LDRSH/LDRSB), for load pipelining in the cycle model.</summary>
    SingleLoad = 1 << 9,

    /// <summary>A single store, for the cycle model.</summary>
    SingleStore = 1 << 10,

    /// <summary>BKPT executes even when its IT condition fails.</summary>
    Unconditional = 1 << 11,
}

/// <summary>
/// One instruction, decoded once into the form the executor dispatches on: 16 bytes, no references.
/// Field use depends on <see cref="Op"/>; registers are 0-15 and never 15 as a source (the decoder
/// folds PC reads into constants, since it knows the instruction's address).
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal struct DecodedInstruction
{
    /// <summary>The operation.</summary>
    public Op Op;

    /// <summary>Length in bytes: 2 or 4.</summary>
    public byte Length;

    /// <summary>Flag bits.</summary>
    public InstructionFlags Flags;

    /// <summary>Base cycle count (docs/cycle-model.md); the executor adds data-dependent extras.</summary>
    public byte Cycles;

    /// <summary>Destination (or transfer register Rt, or RdLo).</summary>
    public byte Rd;

    /// <summary>First operand or base register.</summary>
    public byte Rn;

    /// <summary>Second operand or offset register.</summary>
    public byte Rm;

    /// <summary>Accumulator, RdHi, Rt2, or STREX status register.</summary>
    public byte Ra;

    /// <summary>A <see cref="ShiftKind"/>, or a width for bit-field extracts.</summary>
    public byte ShiftType;

    /// <summary>Shift amount, rotation, or bit position.</summary>
    public byte ShiftAmount;

    /// <summary>
    /// Condition for B&lt;cond&gt;, addressing mode for <see cref="Op.LdrPc"/>, SYSm for MRS/MSR, CPS flags; for every
    /// other operation the bits cleared in a result written to Rd (3 when Rd is SP, whose bits [1:0] are zero).
    /// </summary>
    public byte Aux;

    /// <summary>Immediate: operand, offset (two's complement), absolute address, register list, or raw halfwords.</summary>
    public uint Imm;

    /// <summary>True if <paramref name="flag"/> is set.</summary>
    public readonly bool Has(InstructionFlags flag) => (Flags & flag) != 0;
}
