using System.Buffers.Binary;
using ELFSharp.ELF;
using ELFSharp.ELF.Sections;
using ELFSharp.ELF.Segments;

namespace Dsm.Emulation.CortexM3.Elf;

/// <summary>
/// A validated ARM ELF32 little-endian executable, read eagerly into memory: its loadable segments,
/// entry point, GNU build ID and symbols. Parsing is done by ELFSharp; this class checks what a
/// Cortex-M3 image must be and turns every parsing failure into an <see cref="ElfLoadException"/>.
/// </summary>
public sealed class ElfImage
{
    private const int HeaderSize = 52;
    private const int ProgramHeaderEntrySize = 32;
    private const int SectionHeaderEntrySize = 40;
    private const uint NoteTypeGnuBuildId = 3;

    private readonly ElfSymbol[] _functionsByAddress;
    private readonly Dictionary<string, ElfSymbol> _symbolsByName;

    private ElfImage(string sourceName, uint entryPoint, IReadOnlyList<ElfSegment> segments, byte[]? buildId, IReadOnlyList<ElfSymbol> symbols)
    {
        SourceName = sourceName;
        EntryPoint = entryPoint;
        Segments = segments;
        BuildId = buildId;
        Symbols = symbols;
        _functionsByAddress = symbols.Where(s => s.Kind == ElfSymbolKind.Function).OrderBy(s => s.Address).ToArray();
        _symbolsByName = new Dictionary<string, ElfSymbol>(StringComparer.Ordinal);
        foreach (var symbol in symbols)
        {
            // Global definitions come first (see ReadSymbols), so a local of the same name never hides them.
            _symbolsByName.TryAdd(symbol.Name, symbol);
        }
    }

    /// <summary>Where the image came from: the path given to <see cref="Load(string)"/> or the name given to <see cref="Parse"/>.</summary>
    public string SourceName { get; }

    /// <summary>The ELF entry point (e_entry). A Cortex-M3 starts from its vector table, not from here.</summary>
    public uint EntryPoint { get; }

    /// <summary>The PT_LOAD segments in file order.</summary>
    public IReadOnlyList<ElfSegment> Segments { get; }

    /// <summary>The NT_GNU_BUILD_ID note's bytes, or null when the image has none.</summary>
    public byte[]? BuildId { get; }

    /// <summary>The build ID in lower-case hexadecimal (as <c>readelf -n</c> prints it), or null.</summary>
    public string? BuildIdHex => BuildId is null ? null : Convert.ToHexStringLower(BuildId);

    /// <summary>Defined function, object and label symbols (mapping symbols such as <c>$t</c> excluded).</summary>
    public IReadOnlyList<ElfSymbol> Symbols { get; }

