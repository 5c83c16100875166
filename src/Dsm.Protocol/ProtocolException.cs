namespace Dsm.Protocol;

/// <summary>What went wrong in a migration session.</summary>
public enum ProtocolErrorCode
{
    /// <summary>A message payload does not match its layout.</summary>
    MalformedMessage = 1,
    /// <summary>A message arrived that the current state does not allow.</summary>
    UnexpectedMessage,
    /// <summary>The device speaks another protocol version.</summary>
    UnsupportedVersion,
    /// <summary>The region table breaks a rule (count, overlap, size, kind).</summary>
    InvalidRegionTable,
    /// <summary>A block arrived for a later region or position while earlier ones are missing.</summary>
    MissingBlock,
    /// <summary>A block covers bytes that were already received.</summary>
    Overlap,
    /// <summary>A block repeats bytes (or a region) that were already complete.</summary>
    Duplicate,
    /// <summary>A block arrived for an earlier region than the current one.</summary>
    OutOfOrder,
    /// <summary>A length, offset or count exceeds its region or a fixed limit.</summary>
    Oversize,
    /// <summary>An LZ4 block does not decode to its declared length.</summary>
    BadCompression,
    /// <summary>A frame could not be recovered within the retry budget (or at all on a push-only link).</summary>
    TooManyRetries,
    /// <summary>The peer went silent.</summary>
    Timeout,
    /// <summary>The COMMIT digest differs from the host's transcript.</summary>
    TranscriptMismatch,
    /// <summary>The COMMIT MAC does not verify.</summary>
    AuthenticationFailed,
    /// <summary>Authentication is required but the device or host has no key.</summary>
    AuthenticationRequired,
    /// <summary>The host refused the session.</summary>
    Rejected,
    /// <summary>The peer aborted the session.</summary>
    PeerAborted,
    /// <summary>The durable store failed; the device keeps running.</summary>
    StorageFailed,
    /// <summary>The device has no backchannel and the host does not allow push-only sessions.</summary>
    PushOnlyNotAllowed,
    /// <summary>The link closed before the session ended.</summary>
    LinkClosed,
}

/// <summary>A typed protocol failure. Bad input from the link never raises anything else.</summary>
public sealed class ProtocolException : Exception
{
    /// <summary>Creates an exception with a code and a message that says what was wrong.</summary>
    /// <param name="errorCode">The kind of failure.</param>
    /// <param name="message">What exactly was wrong, with the numbers involved.</param>
    /// <param name="innerException">The cause, if another exception led to this one.</param>
    public ProtocolException(ProtocolErrorCode errorCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ErrorCode = errorCode;
    }

    /// <summary>The kind of failure.</summary>
    public ProtocolErrorCode ErrorCode { get; }

    internal static ProtocolException Malformed(MessageType type, string detail) =>
        new(ProtocolErrorCode.MalformedMessage, $"Malformed {type} message: {detail}.");
}
