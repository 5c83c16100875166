using Dsm.Protocol;

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
    public void ErasedFlashPastTheLastProgrammedByteIsLeftOutAndReadsBackErased()
    {
        var system = TestSystems.Fm3();
        var flash = new byte[512 * 1024];
        flash.AsSpan().Fill(0xFF);
        flash[0] = 0x12;
        flash[4095] = 0x34; // the last programmed byte
        flash[100] = 0xFF;
        system = system with
        {
            Regions = [new RegionImage(new RegionDescriptor(RegionKind.Flash, 0, (uint)flash.Length), flash), .. system.Regions.Skip(1)],
        };

        var bytes = SystemRecord.Write(Guid.NewGuid(), DateTimeOffset.UnixEpoch, system);
        var (_, _, read) = SystemRecord.Read(bytes);

        Assert.Multiple(() =>
        {
            Assert.That(bytes, Has.Length.LessThan(4096 + 2048), "508 KiB of erased flash are not stored");
            Assert.That(read.Regions[0].Contents.ToArray(), Is.EqualTo(flash));
            Assert.That(read.Regions[1].Contents.ToArray(), Is.EqualTo(system.Regions[1].Contents.ToArray()));
        });
    }

    [Test]
    public void AVersionOneRecordWithTheWholeFlashStillReads()
    {
        var system = TestSystems.Fm3();
        var flash = system.Regions[0].Contents.ToArray();
        var v1 = VersionOne(SystemRecord.Write(Guid.NewGuid(), DateTimeOffset.UnixEpoch, system));

        var (_, _, read) = SystemRecord.Read(v1);

        Assert.That(read.Regions[0].Contents.ToArray(), Is.EqualTo(flash));
    }

    // The same record as version 1 wrote it: TestSystems' flash has no erased tail, so only the version and CRC differ.
    private static byte[] VersionOne(byte[] record)
    {
        var copy = (byte[])record.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(6), 1);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(copy.Length - 4), Dsm.Protocol.Crc32.Compute(copy.AsSpan(0, copy.Length - 4)));
        return copy;
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
