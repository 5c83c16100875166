using System.Buffers.Binary;
using Dsm.Emulation.CortexM3;
using Dsm.Emulation.CortexM3.Boards;
using Dsm.Emulation.CortexM3.Memory;

namespace Dsm.Runtime.Tests;

/// <summary>Shared fixtures: the committed test image, small boards and hand-assembled guest code.</summary>
internal static class TestSupport
{
    /// <summary>Path of the committed self-test image (source and build script in Assets/src).</summary>
    public static string SelfTestElf => Path.Combine(TestContext.CurrentContext.TestDirectory, "Assets", "selftest.elf");

    public static byte[] SelfTestBytes() => File.ReadAllBytes(SelfTestElf);

    /// <summary>A small board: 64 KiB RAM at 0 (vectors and code) and 64 KiB RAM at 0x20000000, nothing else.</summary>
    public static BoardDefinition SmallBoard { get; } = new()
    {
        Name = "test-small",
        Description = "two RAM banks for hand-assembled tests",
        Memory =
        [
            new MemoryRegionSpec("code", 0x0000_0000, 0x1_0000, RegionKind.Ram),
            new MemoryRegionSpec("sram", 0x2000_0000, 0x1_0000, RegionKind.Ram),
        ],
    };

    public const uint CodeAddress = 0x100;
    public const uint StackTop = 0x2000_1000;

    /// <summary>
    /// Writes a vector table (SP = <see cref="StackTop"/>, reset at <see cref="CodeAddress"/>) and
    /// <paramref name="halfwords"/> of Thumb code at <see cref="CodeAddress"/>, followed by <paramref name="literals"/>.
    /// </summary>
    public static void LoadProgram(MemoryBus bus, ushort[] halfwords, params uint[] literals)
    {
        Span<byte> vectors = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(vectors, StackTop);
        BinaryPrimitives.WriteUInt32LittleEndian(vectors[4..], CodeAddress | 1);
        bus.Load(0, vectors);
        var code = new byte[halfwords.Length * 2 + literals.Length * 4];
        for (int i = 0; i < halfwords.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(code.AsSpan(2 * i), halfwords[i]);
        }

        for (int i = 0; i < literals.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(code.AsSpan(halfwords.Length * 2 + 4 * i), literals[i]);
        }

        bus.Load(CodeAddress, code);
    }

    public static ushort MovsImmediate(int register, byte value) => (ushort)(0x2000 | (register << 8) | value);

    /// <summary>
    /// LDR Rt, [PC, #imm] at position <paramref name="instructionIndex"/> of a program of
    /// <paramref name="halfwordCount"/> halfwords (an even count), loading literal number <paramref name="literalIndex"/>.
    /// </summary>
    public static ushort LdrLiteral(int register, int instructionIndex, int literalIndex, int halfwordCount)
    {
        Assert.That(halfwordCount % 2, Is.Zero, "pad the code to a whole number of words");
        uint instruction = CodeAddress + (uint)(2 * instructionIndex);
        uint literal = CodeAddress + (uint)(2 * halfwordCount) + (uint)(4 * literalIndex);
        uint basis = (instruction + 4) & ~3u;
        return (ushort)(0x4800 | (register << 8) | (int)((literal - basis) / 4));
    }

    public const ushort SemihostingBkpt = 0xBEAB;
    public const ushort BranchToSelf = 0xE7FE;
    public const ushort Nop = 0xBF00;

    public static uint ReadWord(MemoryBus bus, uint address)
    {
        Span<byte> bytes = stackalloc byte[4];
        Assert.That(bus.TryPeek(address, bytes), Is.True, $"0x{address:X8} is not RAM/ROM");
        return BinaryPrimitives.ReadUInt32LittleEndian(bytes);
    }

    public static void WriteWords(MemoryBus bus, uint address, params uint[] words)
    {
        var bytes = new byte[words.Length * 4];
        for (int i = 0; i < words.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4 * i), words[i]);
        }

        bus.Load(address, bytes);
    }

    public static void WriteString(MemoryBus bus, uint address, string text, bool terminate = true)
    {
        var bytes = System.Text.Encoding.ASCII.GetBytes(terminate ? text + "\0" : text);
        bus.Load(address, bytes);
    }

    public static Machine CreateSelfTestMachine(string mode, out MemoryStream stdout, out MemoryStream stderr, Stream? stdin = null, BoardDefinition? board = null)
    {
        stdout = new MemoryStream();
        stderr = new MemoryStream();
        var machine = Machine.Create(
            board ?? Dsm.Peripherals.Mps2.Mps2An385.Board,
            new MachineOptions
            {
                StandardOutput = stdout,
                StandardError = stderr,
                StandardInput = stdin,
                CommandLine = mode.Length == 0 ? "selftest.elf" : "selftest.elf " + mode,
            });
        machine.LoadElf(SelfTestElf);
        machine.Reset();
        return machine;
    }

    public static string Text(MemoryStream stream) => System.Text.Encoding.UTF8.GetString(stream.ToArray());
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private TimeSpan _elapsed;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public void Advance(TimeSpan by) => _elapsed += by;

    public override DateTimeOffset GetUtcNow() => start + _elapsed;

    public override long GetTimestamp() => _elapsed.Ticks;
}
