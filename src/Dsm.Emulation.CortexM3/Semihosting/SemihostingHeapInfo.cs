using Dsm.Emulation.CortexM3.Memory;

namespace Dsm.Emulation.CortexM3.Semihosting;

/// <summary>What SYS_HEAPINFO tells the guest: where its heap and stack may go.</summary>
/// <param name="HeapBase">First heap address.</param>
/// <param name="HeapLimit">End of the heap (exclusive).</param>
/// <param name="StackBase">Initial stack pointer (the stack grows down from here).</param>
/// <param name="StackLimit">Lowest stack address.</param>
public readonly record struct SemihostingHeapInfo(uint HeapBase, uint HeapLimit, uint StackBase, uint StackLimit)
{
    /// <summary>
    /// Chooses the placement as QEMU does for M-profile boards: take the largest RAM region (the first
    /// one on a tie), find the largest stretch of it that no loaded image bytes occupy, and let heap and
    /// stack share that stretch (heap from its bottom, stack from its top).
    /// </summary>
    /// <param name="regions">The bus's regions.</param>
    /// <param name="loaded">The ranges loaded from the image, as (address, size) pairs.</param>
    /// <returns>The placement; all zero when there is no RAM.</returns>
    public static SemihostingHeapInfo FromLayout(IEnumerable<MemoryRegion> regions, IEnumerable<(uint Address, uint Size)> loaded)
    {
        ArgumentNullException.ThrowIfNull(regions);
        ArgumentNullException.ThrowIfNull(loaded);
        MemoryRegion? ram = null;
        foreach (var region in regions.OrderBy(r => r.Base))
        {
            if (region.Kind == RegionKind.Ram && (ram is null || region.Size > ram.Size))
            {
                ram = region;
            }
        }

        if (ram is null)
        {
            return default;
        }

        ulong start = ram.Base, end = (ulong)ram.Base + ram.Size;
        var occupied = loaded
            .Where(r => r.Size > 0)
            .Select(r => (Start: Math.Max((ulong)r.Address, start), End: Math.Min((ulong)r.Address + r.Size, end)))
            .Where(r => r.Start < r.End)
            .OrderBy(r => r.Start)
            .ToList();

        ulong bestBase = start, bestSize = 0, cursor = start;
        foreach (var (blockStart, blockEnd) in occupied)
        {
            if (blockStart > cursor && blockStart - cursor > bestSize)
            {
                bestBase = cursor;
                bestSize = blockStart - cursor;
            }

            cursor = Math.Max(cursor, blockEnd);
        }

        if (end > cursor && end - cursor > bestSize)
        {
            bestBase = cursor;
            bestSize = end - cursor;
        }

        uint heapBase = (uint)bestBase;
        uint heapLimit = (uint)(bestBase + bestSize);
        return new SemihostingHeapInfo(heapBase, heapLimit, heapLimit, heapBase);
    }
}
