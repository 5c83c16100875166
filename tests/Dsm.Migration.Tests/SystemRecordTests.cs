namespace Dsm.Migration.Tests;

public class SystemRecordTests
{
    [Test]
    public void RoundTripKeepsEverythingTheImportNeeds()
    {
        var system = TestSystems.Fm3();
        var id = Guid.NewGuid();
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000);

        var (readId, readAt, read) = SystemRecord.Read(SystemRecord.Write(id, at, system));

        Assert.Multiple(() =>
        {
            Assert.That(readId, Is.EqualTo(id));
            Assert.That(readAt, Is.EqualTo(at));
            Assert.That(read.Hello.BoardId, Is.EqualTo("mb9bf506n"));
            Assert.That(read.Hello.BuildId.ToArray(), Is.EqualTo(system.Hello.BuildId.ToArray()));
            Assert.That(read.CpuState.Pc, Is.EqualTo(system.CpuState.Pc));
            Assert.That(read.CpuState.Msp, Is.EqualTo(system.CpuState.Msp));
            Assert.That(read.CpuState.R, Is.EqualTo(system.CpuState.R));
            Assert.That(read.CpuState.IsExceptionActive(20), Is.True);
            Assert.That(read.CpuState.IsExceptionActive(15), Is.True);
            Assert.That(read.CpuState.IsExceptionActive(16), Is.False);
            Assert.That(read.Regions, Has.Count.EqualTo(3));
            Assert.That(read.Regions[1].Contents.ToArray(), Is.EqualTo(system.Regions[1].Contents.ToArray()));
            Assert.That(read.SessionNonce.ToArray(), Is.EqualTo(system.SessionNonce.ToArray()));
            Assert.That(read.IsAuthenticated, Is.True);
            Assert.That(read.IsPushOnly, Is.False);
        });
    }

    [Test]
    public void AnyFlippedByteIsDetected()
    {
        var bytes = SystemRecord.Write(Guid.NewGuid(), DateTimeOffset.UnixEpoch, TestSystems.Fm3());
        for (int i = 0; i < bytes.Length; i += 37)
        {
            var copy = (byte[])bytes.Clone();
            copy[i] ^= 0x10;
            Assert.That(() => SystemRecord.Read(copy), Throws.TypeOf<InvalidDataException>(), $"flip at {i}");
        }
    }

    [Test]
    public void TruncationIsDetected()
    {
        var bytes = SystemRecord.Write(Guid.NewGuid(), DateTimeOffset.UnixEpoch, TestSystems.Fm3());
        foreach (int length in new[] { 0, 3, 8, 40, bytes.Length / 2, bytes.Length - 1 })
        {
            Assert.That(() => SystemRecord.Read(bytes.AsSpan(0, length)), Throws.TypeOf<InvalidDataException>(), $"length {length}");
        }
    }
}
