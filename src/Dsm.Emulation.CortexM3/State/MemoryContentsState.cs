using Dsm.Emulation.CortexM3.Memory;

namespace Dsm.Emulation.CortexM3.State;

/// <summary>
/// The "memory" section: the contents of every RAM and ROM region of a <see cref="MemoryBus"/>, identified by
/// name, base and size. Device windows are not included: each device saves its own registers.
/// </summary>
public sealed class MemoryContentsState : IStatefulComponent
{
    private const ushort Version = 1;
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
            writer.WriteBytes(region.Data);
        }
    }

    /// <inheritdoc />
    public void LoadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.ReadVersion(Version);
        var regions = BackedRegions();
        uint count = reader.ReadUInt32();
        if (count != regions.Count)
        {
            throw reader.Corrupt($"image has {count} memory regions, the machine has {regions.Count}");
        }

        // Read everything before storing anything, so a mismatch in a later region leaves memory untouched.
        var contents = new List<(MemoryRegion Region, byte[] Data)>();
        for (int i = 0; i < count; i++)
        {
            string name = reader.ReadString();
            uint baseAddress = reader.ReadUInt32();
            uint size = reader.ReadUInt32();
            var kind = (RegionKind)reader.ReadByte();
            var region = regions.FirstOrDefault(r => r.Name == name)
                ?? throw reader.Corrupt($"the machine has no memory region '{name}'");
            if (region.Base != baseAddress || region.Size != size || region.Kind != kind)
            {
                throw reader.Corrupt($"region '{name}' is {kind} 0x{baseAddress:X8}+0x{size:X} in the image but {region.Kind} 0x{region.Base:X8}+0x{region.Size:X} in the machine");
            }

            var data = new byte[size];
            reader.ReadBytes(data);
            contents.Add((region, data));
        }

        foreach (var (region, data) in contents)
        {
            // Through the bus so decoded code over the region is invalidated.
            _bus.Load(region.Base, data);
        }
    }

    private List<MemoryRegion> BackedRegions() => _bus.Regions.Where(r => r.Data is not null).ToList();
}
