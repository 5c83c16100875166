using Dsm.Emulation.CortexM3.Memory;

namespace Dsm.Emulation.CortexM3.State;

/// <summary>
/// The "memory" section: the contents of every RAM and ROM region of a <see cref="MemoryBus"/>, identified by
/// name, base and size. Device windows are not included: each device saves its own registers.
/// </summary>
public sealed class MemoryContentsState : IStatefulComponent
{
    /// <summary>Granularity of the stored contents: pages that hold only the region's fill byte are left out of the image.</summary>
    public const int PageSize = 4096;

    // 3: a fill byte per region (erased flash reads 0xFF); pages of it are left out. 2: the same with fill 0.
    private const ushort Version = 3;
    private readonly MemoryBus _bus;

    /// <summary>Creates the section for <paramref name="bus"/>.</summary>
    /// <param name="bus">The machine's bus.</param>
    public MemoryContentsState(MemoryBus bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        _bus = bus;
    }

    /// <inheritdoc />
    public string SectionName => "memory";

    /// <inheritdoc />
    public void SaveState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var regions = BackedRegions();
        writer.WriteVersion(Version);
        writer.WriteUInt32((uint)regions.Count);
        foreach (var region in regions)
        {
            writer.WriteString(region.Name);
            writer.WriteUInt32(region.Base);
            writer.WriteUInt32(region.Size);
            writer.WriteByte((byte)region.Kind);
            writer.WriteByte(region.Fill);
            var data = region.Data.AsSpan();
            int countAt = writer.Length;
            writer.WriteUInt32(0);
            uint pages = 0;
            for (int offset = 0; offset < data.Length; offset += PageSize)
            {
                var page = data.Slice(offset, Math.Min(PageSize, data.Length - offset));
                if (page.ContainsAnyExcept(region.Fill))
                {
                    writer.WriteUInt32((uint)(offset / PageSize));
                    writer.WriteRaw(page);
                    pages++;
                }
            }

            writer.PatchUInt32(countAt, pages);
        }
    }

    /// <inheritdoc />
    public void LoadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        int version = reader.ReadVersion(Version);
        var regions = BackedRegions();
        uint count = reader.ReadUInt32();
        if (count != regions.Count)
        {
            throw reader.Corrupt($"image has {count} memory regions, the machine has {regions.Count}");
        }

        // Read everything before storing anything, so a mismatch in a later region leaves memory untouched.
        var contents = new List<(MemoryRegion Region, byte Fill, Dictionary<int, ReadOnlyMemory<byte>> Pages)>();
        for (int i = 0; i < count; i++)
        {
            string name = reader.ReadString();
            uint baseAddress = reader.ReadUInt32();
            uint size = reader.ReadUInt32();
            var kind = (RegionKind)reader.ReadByte();
            byte fill = version >= 3 ? reader.ReadByte() : (byte)0;
            var region = regions.FirstOrDefault(r => r.Name == name)
                ?? throw reader.Corrupt($"the machine has no memory region '{name}'");
            if (region.Base != baseAddress || region.Size != size || region.Kind != kind)
            {
                throw reader.Corrupt($"region '{name}' is {kind} 0x{baseAddress:X8}+0x{size:X} in the image but {region.Kind} 0x{region.Base:X8}+0x{region.Size:X} in the machine");
            }

            contents.Add((region, fill, version == 1 ? ReadWholeRegion(reader, size) : ReadPages(reader, name, size)));
        }

        foreach (var (region, fill, pages) in contents)
        {
            StoreChangedPages(region, fill, pages);
        }
    }

    // Version 1 stored every byte: a length-prefixed array of the region's size.
    private static Dictionary<int, ReadOnlyMemory<byte>> ReadWholeRegion(StateReader reader, uint size)
    {
        uint length = reader.ReadUInt32();
        if (length != size)
        {
            throw reader.Corrupt($"byte array has {length} bytes where {size} are expected");
        }

        var bytes = reader.ReadRaw((int)size);
        var pages = new Dictionary<int, ReadOnlyMemory<byte>>();
        for (int offset = 0; offset < bytes.Length; offset += PageSize)
        {
            pages[offset] = bytes.Slice(offset, Math.Min(PageSize, bytes.Length - offset));
        }

        return pages;
    }

    private static Dictionary<int, ReadOnlyMemory<byte>> ReadPages(StateReader reader, string name, uint size)
    {
        uint count = reader.ReadUInt32();
        var pages = new Dictionary<int, ReadOnlyMemory<byte>>();
        long previous = -1;
        for (uint p = 0; p < count; p++)
        {
            uint index = reader.ReadUInt32();
            long offset = (long)index * PageSize;
            if (index <= previous || offset >= size)
            {
                throw reader.Corrupt($"region '{name}' has page {index} out of order or beyond its end");
            }

            pages[(int)offset] = reader.ReadRaw((int)Math.Min(PageSize, size - offset));
            previous = index;
        }

        return pages;
    }

    // Through the bus so decoded code over a changed page is invalidated; pages that already hold the contents
    // (the fill of a fresh machine, mostly) are not touched. Pages missing from the image hold the image's fill byte.
    private void StoreChangedPages(MemoryRegion region, byte fill, Dictionary<int, ReadOnlyMemory<byte>> pages)
    {
        var current = region.Data!;
        byte[]? filled = null;
        for (int offset = 0; offset < current.Length; offset += PageSize)
        {
            int length = Math.Min(PageSize, current.Length - offset);
            var existing = current.AsSpan(offset, length);
            if (pages.TryGetValue(offset, out var page))
            {
                if (!page.Span.SequenceEqual(existing))
                {
                    _bus.Load(region.Base + (uint)offset, page.Span);
                }
            }
            else if (existing.ContainsAnyExcept(fill))
            {
                if (filled is null)
                {
                    filled = new byte[PageSize];
                    Array.Fill(filled, fill);
                }

                _bus.Load(region.Base + (uint)offset, filled.AsSpan(0, length));
            }
        }
    }

    private List<MemoryRegion> BackedRegions() => _bus.Regions.Where(r => r.Data is not null).ToList();
}
