using System.Buffers.Binary;
using K4os.Compression.LZ4;

namespace Dsm.Protocol;

/// <summary>BLOCK: <see cref="Length"/> bytes of a region starting at <see cref="Offset"/>, in one of four encodings.</summary>
/// <remarks>A decoded block refers to the frame payload buffer; copy or decode it before reading the next frame.</remarks>
public readonly struct BlockMessage : IProtocolMessage
{
    /// <summary>Payload bytes before the data.</summary>
    public const int HeaderLength = 12;

    /// <summary>Creates a block.</summary>
    /// <param name="regionIndex">Index into the HELLO region table.</param>
    /// <param name="encoding">How <paramref name="data"/> represents the bytes.</param>
    /// <param name="offset">Offset of the first byte inside the region.</param>
    /// <param name="length">Decoded length.</param>
    /// <param name="data">Raw bytes, LZ4 block, the 4-byte fill word, or empty for zero.</param>
    public BlockMessage(byte regionIndex, BlockEncoding encoding, uint offset, uint length, ReadOnlyMemory<byte> data)
    {
        RegionIndex = regionIndex;
        Encoding = encoding;
        Offset = offset;
        Length = length;
        Data = data;
    }

    /// <summary>Index into the HELLO region table.</summary>
    public byte RegionIndex { get; }

    /// <summary>How <see cref="Data"/> represents the bytes.</summary>
    public BlockEncoding Encoding { get; }

    /// <summary>Offset of the first byte inside the region.</summary>
    public uint Offset { get; }

    /// <summary>Decoded length in bytes.</summary>
    public uint Length { get; }

    /// <summary>Raw bytes, LZ4 block, the 4-byte little-endian fill word, or empty.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <inheritdoc/>
    public MessageType Type => MessageType.Block;

    /// <inheritdoc/>
    public int EncodedLength => HeaderLength + Data.Length;

    /// <inheritdoc/>
    public void Encode(Span<byte> destination)
    {
        var w = new PayloadWriter(destination);
        w.U8(RegionIndex);
        w.U8((byte)Encoding);
        w.U16(0);
        w.U32(Offset);
        w.U32(Length);
        w.Bytes(Data.Span);
    }

    /// <summary>Parses a BLOCK payload and checks the encoding-specific lengths.</summary>
    /// <param name="payload">The frame payload; <see cref="Data"/> refers into it.</param>
    /// <returns>The message.</returns>
    /// <exception cref="ProtocolException">The layout or a fixed limit is broken.</exception>
    public static BlockMessage Decode(ReadOnlyMemory<byte> payload)
    {
        var r = new PayloadReader(payload.Span, MessageType.Block);
        byte region = r.U8();
        var encoding = (BlockEncoding)r.U8();
        r.Reserved(2);
        uint offset = r.U32(), length = r.U32();
        int dataLength = r.Remaining;
        if (length == 0)
        {
            throw ProtocolException.Malformed(MessageType.Block, "length is 0");
        }

        int expected = encoding switch
        {
            BlockEncoding.Zero => 0,
            BlockEncoding.Fill => 4,
            BlockEncoding.Raw => (int)Math.Min(length, int.MaxValue),
            BlockEncoding.Lz4 => dataLength,
            _ => throw ProtocolException.Malformed(MessageType.Block, $"unknown encoding {(byte)encoding}"),
        };
        if (encoding is BlockEncoding.Raw or BlockEncoding.Lz4 && length > ProtocolConstants.BlockSize)
        {
            throw new ProtocolException(ProtocolErrorCode.Oversize,
                $"{encoding} block at offset {offset} of region {region} declares {length} bytes; at most {ProtocolConstants.BlockSize} are allowed.");
        }

        if (dataLength != expected || (encoding == BlockEncoding.Lz4 && dataLength == 0))
        {
            throw ProtocolException.Malformed(MessageType.Block, $"{encoding} block of {length} bytes carries {dataLength} data bytes");
        }

        return new BlockMessage(region, encoding, offset, length, payload[HeaderLength..]);
    }

    /// <summary>Writes the decoded bytes into <paramref name="destination"/>, which must be exactly <see cref="Length"/> long.</summary>
    /// <param name="destination">Target bytes.</param>
    /// <exception cref="ProtocolException">The LZ4 data does not decode to exactly <see cref="Length"/> bytes.</exception>
    public void DecodeInto(Span<byte> destination)
    {
        if ((uint)destination.Length != Length)
        {
            throw new ArgumentException($"Destination has {destination.Length} bytes; the block holds {Length}.", nameof(destination));
        }

        switch (Encoding)
        {
            case BlockEncoding.Zero:
                destination.Clear();
                break;
            case BlockEncoding.Fill:
                FillWord(destination, BinaryPrimitives.ReadUInt32LittleEndian(Data.Span));
                break;
            case BlockEncoding.Raw:
                Data.Span.CopyTo(destination);
                break;
            default:
                int written = LZ4Codec.Decode(Data.Span, destination);
                if (written != destination.Length)
                {
                    throw new ProtocolException(ProtocolErrorCode.BadCompression,
                        $"LZ4 block at offset {Offset} of region {RegionIndex} decodes to {(written < 0 ? "an error" : written + " bytes")}, not {Length}.");
                }

                break;
        }
    }

    private static void FillWord(Span<byte> destination, uint word)
    {
        if (destination.Length % 4 != 0)
        {
            throw ProtocolException.Malformed(MessageType.Block, $"fill run of {destination.Length} bytes is not a whole number of words");
        }

        if (BitConverter.IsLittleEndian)
        {
            System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(destination).Fill(word);
            return;
        }

        for (int i = 0; i < destination.Length; i += 4)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(destination[i..], word);
        }
    }
}
