using System.Security.Cryptography;
using Dsm.Emulation.CortexM3.Cpu;

namespace Dsm.Emulation.CortexM3.Tests.Cpu;

/// <summary>
/// The fast loop writes the common operations out a second time for speed; these tests run random instruction
/// streams through it and through the general executor and require identical results, faults and cycle counts.
/// </summary>
public class ExecutorEquivalenceTests
{
    private static readonly Op[] Excluded =
    [
        Op.Undefined, Op.Unpredictable, Op.NoCoprocessor, Op.Svc, Op.Bkpt, Op.Wfi, Op.Wfe,
    ];

    [TestCase(1, 1500)]
    [TestCase(2, 1500)]
    [TestCase(3, 1500)]
    public void FastLoopMatchesTheGeneralExecutor(int seed, int programs) => CompareOnRandomPrograms(seed, programs, familyShare: 0);

    // Encoding families (first-halfword fixed bits, random bits; second-halfword fixed bits, random bits) that
    // uniform random bits rarely hit: indexed byte/halfword/word loads and stores, TBB/TBH, BLX, shifts by register,
    // long multiplies and divides, load and store multiple.
    private static readonly (ushort First, ushort FirstRandom, ushort Second, ushort SecondRandom)[] Families =
    [
        (0xF800, 0x017F, 0x0800, 0xF7FF), // LDR/STR{,B,H,SB,SH} Rt, [Rn, #+/-imm8]{!} and post-indexed
        (0xE8D0, 0x000F, 0xF000, 0x001F), // TBB/TBH [Rn, Rm]
        (0x4780, 0x0078, 0x0000, 0x0000), // BLX Rm
        (0xFA00, 0x007F, 0xF000, 0x0F0F), // LSL/LSR/ASR/ROR{S}.W Rd, Rn, Rm
        (0xFB80, 0x003F, 0x0000, 0xFF0F), // SMULL/UMULL/SDIV/UDIV
        (0xB400, 0x09FF, 0x0000, 0x0000), // PUSH/POP
        (0xC000, 0x0FFF, 0x0000, 0x0000), // LDM/STM (16-bit)
        (0xE800, 0x01BF, 0x0000, 0xFFFF), // LDM/STM{IA,DB}.W
    ];

    [TestCase(11, 1500)]
    [TestCase(12, 1500)]
    public void FastLoopMatchesTheGeneralExecutorOnRarerEncodings(int seed, int programs) => CompareOnRandomPrograms(seed, programs, familyShare: 2);

    // familyShare: in thirds, how many instructions come from Families.
    private static void CompareOnRandomPrograms(int seed, int programs, int familyShare)
    {
        var random = new Random(seed);
        for (int program = 0; program < programs; program++)
        {
            var code = RandomProgram(random, 48, familyShare);
            var registers = new uint[13];
            for (int r = 0; r < registers.Length; r++)
            {
                registers[r] = random.Next(3) switch
                {
                    0 => (uint)random.Next(0x2000, 0x6000) & ~3u,
                    1 => (uint)random.Next(-4, 64),
                    _ => (uint)random.NextInt64(0x1_0000_0000),
                };
            }

            uint flags = (uint)random.Next(32) << 27;
            var fast = Run(code, registers, flags, generalOnly: false);
            var general = Run(code, registers, flags, generalOnly: true);
            Assert.That(fast, Is.EqualTo(general), () => $"program {program}: {string.Join(", ", code.Select(h => $"0x{h:X4}"))}");
        }
    }

    private static ushort[] RandomProgram(Random random, int instructions, int familyShare)
    {
        var code = new List<ushort>();
        while (code.Count < instructions * 2)
        {
            uint bits = (uint)random.NextInt64(0x1_0000_0000);
            ushort first = (ushort)(bits >> 16), second = (ushort)bits;
            if (random.Next(3) < familyShare)
            {
                var family = Families[random.Next(Families.Length)];
                first = (ushort)(family.First | (first & family.FirstRandom));
                second = (ushort)(family.Second | (second & family.SecondRandom));
            }
            else if (random.Next(3) == 0)
            {
                first = (ushort)(first & 0x7FFF | 0x4000); // bias towards 16-bit data processing, loads and stores
            }

            var d = ThumbDecoder.Decode((uint)(0x100 + (code.Count * 2)), first, second);
            if (Array.IndexOf(Excluded, d.Op) >= 0)
            {
                continue;
            }

            code.Add(first);
            if (d.Length == 4)
            {
                code.Add(second);
            }
        }

        return [.. code];
    }

    private static string Run(ushort[] code, uint[] registers, uint flags, bool generalOnly)
    {
        var t = new TestCore().CodeAt(0x100, code).WithFlags(flags);
        t.Cpu.GeneralPathOnly = generalOnly;
        for (int r = 0; r < registers.Length; r++)
        {
            t[r] = registers[r];
        }

        var reason = t.Run(200);
        var memory = new byte[TestCore.RamSize];
        t.Bus.TryPeek(0, memory);
        var registerText = string.Join(" ", Enumerable.Range(0, 16).Select(r => $"{t[r]:X8}"));
        return $"{reason} {t.Cpu.LastFault} {registerText} xpsr={t.Cpu.Xpsr:X8} it={t.Cpu.ItState:X2} " +
            $"n={t.Cpu.Instructions} c={t.Cpu.Cycles} mem={Convert.ToHexString(SHA256.HashData(memory))} mon={t.Cpu.ExclusiveMonitorOpen}";
    }
}
