namespace Dsm.Emulation.CortexM3.Elf;

/// <summary>What an ELF symbol names.</summary>
public enum ElfSymbolKind
{
    /// <summary>A function (STT_FUNC); its address has the Thumb bit cleared.</summary>
    Function,

    /// <summary>A data object (STT_OBJECT).</summary>
    Object,

    /// <summary>Any other named address (STT_NOTYPE: assembly labels, linker-script symbols).</summary>
    Other,
}

/// <summary>A named address from the image's symbol table.</summary>
/// <param name="Name">Symbol name.</param>
/// <param name="Address">Address; for Thumb functions the Thumb bit (bit 0) is cleared.</param>
/// <param name="Size">Size in bytes (0 when the symbol has none, as with many assembly labels).</param>
/// <param name="Kind">What the symbol names.</param>
public sealed record ElfSymbol(string Name, uint Address, uint Size, ElfSymbolKind Kind);

/// <summary>An address expressed relative to a symbol, as in <c>main+0x1a</c>.</summary>
/// <param name="Symbol">The symbol at or below the address.</param>
/// <param name="Offset">Distance from the symbol's address.</param>
public readonly record struct SymbolLocation(ElfSymbol Symbol, uint Offset)
{
    /// <summary>Formats as <c>name</c> or <c>name+0xOFFSET</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Offset == 0 ? Symbol.Name : $"{Symbol.Name}+0x{Offset:x}";
}
