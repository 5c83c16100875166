using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Dsm.Protocol;

/// <summary>
/// The running digest of a session transcript (docs/protocol.md, "Transcript"): SHA-256, or for a device that
/// announces <see cref="DeviceCapabilities.CrcTranscript"/> the CRC-32 of the same bytes in the digest's first four
/// bytes (little-endian) with the other 28 zero.
/// </summary>
internal sealed class TranscriptHash : IDisposable
{
    private readonly IncrementalHash? _sha;
    private uint _crc = 0xFFFFFFFFu;

    public TranscriptHash(bool crc)
    {
        if (!crc)
        {
            _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        }
    }

    /// <summary>Adds one data frame: its type, its 16-bit length and its payload.</summary>
    public void Append(MessageType type, ReadOnlySpan<byte> payload)
    {
        ReadOnlySpan<byte> head = [(byte)type, (byte)payload.Length, (byte)(payload.Length >> 8)];
        if (_sha is { } sha)
        {
            sha.AppendData(head);
            sha.AppendData(payload);
        }
        else
        {
            _crc = Crc32.Update(Crc32.Update(_crc, head), payload);
        }
    }

    /// <summary>The digest of everything appended so far (<see cref="ProtocolConstants.DigestSize"/> bytes); starts anew.</summary>
    public byte[] GetDigestAndReset()
    {
        if (_sha is { } sha)
        {
            return sha.GetHashAndReset();
        }

        var digest = new byte[ProtocolConstants.DigestSize];
        BinaryPrimitives.WriteUInt32LittleEndian(digest, ~_crc);
        _crc = 0xFFFFFFFFu;
        return digest;
    }

    /// <inheritdoc/>
    public void Dispose() => _sha?.Dispose();
}
