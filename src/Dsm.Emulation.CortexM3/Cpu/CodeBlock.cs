using Dsm.Emulation.CortexM3.Memory;

namespace Dsm.Emulation.CortexM3.Cpu;

/// <summary>
/// Host code for one block, produced by an <see cref="IBlockTranslator"/>. It must behave exactly as the
/// interpreter running the whole block: execute every instruction, update the registers,
/// flags, PC, <see cref="CortexM3Cpu.Cycles"/> and <see cref="CortexM3Cpu.Instructions"/>, and return -1 to
/// continue or a <see cref="StopReason"/>, with <paramref name="executed"/> instructions completed.
/// </summary>
/// <param name="cpu">The core.</param>
/// <param name="block">The block being run.</param>
/// <param name="executed">Instructions completed.</param>
/// <returns>-1 to continue, otherwise the reason to stop.</returns>
internal delegate int CompiledBlock(CortexM3Cpu cpu, CodeBlock block, out int executed);

/// <summary>
/// The seam for a block translator (guest block to IL via DynamicMethod, compiled by the JIT): the run loop
/// offers it blocks that became hot and runs the returned code in place of the interpreter.
/// </summary>
internal interface IBlockTranslator
{
    /// <summary>Executions after which a block is offered for translation.</summary>
    int HotThreshold { get; }

    /// <summary>Translates a block, or returns null to keep interpreting it.</summary>
    /// <param name="block">A valid block.</param>
    /// <returns>The compiled code, or null.</returns>
    CompiledBlock? Translate(CodeBlock block);
}

/// <summary>
/// A run of decoded instructions from one address up to and including the first that always changes control
/// flow or may change processor state (B, BL, BX, PC write, TBB, IT, SVC, BKPT, WFI, MSR...), at most
/// <see cref="CodeCache.MaxBlockInstructions"/> long and never crossing a region boundary. Conditional branches
/// (B&lt;cond&gt;, CBZ, CBNZ) may sit inside: taken, they leave the block; not taken, the block goes on. A B to code
/// in the same region and not yet in the block is followed (<see cref="Op.BFollowed"/>): the block goes on at its
/// target, so its instructions need not lie back to back (<see cref="IsContiguous"/>). The run loop iterates its
/// array instead of looking up each PC; <see cref="Compiled"/> holds translated code.
/// </summary>
internal sealed class CodeBlock
{
    /// <summary>Creates a block.</summary>
    /// <param name="instructions">The decoded instructions.</param>
    /// <param name="addresses">Their addresses, plus the address after the last (Count + 1 entries).</param>
    /// <param name="cache">The region cache it is registered in, or null for a transient block.</param>
    public CodeBlock(DecodedInstruction[] instructions, uint[] addresses, RegionCodeCache? cache)
    {
        Instructions = instructions;
        Addresses = addresses;
        Count = instructions.Length;
        Start = addresses[0];
        End = addresses[Count];
        Cache = cache;
        IsContiguous = true;
        for (int i = 0; i < Count; i++)
        {
            IsContiguous &= addresses[i + 1] == addresses[i] + instructions[i].Length;
        }

        foreach (ref readonly var d in instructions.AsSpan())
        {
            WorstCaseCycles += (uint)d.Cycles + d.Op switch
            {
                >= Op.BEq and <= Op.BLe or Op.Cbz or Op.Cbnz => (uint)ThumbDecoder.BranchPenalty,
                Op.Umull or Op.Smull or Op.Umlal or Op.Smlal => 2u,
                Op.Udiv or Op.Sdiv => 12u,
                _ => 0u,
            };
        }
    }

    /// <summary>A transient copy of the block's first <paramref name="count"/> instructions (never cached or chained).</summary>
    /// <param name="count">Instructions to keep, 1 to <see cref="Count"/>.</param>
    /// <returns>The shorter block.</returns>
    public CodeBlock Truncated(int count) => new(Instructions[..count], Addresses[..(count + 1)], null);

    /// <summary>Most cycles the whole block can take (base cycles plus the largest data-dependent extras).</summary>
    public uint WorstCaseCycles { get; }

    /// <summary>Address of the first instruction.</summary>
    public uint Start { get; set; }

    /// <summary>Address after the last instruction.</summary>
    public uint End { get; set; }

    /// <summary>Number of instructions.</summary>
    public int Count { get; }

    /// <summary>The decoded instructions.</summary>
    public DecodedInstruction[] Instructions { get; }

    /// <summary>Address of each instruction, and of the end (Count + 1 entries).</summary>
    public uint[] Addresses { get; }

    /// <summary>The region cache holding the block; null for transient blocks (never reused).</summary>
    public RegionCodeCache? Cache { get; }

    /// <summary>Cleared when a store into the block's bytes invalidates it.</summary>
    public bool IsValid { get; set; } = true;

    /// <summary>Most recently seen successor blocks: the run loop follows them without a lookup.</summary>
    public CodeBlock? Next0 { get; set; }

    /// <summary>Second successor slot (the other side of a conditional branch).</summary>
    public CodeBlock? Next1 { get; set; }

    /// <summary>Times run; drives translation.</summary>
    public int ExecutionCount { get; set; }

    /// <summary>Translated code, or null to interpret.</summary>
    public CompiledBlock? Compiled { get; set; }

    /// <summary>Whether the instructions lie back to back from <see cref="Start"/> to <see cref="End"/> (no followed branch).</summary>
    public bool IsContiguous { get; }

    /// <summary>Whether the bytes [address, address + size) overlap the block's instructions.</summary>
    /// <param name="address">First byte written.</param>
    /// <param name="size">Bytes written.</param>
    public bool Overlaps(uint address, uint size)
    {
        if (IsContiguous)
        {
            return address < End && Start < (ulong)address + size;
        }

        for (int i = 0; i < Count; i++)
        {
            uint first = Addresses[i];
            if (address < first + (ulong)Instructions[i].Length && first < (ulong)address + size)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The code pages holding the block's instruction bytes, each once.</summary>
    /// <param name="regionBase">Base address of the block's region.</param>
    /// <returns>Page indices within the region (<see cref="MemoryRegion.CodePageSize"/> bytes each).</returns>
    public IEnumerable<uint> CodePages(uint regionBase)
    {
        var seen = new HashSet<uint>();
        for (int i = 0; i < Count; i++)
        {
            uint first = (Addresses[i] - regionBase) >> MemoryRegion.CodePageShift;
            uint last = (Addresses[i] + Instructions[i].Length - 1 - regionBase) >> MemoryRegion.CodePageShift;
            for (uint p = first; p <= last; p++)
            {
                if (seen.Add(p))
                {
                    yield return p;
                }
            }
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"block 0x{Start:X8}..0x{End:X8} ({Count} instructions{(IsValid ? string.Empty : ", invalid")})";
}
