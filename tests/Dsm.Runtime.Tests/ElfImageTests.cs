using System.Buffers.Binary;
using Dsm.Emulation.CortexM3.Elf;

namespace Dsm.Runtime.Tests;

public class ElfImageTests
{
    [Test]
    public void LoadsTheSelfTestImage()
    {
        var image = ElfImage.Load(TestSupport.SelfTestElf);
        var bytes = TestSupport.SelfTestBytes();

        Assert.That(image.SourceName, Is.EqualTo(TestSupport.SelfTestElf));
        Assert.That(image.EntryPoint, Is.EqualTo(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(24))));
        Assert.That(image.EntryPoint & ~1u, Is.EqualTo(image.FindSymbol("reset_handler")!.Address));
        Assert.That(image.Segments, Has.Count.EqualTo(2));

        var code = image.Segments[0];
        Assert.That(code.PhysicalAddress, Is.Zero);
        Assert.That(code.IsExecutable, Is.True);
        uint fileOffset = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(52 + 4));
        Assert.That(code.FileBytes.ToArray(), Is.EqualTo(bytes.AsSpan((int)fileOffset, code.FileBytes.Length).ToArray()));
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(code.FileBytes.Span), Is.EqualTo(0x2001_0000u), "initial SP in the vector table");

        var bss = image.Segments[1];
        Assert.That(bss.VirtualAddress, Is.EqualTo(0x2000_0000u));
        Assert.That(bss.FileBytes.Length, Is.Zero);
        Assert.That(bss.MemorySize, Is.GreaterThan(0u));
        Assert.That(bss.GetMemoryImage(), Has.Length.EqualTo((int)bss.MemorySize).And.All.EqualTo((byte)0));
    }

    [Test]
    public void ReadsTheGnuBuildIdNote()
    {
        var bytes = TestSupport.SelfTestBytes();
        var image = ElfImage.Parse(bytes, "selftest");

        // Find the note independently: namesz 4, descsz 20, type NT_GNU_BUILD_ID (3), "GNU\0".
        byte[] header = [4, 0, 0, 0, 20, 0, 0, 0, 3, 0, 0, 0, (byte)'G', (byte)'N', (byte)'U', 0];
        int at = bytes.AsSpan().IndexOf(header);
        Assert.That(at, Is.GreaterThan(0));
        var expected = bytes.AsSpan(at + header.Length, 20).ToArray();

        Assert.That(image.BuildId, Is.EqualTo(expected));
        Assert.That(image.BuildIdHex, Is.EqualTo(Convert.ToHexStringLower(expected)));
    }

    [Test]
    public void ImageWithoutBuildIdHasNone()
    {
        var bytes = TestSupport.SelfTestBytes();
        byte[] header = [4, 0, 0, 0, 20, 0, 0, 0, 3, 0, 0, 0];
        int at = bytes.AsSpan().IndexOf(header);
        while (at >= 0)
        {
            bytes[at + 8] = 0x7F; // another note type: no longer a build ID
            int next = bytes.AsSpan(at + 1).IndexOf(header);
            at = next < 0 ? -1 : at + 1 + next;
        }

        Assert.That(ElfImage.Parse(bytes).BuildId, Is.Null);
    }

    [Test]
    public void FindsFunctionsAndOffsets()
    {
        var image = ElfImage.Load(TestSupport.SelfTestElf);
        var main = image.FindSymbol("main");
        Assert.That(main, Is.Not.Null);
        Assert.That(main!.Kind, Is.EqualTo(ElfSymbolKind.Function));
        Assert.That(main.Address & 1, Is.Zero, "the Thumb bit is cleared");
        Assert.That(main.Size, Is.GreaterThan(8u));

        var start = image.FindFunction(main.Address);
        Assert.That(start?.Symbol, Is.EqualTo(main));
        Assert.That(start?.Offset, Is.Zero);
        Assert.That(start?.ToString(), Is.EqualTo("main"));

        var inside = image.FindFunction(main.Address + 6 + 1); // Thumb bit ignored
        Assert.That(inside?.Symbol.Name, Is.EqualTo("main"));
        Assert.That(inside?.Offset, Is.EqualTo(6u));
        Assert.That(image.DescribeAddress(main.Address + 6), Is.EqualTo("main+0x6"));
    }

    [Test]
    public void AddressesOutsideFunctionsHaveNoSymbol()
    {
        var image = ElfImage.Load(TestSupport.SelfTestElf);
        Assert.That(image.FindFunction(0), Is.Null, "the vector table is data");
        Assert.That(image.FindFunction(0x3000_0000), Is.Null);
        Assert.That(image.FindFunction(0x2000_0000), Is.Null);
    }

    [Test]
    public void KeepsDataAndLinkerSymbolsButNotMappingSymbols()
    {
        var image = ElfImage.Load(TestSupport.SelfTestElf);
        Assert.That(image.FindSymbol("__stack_top")?.Address, Is.EqualTo(0x2001_0000u));
        Assert.That(image.FindSymbol("__stack_top")?.Kind, Is.EqualTo(ElfSymbolKind.Other));
        Assert.That(image.FindSymbol("command_line")?.Kind, Is.EqualTo(ElfSymbolKind.Object));
        Assert.That(image.FindSymbol("command_line")?.Size, Is.EqualTo(128u));
        Assert.That(image.Symbols.Select(s => s.Name), Has.None.StartsWith("$"));
        Assert.That(image.FindSymbol("no_such_symbol"), Is.Null);
    }

    [Test]
    public void MissingFileIsUnreadable()
    {
        string path = Path.Combine(TestContext.CurrentContext.WorkDirectory, "does-not-exist.elf");
        var e = Assert.Throws<ElfLoadException>(() => ElfImage.Load(path));
        Assert.That(e!.Problem, Is.EqualTo(ElfProblem.Unreadable));
        Assert.That(e.Message, Does.Contain("does-not-exist.elf"));
    }

    [TestCase(0)]
    [TestCase(3)]
    public void TooShortForTheMagicIsNotElf(int length)
    {
        var e = Assert.Throws<ElfLoadException>(() => ElfImage.Parse(new byte[length], "tiny"));
        Assert.That(e!.Problem, Is.EqualTo(ElfProblem.NotElf));
        Assert.That(e.Message, Does.StartWith("tiny: "));
    }

    [Test]
    public void TextFileIsNotElf()
    {
        var e = Assert.Throws<ElfLoadException>(() => ElfImage.Parse("#!/bin/sh\necho not an image\n"u8.ToArray()));
        Assert.That(e!.Problem, Is.EqualTo(ElfProblem.NotElf));
        Assert.That(e.Message, Does.Contain("magic"));
    }

    [TestCase(5)]
    [TestCase(30)]
    [TestCase(51)]
    public void TruncatedHeader(int length)
    {
        var bytes = TestSupport.SelfTestBytes()[..length];
        var e = Assert.Throws<ElfLoadException>(() => ElfImage.Parse(bytes));
        Assert.That(e!.Problem, Is.EqualTo(ElfProblem.Truncated));
        Assert.That(e.Message, Does.Contain($"{length} bytes"));
    }

    [Test]
    public void Elf64IsTheWrongClass()
    {
        var bytes = TestSupport.SelfTestBytes();
        bytes[4] = 2;
        var e = Assert.Throws<ElfLoadException>(() => ElfImage.Parse(bytes));
        Assert.That(e!.Problem, Is.EqualTo(ElfProblem.WrongClass));
        Assert.That(e.Message, Does.Contain("ELF64"));
    }

    [Test]
    public void BigEndianIsRejected()
    {
        var bytes = TestSupport.SelfTestBytes();
        bytes[5] = 2;
        var e = Assert.Throws<ElfLoadException>(() => ElfImage.Parse(bytes));
        Assert.That(e!.Problem, Is.EqualTo(ElfProblem.WrongEndianness));
        Assert.That(e.Message, Does.Contain("big-endian"));
    }

    [Test]
    public void OtherMachineIsRejected()
    {
        var bytes = TestSupport.SelfTestBytes();
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(18), 3); // EM_386
        var e = Assert.Throws<ElfLoadException>(() => ElfImage.Parse(bytes));
        Assert.That(e!.Problem, Is.EqualTo(ElfProblem.WrongMachine));
        Assert.That(e.Message, Does.Contain("e_machine 3").And.Contain("ARM"));
    }

    [TestCase((ushort)1, "Relocatable")]
    [TestCase((ushort)3, "SharedObject")]
    public void NonExecutableIsRejected(ushort type, string named)
    {
        var bytes = TestSupport.SelfTestBytes();
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(16), type);
        var e = Assert.Throws<ElfLoadException>(() => ElfImage.Parse(bytes));
        Assert.That(e!.Problem, Is.EqualTo(ElfProblem.NotExecutable));
        Assert.That(e.Message, Does.Contain(named));
    }

    [Test]
    public void NoProgramHeadersIsMalformed()
    {
        var bytes = TestSupport.SelfTestBytes();
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(44), 0);
        var e = Assert.Throws<ElfLoadException>(() => ElfImage.Parse(bytes));
        Assert.That(e!.Problem, Is.EqualTo(ElfProblem.Malformed));
        Assert.That(e.Message, Does.Contain("no program headers"));
    }

    [Test]
    public void ProgramHeaderTablePastTheEndIsTruncated()
    {
        var bytes = TestSupport.SelfTestBytes();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(28), (uint)bytes.Length - 40);
        var e = Assert.Throws<ElfLoadException>(() => ElfImage.Parse(bytes));
        Assert.That(e!.Problem, Is.EqualTo(ElfProblem.Truncated));
        Assert.That(e.Message, Does.Contain("program header table"));
    }

    [Test]
    public void SegmentDataPastTheEndIsTruncated()
    {
        var bytes = TestSupport.SelfTestBytes();
        uint codeOffset = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(52 + 4));
        // Cut the file inside the code segment, and drop the section table (which lies after it) so only the segment is short.
        var cut = bytes[..((int)codeOffset + 16)];
        BinaryPrimitives.WriteUInt16LittleEndian(cut.AsSpan(48), 0);
        var e = Assert.Throws<ElfLoadException>(() => ElfImage.Parse(cut));
        Assert.That(e!.Problem, Is.EqualTo(ElfProblem.Truncated), e.Message);
        Assert.That(e.Message, Does.Contain("segment 0"));
    }

    [Test]
    public void SectionTablePastTheEndIsTruncated()
    {
        var bytes = TestSupport.SelfTestBytes();
        var cut = bytes[..^8];
        var e = Assert.Throws<ElfLoadException>(() => ElfImage.Parse(cut));
        Assert.That(e!.Problem, Is.EqualTo(ElfProblem.Truncated));
        Assert.That(e.Message, Does.Contain("section header table"));
    }

    [Test]
    public void MoreFileBytesThanMemoryBytesIsMalformed()
    {
        var bytes = TestSupport.SelfTestBytes();
        uint fileSize = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(52 + 16));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(52 + 20), fileSize - 4);
        var e = Assert.Throws<ElfLoadException>(() => ElfImage.Parse(bytes));
        Assert.That(e!.Problem, Is.EqualTo(ElfProblem.Malformed));
        Assert.That(e.Message, Does.Contain("more file bytes"));
    }

    [Test]
    public void SegmentWrappingTheAddressSpaceIsMalformed()
    {
        var bytes = TestSupport.SelfTestBytes();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(52 + 12), 0xFFFF_FF00);
        var e = Assert.Throws<ElfLoadException>(() => ElfImage.Parse(bytes));
        Assert.That(e!.Problem, Is.EqualTo(ElfProblem.Malformed));
        Assert.That(e.Message, Does.Contain("address space"));
    }

    [Test]
    public void NoLoadableSegmentIsMalformed()
    {
        var bytes = TestSupport.SelfTestBytes();
        int count = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(44));
        for (int i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(52 + 32 * i), 6); // PT_PHDR
        }

        var e = Assert.Throws<ElfLoadException>(() => ElfImage.Parse(bytes));
        Assert.That(e!.Problem, Is.EqualTo(ElfProblem.Malformed));
        Assert.That(e.Message, Does.Contain("PT_LOAD"));
    }

    [Test]
    public void SectionNameTableIndexPastTheTableIsMalformed()
    {
        var bytes = TestSupport.SelfTestBytes();
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(50), 0x7FFF);
        var e = Assert.Throws<ElfLoadException>(() => ElfImage.Parse(bytes));
        Assert.That(e!.Problem, Is.EqualTo(ElfProblem.Malformed));
        Assert.That(e.Message, Does.Contain("section name table"));
    }

    [Test]
    public void ParserFailuresBecomeElfLoadExceptions()
    {
        var bytes = TestSupport.SelfTestBytes();
        // A symbol table whose entries lie past the end of the file: ELFSharp itself throws while reading them.
        int sectionTable = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(32));
        int sections = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(48));
        int symbolTable = Enumerable.Range(0, sections).Single(i => BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(sectionTable + 40 * i + 4)) == 2);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(sectionTable + 40 * symbolTable + 16), (uint)bytes.Length - 8); // sh_offset

        var e = Assert.Throws<ElfLoadException>(() => ElfImage.Parse(bytes, "linked.elf"));
        Assert.That(e!.Problem, Is.EqualTo(ElfProblem.Malformed));
        Assert.That(e.Message, Does.StartWith("linked.elf: malformed ELF file: "));
        Assert.That(e.InnerException, Is.Not.Null);
    }

    [Test]
    public void RandomCorruptionGivesAnImageOrAnElfLoadExceptionOnly()
    {
        var original = TestSupport.SelfTestBytes();
        var random = new Random(20261126);
        int rejected = 0;
        for (int round = 0; round < 400; round++)
        {
            var bytes = (byte[])original.Clone();
            int flips = 1 + random.Next(8);
            for (int i = 0; i < flips; i++)
            {
                // Most damage goes to the headers, where parsers are most fragile.
                int at = random.Next(4) == 0 ? random.Next(bytes.Length) : random.Next(Math.Min(bytes.Length, 52 + 3 * 32));
                bytes[at] = (byte)random.Next(256);
            }

            if (random.Next(3) == 0)
            {
                bytes = bytes[..random.Next(bytes.Length)];
            }

            try
            {
                ElfImage.Parse(bytes, $"round {round}");
            }
            catch (ElfLoadException e)
            {
                rejected++;
                Assert.That(e.Message, Does.StartWith($"round {round}: "));
            }
        }

        Assert.That(rejected, Is.GreaterThan(0));
    }
}
