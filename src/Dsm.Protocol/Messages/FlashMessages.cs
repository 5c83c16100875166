namespace Dsm.Protocol;

/// <summary>FLASH_OFFER: CRC-32 of consecutive blocks of one flash region.</summary>
/// <param name="RegionIndex">Index into the region table.</param>
/// <param name="IsLast">True on the final offer frame of the session.</param>
/// <param name="FirstBlock">Index of the first block covered.</param>
/// <param name="Crcs">One CRC per block (1 to <see cref="ProtocolConstants.MaxOfferBlocks"/>).</param>
public sealed record FlashOfferMessage(byte RegionIndex, bool IsLast, ushort FirstBlock, IReadOnlyList<uint> Crcs) : IProtocolMessage
{
    /// <inheritdoc/>
    public MessageType Type => MessageType.FlashOffer;

    /// <inheritdoc/>
    public int EncodedLength => 8 + (4 * Crcs.Count);

    /// <inheritdoc/>
    public void Encode(Span<byte> destination)
    {
        var w = new PayloadWriter(destination);
        w.U8(RegionIndex);
        w.U8(IsLast ? (byte)1 : (byte)0);
        w.U16(FirstBlock);
        w.U16(checked((ushort)Crcs.Count));
        w.U16(0);
        foreach (uint crc in Crcs)
        {
            w.U32(crc);
        }
    }

    /// <summary>Parses a FLASH_OFFER payload.</summary>
    /// <param name="payload">The frame payload.</param>
    /// <returns>The message.</returns>
    /// <exception cref="ProtocolException">The layout or a fixed limit is broken.</exception>
    public static FlashOfferMessage Decode(ReadOnlySpan<byte> payload)
    {
        var r = new PayloadReader(payload, MessageType.FlashOffer);
        byte region = r.U8();
        byte flags = r.U8();
        ushort first = r.U16(), count = r.U16();
        r.Reserved(2);
        if (flags > 1 || count is 0 or > ProtocolConstants.MaxOfferBlocks)
        {
            throw ProtocolException.Malformed(MessageType.FlashOffer, $"flags 0x{flags:X2}, block count {count} (1 to {ProtocolConstants.MaxOfferBlocks})");
        }

        var crcs = new uint[count];
        for (int i = 0; i < count; i++)
        {
            crcs[i] = r.U32();
        }

        r.End();
        return new FlashOfferMessage(region, flags == 1, first, crcs);
    }
}

/// <summary>FLASH_REQUEST: which of consecutive blocks of one flash region the host wants (bit i, LSB first, is block FirstBlock + i).</summary>
/// <param name="RegionIndex">Index into the region table.</param>
/// <param name="IsLast">True on the final request frame of the session.</param>
/// <param name="FirstBlock">Index of the first block covered.</param>
/// <param name="BlockCount">Blocks covered (1 to <see cref="ProtocolConstants.MaxRequestBlocks"/>).</param>
/// <param name="Bitmap">ceil(BlockCount / 8) bytes.</param>
public sealed record FlashRequestMessage(byte RegionIndex, bool IsLast, ushort FirstBlock, ushort BlockCount, ReadOnlyMemory<byte> Bitmap) : IProtocolMessage
{
    /// <inheritdoc/>
    public MessageType Type => MessageType.FlashRequest;

    /// <inheritdoc/>
    public int EncodedLength => 8 + ((BlockCount + 7) / 8);

    /// <summary>True when block <paramref name="index"/> (relative to <see cref="FirstBlock"/>) is requested.</summary>
    /// <param name="index">0 to <see cref="BlockCount"/> - 1.</param>
    /// <returns>Whether the host wants it.</returns>
    public bool IsRequested(int index) => (Bitmap.Span[index >> 3] & (1 << (index & 7))) != 0;

    /// <inheritdoc/>
    public void Encode(Span<byte> destination)
    {
        var w = new PayloadWriter(destination);
        w.U8(RegionIndex);
        w.U8(IsLast ? (byte)1 : (byte)0);
        w.U16(FirstBlock);
        w.U16(BlockCount);
        w.U16(0);
        w.Bytes(Bitmap.Span[..((BlockCount + 7) / 8)]);
    }

    /// <summary>Parses a FLASH_REQUEST payload.</summary>
    /// <param name="payload">The frame payload.</param>
    /// <returns>The message.</returns>
    /// <exception cref="ProtocolException">The layout or a fixed limit is broken.</exception>
    public static FlashRequestMessage Decode(ReadOnlySpan<byte> payload)
    {
        var r = new PayloadReader(payload, MessageType.FlashRequest);
        byte region = r.U8();
        byte flags = r.U8();
        ushort first = r.U16(), count = r.U16();
        r.Reserved(2);
        if (flags > 1 || count is 0 or > ProtocolConstants.MaxRequestBlocks)
        {
            throw ProtocolException.Malformed(MessageType.FlashRequest, $"flags 0x{flags:X2}, block count {count} (1 to {ProtocolConstants.MaxRequestBlocks})");
        }

        byte[] bitmap = r.Bytes((count + 7) / 8).ToArray();
        r.End();
        return new FlashRequestMessage(region, flags == 1, first, count, bitmap);
    }
}
