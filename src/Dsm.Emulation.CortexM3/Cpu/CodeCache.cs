using System.Runtime.CompilerServices;
using Dsm.Emulation.CortexM3.Memory;

namespace Dsm.Emulation.CortexM3.Cpu;

/// <summary>
/// Decoded blocks of one RAM/ROM region, indexed by start address and by the code pages they cover. A cache of a
/// shared read-only image (<see cref="IsShared"/>) serves every core whose region is backed by that image: its blocks
/// are never invalidated (guest stores never reach ROM, and a host store first gives the region a private copy, which
/// then gets a private cache), it leaves the regions' code-page marks alone, and it is built under a lock because cores
/// on several host threads may decode into it at once.
/// </summary>
internal sealed class RegionCodeCache
{
    private const int SlotsPerPage = MemoryRegion.CodePageSize / 2;

    /// <summary>Creates the cache of <paramref name="region"/>.</summary>
    /// <param name="region">A RAM or ROM region.</param>
    /// <param name="shared">Whether the cache serves every region backed by the region's shared image.</param>
    public RegionCodeCache(MemoryRegion region, bool shared = false)
    {
        Region = region;
        Data = region.Data!;
        IsShared = shared;
        Base = region.Base;
        Size = region.Size;
        int pages = region.CodePages!.Length;
        Entries = new CodeBlock?[pages][];
        PageBlocks = new List<CodeBlock>?[pages];
    }

    /// <summary>The region the cache was made for (for a shared cache, the first of those it serves).</summary>
    public MemoryRegion Region { get; }

    /// <summary>The bytes decoded: the region's backing when the cache was made (for a shared cache, the shared image).</summary>
    public byte[] Data { get; }

    /// <summary>Whether the cache serves every core running from <see cref="Data"/>.</summary>
    public bool IsShared { get; }

    /// <summary>The region's base address.</summary>
    public uint Base { get; }

    /// <summary>The region's size.</summary>
    public uint Size { get; }

    /// <summary>Per code page, the block starting at each halfword (allocated on first use).</summary>
    public CodeBlock?[]?[] Entries { get; }

    /// <summary>Per code page, every valid block with an instruction byte in it.</summary>
    public List<CodeBlock>?[] PageBlocks { get; }

    /// <summary>The block starting at <paramref name="offset"/>, or null.</summary>
    /// <param name="offset">Offset from <see cref="Base"/>.</param>
    public CodeBlock? Find(uint offset) => Entries[offset >> MemoryRegion.CodePageShift]?[(offset & (MemoryRegion.CodePageSize - 1)) >> 1];

    /// <summary>Registers a block: entry slot, page lists and the region's code-page marks.</summary>
    /// <param name="block">A block inside the region.</param>
    public void Add(CodeBlock block)
    {
        uint offset = block.Start - Base;
        var page = Entries[offset >> MemoryRegion.CodePageShift];
        if (page is null)
        {
            page = new CodeBlock?[SlotsPerPage];
            Volatile.Write(ref Entries[offset >> MemoryRegion.CodePageShift], page);
        }

        // Published last, so a core on another thread finds the block only once it is complete.
        Volatile.Write(ref page[(offset & (MemoryRegion.CodePageSize - 1)) >> 1], block);
        if (IsShared)
        {
            return; // never invalidated: no page lists, no marks in any one region
        }

        var marks = Region.CodePages!;
        foreach (uint p in block.CodePages(Base))
        {
            (PageBlocks[p] ??= new List<CodeBlock>()).Add(block);
            marks[p] = 1;
        }
    }

    /// <summary>Unregisters a block and clears the marks of pages left without code.</summary>
    /// <param name="block">A registered block.</param>
    public void Remove(CodeBlock block)
    {
        block.IsValid = false;
        uint offset = block.Start - Base;
        var page = Entries[offset >> MemoryRegion.CodePageShift];
        int slot = (int)((offset & (MemoryRegion.CodePageSize - 1)) >> 1);
        if (page is not null && ReferenceEquals(page[slot], block))
        {
            page[slot] = null;
        }

        var marks = Region.CodePages!;
        foreach (uint p in block.CodePages(Base))
        {
            var list = PageBlocks[p];
            if (list is not null && list.Remove(block) && list.Count == 0)
            {
                marks[p] = 0;
            }
        }

        // No PC is odd: chained successors compare Start with the PC, so an invalid block never matches again.
        block.Start |= 1;
    }
}

