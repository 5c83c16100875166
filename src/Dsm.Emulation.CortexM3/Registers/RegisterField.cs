namespace Dsm.Emulation.CortexM3.Registers;

/// <summary>
/// A named group of contiguous bits inside a <see cref="Register"/>, with its own access rule and
/// optional hooks. The stored bits live in the register; the field is a view onto them.
/// </summary>
public sealed class RegisterField
{
    internal RegisterField(Register owner, string name, int position, int width, FieldAccess access)
    {
        Owner = owner;
        Name = name;
        Position = position;
        Width = width;
        Access = access;
        Mask = (width == 32 ? 0xFFFF_FFFFu : (1u << width) - 1) << position;
    }

    /// <summary>The register the field belongs to.</summary>
    public Register Owner { get; }

    /// <summary>Field name as the reference manual spells it (e.g. "RDRF").</summary>
    public string Name { get; }

    /// <summary>Bit position of the field's least significant bit.</summary>
    public int Position { get; }

    /// <summary>Width in bits.</summary>
    public int Width { get; }

    /// <summary>The access rule.</summary>
    public FieldAccess Access { get; }

    /// <summary>Mask of the field's bits in the register.</summary>
    public uint Mask { get; }

    /// <summary>
    /// The stored field value (right-aligned), without side effects: the peripheral model uses it to
    /// update status bits, the host to inspect them.
    /// </summary>
    public uint Value
    {
        get => (Owner.Value & Mask) >> Position;
        set => Owner.Value = (Owner.Value & ~Mask) | ((value << Position) & Mask);
    }

    /// <summary>Whether the stored value is non-zero (for one-bit flags).</summary>
    public bool IsSet
    {
        get => Value != 0;
        set => Value = value ? 1u : 0u;
    }

    /// <summary>Computes what a guest read returns from the stored field value; null reads the stored value.</summary>
    internal Func<uint, uint>? ValueProvider { get; init; }

    /// <summary>Runs after a guest write that touched the field, with the old and new stored field values.</summary>
    internal Action<uint, uint>? WriteCallback { get; init; }

    /// <summary>Runs after a guest read that touched the field, with the value the guest saw.</summary>
    internal Action<uint>? ReadCallback { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Owner.Name}.{Name}[{Position + Width - 1}:{Position}] {Access}";
}
