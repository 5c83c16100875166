namespace Dsm.Emulation.CortexM3.Elf;

/// <summary>One PT_LOAD segment: the bytes to place at <see cref="PhysicalAddress"/>.</summary>
/// <param name="PhysicalAddress">Load address (p_paddr): where the bytes go in the guest's memory.</param>
/// <param name="VirtualAddress">Run address (p_vaddr); differs from the load address for data copied to RAM at start-up.</param>
/// <param name="FileBytes">The p_filesz bytes from the file.</param>
/// <param name="MemorySize">p_memsz; bytes past <see cref="FileBytes"/> up to this size are zero.</param>
/// <param name="IsExecutable">Whether the segment has the PF_X flag.</param>
/// <param name="IsWritable">Whether the segment has the PF_W flag.</param>
public sealed record ElfSegment(
    uint PhysicalAddress,
    uint VirtualAddress,
    ReadOnlyMemory<byte> FileBytes,
    uint MemorySize,
    bool IsExecutable,
    bool IsWritable)
{
    /// <summary>The segment's memory image: the file bytes followed by zeros up to <see cref="MemorySize"/>.</summary>
    /// <returns>A new array of <see cref="MemorySize"/> bytes.</returns>
    public byte[] GetMemoryImage()
    {
        var image = new byte[MemorySize];
        FileBytes.Span.CopyTo(image);
        return image;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"LOAD paddr=0x{PhysicalAddress:X8} vaddr=0x{VirtualAddress:X8} filesz=0x{FileBytes.Length:X} memsz=0x{MemorySize:X}";
}
