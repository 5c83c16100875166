using Dsm.Emulation.CortexM3.Memory;
using Dsm.Emulation.CortexM3.Semihosting;

namespace Dsm.Runtime.Tests;

public class SemihostingHeapInfoTests
{
    private static IReadOnlyList<MemoryRegion> Mps2Regions()
    {
        var bus = new MemoryBus();
        bus.AddRam("ssram1", 0x0000_0000, 4 << 20);
        bus.AddRam("blockram", 0x0100_0000, 16 << 10);
        bus.AddRam("ssram23", 0x2000_0000, 4 << 20);
        bus.AddRam("psram", 0x2100_0000, 16 << 20);
        return bus.Regions;
    }

    [Test]
    public void LargestRamWhenNothingIsLoadedThere()
    {
        // What qemu-system-arm -M mps2-an385 returns for an image in SSRAM1 and SSRAM2/3.
        var info = SemihostingHeapInfo.FromLayout(Mps2Regions(), [(0u, 0x3E9u), (0x2000_0000u, 0x80u)]);
        Assert.That(info, Is.EqualTo(new SemihostingHeapInfo(0x2100_0000, 0x2200_0000, 0x2200_0000, 0x2100_0000)));
    }

    [Test]
    public void LargestGapAroundLoadedBytes()
    {
        var info = SemihostingHeapInfo.FromLayout(Mps2Regions(), [(0x2100_0000u, 0x1000u), (0x2180_0000u, 0x10u)]);
        Assert.That(info.HeapBase, Is.EqualTo(0x2180_0010u), "the top part is larger than the bottom part");
        Assert.That(info.HeapLimit, Is.EqualTo(0x2200_0000u));
        Assert.That(info.StackBase, Is.EqualTo(info.HeapLimit));
        Assert.That(info.StackLimit, Is.EqualTo(info.HeapBase));
    }

    [Test]
    public void GapBelowLoadedBytes()
    {
        var info = SemihostingHeapInfo.FromLayout(Mps2Regions(), [(0x21F0_0000u, 0x10_0000u)]);
        Assert.That((info.HeapBase, info.HeapLimit), Is.EqualTo((0x2100_0000u, 0x21F0_0000u)));
    }

    [Test]
    public void OverlappingLoadsMerge()
    {
        var info = SemihostingHeapInfo.FromLayout(Mps2Regions(), [(0x2100_0000u, 0x90_0000u), (0x2100_0000u, 0x20_0000u), (0x2180_0000u, 0x70_0000u)]);
        Assert.That((info.HeapBase, info.HeapLimit), Is.EqualTo((0x21F0_0000u, 0x2200_0000u)), "the loads cover 0x21000000..0x21F00000 without a gap");
    }

    [Test]
    public void FirstRamWinsATie()
    {
        var bus = new MemoryBus();
        bus.AddRam("high", 0x2000_0000, 0x1000);
        bus.AddRam("low", 0x1000_0000, 0x1000);
        var info = SemihostingHeapInfo.FromLayout(bus.Regions, []);
        Assert.That(info.HeapBase, Is.EqualTo(0x1000_0000u));
    }

    [Test]
    public void RomIsNotHeap()
    {
        var bus = new MemoryBus();
        bus.AddRom("flash", 0, 0x10_0000);
        bus.AddRam("sram", 0x2000_0000, 0x8000);
        var info = SemihostingHeapInfo.FromLayout(bus.Regions, []);
        Assert.That((info.HeapBase, info.HeapLimit), Is.EqualTo((0x2000_0000u, 0x2000_8000u)));
    }

    [Test]
    public void NoRamGivesZeros()
    {
        var bus = new MemoryBus();
        bus.AddRom("flash", 0, 0x1000);
        Assert.That(SemihostingHeapInfo.FromLayout(bus.Regions, []), Is.EqualTo(default(SemihostingHeapInfo)));
    }

    [Test]
    public void FullyLoadedRamGivesAnEmptyHeap()
    {
        var bus = new MemoryBus();
        bus.AddRam("sram", 0x2000_0000, 0x1000);
        var info = SemihostingHeapInfo.FromLayout(bus.Regions, [(0x2000_0000u, 0x1000u)]);
        Assert.That(info.HeapLimit - info.HeapBase, Is.Zero);
    }
}
