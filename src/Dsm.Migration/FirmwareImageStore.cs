using System.Collections.Concurrent;
using Dsm.Emulation.CortexM3.Elf;
using Dsm.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dsm.Migration;

/// <summary>
/// Firmware images the host already has, as ELF files in a directory, keyed by their GNU build-id.
/// A device whose firmware is here sends only the flash blocks that differ from it.
/// </summary>
public sealed class FirmwareImageStore : IFirmwareImageStore
{
    private readonly ConcurrentDictionary<string, ElfImage> _images = new(StringComparer.Ordinal);
    private readonly ILogger _logger;

    /// <summary>Creates an empty store.</summary>
    /// <param name="logger">Logger for images added or rejected.</param>
    public FirmwareImageStore(ILogger<FirmwareImageStore>? logger = null)
    {
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Number of images known.</summary>
    public int Count => _images.Count;

    /// <summary>Adds every readable ELF with a build-id in <paramref name="directory"/> (not recursive).</summary>
    /// <param name="directory">Directory of ELF files.</param>
    /// <returns>How many images were added.</returns>
    public int AddDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            _logger.LogWarning("Firmware image directory {Directory} does not exist", directory);
            return 0;
        }

        int added = 0;
        foreach (var path in Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal))
        {
            try
            {
                if (Add(ElfImage.Load(path)))
                {
                    added++;
                }
            }
            catch (ElfLoadException ex)
            {
                _logger.LogDebug("Skipping {Path}: {Reason}", path, ex.Message);
            }
        }

        return added;
    }

    /// <summary>Adds one image.</summary>
    /// <param name="image">An ELF image.</param>
    /// <returns>False if it has no build-id (it cannot be matched to a device).</returns>
    public bool Add(ElfImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.BuildIdHex is not { } key)
        {
            _logger.LogWarning("{Image} has no GNU build-id note and cannot be matched to devices", image.SourceName);
            return false;
        }

        _images[key] = image;
        _logger.LogInformation("Firmware {BuildId} from {Image}", key, image.SourceName);
        return true;
    }

    /// <summary>Finds the image with <paramref name="buildId"/>.</summary>
    /// <param name="buildId">Build-id bytes.</param>
    /// <returns>The image or null.</returns>
    public ElfImage? Find(ReadOnlySpan<byte> buildId) =>
        buildId.IsEmpty ? null : _images.GetValueOrDefault(Convert.ToHexStringLower(buildId));

    /// <inheritdoc />
    public ValueTask<ReadOnlyMemory<byte>?> FindFlashImageAsync(ReadOnlyMemory<byte> buildId, RegionDescriptor region, CancellationToken cancellationToken)
    {
        var image = Find(buildId.Span);
        return ValueTask.FromResult(image is null ? null : (ReadOnlyMemory<byte>?)RenderRegion(image, region.Base, region.Size));
    }

    /// <summary>
    /// The bytes an image puts into [<paramref name="baseAddress"/>, +<paramref name="size"/>): segment file
    /// bytes at their load addresses, erased flash (0xFF) elsewhere, cut after the last byte the image defines.
    /// </summary>
    /// <param name="image">The image.</param>
    /// <param name="baseAddress">Region start.</param>
    /// <param name="size">Region size.</param>
    /// <returns>The region's contents as the image defines them.</returns>
    public static byte[] RenderRegion(ElfImage image, uint baseAddress, uint size)
    {
        ArgumentNullException.ThrowIfNull(image);
        ulong end = (ulong)baseAddress + size;
        ulong used = 0;
        foreach (var segment in image.Segments)
        {
            ulong segEnd = (ulong)segment.PhysicalAddress + (ulong)segment.FileBytes.Length;
            if (segment.FileBytes.Length > 0 && segment.PhysicalAddress < end && segEnd > baseAddress)
            {
                used = Math.Max(used, Math.Min(segEnd, end) - baseAddress);
            }
        }

        var bytes = new byte[used];
        bytes.AsSpan().Fill(0xFF);
        foreach (var segment in image.Segments)
        {
            ulong start = segment.PhysicalAddress;
            ulong segEnd = start + (ulong)segment.FileBytes.Length;
            if (segment.FileBytes.Length == 0 || start >= end || segEnd <= baseAddress)
            {
                continue;
            }

            ulong from = Math.Max(start, baseAddress);
            ulong to = Math.Min(segEnd, end);
            segment.FileBytes.Span.Slice((int)(from - start), (int)(to - from)).CopyTo(bytes.AsSpan((int)(from - baseAddress)));
        }

        return bytes;
    }
}
