using System.Text;

namespace Dsm.Protocol;

/// <summary>ACCEPT: the host takes the session; the nonce binds the COMMIT MAC to this session.</summary>
/// <param name="Nonce">Fresh random bytes (<see cref="ProtocolConstants.NonceSize"/>).</param>
/// <param name="Options">What the host chose.</param>
public sealed record AcceptMessage(ReadOnlyMemory<byte> Nonce, AcceptOptions Options) : IProtocolMessage
{
    /// <summary>Payload length of every ACCEPT.</summary>
    public const int Length = ProtocolConstants.NonceSize + 2;

    /// <inheritdoc/>
    public MessageType Type => MessageType.Accept;

    /// <inheritdoc/>
    public int EncodedLength => Length;

    /// <inheritdoc/>
    public void Encode(Span<byte> destination)
    {
        var w = new PayloadWriter(destination);
        w.Bytes(Nonce.Span[..ProtocolConstants.NonceSize]);
        w.U8((byte)Options);
        w.U8(0);
    }

    /// <summary>Parses an ACCEPT payload.</summary>
    /// <param name="payload">The frame payload.</param>
    /// <returns>The message.</returns>
    /// <exception cref="ProtocolException">The layout is broken.</exception>
    public static AcceptMessage Decode(ReadOnlySpan<byte> payload)
    {
        var r = new PayloadReader(payload, MessageType.Accept);
        byte[] nonce = r.Bytes(ProtocolConstants.NonceSize).ToArray();
        var options = (AcceptOptions)r.U8();
        r.Reserved(1);
        r.End();
        if ((options & ~AcceptOptions.FlashDiff) != 0)
        {
            throw ProtocolException.Malformed(MessageType.Accept, $"unknown option bits 0x{(byte)options:X2}");
        }

        return new AcceptMessage(nonce, options);
    }
}

/// <summary>REJECT (host to device) or ABORT (either way): a reason code and a short ASCII text.</summary>
/// <param name="Type">Reject or Abort.</param>
/// <param name="Reason">The <see cref="RejectReason"/> or <see cref="AbortReason"/> value.</param>
/// <param name="Text">Up to 64 printable ASCII characters for logs.</param>
public sealed record ReasonMessage(MessageType Type, byte Reason, string Text) : IProtocolMessage
{
    /// <summary>Longest text carried.</summary>
    public const int MaxTextLength = 64;

    /// <summary>A REJECT.</summary>
    /// <param name="reason">Why.</param>
    /// <param name="text">Details for the device log; cut to <see cref="MaxTextLength"/>.</param>
    /// <returns>The message.</returns>
    public static ReasonMessage Reject(RejectReason reason, string text) => new(MessageType.Reject, (byte)reason, Clip(text));

    /// <summary>An ABORT.</summary>
    /// <param name="reason">Why.</param>
    /// <param name="text">Details for the peer's log; cut to <see cref="MaxTextLength"/>.</param>
    /// <returns>The message.</returns>
    public static ReasonMessage Abort(AbortReason reason, string text) => new(MessageType.Abort, (byte)reason, Clip(text));

    /// <inheritdoc/>
    public int EncodedLength => 2 + Text.Length;

    /// <inheritdoc/>
    public void Encode(Span<byte> destination)
    {
        destination[0] = Reason;
        destination[1] = (byte)Text.Length;
        Encoding.ASCII.GetBytes(Text, destination[2..]);
    }

    /// <summary>Parses a REJECT or ABORT payload.</summary>
    /// <param name="type">Which of the two.</param>
    /// <param name="payload">The frame payload.</param>
    /// <returns>The message; non-printable text bytes become '?'.</returns>
    /// <exception cref="ProtocolException">The layout is broken.</exception>
    public static ReasonMessage Decode(MessageType type, ReadOnlySpan<byte> payload)
    {
        var r = new PayloadReader(payload, type);
        byte reason = r.U8();
        int length = r.U8();
        if (length > MaxTextLength)
        {
            throw ProtocolException.Malformed(type, $"text length {length} exceeds {MaxTextLength}");
        }

        var text = r.Bytes(length);
        r.End();
        var chars = new char[length];
        for (int i = 0; i < length; i++)
        {
            chars[i] = text[i] is >= 0x20 and <= 0x7E ? (char)text[i] : '?';
        }

        return new ReasonMessage(type, reason, new string(chars));
    }

    private static string Clip(string text)
    {
        var chars = text.Length > MaxTextLength ? text[..MaxTextLength].ToCharArray() : text.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            if (chars[i] is < ' ' or > '~')
            {
                chars[i] = '?';
            }
        }

        return new string(chars);
    }
}

