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
