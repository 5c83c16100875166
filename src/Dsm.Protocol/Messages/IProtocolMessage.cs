namespace Dsm.Protocol;

/// <summary>A message that can be written as the payload of a frame.</summary>
public interface IProtocolMessage
{
    /// <summary>The frame type that carries this message.</summary>
    MessageType Type { get; }

    /// <summary>Payload bytes <see cref="Encode"/> writes.</summary>
    int EncodedLength { get; }

    /// <summary>Writes the payload into the first <see cref="EncodedLength"/> bytes of <paramref name="destination"/>.</summary>
    /// <param name="destination">Room for at least <see cref="EncodedLength"/> bytes.</param>
    void Encode(Span<byte> destination);
}
