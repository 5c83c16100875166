using Dsm.Emulation.CortexM3.Cpu;

namespace Dsm.Emulation.CortexM3.Tests.Cpu;

public class DecoderTests
{
    // BFollowed is made by the code cache from a B, not by the decoder.
    private static readonly Op[] NeverDecoded = [Op.Invalid, Op.Count, Op.FetchFault, Op.MvnImm, Op.MvnsImm, Op.BFollowed];

    [Test]
    public void EveryNarrowEncodingDecodes()
    {
        for (int hw = 0; hw < 0xE800; hw++)
        {
            var d = ThumbDecoder.Decode(0x1000, (ushort)hw, 0);
            Assert.That(d.Length, Is.EqualTo(2), () => $"{hw:X4}");
            Assert.That(d.Op, Is.Not.EqualTo(Op.Invalid), () => $"{hw:X4}");
        }
    }

    [Test]
    public void EveryWideEncodingDecodes()
    {
        var random = new Random(1234);
        for (int hw1 = 0xE800; hw1 < 0x10000; hw1++)
        {
            for (int k = 0; k < 64; k++)
            {
                var d = ThumbDecoder.Decode(0x1000, (ushort)hw1, (ushort)random.Next(0x10000));
                Assert.That(d.Length, Is.EqualTo(4));
                Assert.That(d.Op, Is.Not.EqualTo(Op.Invalid), () => $"{hw1:X4}");
            }
        }
    }

    [Test]
    public void EveryOperationIsReachableFromSomeTableRow()
    {
        // Instances of each row: its fixed and (0)/(1) bits, every other bit random.
        var seen = new HashSet<Op>();
        var random = new Random(4321);
        foreach (var (table, wide) in new[] { (ThumbDecoder.Thumb16, false), (ThumbDecoder.Thumb32, true) })
        {
            foreach (var row in table)
            {
                uint fixedMask = row.Mask | row.ShouldMask, fixedValue = row.Value | row.ShouldValue;
                for (int k = 0; k < 2000; k++)
                {
                    uint bits = ((uint)random.NextInt64(0x1_0000_0000) & ~fixedMask) | fixedValue;
                    var d = wide
                        ? ThumbDecoder.Decode(0x1000, (ushort)(bits >> 16), (ushort)bits)
                        : ThumbDecoder.Decode(0x1000, (ushort)(bits & 0xFFFF), 0);
                    seen.Add(d.Op);
                }
            }
        }

        var missing = Enum.GetValues<Op>().Except(seen).Except(NeverDecoded).ToList();
        Assert.That(missing, Is.Empty);
    }

    [Test]
    public void TablesHaveNoUnreachableRows()
    {
        foreach (var (table, wide) in new[] { (ThumbDecoder.Thumb16, false), (ThumbDecoder.Thumb32, true) })
        {
            foreach (var row in table)
            {
                // The row's own fixed bits, with every free bit clear, must select the row (or an earlier, more specific one).
                var found = ThumbDecoder.Find(row.Value, wide);
                Assert.That(found, Is.Not.Null, row.Name);
                Assert.That(table.ToList().IndexOf(found!), Is.LessThanOrEqualTo(table.ToList().IndexOf(row)), row.Name);
            }
        }
    }