/// <summary>COMMIT: the transcript digest and, for a keyed device, HMAC-SHA256(key, nonce || digest).</summary>
/// <param name="Digest">SHA-256 of the transcript.</param>
/// <param name="Mac">The HMAC, or empty when the device has no key.</param>
public sealed record CommitMessage(ReadOnlyMemory<byte> Digest, ReadOnlyMemory<byte> Mac) : IProtocolMessage
{
    /// <inheritdoc/>
    public MessageType Type => MessageType.Commit;

    /// <summary>True when a MAC is present.</summary>
    public bool HasMac => !Mac.IsEmpty;

    /// <inheritdoc/>
    public int EncodedLength => 4 + ProtocolConstants.DigestSize + (HasMac ? ProtocolConstants.DigestSize : 0);

    /// <inheritdoc/>
    public void Encode(Span<byte> destination)
    {
        var w = new PayloadWriter(destination);
        w.U8(HasMac ? (byte)1 : (byte)0);
        w.Zeros(3);
        w.Bytes(Digest.Span);
        w.Bytes(Mac.Span);
    }

    /// <summary>Parses a COMMIT payload.</summary>
    /// <param name="payload">The frame payload.</param>
    /// <returns>The message.</returns>
    /// <exception cref="ProtocolException">The layout is broken.</exception>
    public static CommitMessage Decode(ReadOnlySpan<byte> payload)
    {
        var r = new PayloadReader(payload, MessageType.Commit);
        byte flags = r.U8();
        if (flags > 1)
        {
            throw ProtocolException.Malformed(MessageType.Commit, $"unknown flag bits 0x{flags:X2}");
        }

        r.Reserved(3);
        byte[] digest = r.Bytes(ProtocolConstants.DigestSize).ToArray();
        byte[] mac = flags == 1 ? r.Bytes(ProtocolConstants.DigestSize).ToArray() : [];
        r.End();
        return new CommitMessage(digest, mac);
    }
}

/// <summary>COMMITTED (host: stored durably) or DONE (device: stopped); both echo the transcript digest.</summary>
/// <param name="Type">Committed or Done.</param>
/// <param name="Digest">The transcript digest of the session.</param>
public sealed record DigestMessage(MessageType Type, ReadOnlyMemory<byte> Digest) : IProtocolMessage
{
    /// <inheritdoc/>
    public int EncodedLength => ProtocolConstants.DigestSize;

    /// <inheritdoc/>
    public void Encode(Span<byte> destination) => Digest.Span[..ProtocolConstants.DigestSize].CopyTo(destination);

    /// <summary>Parses a COMMITTED or DONE payload.</summary>
    /// <param name="type">Which of the two.</param>
    /// <param name="payload">The frame payload.</param>
    /// <returns>The message.</returns>
    /// <exception cref="ProtocolException">The layout is broken.</exception>
    public static DigestMessage Decode(MessageType type, ReadOnlySpan<byte> payload)
    {
        var r = new PayloadReader(payload, type);
        byte[] digest = r.Bytes(ProtocolConstants.DigestSize).ToArray();
        r.End();
        return new DigestMessage(type, digest);
    }
}

/// <summary>NACK: send again starting with this sequence number (go-back-N).</summary>
/// <param name="ExpectedSequence">The first sequence number the sender of the NACK lacks.</param>
public readonly record struct NackMessage(ushort ExpectedSequence) : IProtocolMessage
{
    /// <inheritdoc/>
    public MessageType Type => MessageType.Nack;

    /// <inheritdoc/>
    public int EncodedLength => 4;

    /// <inheritdoc/>
    public void Encode(Span<byte> destination)
    {
        var w = new PayloadWriter(destination);
        w.U16(ExpectedSequence);
        w.U16(0);
    }

    /// <summary>Parses a NACK payload.</summary>
    /// <param name="payload">The frame payload.</param>
    /// <returns>The message.</returns>
    /// <exception cref="ProtocolException">The layout is broken.</exception>
    public static NackMessage Decode(ReadOnlySpan<byte> payload)
    {
        var r = new PayloadReader(payload, MessageType.Nack);
        ushort expected = r.U16();
        r.Reserved(2);
        r.End();
        return new NackMessage(expected);
    }
}

/// <summary>KEEPALIVE: empty; the host is busy storing and the device should keep waiting.</summary>
public readonly record struct KeepaliveMessage : IProtocolMessage
{
    /// <inheritdoc/>
    public MessageType Type => MessageType.Keepalive;

    /// <inheritdoc/>
    public int EncodedLength => 0;

    /// <inheritdoc/>
    public void Encode(Span<byte> destination)
    {
    }
}
