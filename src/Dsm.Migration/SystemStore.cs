using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dsm.Migration;

/// <summary>Where a stored system stands in its hand-over from the device.</summary>
public enum HandOverState
{
    /// <summary>Stored, COMMITTED not yet sent: the device still owns the system.</summary>
    Stored,

    /// <summary>COMMITTED was sent; the device's DONE was not seen (the host may have crashed in between).</summary>
    Committed,

    /// <summary>The device confirmed with DONE that it stopped: the host owns the system.</summary>
    Confirmed,

    /// <summary>Stopped on the host by request; kept for inspection, never resumed automatically.</summary>
    Stopped,
}

/// <summary>One system found in the store.</summary>
/// <param name="Id">The host's id of the system.</param>
/// <param name="State">How far the hand-over got.</param>
/// <param name="RecordPath">The arrival record.</param>
/// <param name="SnapshotPath">The newest machine snapshot, or null if none was taken.</param>
public sealed record StoredSystem(Guid Id, HandOverState State, string RecordPath, string? SnapshotPath);

/// <summary>
/// Durable storage of hosted systems in a directory: the arrival record (<c>ID.system</c>), the newest
/// machine snapshot (<c>ID.snapshot</c>) and the hand-over state (<c>ID.state</c>). Every file is
/// written to a temporary name, flushed to the disk and renamed, and the directory is flushed after the rename,
/// so a crash or power loss leaves either the old or the new file, never a torn one, and a write that returned
/// stays written.
/// </summary>
public sealed class SystemStore
{
    private readonly ILogger _logger;
    private bool _warnedNoDirectoryFlush;

    /// <summary>Opens (and creates) the store in <paramref name="directory"/>.</summary>
    /// <param name="directory">The state directory.</param>
    /// <param name="logger">Logger.</param>
    public SystemStore(string directory, ILogger<SystemStore>? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = System.IO.Directory.CreateDirectory(directory).FullName;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The directory holding the files.</summary>
    public string Directory { get; }

    /// <summary>Flushes the directory after a rename (tests observe it); returns false where the file system cannot.</summary>
    internal Func<string, bool> FlushDirectory { get; init; } = DirectorySync.Flush;

    /// <summary>Writes the arrival record of a system; returns when it is on disk.</summary>
    /// <param name="id">System id.</param>
    /// <param name="record">Bytes from <see cref="SystemRecord.Write"/>.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the record is durable.</returns>
    public async Task WriteRecordAsync(Guid id, byte[] record, CancellationToken cancellationToken)
    {
        // No state file yet means Stored (List): a second durable write here cost 1-4 ms between COMMIT and
        // COMMITTED, where the device waits.
        await WriteDurablyAsync(PathOf(id, "system"), record, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes a machine snapshot of a running system, replacing the previous one.</summary>
    /// <param name="id">System id.</param>
    /// <param name="snapshot">Machine state image bytes.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the snapshot is durable.</returns>
    public Task WriteSnapshotAsync(Guid id, byte[] snapshot, CancellationToken cancellationToken) =>
        WriteDurablyAsync(PathOf(id, "snapshot"), snapshot, cancellationToken);

    /// <summary>Records how far the hand-over of a system got.</summary>
    /// <param name="id">System id.</param>
    /// <param name="state">The new state.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the state is durable.</returns>
    public Task SetStateAsync(Guid id, HandOverState state, CancellationToken cancellationToken) =>
        WriteDurablyAsync(PathOf(id, "state"), System.Text.Encoding.ASCII.GetBytes(state.ToString()), cancellationToken);

    /// <summary>Lists the systems in the store (ignores leftovers of interrupted writes).</summary>
    /// <returns>The stored systems, oldest record first.</returns>
    public IReadOnlyList<StoredSystem> List()
    {
        var result = new List<(DateTime, StoredSystem)>();
        foreach (var recordPath in System.IO.Directory.EnumerateFiles(Directory, "*.system"))
        {
            if (!Guid.TryParse(Path.GetFileNameWithoutExtension(recordPath), out var id))
            {
                continue;
            }

            var state = HandOverState.Stored;
            string statePath = PathOf(id, "state");
            if (File.Exists(statePath) && Enum.TryParse<HandOverState>(File.ReadAllText(statePath).Trim(), out var parsed))
            {
                state = parsed;
            }

            string snapshotPath = PathOf(id, "snapshot");
            result.Add((File.GetLastWriteTimeUtc(recordPath), new StoredSystem(id, state, recordPath, File.Exists(snapshotPath) ? snapshotPath : null)));
        }

        return result.OrderBy(r => r.Item1).Select(r => r.Item2).ToList();
    }

    /// <summary>Deletes every file of a system.</summary>
    /// <param name="id">System id.</param>
    public void Delete(Guid id)
    {
        foreach (var kind in new[] { "system", "snapshot", "state" })
        {
            File.Delete(PathOf(id, kind));
        }
    }

    private string PathOf(Guid id, string kind) => Path.Combine(Directory, $"{id:D}.{kind}");

    private async Task WriteDurablyAsync(string path, byte[] bytes, CancellationToken cancellationToken)
    {
        string temp = path + ".tmp";
        var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous);
        await using (stream.ConfigureAwait(false))
        {
            await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
        if (!FlushDirectory(Directory) && !_warnedNoDirectoryFlush)
        {
            _warnedNoDirectoryFlush = true;
            _logger.LogWarning("The file system of {Directory} cannot flush a directory: a power loss right after a write may undo its rename", Directory);
        }

        _logger.LogDebug("Wrote {Path} ({Bytes} bytes)", path, bytes.Length);
    }
}
