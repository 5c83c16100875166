namespace Dsm.Migration.Tests;

public class SystemStoreTests
{
    private string _directory = null!;

    [SetUp]
    public void CreateDirectory() => _directory = Directory.CreateTempSubdirectory("dsm-store-").FullName;

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(_directory, recursive: true);

    [Test]
    public async Task RecordsStatesAndSnapshotsAreListed()
    {
        var store = new SystemStore(_directory);
        var first = Guid.NewGuid();
        var second = Guid.NewGuid();
        await store.WriteRecordAsync(first, [1, 2, 3], CancellationToken.None);
        await store.WriteRecordAsync(second, [4, 5], CancellationToken.None);
        await store.SetStateAsync(first, HandOverState.Confirmed, CancellationToken.None);
        await store.WriteSnapshotAsync(first, [9, 9], CancellationToken.None);

        var listed = store.List().ToDictionary(s => s.Id);

        Assert.Multiple(() =>
        {
            Assert.That(listed.Keys, Is.EquivalentTo(new[] { first, second }));
            Assert.That(listed[first].State, Is.EqualTo(HandOverState.Confirmed));
            Assert.That(listed[first].SnapshotPath, Is.Not.Null);
            Assert.That(File.ReadAllBytes(listed[first].SnapshotPath!), Is.EqualTo(new byte[] { 9, 9 }));
            Assert.That(listed[second].State, Is.EqualTo(HandOverState.Stored));
            Assert.That(listed[second].SnapshotPath, Is.Null);
            Assert.That(Directory.GetFiles(_directory, "*.tmp"), Is.Empty);
        });
    }

    [Test]
    public async Task LeftoversOfAnInterruptedWriteAreIgnoredAndReplaced()
    {
        var store = new SystemStore(_directory);
        var id = Guid.NewGuid();
        await store.WriteRecordAsync(id, [1], CancellationToken.None);
        File.WriteAllBytes(Path.Combine(_directory, $"{id:D}.snapshot.tmp"), [0xDE, 0xAD]);

        Assert.That(store.List().Single().SnapshotPath, Is.Null);
        await store.WriteSnapshotAsync(id, [7], CancellationToken.None);
        Assert.That(File.ReadAllBytes(store.List().Single().SnapshotPath!), Is.EqualTo(new byte[] { 7 }));
    }

    [Test]
    public async Task EveryWriteFlushesTheDirectoryAfterItsRenameAndReturnsOnlyThen()
    {
        // The rename is what makes a write visible; until the directory is flushed a power loss can undo it.
        var flushes = new List<(string Directory, string[] Files)>();
        var store = new SystemStore(_directory)
        {
            FlushDirectory = directory =>
            {
                flushes.Add((directory, Directory.GetFiles(directory).Select(f => Path.GetFileName(f)).ToArray()));
                return true;
            },
        };
        var id = Guid.NewGuid();

        await store.WriteRecordAsync(id, [1], CancellationToken.None);
        await store.SetStateAsync(id, HandOverState.Committed, CancellationToken.None);
        await store.WriteSnapshotAsync(id, [2], CancellationToken.None);

        Assert.That(flushes.Select(f => f.Directory), Is.EqualTo(Enumerable.Repeat(store.Directory, 3)));
        Assert.That(flushes[0].Files, Is.EqualTo(new[] { $"{id:D}.system" }), "flushed after the record's rename, no temporary left");
        Assert.That(flushes[1].Files, Does.Contain($"{id:D}.state").And.Not.Contain($"{id:D}.state.tmp"));
        Assert.That(flushes[2].Files, Does.Contain($"{id:D}.snapshot").And.Not.Contain($"{id:D}.snapshot.tmp"));
    }

    [Test]
    public async Task AFileSystemThatCannotFlushDirectoriesStillStores()
    {
        int calls = 0;
        var store = new SystemStore(_directory) { FlushDirectory = _ => { calls++; return false; } };
        var id = Guid.NewGuid();
        await store.WriteRecordAsync(id, [5], CancellationToken.None);
        await store.WriteRecordAsync(Guid.NewGuid(), [6], CancellationToken.None);
        Assert.That(calls, Is.EqualTo(2));
        Assert.That(store.List(), Has.Count.EqualTo(2));
    }

    [Test]
    public void TheRealDirectoryFlushWorksHereAndReportsAMissingDirectory()
    {
        Assert.That(DirectorySync.Flush(_directory), Is.True, "a local temporary directory can be flushed");
        if (!OperatingSystem.IsWindows())
        {
            Assert.Throws<IOException>(() => DirectorySync.Flush(Path.Combine(_directory, "missing")));
        }
    }

    [Test]
    public async Task DeleteRemovesEveryFile()
    {
        var store = new SystemStore(_directory);
        var id = Guid.NewGuid();
        await store.WriteRecordAsync(id, [1], CancellationToken.None);
        await store.WriteSnapshotAsync(id, [2], CancellationToken.None);
        store.Delete(id);
        Assert.That(Directory.GetFiles(_directory), Is.Empty);
    }
}
