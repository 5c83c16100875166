using Dsm.Emulation.CortexM3.Elf;
using Dsm.Protocol;

namespace Dsm.Migration.Tests;

public class FirmwareImageStoreTests
{
    private static string SampleElf => Path.Combine(TestSystems.RepositoryRoot(), "samples", "firmware", "bin", "app-mb9bf506n.elf");

    [Test]
    public async Task FindsAnImageByBuildIdAndRendersItsFlash()
    {
        var image = ElfImage.Load(SampleElf);
        var store = new FirmwareImageStore();
        Assert.That(store.Add(image), Is.True);

        var flash = await store.FindFlashImageAsync(image.BuildId, new RegionDescriptor(RegionKind.Flash, 0, 512 * 1024), CancellationToken.None);

        Assert.That(flash, Is.Not.Null);
        var bytes = flash!.Value.ToArray();
        foreach (var segment in image.Segments.Where(s => s.FileBytes.Length > 0 && s.PhysicalAddress < 512 * 1024))
        {
            Assert.That(bytes.AsSpan((int)segment.PhysicalAddress, segment.FileBytes.Length).ToArray(), Is.EqualTo(segment.FileBytes.ToArray()),
                $"segment at 0x{segment.PhysicalAddress:X8}");
        }

        Assert.That(bytes.Length, Is.LessThan(512 * 1024), "the rendering stops after the last byte the image defines");
    }

    [Test]
    public async Task AnEmulatedFm3HoldsExactlyTheFlashTheStoreRenders()
    {
        // The flash diff then sends nothing for a known firmware: erased flash reads 0xFF, and the zeros of a
        // segment that runs elsewhere (.data's .bss tail) are not written into flash, as a flash programmer would not.
        var image = ElfImage.Load(Path.Combine(TestSystems.RepositoryRoot(), "samples", "firmware", "bin", "app-mb9bf506n-dsmc.elf"));
        Assert.That(image.Segments.Any(s => s.PhysicalAddress != s.VirtualAddress && s.MemorySize > s.FileBytes.Length),
            "the sample has a .data segment with a .bss tail: the case this test is about");
        var machine = Dsm.Emulation.CortexM3.Machine.Create(Dsm.Peripherals.FM3.Mb9bf506n.Definition());
        machine.LoadElf(image);
        var device = new byte[512 * 1024];
        Assert.That(machine.Bus.TryPeek(0, device), Is.True);
        var store = new FirmwareImageStore();
        store.Add(image);
        var rendered = (await store.FindFlashImageAsync(image.BuildId, new RegionDescriptor(RegionKind.Flash, 0, 512 * 1024), CancellationToken.None))!.Value.ToArray();

        Assert.Multiple(() =>
        {
            Assert.That(device.AsSpan(0, rendered.Length).SequenceEqual(rendered), Is.True, "the flash as the store renders it");
            Assert.That(device.AsSpan(rendered.Length).ContainsAnyExcept((byte)0xFF), Is.False, "erased flash past the image");
        });

        // Snapshots leave the erased pages out (memory section format 3) and bring them back.
        byte[] state = machine.ExportState();
        Assert.That(state.Length, Is.LessThan(128 * 1024), "the 0xFF pages of flash are not stored");
        var copy = Dsm.Emulation.CortexM3.Machine.Create(Dsm.Peripherals.FM3.Mb9bf506n.Definition());
        copy.Bus.Load(0x0004_0000, new byte[] { 1, 2, 3 });   // a page the import must erase again
        copy.ImportState(state);
        var copied = new byte[512 * 1024];
        Assert.That(copy.Bus.TryPeek(0, copied), Is.True);
        Assert.That(copied, Is.EqualTo(device));
    }

    [Test]
    public async Task UnknownBuildIdIsNotFound()
    {
        var store = new FirmwareImageStore();
        store.Add(ElfImage.Load(SampleElf));
        var flash = await store.FindFlashImageAsync(new byte[20], new RegionDescriptor(RegionKind.Flash, 0, 4096), CancellationToken.None);
        Assert.That(flash, Is.Null);
    }

    [Test]
    public void RenderRegionFillsGapsWithErasedFlashAndClipsToTheRegion()
    {
        var image = ElfImage.Load(SampleElf);
        var text = image.Segments.First(s => s.FileBytes.Length > 16 && s.PhysicalAddress < 512 * 1024);
        uint start = text.PhysicalAddress + 4;
        var clipped = FirmwareImageStore.RenderRegion(image, start, 8);
        Assert.That(clipped, Is.EqualTo(text.FileBytes.Slice(4, 8).ToArray()));
    }

    [Test]
    public void AddDirectorySkipsFilesThatAreNotElf()
    {
        string dir = Directory.CreateTempSubdirectory("dsm-images-").FullName;
        try
        {
            File.Copy(SampleElf, Path.Combine(dir, "app.elf"));
            File.WriteAllText(Path.Combine(dir, "notes.txt"), "not an ELF");
            var store = new FirmwareImageStore();
            Assert.That(store.AddDirectory(dir), Is.EqualTo(1));
            Assert.That(store.Count, Is.EqualTo(1));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
