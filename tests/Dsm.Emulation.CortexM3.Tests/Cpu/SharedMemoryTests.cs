using Dsm.Emulation.CortexM3.Cpu;
using Dsm.Emulation.CortexM3.Memory;

namespace Dsm.Emulation.CortexM3.Tests.Cpu;

/// <summary>ROM images shared among machines (hosting density): shared while equal, private after a host store.</summary>
[Parallelizable(ParallelScope.All)]
public class SharedMemoryTests
{
    private const uint FlashBase = 0x0000_0000;
    private const uint FlashSize = 0x1000;
    private const uint RamBase = 0x2000_0000;

    // movs r0, #1; bkpt -- then at 0x10: ldr r1, [r2]; bkpt
    private static readonly ushort[] Program = [0x2001, 0xBE00, 0, 0, 0, 0, 0, 0, 0x6811, 0xBE00];

    [Test]
    public void MachinesWithTheSameFlashShareOneArray()
    {
        var pool = new SharedMemoryPool();
        var (busA, _) = NewSystem();
        var (busB, _) = NewSystem();
        Assert.That(busA.ShareReadOnlyMemory(pool), Is.EqualTo(0), "the first image joins the pool");
        Assert.That(busB.ShareReadOnlyMemory(pool), Is.EqualTo(FlashSize), "the second reuses it");
        Assert.That(Flash(busB).Data, Is.SameAs(Flash(busA).Data));
        Assert.That(Flash(busA).IsBackingShared && Flash(busB).IsBackingShared, Is.True);
        Assert.That(pool.Count, Is.EqualTo(1));
    }

    [Test]
    public void DifferentFlashIsNotShared()
    {
        var pool = new SharedMemoryPool();
        var (busA, _) = NewSystem();
        var (busB, _) = NewSystem();
        busB.Load(FlashBase + 0x100, [1, 2, 3]);
        busA.ShareReadOnlyMemory(pool);
        Assert.That(busB.ShareReadOnlyMemory(pool), Is.EqualTo(0));
        Assert.That(Flash(busB).Data, Is.Not.SameAs(Flash(busA).Data));
        Assert.That(pool.Count, Is.EqualTo(2));
    }

    [TestCase(4096, 2048)]
    [TestCase(4096, 4095)]
    [TestCase(4093, 4092)] // a length past the last whole 8-byte word: the difference is in the tail
    [TestCase(24, 0)]
    public void InterningSharesEqualBytesOnlyWhateverByteDiffers(int length, int differentAt)
    {
        var pool = new SharedMemoryPool();
        var random = new Random(length + differentAt);
        var first = new byte[length];
        random.NextBytes(first);
        var equal = (byte[])first.Clone();
        var other = (byte[])first.Clone();
        other[differentAt] ^= 0x01;

        Assert.That(pool.Intern(first), Is.SameAs(first));
        Assert.That(pool.Intern(equal), Is.SameAs(first), "equal bytes: the pool's array");
        Assert.That(pool.Intern(other), Is.SameAs(other), "one bit apart: its own array");
        Assert.That(pool.Intern((byte[])other.Clone()), Is.SameAs(other));
        Assert.That(pool.Count, Is.EqualTo(2));
    }

    [Test]
    public void HostStoreIntoSharedFlashStaysInItsOwnMachine()
    {
        var ((busA, cpuA), (busB, cpuB)) = SharedPair();

        // Both cores read the data word at 0x100 through their fast maps (built over the shared array).
        busA.Load(RamBase, [0]);
        Assert.That(ReadWord(cpuA, 0x100), Is.EqualTo(0u));
        Assert.That(ReadWord(cpuB, 0x100), Is.EqualTo(0u));

        busA.Load(FlashBase + 0x100, [0x78, 0x56, 0x34, 0x12]);

        Assert.That(ReadWord(cpuA, 0x100), Is.EqualTo(0x1234_5678u), "the writer sees its store");
        Assert.That(ReadWord(cpuB, 0x100), Is.EqualTo(0u), "the other machine keeps the shared image");
        Assert.That(Flash(busA).IsBackingShared, Is.False);
        Assert.That(Flash(busB).IsBackingShared, Is.True);
        Assert.That(Flash(busB).Data![0x100], Is.EqualTo(0));
    }

    [Test]
    public void DecodedCodeOverSharedFlashIsSharedUntilAHostStoreGivesAMachineItsOwnCopy()
    {
        var ((busA, cpuA), (busB, cpuB)) = SharedPair();
        Assert.That(RunFromZero(cpuA), Is.EqualTo(1u));
        long decodedByA = cpuA.CodeCache.BlocksDecoded;
        Assert.That(RunFromZero(cpuB), Is.EqualTo(1u));
        Assert.That((decodedByA, cpuB.CodeCache.BlocksDecoded), Is.EqualTo((1L, 0L)), "B runs the block A decoded from the shared image");

        busA.Load(FlashBase, [0x09, 0x20]); // movs r0, #9 over the shared movs r0, #1

        Assert.That(RunFromZero(cpuA), Is.EqualTo(9u), "A decodes its own copy");
        Assert.That(cpuA.CodeCache.BlocksDecoded, Is.EqualTo(2L));
        Assert.That(RunFromZero(cpuB), Is.EqualTo(1u), "B still runs the shared image's block");
        Assert.Multiple(() =>
        {
            Assert.That(cpuB.CodeCache.BlocksDecoded, Is.Zero);
            Assert.That(cpuA.CodeCache.BlocksInvalidated + cpuB.CodeCache.BlocksInvalidated, Is.Zero, "shared blocks are never invalidated");
        });
    }

