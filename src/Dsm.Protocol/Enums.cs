namespace Dsm.Protocol;

/// <summary>Frame types.</summary>
public enum MessageType : byte
{
    /// <summary>Device introduces itself (device to host).</summary>
    Hello = 0x01,
    /// <summary>Host accepts the session and sends its nonce.</summary>
    Accept = 0x02,
    /// <summary>Host refuses the session.</summary>
    Reject = 0x03,
    /// <summary>A run of memory of one region.</summary>
    Block = 0x10,
    /// <summary>Per-block CRCs of a flash region.</summary>
    FlashOffer = 0x11,
    /// <summary>Bitmap of the flash blocks the host wants.</summary>
    FlashRequest = 0x12,
    /// <summary>The captured CPU state.</summary>
    CpuState = 0x20,
    /// <summary>Device asks the host to commit the transcript.</summary>
    Commit = 0x30,
    /// <summary>Host has stored the system durably.</summary>
    Committed = 0x31,
    /// <summary>Device confirms that it stopped.</summary>
    Done = 0x32,
    /// <summary>Either side gives up.</summary>
    Abort = 0x3F,
    /// <summary>Ask the peer to send again from a sequence number.</summary>
    Nack = 0x40,
    /// <summary>Host is alive (sent while it stores the system).</summary>
    Keepalive = 0x41,
}

/// <summary>Kinds of memory region in the HELLO region table.</summary>
public enum RegionKind : byte
{
    /// <summary>RAM that is transferred.</summary>
    Sram = 0,
    /// <summary>Flash: offered by CRC and transferred block by block as the host asks.</summary>
    Flash = 1,
    /// <summary>The DSMC's own stack and work area: never transferred, zero on the host.</summary>
    DsmcPrivate = 2,
}

/// <summary>How a BLOCK carries its bytes.</summary>
public enum BlockEncoding : byte
{
    /// <summary>The bytes as they are.</summary>
    Raw = 0,
    /// <summary>All zero; no data.</summary>
    Zero = 1,
    /// <summary>One repeated 32-bit little-endian word.</summary>
    Fill = 2,
    /// <summary>One standard LZ4 block.</summary>
    Lz4 = 3,
}

/// <summary>HELLO capability bits.</summary>
[Flags]
public enum DeviceCapabilities : byte
{
    /// <summary>No capability.</summary>
    None = 0,
    /// <summary>The device can receive: handshake, retransmission and COMMITTED are possible.</summary>
    Backchannel = 0x01,
    /// <summary>The device holds a pre-shared key and MACs its COMMIT.</summary>
    HasKey = 0x02,
    /// <summary>The device may send LZ4 blocks.</summary>
    Lz4 = 0x04,
    /// <summary>The device can offer flash block CRCs.</summary>
    FlashCrc = 0x08,
    /// <summary>Push-only policy: the device stops after sending COMMIT (a move, not a copy).</summary>
    PushMove = 0x10,
    /// <summary>The transcript digest is a CRC-32 instead of SHA-256 (a keyless device too small for SHA-256).</summary>
    CrcTranscript = 0x20,
}

/// <summary>ACCEPT option bits chosen by the host.</summary>
[Flags]
public enum AcceptOptions : byte
{
    /// <summary>No option.</summary>
    None = 0,
    /// <summary>Flash goes by offer and request: only blocks the host lacks travel.</summary>
    FlashDiff = 0x01,
}

/// <summary>Why the host refused a session (REJECT); the device logs it.</summary>
public enum RejectReason : byte
{
    /// <summary>The HELLO protocol version is not spoken by the host.</summary>
    UnsupportedVersion = 1,
    /// <summary>The HELLO is malformed or its region table is invalid.</summary>
    InvalidHello = 2,
    /// <summary>The host requires authentication and has no key for this device.</summary>
    AuthenticationRequired = 3,
    /// <summary>The host cannot take the system now.</summary>
    Busy = 4,
    /// <summary>A host policy refuses this device.</summary>
    PolicyDenied = 5,
}

/// <summary>Why a session was aborted (ABORT).</summary>
public enum AbortReason : byte
{
    /// <summary>The peer broke the protocol.</summary>
    ProtocolError = 1,
    /// <summary>A frame could not be delivered within the retry budget.</summary>
    TooManyRetries = 2,
    /// <summary>The host could not store the system.</summary>
    StorageFailed = 3,
    /// <summary>The COMMIT MAC did not verify.</summary>
    AuthenticationFailed = 4,
    /// <summary>The peer went silent.</summary>
    Timeout = 5,
    /// <summary>The session was cancelled.</summary>
    Cancelled = 6,
    /// <summary>The COMMIT digest does not match what the host received.</summary>
    TranscriptMismatch = 7,
}