/// <summary>
/// The decoded-instruction cache: blocks are decoded on first execution and kept per region and code page.
/// As the bus's <see cref="ICodeWriteObserver"/> it hears of every store into a marked page and invalidates
/// exactly the blocks whose bytes were written; the core then leaves the block it is running after the
/// storing instruction, so a store into the running block (or just ahead of it) takes effect at the next fetch.
/// </summary>
internal sealed class CodeCache : ICodeWriteObserver
{
    /// <summary>Longest block decoded.</summary>
    public const int MaxBlockInstructions = 64;

    // The shared caches, one per shared read-only image, alive while the image is.
    private static readonly ConditionalWeakTable<byte[], RegionCodeCache> SharedCaches = new();

    private readonly MemoryBus _bus;
    private readonly CortexM3Cpu _cpu;
    private readonly Dictionary<MemoryRegion, RegionCodeCache> _regions = new();
    private RegionCodeCache? _last;

    /// <summary>Creates the cache and attaches it to the bus.</summary>
    /// <param name="bus">The bus.</param>
    /// <param name="cpu">The core, told when a store invalidates decoded code.</param>
    public CodeCache(MemoryBus bus, CortexM3Cpu cpu)
    {
        _bus = bus;
        _cpu = cpu;
        bus.CodeWriteObserver = this;
    }

    /// <summary>Slots of <see cref="Recent"/>: a power of two.</summary>
    public const int RecentSlots = 1024;

    /// <summary>
    /// This core's recently looked-up blocks, direct-mapped by start address: a branch whose target its block's two
    /// chain slots miss (a switch's TBB, a return) finds the block here without a lookup. Entries are checked by
    /// <see cref="CodeBlock.Start"/>, which invalidation makes odd; the array is emptied whenever blocks may leave the
    /// cache without that (layout changes, shared caches let go, <see cref="Clear"/>).
    /// </summary>
    public CodeBlock?[] Recent { get; } = new CodeBlock?[RecentSlots];

    /// <summary>Blocks decoded so far (for tests and statistics).</summary>
    public long BlocksDecoded { get; private set; }

    /// <summary>Blocks invalidated so far.</summary>
    public long BlocksInvalidated { get; private set; }

    /// <summary>The block starting at <paramref name="pc"/>, decoding it if needed.</summary>
    /// <param name="pc">A halfword-aligned address.</param>
    /// <returns>The block; a transient one-instruction fault block if nothing executable is there.</returns>
    public CodeBlock Lookup(uint pc)
    {
        var cache = _last;
        if (cache is null || pc - cache.Base >= cache.Size)
        {
            cache = FindCache(pc);
            if (cache is null)
            {
                return FetchFault(pc, pc);
            }

            _last = cache;
        }

        return cache.Find(pc - cache.Base) ?? Build(cache, pc);
    }

    /// <summary>Drops every decoded block (a shared cache is only let go: other cores keep using it).</summary>
    public void Clear()
    {
        Array.Clear(Recent);
        ForgetSharedCaches(_ => true);
        foreach (var cache in _regions.Values)
        {
            foreach (var list in cache.PageBlocks)
            {
                if (list is null)
                {
                    continue;
                }

                foreach (var block in list.ToArray())
                {
                    Invalidate(cache, block);
                }
            }
        }
    }

    /// <summary>
    /// The bus's layout changed (the core checks before each run): a region that now reads a shared image uses that
    /// image's shared cache, and one that left it (copy-on-write) gets a private cache again.
    /// </summary>
    public void OnLayoutChanged()
    {
        Array.Clear(Recent);
        ForgetSharedCaches(_ => false);
        var moved = _regions.Where(pair => !pair.Value.IsShared && pair.Key.IsBackingShared).Select(pair => pair.Key).ToList();
        foreach (var region in moved)
        {
            // Decoded from the private array this region used before it joined the pool: drop the blocks and marks.
            var cache = _regions[region];
            foreach (var list in cache.PageBlocks)
            {
                foreach (var block in list?.ToArray() ?? [])
                {
                    Invalidate(cache, block);
                }
            }

            _regions.Remove(region);
        }

        if (moved.Count > 0)
        {
            _last = null;
        }
    }

