using Dsm.Emulation.CortexM3.Cpu;
using Dsm.Emulation.CortexM3.Memory;

namespace Dsm.Emulation.CortexM3.Tests.Cpu;

/// <summary>
/// A bus with RAM at 0 and a core, for running hand-assembled instructions: write halfwords, set registers,
/// run N instructions, inspect. The halfwords in the tests come from arm-none-eabi-as (-mcpu=cortex-m3).
/// </summary>
internal sealed class TestCore
{
    public const uint RamSize = 0x1_0000;
    public const uint StackTop = 0x8000;

    public TestCore()
    {
        Ram = Bus.AddRam("ram", 0, RamSize);
        Cpu = new CortexM3Cpu(Bus);
        Cpu.Sp = StackTop;
    }

    public MemoryBus Bus { get; } = new();

    public MemoryRegion Ram { get; }

    public CortexM3Cpu Cpu { get; }

    public uint this[int register]
    {
        get => Cpu.GetRegister(register);
        set => Cpu.SetRegister(register, value);
    }

    /// <summary>Places halfwords at address 0 and points the PC there.</summary>
    public TestCore Code(params ushort[] halfwords) => CodeAt(0, halfwords);

    /// <summary>Places halfwords at <paramref name="address"/> and points the PC there.</summary>
    public TestCore CodeAt(uint address, params ushort[] halfwords)
    {
        Place(address, halfwords);
        Cpu.Pc = address;
        return this;
    }

    /// <summary>Writes halfwords through the host path (invalidating decoded code there).</summary>
    public void Place(uint address, params ushort[] halfwords)
    {
        var bytes = new byte[halfwords.Length * 2];
        for (int i = 0; i < halfwords.Length; i++)
        {
            bytes[2 * i] = (byte)halfwords[i];
            bytes[(2 * i) + 1] = (byte)(halfwords[i] >> 8);
        }

        Bus.Load(address, bytes);
    }

    public TestCore With(int register, uint value)
    {
        Cpu.SetRegister(register, value);
        return this;
    }

    public TestCore WithFlags(uint apsr)
    {
        Cpu.Apsr = apsr;
        return this;
    }

    public StopReason Run(long instructions) => Cpu.Run(instructions);

    /// <summary>Runs and asserts the budget was used up (no fault, no stop).</summary>
    public TestCore Step(long instructions = 1)
    {
        var reason = Cpu.Run(instructions);
        Assert.That(reason, Is.EqualTo(StopReason.InstructionLimit), () => $"stopped early: {reason} {Cpu.LastFault}");
        return this;
    }

    public uint Word(uint address)
    {
        Assert.That(Bus.TryRead(address, 4, out uint value), Is.True);
        return value;
    }

    public void SetWord(uint address, uint value) => Assert.That(Bus.TryWrite(address, 4, value), Is.True);

    public bool N => (Cpu.Apsr & (1u << 31)) != 0;

    public bool Z => (Cpu.Apsr & (1u << 30)) != 0;

    public bool C => (Cpu.Apsr & (1u << 29)) != 0;

    public bool V => (Cpu.Apsr & (1u << 28)) != 0;

    public bool Q => (Cpu.Apsr & (1u << 27)) != 0;

    /// <summary>APSR flags as a string like "nZCv" (upper case = set).</summary>
    public string Flags => $"{(N ? 'N' : 'n')}{(Z ? 'Z' : 'z')}{(C ? 'C' : 'c')}{(V ? 'V' : 'v')}";

    public static uint FlagsFrom(string nzcv)
    {
        uint apsr = 0;
        if (nzcv.Contains('N', StringComparison.Ordinal))
        {
            apsr |= 1u << 31;
        }

        if (nzcv.Contains('Z', StringComparison.Ordinal))
        {
            apsr |= 1u << 30;
        }

        if (nzcv.Contains('C', StringComparison.Ordinal))
        {
            apsr |= 1u << 29;
        }

        if (nzcv.Contains('V', StringComparison.Ordinal))
        {
            apsr |= 1u << 28;
        }

        return apsr;
    }
}