    [Test]
    public void ClearingOneCoresCodeCacheLeavesTheSharedBlocksToTheOthers()
    {
        var ((_, cpuA), (_, cpuB)) = SharedPair();
        Assert.That(RunFromZero(cpuA), Is.EqualTo(1u));
        cpuA.InvalidateCodeCache();
        Assert.That(RunFromZero(cpuB), Is.EqualTo(1u));
        Assert.That(RunFromZero(cpuA), Is.EqualTo(1u));
        Assert.That(cpuB.CodeCache.BlocksDecoded, Is.Zero, "the shared block survived A's clear");
    }

    [Test]
    public void CoreThatDecodedPrivateFlashSwitchesToTheSharedCodeWhenItsFlashJoinsThePool()
    {
        var pool = new SharedMemoryPool();
        var a = NewSystem();
        var b = NewSystem();
        a.Bus.ShareReadOnlyMemory(pool);
        Assert.That(RunFromZero(a.Cpu), Is.EqualTo(1u));
        Assert.That(RunFromZero(b.Cpu), Is.EqualTo(1u), "B decodes its private flash");
        b.Bus.ShareReadOnlyMemory(pool);
        Assert.That(RunFromZero(b.Cpu), Is.EqualTo(1u));
        Assert.That(b.Cpu.CodeCache.BlocksDecoded, Is.EqualTo(1L), "then runs the block A decoded from the shared image");
        b.Bus.Load(FlashBase, [0x07, 0x20]); // movs r0, #7: B's private copy again
        Assert.That(RunFromZero(b.Cpu), Is.EqualTo(7u));
        Assert.That(RunFromZero(a.Cpu), Is.EqualTo(1u));
    }

    [Test]
    public void CoresOnManyThreadsDecodeASharedImageOnce()
    {
        var pool = new SharedMemoryPool();
        var systems = Enumerable.Range(0, 8).Select(_ => NewSystem()).ToArray();
        foreach (var (bus, _) in systems)
        {
            bus.ShareReadOnlyMemory(pool);
        }

        var results = new uint[systems.Length];
        Parallel.For(0, systems.Length, i => results[i] = RunFromZero(systems[i].Cpu));
        Assert.That(results, Is.All.EqualTo(1u));
        Assert.That(systems.Sum(s => s.Cpu.CodeCache.BlocksDecoded), Is.EqualTo(1L), "decoded under the shared cache's lock, once");
    }

    [Test]
    public void GuestStoresToFlashStillFailAfterSharing()
    {
        var ((busA, _), (busB, _)) = SharedPair();
        Assert.That(busA.TryWrite(FlashBase + 0x200, 4, 0xFFFF_FFFF), Is.False);
        Assert.That(Flash(busB).Data![0x200], Is.EqualTo(0));
    }

    // Two systems with the same flash, sharing it.
    private static ((MemoryBus Bus, CortexM3Cpu Cpu) A, (MemoryBus Bus, CortexM3Cpu Cpu) B) SharedPair()
    {
        var pool = new SharedMemoryPool();
        var a = NewSystem();
        var b = NewSystem();
        a.Bus.ShareReadOnlyMemory(pool);
        b.Bus.ShareReadOnlyMemory(pool);
        return (a, b);
    }

    private static (MemoryBus Bus, CortexM3Cpu Cpu) NewSystem()
    {
        var bus = new MemoryBus();
        bus.AddRom("flash", FlashBase, FlashSize);
        bus.AddRam("sram", RamBase, 0x1000);
        var bytes = new byte[Program.Length * 2];
        for (int i = 0; i < Program.Length; i++)
        {
            bytes[2 * i] = (byte)Program[i];
            bytes[(2 * i) + 1] = (byte)(Program[i] >> 8);
        }

        bus.Load(FlashBase, bytes);
        var cpu = new CortexM3Cpu(bus) { Sp = RamBase + 0x1000 };
        return (bus, cpu);
    }

    private static MemoryRegion Flash(MemoryBus bus) => bus.Regions.Single(r => r.Name == "flash");

    private static uint RunFromZero(CortexM3Cpu cpu)
    {
        cpu.Pc = FlashBase;
        Assert.That(cpu.Run(5), Is.EqualTo(StopReason.Breakpoint));
        return cpu.GetRegister(0);
    }

    // ldr r1, [r2] at 0x10 with r2 = address: the core's own load path.
    private static uint ReadWord(CortexM3Cpu cpu, uint address)
    {
        cpu.SetRegister(2, address);
        cpu.Pc = FlashBase + 0x10;
        Assert.That(cpu.Run(5), Is.EqualTo(StopReason.Breakpoint));
        return cpu.GetRegister(1);
    }
}