    /// <inheritdoc />
    public void OnCodeWritten(MemoryRegion region, uint address, int size)
    {
        if (!_regions.TryGetValue(region, out var cache) || cache.IsShared)
        {
            return; // a shared image is never written: the host store gave this region a private copy first
        }

        uint first = (address - region.Base) >> MemoryRegion.CodePageShift;
        uint last = (uint)((address - region.Base + (ulong)size - 1) >> MemoryRegion.CodePageShift);
        for (uint p = first; p <= last && p < cache.PageBlocks.Length; p++)
        {
            var list = cache.PageBlocks[p];
            if (list is null)
            {
                continue;
            }

            for (int i = list.Count - 1; i >= 0; i--)
            {
                if (i < list.Count && list[i].Overlaps(address, (uint)size))
                {
                    Invalidate(cache, list[i]);
                }
            }
        }
    }

    private void Invalidate(RegionCodeCache cache, CodeBlock block)
    {
        cache.Remove(block);
        BlocksInvalidated++;

        // The running block may be among them: the executor leaves its block after the storing instruction.
        _cpu.NoteCodeModified();
    }

    private RegionCodeCache? FindCache(uint pc)
    {
        var region = _bus.FindRegion(pc);
        if (region?.Data is null)
        {
            return null;
        }

        if (!_regions.TryGetValue(region, out var cache))
        {
            cache = region.IsBackingShared ? SharedCacheOf(region) : new RegionCodeCache(region);
            _regions.Add(region, cache);
        }

        return cache;
    }

    private static RegionCodeCache SharedCacheOf(MemoryRegion region)
    {
        var cache = SharedCaches.GetValue(region.Data!, _ => new RegionCodeCache(region, shared: true));

        // The same image mapped elsewhere (another board) decodes on its own: block addresses would differ.
        return cache.Base == region.Base && cache.Size == region.Size ? cache : new RegionCodeCache(region);
    }

    // Lets go of shared caches: those chosen, and those whose region no longer reads their image (copy-on-write).
    private void ForgetSharedCaches(Func<RegionCodeCache, bool> which)
    {
        var gone = _regions.Where(pair => pair.Value.IsShared && (which(pair.Value) || !pair.Key.IsBackingShared || !ReferenceEquals(pair.Key.Data, pair.Value.Data)))
            .Select(pair => pair.Key).ToList();
        foreach (var region in gone)
        {
            _regions.Remove(region);
        }

        if (gone.Count > 0)
        {
            _last = null;
            Array.Clear(Recent);
            _cpu.NoteCodeModified(); // the running block may be one of them: fetch afresh
        }
    }

    private CodeBlock Build(RegionCodeCache cache, uint start)
    {
        if (!cache.IsShared)
        {
            return Decode(cache, start);
        }

        lock (cache)
        {
            // Another core may have decoded it meanwhile.
            return cache.Find(start - cache.Base) ?? Decode(cache, start);
        }
    }

    private CodeBlock Decode(RegionCodeCache cache, uint start)
    {
        var data = cache.Data;
        var instructions = new List<DecodedInstruction>(8);
        var addresses = new List<uint>(9);
        uint address = start;
        while (instructions.Count < MaxBlockInstructions)
        {
            uint offset = address - cache.Base;
            if ((ulong)offset + 2 > cache.Size)
            {
                break;
            }

            ushort first = (ushort)(data[offset] | (data[offset + 1] << 8));
            ushort second = 0;
            if (ThumbDecoder.IsWide(first))
            {
                if ((ulong)offset + 4 > cache.Size)
                {
                    // The second halfword lies in another region (or nowhere): decode this one alone, uncached.
                    return instructions.Count == 0 ? BuildStraddling(start) : Seal(cache, instructions, addresses, address);
                }

                second = (ushort)(data[offset + 2] | (data[offset + 3] << 8));
            }

            var decoded = ThumbDecoder.Decode(address, first, second);
            if (decoded.Op == Op.B && decoded.Imm - cache.Base < cache.Size && !addresses.Contains(decoded.Imm))
            {
                // An unconditional branch forward or back to code not yet in the block: the block goes on at its target.
                decoded.Op = Op.BFollowed;
                decoded.Flags &= ~InstructionFlags.EndsBlock;
                instructions.Add(decoded);
                addresses.Add(address);
                address = decoded.Imm;
                continue;
            }

            instructions.Add(decoded);
            addresses.Add(address);
            address += decoded.Length;
            if (decoded.Has(InstructionFlags.EndsBlock))
            {
                break;
            }
        }

        if (instructions.Count == 0)
        {
            return FetchFault(start, start);
        }

        return Seal(cache, instructions, addresses, address);
    }

