using Dsm.Emulation.CortexM3.State;

namespace Dsm.Emulation.CortexM3.Memory;

/// <summary>
/// Read-only memory images (flash contents) shared among machines, so that a host running many systems of the
/// same firmware keeps one copy of it (see <see cref="MemoryBus.ShareReadOnlyMemory"/>). Images are held weakly:
/// one no machine uses any more is collected. Thread-safe.
/// </summary>
public sealed class SharedMemoryPool
{
    private readonly Dictionary<(uint Crc, int Length), List<WeakReference<byte[]>>> _images = new();

    /// <summary>Images in the pool still used by some machine.</summary>
    public int Count
    {
        get
        {
            lock (_images)
            {
                return _images.Values.Sum(list => list.Count(w => w.TryGetTarget(out _)));
            }
        }
    }

    /// <summary>
    /// The pool's image with the contents of <paramref name="contents"/>: an earlier array with equal bytes, or
    /// <paramref name="contents"/> itself, which then joins the pool (its owner must no longer write it).
    /// </summary>
    /// <param name="contents">A ROM region's bytes.</param>
    /// <returns>The shared array.</returns>
    public byte[] Intern(byte[] contents)
    {
        ArgumentNullException.ThrowIfNull(contents);
        var key = (Crc32.Compute(contents), contents.Length);
        lock (_images)
        {
            if (!_images.TryGetValue(key, out var candidates))
            {
                _images[key] = candidates = new List<WeakReference<byte[]>>();
            }

            candidates.RemoveAll(w => !w.TryGetTarget(out _));
            foreach (var candidate in candidates)
            {
                if (candidate.TryGetTarget(out var image) && image.AsSpan().SequenceEqual(contents))
                {
                    return image;
                }
            }

            candidates.Add(new WeakReference<byte[]>(contents));
            return contents;
        }
    }
}
