namespace Dsm.Protocol;

/// <summary>The host's firmware image store: flash contents keyed by GNU build-id (from ELF files).</summary>
public interface IFirmwareImageStore
{
    /// <summary>Finds the bytes of one flash region of the firmware with <paramref name="buildId"/>.</summary>
    /// <param name="buildId">The build-id from HELLO.</param>
    /// <param name="region">The flash region (base and size) asked for.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The region's bytes (may be shorter than the region), or null when the firmware is unknown.</returns>
    ValueTask<ReadOnlyMemory<byte>?> FindFlashImageAsync(ReadOnlyMemory<byte> buildId, RegionDescriptor region, CancellationToken cancellationToken);
}

/// <summary>Durable storage for received systems.</summary>
public interface IEmigratedSystemStore
{
    /// <summary>Stores <paramref name="system"/> so that it survives a host crash; returns only when it is durable.</summary>
    /// <param name="system">The validated system.</param>
    /// <param name="cancellationToken">Cancels the store; the device then keeps running.</param>
    /// <returns>A task that completes when the system is durable.</returns>
    Task StoreAsync(EmigratedSystem system, CancellationToken cancellationToken);
}

/// <summary>
/// Optionally implemented by an <see cref="IEmigratedSystemStore"/> that prepares for a system while its memory
/// streams in (building the machine that will host it, say), so that less is left for the device's wait between
/// COMMIT and COMMITTED. The receiver calls it once per session, when it has accepted the HELLO.
/// </summary>
public interface ISessionPreparer
{
    /// <summary>A session was accepted; <see cref="IEmigratedSystemStore.StoreAsync"/> may follow. Must return at once (start work in the background) and never throw.</summary>
    /// <param name="hello">The device's HELLO.</param>
    void Prepare(HelloMessage hello);
}

/// <summary>
/// Optionally implemented by an <see cref="IEmigratedSystemStore"/> that wants to record that COMMITTED went
/// out: after that instant the device normally stops, so a host that restarts must resume the system even if
/// DONE never arrived.
/// </summary>
public interface ICommitObserver
{
    /// <summary>Called right after COMMITTED was written to the link.</summary>
    /// <param name="system">The stored system.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the fact is recorded.</returns>
    Task CommittedSentAsync(EmigratedSystem system, CancellationToken cancellationToken);
}

/// <summary>Per-device pre-shared keys.</summary>
public interface IDeviceKeyProvider
{
    /// <summary>Finds the key of the device with <paramref name="deviceId"/>.</summary>
    /// <param name="deviceId">The 16-byte device id from HELLO.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The key (1 to 64 bytes), or null when the device is unknown.</returns>
    ValueTask<ReadOnlyMemory<byte>?> FindKeyAsync(ReadOnlyMemory<byte> deviceId, CancellationToken cancellationToken);
}

/// <summary>Bytes of one region as received.</summary>
/// <param name="Descriptor">The region table entry.</param>
/// <param name="Contents">Size bytes for SRAM and flash; empty for <see cref="RegionKind.DsmcPrivate"/>.</param>
public sealed record RegionImage(RegionDescriptor Descriptor, ReadOnlyMemory<byte> Contents);

/// <summary>A validated system received from a device, ready to be stored and imported by an engine.</summary>
public sealed record EmigratedSystem
{
    /// <summary>What the device said about itself.</summary>
    public required HelloMessage Hello { get; init; }

    /// <summary>One image per HELLO region, in table order.</summary>
    public required IReadOnlyList<RegionImage> Regions { get; init; }

    /// <summary>The captured CPU state.</summary>
    public required CpuStateMessage CpuState { get; init; }

    /// <summary>The host's nonce (zeros on a push-only link).</summary>
    public required ReadOnlyMemory<byte> SessionNonce { get; init; }

    /// <summary>SHA-256 of the session transcript, as committed.</summary>
    public required ReadOnlyMemory<byte> TranscriptDigest { get; init; }

    /// <summary>True when the COMMIT MAC verified with the device's key.</summary>
    public required bool IsAuthenticated { get; init; }

    /// <summary>True when the device had no backchannel.</summary>
    public required bool IsPushOnly { get; init; }

    /// <summary>Flash blocks that came over the link.</summary>
    public int FlashBlocksReceived { get; init; }

    /// <summary>Flash blocks taken from the firmware image store.</summary>
    public int FlashBlocksFromStore { get; init; }
}

/// <summary>Who runs the system after a session.</summary>
public enum MigrationCompletion
{
    /// <summary>COMMITTED delivered and DONE received: the device stopped; the host runs the system.</summary>
    Moved,
    /// <summary>Stored and COMMITTED sent, but DONE never came: the device may still run. Do not resume automatically.</summary>
    Unconfirmed,
    /// <summary>Push-only copy: the device keeps running; the stored system is a snapshot.</summary>
    Copied,
    /// <summary>Push-only with the device's push-move policy: the device stopped after sending; the host runs the system.</summary>
    PushedMove,
}

/// <summary>Outcome of a successful <see cref="MigrationReceiver.ReceiveAsync"/>.</summary>
/// <param name="System">The stored system.</param>
/// <param name="Completion">Who runs it now.</param>
public sealed record MigrationResult(EmigratedSystem System, MigrationCompletion Completion);

/// <summary>Limits and policies of the host side.</summary>
public sealed class MigrationReceiverOptions
{
    /// <summary>Silence after which the host asks again (or, on a push-only link, gives up). Default 5 s.</summary>
    public TimeSpan FrameTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a link may stay silent before HELLO. A device connects when it boots and speaks only when its
    /// DSM interrupt fires, so the default waits indefinitely; the frame timeout applies from HELLO on.
    /// </summary>
    public TimeSpan HelloTimeout { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>NACKs for one position, or COMMITTED repeats, before giving up. Default 4.</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>Refuse devices without a key known to the host. Default true.</summary>
    public bool RequireAuthentication { get; init; } = true;

    /// <summary>Accept devices without a backchannel (no nonce: a push-only COMMIT can be replayed). Default true.</summary>
    public bool AllowPushOnly { get; init; } = true;

    /// <summary>Ask for flash CRCs and fetch known blocks from the firmware store. Default true.</summary>
    public bool UseFlashDiff { get; init; } = true;

    /// <summary>Most bytes of SRAM plus flash a HELLO may announce. Default 64 MiB.</summary>
    public long MaxImageBytes { get; init; } = 64L << 20;

    /// <summary>Interval of KEEPALIVE frames while the system is being stored. Default 1 s.</summary>
    public TimeSpan KeepaliveInterval { get; init; } = TimeSpan.FromSeconds(1);
}
