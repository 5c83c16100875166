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
