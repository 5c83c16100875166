using System.Runtime.InteropServices;

namespace Dsm.Migration;

/// <summary>
/// Makes a rename in a directory durable. A rename changes the directory, not the file: on Linux (ext4, xfs) the
/// renamed file can come back under its old name, or not at all, after a power loss unless the directory itself
/// is flushed. Windows (NTFS journals the rename) needs nothing here.
/// </summary>
internal static partial class DirectorySync
{
    private const int ReadOnly = 0; // O_RDONLY: opening a directory for reading is enough to fsync it
    private const int InvalidArgument = 22; // EINVAL: the file system cannot flush directories (some FUSE mounts)
    private const int NotSupported = 95; // EOPNOTSUPP on Linux

    /// <summary>Flushes <paramref name="directory"/>'s entries to the disk; false where the file system cannot.</summary>
    /// <param name="directory">An existing directory.</param>
    /// <returns>True when flushed (or nothing is needed on this platform), false when the file system does not support it.</returns>
    /// <exception cref="IOException">The directory cannot be opened or the flush failed.</exception>
    public static bool Flush(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return true;
        }

        int fd = Open(directory, ReadOnly);
        if (fd < 0)
        {
            throw new IOException($"Cannot open {directory} to flush it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (FileSync(fd) == 0)
            {
                return true;
            }

            int error = Marshal.GetLastPInvokeError();
            if (error is InvalidArgument or NotSupported)
            {
                return false;
            }

            throw new IOException($"Flushing {directory} failed (errno {error}).");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FileSync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
