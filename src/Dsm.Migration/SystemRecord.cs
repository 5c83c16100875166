using System.Buffers.Binary;
using Dsm.Protocol;

namespace Dsm.Migration;

/// <summary>
/// The durable form of an arrived system: what the device sent (HELLO, regions, CPU state and the session's
/// identity), in a small versioned file with a CRC-32 over everything. Importing it again reruns the DSMC's
/// second half, so a host that crashed before its first snapshot still resumes the system exactly.
/// </summary>
/// <remarks>
/// Layout (little-endian): magic "DSMSYS" + version u16; system id (16 bytes); received-at (Unix ms, i64);
/// flags u8 (bit0 authenticated, bit1 push-only); nonce (u16 length + bytes); digest (u16 length + bytes);
/// HELLO payload (u32 length + bytes, protocol encoding); CPU_STATE payload (u32 length + bytes);
/// region count u16, then per region: kind u8, base u32, size u32, contents length u32, contents;
/// CRC-32 (IEEE) of all preceding bytes. Version 2 stores a flash region without its erased tail: contents
/// shorter than the region continue with 0xFF up to its size (a 512 KiB part with a 40 KiB image then costs
/// 40 KiB, written and made durable while the device waits for COMMITTED). Version 1 records still read.
/// </remarks>
public static class SystemRecord
{
    private const ushort Version = 2;
    private const byte Erased = 0xFF;
    private static ReadOnlySpan<byte> Magic => "DSMSYS"u8;

    /// <summary>Serializes an arrived system.</summary>
    /// <param name="id">The host's id for the system.</param>
    /// <param name="receivedAt">When it arrived.</param>
    /// <param name="system">The system.</param>
    /// <returns>The record bytes.</returns>
    public static byte[] Write(Guid id, DateTimeOffset receivedAt, EmigratedSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        var hello = new byte[system.Hello.EncodedLength];
        system.Hello.Encode(hello);
        var cpu = new byte[system.CpuState.EncodedLength];
        system.CpuState.Encode(cpu);

        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(Version);
            w.Write(id.ToByteArray());
            w.Write(receivedAt.ToUnixTimeMilliseconds());
            w.Write((byte)((system.IsAuthenticated ? 1 : 0) | (system.IsPushOnly ? 2 : 0)));
            WriteShortBlob(w, system.SessionNonce.Span);
            WriteShortBlob(w, system.TranscriptDigest.Span);
            w.Write(hello.Length);
            w.Write(hello);
            w.Write(cpu.Length);
            w.Write(cpu);
            w.Write((ushort)system.Regions.Count);
            foreach (var region in system.Regions)
            {
                w.Write((byte)region.Descriptor.Kind);
                w.Write(region.Descriptor.Base);
                w.Write(region.Descriptor.Size);
                var contents = region.Contents.Span;
                if (region.Descriptor.Kind == RegionKind.Flash)
                {
                    contents = contents[..(contents.LastIndexOfAnyExcept(Erased) + 1)];
                }

                w.Write(contents.Length);
                w.Write(contents);
            }
        }

        uint crc = Crc32.Compute(stream.GetBuffer().AsSpan(0, (int)stream.Length));
        Span<byte> trailer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, crc);
        stream.Write(trailer);
        return stream.ToArray();
    }

    /// <summary>Reads a record written by <see cref="Write"/>.</summary>
    /// <param name="bytes">The record.</param>
    /// <returns>The id, arrival time and system.</returns>
    /// <exception cref="InvalidDataException">The record is truncated, corrupted or of an unknown version.</exception>
    public static (Guid Id, DateTimeOffset ReceivedAt, EmigratedSystem System) Read(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Magic.Length + 2 + 4 || !bytes.StartsWith(Magic))
        {
            throw new InvalidDataException("Not a Dsm system record.");
        }

        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(bytes[^4..]);
        if (Crc32.Compute(bytes[..^4]) != stored)
        {
            throw new InvalidDataException("System record is corrupted (CRC mismatch).");
        }

        var r = new SpanReader(bytes[Magic.Length..^4]);
        ushort version = r.U16();
        if (version is not (1 or Version))
        {
            throw new InvalidDataException($"System record version {version} is not supported (expected 1 to {Version}).");
        }

        try
        {
            var id = new Guid(r.Bytes(16));
            var receivedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.I64());
            byte flags = r.U8();
            var nonce = r.Bytes(r.U16()).ToArray();
            var digest = r.Bytes(r.U16()).ToArray();
            var hello = HelloMessage.Decode(r.Bytes(r.Length32()));
            var cpu = CpuStateMessage.Decode(r.Bytes(r.Length32()));
            int count = r.U16();
            var regions = new List<RegionImage>(count);
            for (int i = 0; i < count; i++)
            {
                var kind = (RegionKind)r.U8();
                uint baseAddress = r.U32();
                uint size = r.U32();
                var kept = r.Bytes(r.Length32());
                byte[] contents;
                if (kind == RegionKind.Flash && kept.Length < size)
                {
                    // The erased tail a version 2 record leaves out.
                    contents = GC.AllocateUninitializedArray<byte>((int)Math.Min(size, (uint)Array.MaxLength));
                    kept.CopyTo(contents);
                    contents.AsSpan(kept.Length).Fill(Erased);
                }
                else
                {
                    contents = kept.ToArray();
                }

                regions.Add(new RegionImage(new RegionDescriptor(kind, baseAddress, size), contents));
            }

            if (!r.AtEnd)
            {
                throw new InvalidDataException("System record has trailing bytes.");
            }

            var system = new EmigratedSystem
            {
                Hello = hello,
                Regions = regions,
                CpuState = cpu,
                SessionNonce = nonce,
                TranscriptDigest = digest,
                IsAuthenticated = (flags & 1) != 0,
                IsPushOnly = (flags & 2) != 0,
            };
            return (id, receivedAt, system);
        }
        catch (ProtocolException ex)
        {
            throw new InvalidDataException($"System record holds an invalid message: {ex.Message}", ex);
        }
    }

    private static void WriteShortBlob(BinaryWriter w, ReadOnlySpan<byte> blob)
    {
        w.Write((ushort)blob.Length);
        w.Write(blob);
    }

    private ref struct SpanReader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _rest = data;

        public readonly bool AtEnd => _rest.IsEmpty;

        public ReadOnlySpan<byte> Bytes(int count)
        {
            if (count < 0 || count > _rest.Length)
            {
                throw new InvalidDataException("System record is truncated.");
            }

            var result = _rest[..count];
            _rest = _rest[count..];
            return result;
        }

        public byte U8() => Bytes(1)[0];

        public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2));

        public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4));

        public long I64() => BinaryPrimitives.ReadInt64LittleEndian(Bytes(8));

        public int Length32()
        {
            uint length = U32();
            return length > int.MaxValue ? throw new InvalidDataException("System record length out of range.") : (int)length;
        }
    }
}
