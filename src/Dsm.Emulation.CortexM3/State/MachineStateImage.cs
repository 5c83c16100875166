using System.Buffers.Binary;
using System.Text;

namespace Dsm.Emulation.CortexM3.State;

/// <summary>One section of a machine state image: its name and raw payload.</summary>
/// <param name="Name">Section name.</param>
/// <param name="Payload">Section payload (starts with the section's layout version).</param>
public sealed record StateSection(string Name, ReadOnlyMemory<byte> Payload);

/// <summary>
/// The container of a whole-machine state image (docs/state-format.md): a header with magic and format
/// version, length-prefixed named sections, and a CRC-32 over everything before it. The image is
/// validated completely before any component is touched.
/// </summary>
public static class MachineStateImage
{
    /// <summary>The eight bytes every image starts with.</summary>
    public static ReadOnlySpan<byte> Magic => "DSMSTATE"u8;

    /// <summary>Container format version written by this build.</summary>
    public const ushort FormatVersion = 1;

    private const int HeaderSize = 16;
    private const int MaxSectionNameLength = 64;

    /// <summary>Saves every component into one image.</summary>
    /// <param name="components">The components, each with a distinct section name.</param>
    /// <returns>The image.</returns>
    public static byte[] Export(IEnumerable<IStatefulComponent> components)
    {
        ArgumentNullException.ThrowIfNull(components);
        var list = components.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var writer = new StateWriter(4096);
        writer.WriteRaw(Magic);
        writer.WriteUInt16(FormatVersion);
        writer.WriteUInt16(0);
        writer.WriteUInt32((uint)list.Count);
        foreach (var component in list)
        {
            string name = component.SectionName;
            ValidateName(name);
            if (!names.Add(name))
            {
                throw new ArgumentException($"Two components use the section name '{name}'.", nameof(components));
            }

            writer.WriteByte((byte)name.Length);
            writer.WriteRaw(Encoding.ASCII.GetBytes(name));
            int lengthAt = writer.Length;
            writer.WriteUInt32(0);
            component.SaveState(writer);
            writer.PatchUInt32(lengthAt, (uint)(writer.Length - lengthAt - 4));
        }

        writer.WriteUInt32(Crc32.Compute(writer.WrittenSpan));
        return writer.ToArray();
    }

    /// <summary>Parses and validates an image (magic, version, CRC, section framing) without applying it.</summary>
    /// <param name="image">The image.</param>
    /// <returns>The sections in image order.</returns>
    /// <exception cref="StateFormatException">The image is not a valid state image.</exception>
    public static IReadOnlyList<StateSection> ReadSections(ReadOnlyMemory<byte> image)
    {
        var span = image.Span;
        if (span.Length < HeaderSize + 4)
        {
            throw new StateFormatException($"State image is truncated: {span.Length} bytes is shorter than a header and checksum.");
        }

        if (!span[..8].SequenceEqual(Magic))
        {
            throw new StateFormatException("Not a machine state image (bad magic).");
        }

        uint storedCrc = BinaryPrimitives.ReadUInt32LittleEndian(span[^4..]);
        uint actualCrc = Crc32.Compute(span[..^4]);
        if (storedCrc != actualCrc)
        {
            throw new StateFormatException($"State image is corrupted: CRC-32 is 0x{actualCrc:X8}, the image says 0x{storedCrc:X8}.");
        }

        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(span[8..]);
        if (version != FormatVersion)
        {
            throw new StateFormatException($"State image format version {version} is not supported (this build reads {FormatVersion}).");
        }

        ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(span[10..]);
        if (flags != 0)
        {
            throw new StateFormatException($"State image has unknown header flags 0x{flags:X4}.");
        }

        uint count = BinaryPrimitives.ReadUInt32LittleEndian(span[12..]);
        int end = span.Length - 4;
        int position = HeaderSize;
        var sections = new List<StateSection>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (uint i = 0; i < count; i++)
        {
            if (position + 1 > end)
            {
                throw new StateFormatException($"State image is truncated: section {i} of {count} is missing.");
            }

            int nameLength = span[position++];
            if (nameLength == 0 || nameLength > MaxSectionNameLength || position + nameLength + 4 > end)
            {
                throw new StateFormatException($"State image is corrupted: section {i} has a bad header at offset {position - 1}.");
            }

            string name = Encoding.ASCII.GetString(span.Slice(position, nameLength));
            if (!IsValidName(name))
            {
                throw new StateFormatException($"State image is corrupted: section {i} has an invalid name.");
            }

            position += nameLength;
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(span[position..]);
            position += 4;
            if (length > (uint)(end - position))
            {
                throw new StateFormatException($"State image is truncated: section '{name}' claims {length} bytes, {end - position} remain.");
            }

            if (!names.Add(name))
            {
                throw new StateFormatException($"State image has section '{name}' twice.");
            }

            sections.Add(new StateSection(name, image.Slice(position, (int)length)));
            position += (int)length;
        }

        if (position != end)
        {
            throw new StateFormatException($"State image has {end - position} bytes after its last section.");
        }

        return sections;
    }

    /// <summary>
    /// Applies an image to <paramref name="components"/>, in the order given (put the scheduler first: other
    /// components re-arm their timed events relative to the restored time). The image is fully validated
    /// before the first component is loaded; a component that rejects its section leaves the machine partly
    /// loaded, so import into a machine that can be reset on failure.
    /// </summary>
    /// <param name="image">The image.</param>
    /// <param name="components">The machine's components; each must find its section.</param>
    /// <param name="ignoreUnknownSections">True to skip sections no component claims (an image from a newer build or another board variant); false to reject them.</param>
    /// <exception cref="StateFormatException">The image is invalid or does not fit the machine.</exception>
    public static void Import(ReadOnlyMemory<byte> image, IEnumerable<IStatefulComponent> components, bool ignoreUnknownSections = false)
    {
        ArgumentNullException.ThrowIfNull(components);
        var sections = ReadSections(image).ToDictionary(s => s.Name, StringComparer.Ordinal);
        var list = components.ToList();
        var claimed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var component in list)
        {
            if (!sections.ContainsKey(component.SectionName))
            {
                throw new StateFormatException($"State image has no section '{component.SectionName}'.");
            }

            claimed.Add(component.SectionName);
        }

        if (!ignoreUnknownSections)
        {
            var unknown = sections.Keys.Where(n => !claimed.Contains(n)).ToList();
            if (unknown.Count > 0)
            {
                throw new StateFormatException($"State image has sections this machine does not have: {string.Join(", ", unknown)}.");
            }
        }

        foreach (var component in list)
        {
            var reader = new StateReader(sections[component.SectionName].Payload, component.SectionName);
            component.LoadState(reader);
            reader.EnsureEnd();
        }
    }

    private static void ValidateName(string name)
    {
        if (!IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid section name (1-{MaxSectionNameLength} characters of [a-z0-9._-]).");
        }
    }

    private static bool IsValidName(string name) =>
        name.Length is > 0 and <= MaxSectionNameLength
        && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '-');
}