    /// <summary>Reads and validates an ELF file.</summary>
    /// <param name="path">Path of the file.</param>
    /// <returns>The image.</returns>
    /// <exception cref="ElfLoadException">The file cannot be read or is not a loadable ARM ELF32 executable.</exception>
    public static ElfImage Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new ElfLoadException(ElfProblem.Unreadable, $"{path}: cannot read the file: {e.Message}", e);
        }

        return Parse(bytes, path);
    }

    /// <summary>Validates and reads an ELF image held in memory.</summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="sourceName">Name used in messages and <see cref="SourceName"/>.</param>
    /// <returns>The image.</returns>
    /// <exception cref="ElfLoadException">The bytes are not a loadable ARM ELF32 little-endian executable.</exception>
    public static ElfImage Parse(byte[] bytes, string sourceName = "<memory>")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(sourceName);
        CheckHeader(bytes, sourceName);
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            if (!ELFReader.TryLoad(stream, shouldOwnStream: false, out IELF? generic) || generic is not ELF<uint> elf)
            {
                throw Fail(ElfProblem.Malformed, sourceName, "ELFSharp could not parse the headers");
            }

            using (elf)
            {
                if (elf.Machine != ELFSharp.ELF.Machine.ARM)
                {
                    throw Fail(ElfProblem.WrongMachine, sourceName, $"the file is for {elf.Machine} (e_machine {BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(18))}); expected ARM (e_machine 40)");
                }

                if (elf.Type != FileType.Executable)
                {
                    throw Fail(ElfProblem.NotExecutable, sourceName, $"the file is a {elf.Type} ELF; expected an executable (ET_EXEC), e.g. a linked firmware image");
                }

                var segments = ReadSegments(elf, bytes.Length, sourceName);
                var buildId = ReadBuildId(elf);
                var symbols = ReadSymbols(elf);
                return new ElfImage(sourceName, elf.EntryPoint, segments, buildId, symbols);
            }
        }
        catch (ElfLoadException)
        {
            throw;
        }
        catch (Exception e)
        {
            // ELFSharp reports corruption with a variety of exception types; none of them may leak.
            throw new ElfLoadException(ElfProblem.Malformed, $"{sourceName}: malformed ELF file: {e.Message}", e);
        }
    }

    /// <summary>Finds a symbol by name (global definitions win over locals of the same name).</summary>
    /// <param name="name">Symbol name.</param>
    /// <returns>The symbol, or null.</returns>
    public ElfSymbol? FindSymbol(string name) => _symbolsByName.GetValueOrDefault(name);

    /// <summary>
    /// Finds the function containing <paramref name="address"/>: the nearest function symbol at or below it,
    /// provided the address lies within the function's size (or the function has no size).
    /// </summary>
    /// <param name="address">A code address (the Thumb bit is ignored).</param>
    /// <returns>The symbol and the offset into it, or null when no function covers the address.</returns>
    public SymbolLocation? FindFunction(uint address)
    {
        address &= ~1u;
        var functions = _functionsByAddress;
        int lo = 0, hi = functions.Length - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >> 1;
            if (functions[mid].Address <= address)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        // Several symbols may share an address (aliases); walk back to one whose extent covers the address.
        for (int i = found; i >= 0 && functions[i].Address == functions[found].Address; i--)
        {
            var candidate = functions[i];
            uint offset = address - candidate.Address;
            if (candidate.Size == 0 || offset < candidate.Size)
            {
                return new SymbolLocation(candidate, offset);
            }
        }

        return null;
    }

    /// <summary>Describes a code address as <c>symbol+0xOFFSET</c> when a function covers it.</summary>
    /// <param name="address">A code address.</param>
    /// <returns>The description, or null.</returns>
    public string? DescribeAddress(uint address) => FindFunction(address)?.ToString();

    /// <inheritdoc />
    public override string ToString() =>
        $"{SourceName}: entry 0x{EntryPoint:X8}, {Segments.Count} loadable segment(s), build-id {BuildIdHex ?? "none"}";

    private static void CheckHeader(byte[] bytes, string source)
    {
        if (bytes.Length < 4 || bytes[0] != 0x7F || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
        {
            throw Fail(ElfProblem.NotElf, source, bytes.Length < 4 ? $"the file is {bytes.Length} bytes long, too short to be ELF" : "the file does not start with the ELF magic number (7F 45 4C 46)");
        }

        if (bytes.Length < 6)
        {
            throw Fail(ElfProblem.Truncated, source, $"the file is {bytes.Length} bytes long; the ELF header needs {HeaderSize}");
        }

        if (bytes[4] != 1)
        {
            throw Fail(ElfProblem.WrongClass, source, bytes[4] == 2 ? "the file is ELF64; a Cortex-M3 image is ELF32" : $"unknown ELF class {bytes[4]}; expected ELF32 (1)");
        }

        if (bytes[5] != 1)
        {
            throw Fail(ElfProblem.WrongEndianness, source, bytes[5] == 2 ? "the file is big-endian; a Cortex-M3 image is little-endian" : $"unknown ELF data encoding {bytes[5]}; expected little-endian (1)");
        }

        if (bytes.Length < HeaderSize)
        {
            throw Fail(ElfProblem.Truncated, source, $"the file is {bytes.Length} bytes long; the ELF header needs {HeaderSize}");
        }

        var header = bytes.AsSpan();
        uint programHeaderOffset = BinaryPrimitives.ReadUInt32LittleEndian(header[28..]);
        uint sectionHeaderOffset = BinaryPrimitives.ReadUInt32LittleEndian(header[32..]);
        ushort programHeaderEntrySize = BinaryPrimitives.ReadUInt16LittleEndian(header[42..]);
        ushort programHeaderCount = BinaryPrimitives.ReadUInt16LittleEndian(header[44..]);
        ushort sectionHeaderEntrySize = BinaryPrimitives.ReadUInt16LittleEndian(header[46..]);
        ushort sectionHeaderCount = BinaryPrimitives.ReadUInt16LittleEndian(header[48..]);

        if (programHeaderCount == 0)
        {
            throw Fail(ElfProblem.Malformed, source, "the file has no program headers, so nothing to load");
        }

        if (programHeaderEntrySize != ProgramHeaderEntrySize)
        {
            throw Fail(ElfProblem.Malformed, source, $"program header entries are {programHeaderEntrySize} bytes; ELF32 uses {ProgramHeaderEntrySize}");
        }

        if ((ulong)programHeaderOffset + (ulong)programHeaderCount * ProgramHeaderEntrySize > (ulong)bytes.Length)
        {
            throw Fail(ElfProblem.Truncated, source, $"the program header table (offset 0x{programHeaderOffset:X}, {programHeaderCount} entries) runs past the end of the file ({bytes.Length} bytes)");
        }

        // ELFSharp reads some segments (notes) while opening the file: check every segment's file range first.
        for (int i = 0; i < programHeaderCount; i++)
        {
            var entry = header.Slice((int)programHeaderOffset + (i * ProgramHeaderEntrySize), ProgramHeaderEntrySize);
            uint offset = BinaryPrimitives.ReadUInt32LittleEndian(entry[4..]);
            uint fileSize = BinaryPrimitives.ReadUInt32LittleEndian(entry[16..]);
            if ((ulong)offset + fileSize > (ulong)bytes.Length)
            {
                throw Fail(ElfProblem.Truncated, source, $"segment {i} (file offset 0x{offset:X}, 0x{fileSize:X} bytes) runs past the end of the file ({bytes.Length} bytes)");
            }
        }

        if (sectionHeaderCount != 0)
        {
            if (sectionHeaderEntrySize != SectionHeaderEntrySize)
            {
                throw Fail(ElfProblem.Malformed, source, $"section header entries are {sectionHeaderEntrySize} bytes; ELF32 uses {SectionHeaderEntrySize}");
            }

            if ((ulong)sectionHeaderOffset + (ulong)sectionHeaderCount * SectionHeaderEntrySize > (ulong)bytes.Length)
            {
                throw Fail(ElfProblem.Truncated, source, $"the section header table (offset 0x{sectionHeaderOffset:X}, {sectionHeaderCount} entries) runs past the end of the file ({bytes.Length} bytes)");
            }

            ushort sectionNamesIndex = BinaryPrimitives.ReadUInt16LittleEndian(header[50..]);
            if (sectionNamesIndex >= sectionHeaderCount)
            {
                throw Fail(ElfProblem.Malformed, source, $"the section name table is section {sectionNamesIndex}, but there are only {sectionHeaderCount} sections");
            }
        }
    }

    private static List<ElfSegment> ReadSegments(ELF<uint> elf, int fileLength, string source)
    {
        var segments = new List<ElfSegment>();
        foreach (var segment in elf.Segments)
        {
            if (segment.Type != SegmentType.Load)
            {
                continue;
            }

            int index = segments.Count;
            if (segment.FileSize < 0 || segment.Offset < 0 || segment.Offset + segment.FileSize > fileLength)
            {
                throw Fail(ElfProblem.Truncated, source, $"loadable segment {index} (file offset 0x{segment.Offset:X}, 0x{segment.FileSize:X} bytes) runs past the end of the file ({fileLength} bytes)");
            }

            if (segment.FileSize > segment.Size)
            {
                throw Fail(ElfProblem.Malformed, source, $"loadable segment {index} has more file bytes (0x{segment.FileSize:X}) than memory bytes (0x{segment.Size:X})");
            }

            if ((ulong)segment.PhysicalAddress + segment.Size > 0x1_0000_0000UL)
            {
                throw Fail(ElfProblem.Malformed, source, $"loadable segment {index} at 0x{segment.PhysicalAddress:X8} (0x{segment.Size:X} bytes) runs past the end of the 32-bit address space");
            }

            byte[] fileBytes = segment.FileSize == 0 ? [] : segment.GetFileContents();
            segments.Add(new ElfSegment(
                segment.PhysicalAddress,
                segment.Address,
                fileBytes,
                segment.Size,
                (segment.Flags & SegmentFlags.Execute) != 0,
                (segment.Flags & SegmentFlags.Write) != 0));
        }

        if (segments.Count == 0)
        {
            throw Fail(ElfProblem.Malformed, source, "the file has no loadable (PT_LOAD) segments");
        }

        return segments;
    }

    private static byte[]? ReadBuildId(ELF<uint> elf)
    {
        foreach (var note in elf.GetSections<NoteSection<uint>>())
        {
            if (note.NoteType == NoteTypeGnuBuildId && note.NoteName == "GNU")
            {
                return note.Description;
            }
        }

        // Images linked without section headers still carry the note in a PT_NOTE segment.
        foreach (var segment in elf.Segments)
        {
            if (segment is INoteSegment notes)
            {
                foreach (var note in notes.Notes)
                {
                    if (note.Type == NoteTypeGnuBuildId && note.Name == "GNU")
                    {
                        return note.Description.ToArray();
                    }
                }
            }
        }

        return null;
    }

    private static List<ElfSymbol> ReadSymbols(ELF<uint> elf)
    {
        var globals = new List<ElfSymbol>();
        var locals = new List<ElfSymbol>();
        foreach (var table in elf.GetSections<SymbolTable<uint>>())
        {
            if (table.Type != SectionType.SymbolTable)
            {
                continue; // .dynsym duplicates .symtab in the rare image that has both
            }

            foreach (var entry in table.Entries)
            {
                if (string.IsNullOrEmpty(entry.Name) || entry.Name[0] == '$' || entry.PointedSectionIndex == 0)
                {
                    continue; // unnamed, ARM mapping symbols ($t, $d, $a), undefined
                }

                ElfSymbolKind kind;
                switch (entry.Type)
                {
                    case SymbolType.Function: kind = ElfSymbolKind.Function; break;
                    case SymbolType.Object: kind = ElfSymbolKind.Object; break;
                    case SymbolType.NotSpecified: kind = ElfSymbolKind.Other; break;
                    default: continue; // section and file symbols
                }

                uint address = kind == ElfSymbolKind.Function ? entry.Value & ~1u : entry.Value;
                var symbol = new ElfSymbol(entry.Name, address, entry.Size, kind);
                (entry.Binding == SymbolBinding.Local ? locals : globals).Add(symbol);
            }
        }

        globals.AddRange(locals);
        return globals;
    }

    private static ElfLoadException Fail(ElfProblem problem, string source, string detail) => new(problem, $"{source}: {detail}.");
}