    [TestCase((ushort)0x1888, (ushort)0, "AddsReg")] // adds r0, r1, r2
    [TestCase((ushort)0x4478, (ushort)0, "AddImm")] // add r0, pc (PC folded into a constant)
    [TestCase((ushort)0x4770, (ushort)0, "Bx")] // bx lr
    [TestCase((ushort)0x4778, (ushort)0, "BxConst")] // bx pc
    [TestCase((ushort)0xBD10, (ushort)0, "LdmPc")] // pop {r4, pc}
    [TestCase((ushort)0xF8DF, (ushort)0xF004, "LdrPc")] // ldr.w pc, [pc, #4]
    [TestCase((ushort)0xF85D, (ushort)0xFB04, "LdrPc")] // ldr pc, [sp], #4
    [TestCase((ushort)0xEA4F, (ushort)0x0031, "MovShf")] // rrx r0, r1
    [TestCase((ushort)0xF3AF, (ushort)0x80F0, "Nop")] // dbg #0
    [TestCase((ushort)0xF3AF, (ushort)0x8100, "Undefined")] // CPS.W does not exist on ARMv7-M
    [TestCase((ushort)0xF3BF, (ushort)0x8F7F, "Undefined")] // SB does not exist on ARMv7-M
    [TestCase((ushort)0xF3EF, (ushort)0x8004, "Unpredictable")] // mrs r0, SYSm=4 (reserved)
    [TestCase((ushort)0xF380, (ushort)0x8400, "Unpredictable")] // msr with mask = 01 (GE bits without DSP)
    [TestCase((ushort)0xF321, (ushort)0x0007, "Undefined")] // SSAT16 (DSP)
    [TestCase((ushort)0xFA80, (ushort)0xF081, "Undefined")] // QADD (DSP)
    [TestCase((ushort)0xFB10, (ushort)0xF001, "Undefined")] // SMULBB (DSP)
    [TestCase((ushort)0xFA01, (ushort)0xF082, "Undefined")] // SXTAH (DSP)
    [TestCase((ushort)0xEAC1, (ushort)0x0002, "Undefined")] // PKHBT (DSP)
    [TestCase((ushort)0xE8C1, (ushort)0x0F72, "Undefined")] // STREXD does not exist on ARMv7-M
    [TestCase((ushort)0xE810, (ushort)0xC000, "Undefined")] // RFE
    [TestCase((ushort)0xFF00, (ushort)0x0000, "Undefined")] // 111x 1111: not coprocessor space on ARMv7-M
    [TestCase((ushort)0xF8BF, (ushort)0xF000, "Nop")] // unallocated halfword hint (LDRH literal with Rt = PC)
    [TestCase((ushort)0xF84F, (ushort)0x0004, "Undefined")] // str r0, [pc, #-4]
    [TestCase((ushort)0xB650, (ushort)0, "Undefined")] // SETEND does not exist on ARMv7-M
    [TestCase((ushort)0xBA80, (ushort)0, "Undefined")] // HLT does not exist on ARMv7-M
    [TestCase((ushort)0xB660, (ushort)0, "Unpredictable")] // cpsie with neither i nor f
    [TestCase((ushort)0xBFF8, (ushort)0, "Unpredictable")] // it with firstcond 1111
    [TestCase((ushort)0xBFEC, (ushort)0, "Unpredictable")] // ite al
    [TestCase((ushort)0xBFE4, (ushort)0, "It")] // itt al
    [TestCase((ushort)0xBFE8, (ushort)0, "It")] // it al
    [TestCase((ushort)0xBF50, (ushort)0, "Nop")] // unallocated 16-bit hint
    [TestCase((ushort)0xB400, (ushort)0, "Unpredictable")] // push {} (empty list)
    [TestCase((ushort)0xC103, (ushort)0, "Unpredictable")] // stmia r1!, {r0, r1}: base stored but not lowest
    public void SpecificEncodings(ushort first, ushort second, string op)
    {
        Assert.That(ThumbDecoder.Decode(0x1000, first, second).Op, Is.EqualTo(Enum.Parse<Op>(op)));
    }

    [Test]
    public void PcRelativeFormsAreResolvedAtDecodeTime()
    {
        var adr = ThumbDecoder.Decode(0x1002, 0xA001, 0); // adr r0, #4 at 0x1002
        Assert.That((adr.Op, adr.Imm), Is.EqualTo((Op.MovImm, 0x1008u)));
        var literal = ThumbDecoder.Decode(0x1002, 0x4801, 0); // ldr r0, [pc, #4]
        Assert.That((literal.Op, literal.Imm), Is.EqualTo((Op.LdrLit, 0x1008u)));
        var branch = ThumbDecoder.Decode(0x1000, 0xF000, 0xF802); // bl .+8
        Assert.That((branch.Op, branch.Imm), Is.EqualTo((Op.Bl, 0x1008u)));
    }

    [Test]
    public void TheDecodedFormIsSixteenBytes()
    {
        Assert.That(System.Runtime.CompilerServices.Unsafe.SizeOf<DecodedInstruction>(), Is.EqualTo(16));
    }
}