    private CodeBlock Seal(RegionCodeCache cache, List<DecodedInstruction> instructions, List<uint> addresses, uint end)
    {
        addresses.Add(end);
        var array = instructions.ToArray();
        ApplyLoadPipelining(array);
        var block = new CodeBlock(array, addresses.ToArray(), cache);
        cache.Add(block);
        BlocksDecoded++;
        return block;
    }

    /// <summary>A 32-bit instruction whose halves lie in different regions: fetched through the bus every time.</summary>
    private CodeBlock BuildStraddling(uint start)
    {
        var firstRegion = _bus.FindRegion(start);
        var secondRegion = _bus.FindRegion(start + 2);
        Span<byte> bytes = stackalloc byte[4];
        if (firstRegion?.Data is null || secondRegion?.Data is null || !_bus.TryPeek(start, bytes))
        {
            return FetchFault(start, start + 2);
        }

        var decoded = ThumbDecoder.Decode(start, (ushort)(bytes[0] | (bytes[1] << 8)), (ushort)(bytes[2] | (bytes[3] << 8)));
        decoded.Flags |= InstructionFlags.EndsBlock;
        return new CodeBlock([decoded], [start, start + 4], null);
    }

    /// <summary>
    /// A transient block whose only instruction reports an instruction bus error at <paramref name="faultAddress"/>,
    /// or with <paramref name="accessViolation"/> an MPU instruction access violation (IACCVIOL).
    /// </summary>
    /// <param name="pc">The address of the instruction that cannot be fetched.</param>
    /// <param name="faultAddress">The address whose fetch failed.</param>
    /// <param name="accessViolation">True when the MPU denied the fetch.</param>
    /// <returns>The block.</returns>
    internal static CodeBlock FetchFault(uint pc, uint faultAddress, bool accessViolation = false)
    {
        var fault = new DecodedInstruction
        {
            Op = Op.FetchFault,
            Length = 2,
            Flags = InstructionFlags.EndsBlock | InstructionFlags.Unconditional,
            Imm = faultAddress,
            Aux = accessViolation ? (byte)1 : (byte)0,
        };
        return new CodeBlock([fault], [pc, pc + 2], null);
    }

    /// <summary>
    /// Cortex-M3 pipelines neighbouring single loads and stores: one that follows a load (and does not use the
    /// loaded register for its address) completes in one cycle instead of two.
    /// </summary>
    private static void ApplyLoadPipelining(DecodedInstruction[] block)
    {
        for (int i = 1; i < block.Length; i++)
        {
            ref readonly var previous = ref block[i - 1];
            ref var current = ref block[i];
            bool pairs = previous.Has(InstructionFlags.SingleLoad)
                && current.Has(InstructionFlags.SingleLoad | InstructionFlags.SingleStore)
                && current.Cycles == 2;
            if (!pairs)
            {
                continue;
            }

            bool registerOffset = current.Op is Op.LdrReg or Op.LdrhReg or Op.LdrshReg or Op.LdrbReg or Op.LdrsbReg
                or Op.StrReg or Op.StrhReg or Op.StrbReg;
            bool dependent = current.Rn == previous.Rd || (registerOffset && current.Rm == previous.Rd);
            if (!dependent)
            {
                current.Cycles = 1;
            }
        }
    }
}
