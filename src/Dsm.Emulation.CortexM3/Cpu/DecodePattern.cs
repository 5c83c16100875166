namespace Dsm.Emulation.CortexM3.Cpu;

/// <summary>Fills in the decoded form of an instruction that matched a <see cref="DecodePattern"/>.</summary>
/// <param name="c">The instruction's bits and address, and the decoded form to fill.</param>
internal delegate void DecodeHandler(ref DecodeContext c);

/// <summary>
/// One row of a decode table, written as a bit string in the style of the ARM ARM encoding diagrams
/// (and QEMU's decodetree): <c>0</c>/<c>1</c> are fixed bits, <c>z</c>/<c>o</c> are bits the
/// architecture marks (0)/(1) (a mismatch is UNPREDICTABLE), anything else is a field or don't-care.
/// Spaces are ignored. 16-bit patterns have 16 bits, 32-bit patterns 32 (first halfword first).
/// </summary>
internal sealed class DecodePattern
{
    private DecodePattern(string name, int width, uint mask, uint value, uint shouldMask, uint shouldValue, DecodeHandler handler)
    {
        Name = name;
        Width = width;
        Mask = mask;
        Value = value;
        ShouldMask = shouldMask;
        ShouldValue = shouldValue;
        Handler = handler;
    }

    /// <summary>Mnemonic, for diagnostics and tests.</summary>
    public string Name { get; }

    /// <summary>16 or 32.</summary>
    public int Width { get; }

    /// <summary>Fixed bits.</summary>
    public uint Mask { get; }

    /// <summary>Values of the fixed bits.</summary>
    public uint Value { get; }

    /// <summary>Bits marked (0) or (1).</summary>
    public uint ShouldMask { get; }

    /// <summary>Values the (0)/(1) bits should have.</summary>
    public uint ShouldValue { get; }

    /// <summary>Fills in the decoded form.</summary>
    public DecodeHandler Handler { get; }

    /// <summary>Parses a pattern string.</summary>
    /// <param name="bits">The bit string.</param>
    /// <param name="name">Mnemonic.</param>
    /// <param name="handler">Handler for matching instructions.</param>
    /// <returns>The pattern.</returns>
    public static DecodePattern Parse(string bits, string name, DecodeHandler handler)
    {
        uint mask = 0, value = 0, shouldMask = 0, shouldValue = 0;
        int width = 0;
        foreach (char ch in bits)
        {
            if (ch == ' ')
            {
                continue;
            }

            mask <<= 1;
            value <<= 1;
            shouldMask <<= 1;
            shouldValue <<= 1;
            switch (ch)
            {
                case '0': mask |= 1; break;
                case '1': mask |= 1; value |= 1; break;
                case 'z': shouldMask |= 1; break;
                case 'o': shouldMask |= 1; shouldValue |= 1; break;
            }

            width++;
        }

        if (width != 16 && width != 32)
        {
            throw new ArgumentException($"Pattern '{bits}' for {name} has {width} bits.", nameof(bits));
        }

        return new DecodePattern(name, width, mask, value, shouldMask, shouldValue, handler);
    }

    /// <summary>Whether the fixed bits match.</summary>
    /// <param name="instruction">The instruction bits (32-bit instructions: first halfword in the high half).</param>
    public bool Matches(uint instruction) => (instruction & Mask) == Value;

    /// <summary>Whether the (0)/(1) bits have their required values.</summary>
    /// <param name="instruction">The instruction bits.</param>
    public bool ShouldBitsHold(uint instruction) => (instruction & ShouldMask) == ShouldValue;

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>The instruction being decoded and the decoded form being built.</summary>
internal struct DecodeContext
{
    /// <summary>Creates a context.</summary>
    /// <param name="address">Address of the instruction.</param>
    /// <param name="bits">Instruction bits (first halfword high for 32-bit).</param>
    /// <param name="wide">True for a 32-bit instruction.</param>
    public DecodeContext(uint address, uint bits, bool wide)
    {
        Address = address;
        Bits = bits;
        Wide = wide;
        D = default;
        D.Length = (byte)(wide ? 4 : 2);
    }

    /// <summary>Address of the instruction.</summary>
    public readonly uint Address;

    /// <summary>Instruction bits.</summary>
    public readonly uint Bits;

    /// <summary>True for 32-bit instructions.</summary>
    public readonly bool Wide;

    /// <summary>The decoded form.</summary>
    public DecodedInstruction D;

    /// <summary>The value a read of PC gives: the instruction's address + 4.</summary>
    public readonly uint PcValue => Address + 4;

    /// <summary>Align(PC, 4), the base of literal addressing.</summary>
    public readonly uint AlignedPc => (Address + 4) & ~3u;

    /// <summary>Bits [hi:lo].</summary>
    /// <param name="hi">Most significant bit.</param>
    /// <param name="lo">Least significant bit.</param>
    public readonly int F(int hi, int lo) => (int)((Bits >> lo) & ((1u << (hi - lo + 1)) - 1));

    /// <summary>Bit n.</summary>
    /// <param name="n">Bit number.</param>
    public readonly bool Bit(int n) => ((Bits >> n) & 1) != 0;

    /// <summary>A 4-bit register field whose lowest bit is <paramref name="lo"/>.</summary>
    /// <param name="lo">Lowest bit of the field.</param>
    public readonly int R(int lo) => (int)((Bits >> lo) & 15);

    /// <summary>A 3-bit (low) register field whose lowest bit is <paramref name="lo"/>.</summary>
    /// <param name="lo">Lowest bit of the field.</param>
    public readonly int R3(int lo) => (int)((Bits >> lo) & 7);

    /// <summary>Marks the instruction UNDEFINED.</summary>
    public void Undefined() => D.Op = Op.Undefined;

    /// <summary>Marks the instruction UNPREDICTABLE.</summary>
    public void Unpredictable() => D.Op = Op.Unpredictable;

    /// <summary>Marks the instruction UNPREDICTABLE if <paramref name="condition"/> holds.</summary>
    /// <param name="condition">The architecture's UNPREDICTABLE condition.</param>
    /// <returns><paramref name="condition"/>, so a handler can stop.</returns>
    public bool UnpredictableIf(bool condition)
    {
        if (condition)
        {
            D.Op = Op.Unpredictable;
        }

        return condition;
    }

    /// <summary>Sets flag bits.</summary>
    /// <param name="flags">Flags to add.</param>
    public void Flag(InstructionFlags flags) => D.Flags |= flags;

    /// <summary>Sets the registers.</summary>
    /// <param name="rd">Destination.</param>
    /// <param name="rn">First operand.</param>
    /// <param name="rm">Second operand.</param>
    /// <param name="ra">Fourth register.</param>
    public void Regs(int rd, int rn = 0, int rm = 0, int ra = 0)
    {
        D.Rd = (byte)rd;
        D.Rn = (byte)rn;
        D.Rm = (byte)rm;
        D.Ra = (byte)ra;
    }
}
