using System.Numerics;
using System.Runtime.InteropServices;

namespace Dsm.Emulation.CortexM3.Memory;

/// <summary>
/// Read-only memory images (flash contents) shared among machines, so that a host running many systems of the
/// same firmware keeps one copy of it (see <see cref="MemoryBus.ShareReadOnlyMemory"/>). Images are held weakly:
/// one no machine uses any more is collected. Thread-safe.
/// </summary>
public sealed class SharedMemoryPool
{
    private readonly Dictionary<(ulong Key, int Length), List<WeakReference<byte[]>>> _images = new();

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
        var key = (ContentKey(contents), contents.Length);
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

    // The lookup key; candidates with the key are compared byte for byte. Four independent multiply-xor lanes over
    // 64-bit words: the byte-wise CRC-32 used before took 1.3 ms for 512 KiB of flash while the device waited for
    // COMMITTED.
    private static ulong ContentKey(ReadOnlySpan<byte> data)
    {
        const ulong Prime = 0x9E37_79B9_7F4A_7C15;
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        ulong a = 1, b = 2, c = 3, d = 4;
        int i = 0;
        for (; i + 4 <= words.Length; i += 4)
        {
            a = (a ^ words[i]) * Prime;
            b = (b ^ words[i + 1]) * Prime;
            c = (c ^ words[i + 2]) * Prime;
            d = (d ^ words[i + 3]) * Prime;
        }

        for (; i < words.Length; i++)
        {
            a = (a ^ words[i]) * Prime;
        }

        foreach (byte tail in data[(words.Length * sizeof(ulong))..])
        {
            b = (b ^ tail) * Prime;
        }

        return a ^ BitOperations.RotateLeft(b, 16) ^ BitOperations.RotateLeft(c, 32) ^ BitOperations.RotateLeft(d, 48);
    }
}
