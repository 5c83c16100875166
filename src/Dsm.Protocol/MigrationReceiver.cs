using System.IO.Pipelines;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dsm.Protocol;

/// <summary>
/// Host side of a migration session: answers the device's HELLO, receives and validates memory and CPU state,
/// verifies the COMMIT, stores the system durably and only then answers COMMITTED.
/// </summary>
public sealed class MigrationReceiver
{
    private readonly IFirmwareImageStore _firmware;
    private readonly IEmigratedSystemStore _store;
    private readonly IDeviceKeyProvider? _keys;
    private readonly ILogger _logger;

    /// <summary>Creates a receiver.</summary>
    /// <param name="firmware">Flash images by build-id, for the flash diff.</param>
    /// <param name="store">Durable storage awaited before COMMITTED.</param>
    /// <param name="keys">Per-device keys; null when no device has one.</param>
    /// <param name="options">Limits and policies; null for defaults.</param>
    /// <param name="logger">Log sink; null for none.</param>
    public MigrationReceiver(IFirmwareImageStore firmware, IEmigratedSystemStore store, IDeviceKeyProvider? keys = null,
        MigrationReceiverOptions? options = null, ILogger<MigrationReceiver>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(firmware);
        ArgumentNullException.ThrowIfNull(store);
        _firmware = firmware;
        _store = store;
        _keys = keys;
        Options = options ?? new MigrationReceiverOptions();
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>The limits and policies in force.</summary>
    public MigrationReceiverOptions Options { get; }

    /// <summary>Runs one session over <paramref name="link"/>.</summary>
    /// <param name="link">The duplex link to the device (the output side is unused on a push-only link).</param>
    /// <param name="cancellationToken">Cancels the session; the device is sent ABORT and keeps running.</param>
    /// <returns>The stored system and who runs it now.</returns>
    /// <exception cref="ProtocolException">The session failed; the device was told when it can listen.</exception>
    public async Task<MigrationResult> ReceiveAsync(IDuplexPipe link, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(link);
        var session = new ReceiveSession(this, link);
        return await session.RunAsync(cancellationToken).ConfigureAwait(false);
    }

    private sealed class ReceiveSession
    {
        private const byte ErasedFlash = 0xFF;

        private readonly MigrationReceiver _owner;
        private readonly MigrationReceiverOptions _options;
        private readonly ILogger _log;
        private readonly FrameReader _reader;
        private readonly FrameWriter _writer;
        private readonly List<IProtocolMessage> _sent = []; // host frames that consume a sequence number
        private TranscriptHash _transcript = new(crc: false);
        private HelloMessage _hello = null!;
        private bool _backchannel;
        private bool _diff;
        private byte[] _nonce = new byte[ProtocolConstants.NonceSize];
        private ReadOnlyMemory<byte>? _key;
        private byte[]?[] _images = [];
        private bool[]?[] _selected = [];
        private uint[]?[] _offers = [];
        private int[] _plan = []; // transferred region indices: SRAM first, then flash
        private int _planIndex;
        private uint _offset;
        private int _offerRegion;
        private int _offerBlock;
        private ushort _expected = 1;
        private int _retries;
        private bool _nackOutstanding;
        private ushort _highestSeen; // highest device data-frame sequence number so far
        private Phase _phase;
        private CpuStateMessage? _cpu;
        private int _flashReceived;
        private int _flashFromStore;
        private bool _committedSent;
        private int _sramRegions;
        private int _requestsFrom = -1; // FLASH_REQUEST frames: _sent[_requestsFrom.._requestsTo)
        private int _requestsTo;
        private bool _requestsRepeated;

        public ReceiveSession(MigrationReceiver owner, IDuplexPipe link)
        {
            _owner = owner;
            _options = owner.Options;
            _log = owner._logger;
            _reader = new FrameReader(link.Input);
            _writer = new FrameWriter(link.Output);
        }

        private enum Phase { Offers, Blocks, Cpu, Commit }

        public async Task<MigrationResult> RunAsync(CancellationToken ct)
        {
            try
            {
                await HandshakeAsync(ct).ConfigureAwait(false);
                var commit = await ReceiveBodyAsync(ct).ConfigureAwait(false);
                return await CommitAsync(commit, ct).ConfigureAwait(false);
            }
            catch (ProtocolException ex)
            {
                _log.LogWarning("Migration session failed: {ErrorCode}: {Message}", ex.ErrorCode, ex.Message);
                if (_backchannel && !_committedSent && ex.ErrorCode is not (ProtocolErrorCode.PeerAborted or ProtocolErrorCode.LinkClosed or ProtocolErrorCode.Rejected))
                {
                    await TrySendAsync(ReasonMessage.Abort(AbortReasonFor(ex.ErrorCode), ex.Message)).ConfigureAwait(false);
                }

                throw;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                if (_backchannel && !_committedSent)
                {
                    await TrySendAsync(ReasonMessage.Abort(AbortReason.Cancelled, "host cancelled")).ConfigureAwait(false);
                }

                throw;
            }
            finally
            {
                _transcript.Dispose();
            }
        }

        private static AbortReason AbortReasonFor(ProtocolErrorCode code) => code switch
        {
            ProtocolErrorCode.TooManyRetries => AbortReason.TooManyRetries,
            ProtocolErrorCode.Timeout => AbortReason.Timeout,
            ProtocolErrorCode.AuthenticationFailed or ProtocolErrorCode.AuthenticationRequired => AbortReason.AuthenticationFailed,
            ProtocolErrorCode.TranscriptMismatch => AbortReason.TranscriptMismatch,
            ProtocolErrorCode.StorageFailed => AbortReason.StorageFailed,
            _ => AbortReason.ProtocolError,
        };

        private async Task TrySendAsync(IProtocolMessage message)
        {
            // Best effort on a failing session: the device also times out on its own.
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                await _writer.WriteAsync(message, (ushort)_sent.Count, cts.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ProtocolException or InvalidOperationException or IOException)
            {
                _log.LogDebug("Could not tell the device about the failure: {Message}", ex.Message);
            }
        }

        private async Task SendAsync(IProtocolMessage message, CancellationToken ct)
        {
            _sent.Add(message);
            await _writer.WriteAsync(message, (ushort)(_sent.Count - 1), ct).ConfigureAwait(false);
        }

        private async Task ResendFromAsync(ushort sequence, CancellationToken ct)
        {
            for (int i = sequence; i < _sent.Count; i++)
            {
                _writer.Write(_sent[i], (ushort)i);
            }

            await _writer.FlushAsync(ct).ConfigureAwait(false);
        }

        /// <summary>Next frame, or null after <see cref="MigrationReceiverOptions.FrameTimeout"/> of silence.</summary>
        private Task<FrameReadResult?> ReadAsync(CancellationToken ct) => ReadAsync(_options.FrameTimeout, ct);

        private async Task<FrameReadResult?> ReadAsync(TimeSpan limit, CancellationToken ct)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(limit);
            try
            {
                return await _reader.ReadAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return null;
            }
        }

        private void AddToTranscript(MessageType type, ReadOnlySpan<byte> payload) => _transcript.Append(type, payload);

        private async Task HandshakeAsync(CancellationToken ct)
        {
            Frame helloFrame;
            bool abortedStale = false;
            while (true)
            {
                var read = await ReadAsync(_options.HelloTimeout, ct).ConfigureAwait(false)
                    ?? throw new ProtocolException(ProtocolErrorCode.Timeout, $"No HELLO within {_options.HelloTimeout.TotalSeconds:0.#} s.");
                if (read.Status == FrameReadStatus.Completed)
                {
                    throw new ProtocolException(ProtocolErrorCode.LinkClosed, "The link closed before a HELLO arrived.");
                }

                if (read.Status == FrameReadStatus.Frame && read.Frame.Type == MessageType.Hello)
                {
                    helloFrame = read.Frame;
                    break;
                }

                if (read.Status == FrameReadStatus.Frame && read.Frame.Type is MessageType.FlashOffer or MessageType.Block or MessageType.CpuState or MessageType.Commit)
                {
                    // A device in the middle of a session this receiver never saw (the link reconnected, the host
                    // restarted): that half cannot complete here. Told once, the device restores and runs on instead of
                    // waiting out its timeouts; its next HELLO is served on this link.
                    if (!abortedStale)
                    {
                        _log.LogInformation("Frames of a session begun before this link ({Type} #{Sequence}): ending it at the device, waiting for a new HELLO",
                            read.Frame.Type, read.Frame.Sequence);
                        await TrySendAsync(ReasonMessage.Abort(AbortReason.ProtocolError, "no session here: start again with HELLO")).ConfigureAwait(false);
                        abortedStale = true;
                    }

                    continue;
                }

                // Leftovers of an earlier session (DONE, ABORT, NACK) and corrupt frames are skipped; the device repeats HELLO.
                if (read.Status == FrameReadStatus.Frame && read.Frame.Type is not (MessageType.Done or MessageType.Abort or MessageType.Nack))
                {
                    throw new ProtocolException(ProtocolErrorCode.UnexpectedMessage, $"Expected HELLO, got {read.Frame.Type}.");
                }
            }

            if (helloFrame.Sequence != 0)
            {
                throw new ProtocolException(ProtocolErrorCode.UnexpectedMessage, $"HELLO carries sequence {helloFrame.Sequence}; a session starts at 0.");
            }

            try
            {
                _hello = HelloMessage.Decode(helloFrame.Payload.Span);
            }
            catch (ProtocolException ex)
            {
                var reason = ex.ErrorCode == ProtocolErrorCode.UnsupportedVersion ? RejectReason.UnsupportedVersion : RejectReason.InvalidHello;
                await TrySendAsync(ReasonMessage.Reject(reason, ex.Message)).ConfigureAwait(false);
                throw;
            }

            _backchannel = (_hello.Capabilities & DeviceCapabilities.Backchannel) != 0;
            _transcript.Dispose();
            _transcript = new TranscriptHash((_hello.Capabilities & DeviceCapabilities.CrcTranscript) != 0);
            _log.LogInformation("HELLO from device {DeviceId} board {Board}, {Regions} regions, backchannel {Backchannel}",
                Convert.ToHexString(_hello.DeviceId.Span), _hello.BoardId, _hello.Regions.Count, _backchannel);
            await CheckPolicyAsync(ct).ConfigureAwait(false);
            AddToTranscript(MessageType.Hello, helloFrame.Payload.Span);
            PreparePlan();
            if (_backchannel)
            {
                RandomNumberGenerator.Fill(_nonce);
                var accept = new AcceptMessage(_nonce, _diff ? AcceptOptions.FlashDiff : AcceptOptions.None);
                var payload = new byte[AcceptMessage.Length];
                accept.Encode(payload);
                AddToTranscript(MessageType.Accept, payload);
                await SendAsync(accept, ct).ConfigureAwait(false);
            }

            _phase = _diff ? Phase.Offers : Phase.Blocks;
            SkipCompletedRegions();
            (_owner._store as ISessionPreparer)?.Prepare(_hello);
        }

        private async Task CheckPolicyAsync(CancellationToken ct)
        {
            async Task RejectAsync(RejectReason reason, ProtocolErrorCode code, string text)
            {
                if (_backchannel)
                {
                    await TrySendAsync(ReasonMessage.Reject(reason, text)).ConfigureAwait(false);
                }

                throw new ProtocolException(code, text);
            }

            if (!_backchannel && !_options.AllowPushOnly)
            {
                throw new ProtocolException(ProtocolErrorCode.PushOnlyNotAllowed, "The device has no backchannel and this host does not accept push-only sessions.");
            }

            long total = _hello.Regions.Where(r => r.Kind != RegionKind.DsmcPrivate).Sum(r => (long)r.Size);
            if (total > _options.MaxImageBytes || _hello.Regions.Any(r => r.Kind != RegionKind.DsmcPrivate && r.Size > Array.MaxLength))
            {
                await RejectAsync(RejectReason.InvalidHello, ProtocolErrorCode.Oversize,
                    $"HELLO announces {total} bytes of memory; this host takes at most {_options.MaxImageBytes}.").ConfigureAwait(false);
            }

            if (_hello.Regions.Any(r => r.Kind == RegionKind.Flash && r.BlockCount > ushort.MaxValue))
            {
                await RejectAsync(RejectReason.InvalidHello, ProtocolErrorCode.Oversize, "A flash region has more than 65535 blocks.").ConfigureAwait(false);
            }

            if ((_hello.Capabilities & DeviceCapabilities.HasKey) != 0 && _owner._keys is not null)
            {
                _key = await _owner._keys.FindKeyAsync(_hello.DeviceId, ct).ConfigureAwait(false);
                if (_key is { Length: 0 or > ProtocolConstants.MaxKeyLength })
                {
                    throw new InvalidOperationException($"The key provider returned a key of {_key.Value.Length} bytes; 1 to {ProtocolConstants.MaxKeyLength} are allowed.");
                }
            }

            if (_options.RequireAuthentication && _key is null)
            {
                await RejectAsync(RejectReason.AuthenticationRequired, ProtocolErrorCode.AuthenticationRequired,
                    "Authentication is required but the device has no key or the host does not know it.").ConfigureAwait(false);
            }
        }

        private void PreparePlan()
        {
            var regions = _hello.Regions;
            _images = new byte[]?[regions.Count];
            _selected = new bool[]?[regions.Count];
            _offers = new uint[]?[regions.Count];
            for (int i = 0; i < regions.Count; i++)
            {
                if (regions[i].Kind != RegionKind.DsmcPrivate)
                {
                    // Every byte is written before the image is used: a session only completes when each
                    // SRAM byte and each flash block has arrived or come from the firmware store.
                    _images[i] = GC.AllocateUninitializedArray<byte>((int)regions[i].Size);
                }

                if (regions[i].Kind == RegionKind.Flash)
                {
                    _selected[i] = Enumerable.Repeat(true, regions[i].BlockCount).ToArray();
                    _offers[i] = new uint[regions[i].BlockCount];
                }
            }

            _plan = [.. Enumerable.Range(0, regions.Count).Where(i => regions[i].Kind == RegionKind.Sram),
                     .. Enumerable.Range(0, regions.Count).Where(i => regions[i].Kind == RegionKind.Flash)];
            _sramRegions = regions.Count(r => r.Kind == RegionKind.Sram);
            bool hasFlash = regions.Any(r => r.Kind == RegionKind.Flash);
            _diff = _backchannel && hasFlash && _options.UseFlashDiff && (_hello.Capabilities & DeviceCapabilities.FlashCrc) != 0;
            _offerRegion = NextFlashRegion(-1);
        }

        private int NextFlashRegion(int after)
        {
            for (int i = after + 1; i < _hello.Regions.Count; i++)
            {
                if (_hello.Regions[i].Kind == RegionKind.Flash)
                {
                    return i;
                }
            }

            return -1;
        }

        private async Task<CommitMessage> ReceiveBodyAsync(CancellationToken ct)
        {
            while (true)
            {
                var read = await ReadAsync(ct).ConfigureAwait(false);
                if (read is null)
                {
                    if (!_backchannel)
                    {
                        throw new ProtocolException(ProtocolErrorCode.Timeout, $"Push-only device silent for {_options.FrameTimeout.TotalSeconds:0.#} s before frame {_expected}.");
                    }

                    _nackOutstanding = false;
                    await NackAsync(ct).ConfigureAwait(false);
                    continue;
                }

                var (status, frame) = read.Value;
                if (status == FrameReadStatus.Completed)
                {
                    throw new ProtocolException(ProtocolErrorCode.LinkClosed, $"The link closed before frame {_expected} arrived.");
                }

                if (status == FrameReadStatus.Corrupt)
                {
                    await OnLostFrameAsync("a frame failed its CRC", ct).ConfigureAwait(false);
                    continue;
                }

                switch (frame.Type)
                {
                    case MessageType.Abort:
                        var abort = ReasonMessage.Decode(MessageType.Abort, frame.Payload.Span);
                        throw new ProtocolException(ProtocolErrorCode.PeerAborted, $"The device aborted (reason {abort.Reason}): {abort.Text}");
                    case MessageType.Nack:
                        await ResendFromAsync(NackMessage.Decode(frame.Payload.Span).ExpectedSequence, ct).ConfigureAwait(false);
                        continue;
                    case MessageType.Hello or MessageType.FlashOffer or MessageType.Block or MessageType.CpuState or MessageType.Commit:
                        break;
                    default:
                        throw new ProtocolException(ProtocolErrorCode.UnexpectedMessage, $"A device does not send {frame.Type}.");
                }

                bool repeated = (short)(frame.Sequence - _highestSeen) <= 0;
                if ((short)(frame.Sequence - _highestSeen) > 0)
                {
                    _highestSeen = frame.Sequence;
                }

                if (frame.Sequence != _expected)
                {
                    if ((short)(frame.Sequence - _expected) > 0)
                    {
                        // Frames in flight after a NACK keep counting up, and a replay's frames repeat ones seen before;
                        // only a COMMIT seen before is the device's own repeat (its reply timeout): it went on without
                        // our NACK, which was lost. (Re-asking on every repeated frame would answer each frame still in
                        // flight from a replay with another NACK, until the retry budget is gone.)
                        if (repeated && frame.Type == MessageType.Commit)
                        {
                            _nackOutstanding = false;
                        }

                        await OnLostFrameAsync($"frame {_expected} is missing (got {frame.Sequence})", ct).ConfigureAwait(false);
                    }
                    else if (frame.Type == MessageType.Hello && frame.Sequence == 0 && _backchannel)
                    {
                        await ResendFromAsync(0, ct).ConfigureAwait(false); // our ACCEPT was lost
                    }

                    continue;
                }

                _retries = 0;
                _nackOutstanding = false;
                _expected++;
                if (frame.Type == MessageType.Commit)
                {
                    if (_phase != Phase.Commit)
                    {
                        throw new ProtocolException(ProtocolErrorCode.MissingBlock, $"COMMIT arrived while {Describe()} is still missing.");
                    }

                    return CommitMessage.Decode(frame.Payload.Span);
                }

                await HandleDataAsync(frame, ct).ConfigureAwait(false);
            }
        }

        private async Task OnLostFrameAsync(string what, CancellationToken ct)
        {
            if (!_backchannel)
            {
                throw new ProtocolException(ProtocolErrorCode.TooManyRetries, $"Push-only link: {what}; it cannot be sent again.");
            }

            _log.LogDebug("Asking again from frame {Sequence}: {What}", _expected, what);
            await NackAsync(ct).ConfigureAwait(false);
        }

        private async Task NackAsync(CancellationToken ct)
        {
            if (_nackOutstanding)
            {
                return; // the device is already going back; frames in flight are still arriving
            }

            if (++_retries > _options.MaxRetries)
            {
                throw new ProtocolException(ProtocolErrorCode.TooManyRetries, $"Frame {_expected} still missing after {_options.MaxRetries} requests.");
            }

            _nackOutstanding = true;
            await _writer.WriteAsync(new NackMessage(_expected), (ushort)_sent.Count, ct).ConfigureAwait(false);
        }

        private string Describe() => _phase switch
        {
            Phase.Offers => $"the flash offer of region {_offerRegion} from block {_offerBlock}",
            Phase.Blocks => $"region {_plan[_planIndex]} from offset {ExpectedOffset()}",
            Phase.Cpu => "CPU_STATE",
            _ => "nothing",
        };

        private async Task HandleDataAsync(Frame frame, CancellationToken ct)
        {
            switch (frame.Type)
            {
                case MessageType.FlashOffer when _phase == Phase.Offers:
                    AddToTranscript(frame.Type, frame.Payload.Span);
                    await HandleOfferAsync(FlashOfferMessage.Decode(frame.Payload.Span), ct).ConfigureAwait(false);
                    return;
                case MessageType.Block when _phase == Phase.Blocks:
                    AddToTranscript(frame.Type, frame.Payload.Span);
                    HandleBlock(BlockMessage.Decode(frame.Payload));
                    await RepeatFlashRequestsAsync(ct).ConfigureAwait(false);
                    return;
                case MessageType.CpuState when _phase == Phase.Cpu:
                    AddToTranscript(frame.Type, frame.Payload.Span);
                    _cpu = CpuStateMessage.Decode(frame.Payload.Span);
                    if (_cpu.IrqCount != _hello.IrqCount)
                    {
                        throw ProtocolException.Malformed(MessageType.CpuState, $"covers {_cpu.IrqCount} IRQs, HELLO announced {_hello.IrqCount}");
                    }

                    _phase = Phase.Commit;
                    return;
                case MessageType.Hello:
                    throw new ProtocolException(ProtocolErrorCode.UnexpectedMessage, "A second HELLO with a new sequence number arrived inside the session.");
                default:
                    throw new ProtocolException(_phase == Phase.Commit ? ProtocolErrorCode.UnexpectedMessage : ProtocolErrorCode.MissingBlock,
                        $"{frame.Type} arrived while {Describe()} is expected.");
            }
        }

        private async Task HandleOfferAsync(FlashOfferMessage offer, CancellationToken ct)
        {
            var region = _hello.Regions[_offerRegion];
            if (offer.RegionIndex != _offerRegion || offer.FirstBlock != _offerBlock)
            {
                throw new ProtocolException(offer.RegionIndex == _offerRegion && offer.FirstBlock < _offerBlock ? ProtocolErrorCode.Overlap : ProtocolErrorCode.OutOfOrder,
                    $"Flash offer for region {offer.RegionIndex} block {offer.FirstBlock}; expected region {_offerRegion} block {_offerBlock}.");
            }

            if (offer.FirstBlock + offer.Crcs.Count > region.BlockCount)
            {
                throw new ProtocolException(ProtocolErrorCode.Oversize,
                    $"Flash offer for region {_offerRegion} covers blocks {offer.FirstBlock}..{offer.FirstBlock + offer.Crcs.Count - 1}; the region has {region.BlockCount}.");
            }

            for (int i = 0; i < offer.Crcs.Count; i++)
            {
                _offers[_offerRegion]![offer.FirstBlock + i] = offer.Crcs[i];
            }

            _offerBlock += offer.Crcs.Count;
            if (_offerBlock == region.BlockCount)
            {
                _offerRegion = NextFlashRegion(_offerRegion);
                _offerBlock = 0;
            }

            bool final = _offerRegion < 0;
            if (offer.IsLast != final)
            {
                throw ProtocolException.Malformed(MessageType.FlashOffer, final ? "the final offer frame lacks the last flag" : "last flag set before all flash blocks were offered");
            }

            if (final)
            {
                await RequestFlashAsync(ct).ConfigureAwait(false);
                _phase = Phase.Blocks;
                SkipCompletedRegions();
            }
        }

        private async Task RequestFlashAsync(CancellationToken ct)
        {
            var regions = _hello.Regions;
            var requests = new List<FlashRequestMessage>();
            for (int r = 0; r < regions.Count; r++)
            {
                if (regions[r].Kind != RegionKind.Flash)
                {
                    continue;
                }

                var known = await _owner._firmware.FindFlashImageAsync(_hello.BuildId, regions[r], ct).ConfigureAwait(false);
                var selected = _selected[r]!;
                for (int b = 0; known is { } image && b < selected.Length; b++)
                {
                    int start = b * ProtocolConstants.BlockSize;
                    int length = (int)Math.Min(ProtocolConstants.BlockSize, regions[r].Size - (uint)start);
                    var block = _images[r].AsSpan(start, length);
                    FillFromFirmware(image.Span, start, block);
                    if (Crc32.Compute(block) == _offers[r]![b])
                    {
                        selected[b] = false;
                        _flashFromStore++;
                    }
                }

                for (int first = 0; first < selected.Length; first += ProtocolConstants.MaxRequestBlocks)
                {
                    int count = Math.Min(ProtocolConstants.MaxRequestBlocks, selected.Length - first);
                    var bitmap = new byte[(count + 7) / 8];
                    for (int i = 0; i < count; i++)
                    {
                        if (selected[first + i])
                        {
                            bitmap[i >> 3] |= (byte)(1 << (i & 7));
                        }
                    }

                    requests.Add(new FlashRequestMessage((byte)r, false, (ushort)first, (ushort)count, bitmap));
                }
            }

            requests[^1] = requests[^1] with { IsLast = true };
            _requestsFrom = _sent.Count;
            foreach (var request in requests)
            {
                _sent.Add(request);
                _writer.Write(request, (ushort)(_sent.Count - 1));
            }

            _requestsTo = _sent.Count;
            await _writer.FlushAsync(ct).ConfigureAwait(false);
            _log.LogInformation("Flash diff: {FromStore} blocks from the firmware store, {Requested} requested",
                _flashFromStore, _selected.Where(s => s is not null).Sum(s => s!.Count(x => x)));
        }

        // What the known firmware puts in a flash block: its bytes, then erased flash past the image's end (an
        // image stops at its last defined byte), so erased blocks match by CRC like code blocks and stay home.
        private static void FillFromFirmware(ReadOnlySpan<byte> image, int start, Span<byte> block)
        {
            int have = Math.Clamp(image.Length - start, 0, block.Length);
            if (have > 0)
            {
                image.Slice(start, have).CopyTo(block);
            }

            block[have..].Fill(ErasedFlash);
        }

        /// <summary>
        /// Sends the FLASH_REQUEST frames again once the last SRAM block is in. A device whose UART has no receive
        /// FIFO (the FM3's MFS channels 0-3) loses host frames that arrive while it transmits, so the first copy,
        /// sent right after the offers, usually dies in an overrun; from here on the device listens, waiting for
        /// its requests. A device that did get the first copy ignores this one as a duplicate (same numbers).
        /// Without it the device waits its reply timeout (a second) and NACKs.
        /// </summary>
        private async Task RepeatFlashRequestsAsync(CancellationToken ct)
        {
            if (_requestsRepeated || _requestsFrom < 0 || _planIndex < _sramRegions)
            {
                return;
            }

            _requestsRepeated = true;
            for (int i = _requestsFrom; i < _requestsTo; i++)
            {
                _writer.Write(_sent[i], (ushort)i);
            }

            await _writer.FlushAsync(ct).ConfigureAwait(false);
        }

        private uint ExpectedOffset()
        {
            int r = _plan[_planIndex];
            var selected = _selected[r];
            uint offset = _offset;
            while (selected is not null && offset < _hello.Regions[r].Size && !selected[offset / ProtocolConstants.BlockSize])
            {
                offset += ProtocolConstants.BlockSize;
            }

            return offset;
        }

        private void SkipCompletedRegions()
        {
            while (_phase == Phase.Blocks)
            {
                if (_planIndex == _plan.Length)
                {
                    _phase = Phase.Cpu;
                    return;
                }

                if (ExpectedOffset() < _hello.Regions[_plan[_planIndex]].Size)
                {
                    return;
                }

                _planIndex++;
                _offset = 0;
            }
        }

        private void HandleBlock(BlockMessage block)
        {
            int r = _plan[_planIndex];
            var region = _hello.Regions[r];
            uint expected = ExpectedOffset();
            if (block.RegionIndex != r)
            {
                int position = Array.IndexOf(_plan, (int)block.RegionIndex);
                if (block.RegionIndex >= _hello.Regions.Count || position < 0)
                {
                    throw new ProtocolException(ProtocolErrorCode.OutOfOrder, $"Block for region {block.RegionIndex}, which is not a transferred region.");
                }

                throw position < _planIndex
                    ? new ProtocolException(ProtocolErrorCode.Duplicate, $"Block for region {block.RegionIndex}, which is already complete; expected region {r} at offset {expected}.")
                    : new ProtocolException(ProtocolErrorCode.MissingBlock, $"Block for region {block.RegionIndex} while region {r} is missing bytes from offset {expected}.");
            }

            ulong end = (ulong)block.Offset + block.Length;
            if (block.Offset != expected)
            {
                var code = block.Offset > expected ? ProtocolErrorCode.MissingBlock : end <= expected ? ProtocolErrorCode.Duplicate : ProtocolErrorCode.Overlap;
                throw new ProtocolException(code, $"Block at offset {block.Offset} (+{block.Length}) of region {r}; expected offset {expected}.");
            }

            if (end > region.Size)
            {
                throw new ProtocolException(ProtocolErrorCode.Oversize, $"Block at offset {block.Offset} (+{block.Length}) runs past the end of region {r} ({region.Size} bytes).");
            }

            bool endsOnBlock = end % ProtocolConstants.BlockSize == 0 || end == region.Size;
            bool oneBlock = block.Length == Math.Min(ProtocolConstants.BlockSize, region.Size - block.Offset);
            if (block.Encoding is BlockEncoding.Raw or BlockEncoding.Lz4 ? !oneBlock : !endsOnBlock)
            {
                throw ProtocolException.Malformed(MessageType.Block, $"{block.Encoding} block at offset {block.Offset} of region {r} with length {block.Length} does not end on a block boundary");
            }

            if (block.Encoding == BlockEncoding.Lz4 && (_hello.Capabilities & DeviceCapabilities.Lz4) == 0)
            {
                throw ProtocolException.Malformed(MessageType.Block, "LZ4 block from a device that did not announce LZ4");
            }

            var selected = _selected[r];
            if (selected is not null)
            {
                for (ulong at = block.Offset; at < end; at += ProtocolConstants.BlockSize)
                {
                    if (!selected[at / ProtocolConstants.BlockSize])
                    {
                        throw new ProtocolException(ProtocolErrorCode.UnexpectedMessage, $"Flash block {at / ProtocolConstants.BlockSize} of region {r} was not requested.");
                    }

                    _flashReceived++;
                }
            }

            block.DecodeInto(_images[r].AsSpan((int)block.Offset, (int)block.Length));
            _offset = (uint)end;
            if (_offset >= region.Size)
            {
                _planIndex++;
                _offset = 0;
            }

            SkipCompletedRegions();
        }

        private async Task<MigrationResult> CommitAsync(CommitMessage commit, CancellationToken ct)
        {
            byte[] digest = _transcript.GetDigestAndReset();
            if (!CryptographicOperations.FixedTimeEquals(digest, commit.Digest.Span))
            {
                throw new ProtocolException(ProtocolErrorCode.TranscriptMismatch, "The COMMIT digest differs from the transcript the host received.");
            }

            bool keyed = (_hello.Capabilities & DeviceCapabilities.HasKey) != 0;
            if (commit.HasMac != keyed)
            {
                throw new ProtocolException(ProtocolErrorCode.AuthenticationFailed,
                    keyed ? "The device announced a key but its COMMIT has no MAC." : "The COMMIT has a MAC but the device announced no key.");
            }

            bool authenticated = false;
            if (keyed && _key is { } key)
            {
                byte[] message = [.. _nonce, .. digest];
                byte[] expectedMac = HMACSHA256.HashData(key.Span, message);
                if (!CryptographicOperations.FixedTimeEquals(expectedMac, commit.Mac.Span))
                {
                    throw new ProtocolException(ProtocolErrorCode.AuthenticationFailed, "The COMMIT MAC does not verify with the device's key and this session's nonce.");
                }

                authenticated = true;
            }

            var regions = _hello.Regions.Select((d, i) => new RegionImage(d, _images[i] ?? ReadOnlyMemory<byte>.Empty)).ToArray();
            var system = new EmigratedSystem
            {
                Hello = _hello, Regions = regions, CpuState = _cpu!, SessionNonce = _nonce, TranscriptDigest = digest,
                IsAuthenticated = authenticated, IsPushOnly = !_backchannel, FlashBlocksReceived = _flashReceived, FlashBlocksFromStore = _flashFromStore,
            };
            await StoreAsync(system, ct).ConfigureAwait(false);
            if (!_backchannel)
            {
                var completion = (_hello.Capabilities & DeviceCapabilities.PushMove) != 0 ? MigrationCompletion.PushedMove : MigrationCompletion.Copied;
                _log.LogInformation("Push-only system stored as {Completion}", completion);
                return new MigrationResult(system, completion);
            }

            var committed = new DigestMessage(MessageType.Committed, digest);
            await SendAsync(committed, ct).ConfigureAwait(false);
            _committedSent = true;

            // The observer records COMMITTED while DONE is on its way: the device needs no answer to DONE, and the
            // record was never ahead of the wire (COMMITTED is already out), so waiting for it first only adds
            // its write to the downtime. Both are done before the session returns.
            var observed = _owner._store is ICommitObserver observer ? observer.CommittedSentAsync(system, ct) : Task.CompletedTask;
            MigrationCompletion handOver;
            try
            {
                handOver = await AwaitDoneAsync(digest, ct).ConfigureAwait(false);
            }
            finally
            {
                await observed.ConfigureAwait(false);
            }

            return new MigrationResult(system, handOver);
        }

        private async Task StoreAsync(EmigratedSystem system, CancellationToken ct)
        {
            Task store;
            try
            {
                store = _owner._store.StoreAsync(system, ct);
            }
            catch (Exception ex)
            {
                // A store that throws before returning its task fails like one whose task faults: ABORT, not a dead session.
                store = Task.FromException(ex);
            }

            while (_backchannel && !store.IsCompleted)
            {
                if (await Task.WhenAny(store, Task.Delay(_options.KeepaliveInterval, ct)).ConfigureAwait(false) != store)
                {
                    await _writer.WriteAsync(new KeepaliveMessage(), (ushort)_sent.Count, ct).ConfigureAwait(false);
                }
            }

            try
            {
                await store.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                throw new ProtocolException(ProtocolErrorCode.StorageFailed, $"Storing the system failed: {ex.Message}", ex);
            }
        }

        private async Task<MigrationCompletion> AwaitDoneAsync(byte[] digest, CancellationToken ct)
        {
            int repeats = 0;
            ushort committedSequence = (ushort)(_sent.Count - 1);
            while (true)
            {
                var read = await ReadAsync(ct).ConfigureAwait(false);
                if (read is null)
                {
                    if (++repeats > _options.MaxRetries)
                    {
                        break;
                    }

                    await ResendFromAsync(committedSequence, ct).ConfigureAwait(false);
                    continue;
                }

                var (status, frame) = read.Value;
                if (status == FrameReadStatus.Completed)
                {
                    break;
                }

                if (status == FrameReadStatus.Corrupt)
                {
                    continue;
                }

                try
                {
                    switch (frame.Type)
                    {
                        case MessageType.Done when CryptographicOperations.FixedTimeEquals(DigestMessage.Decode(MessageType.Done, frame.Payload.Span).Digest.Span, digest):
                            _log.LogInformation("Device confirmed it stopped: system moved");
                            return MigrationCompletion.Moved;
                        case MessageType.Commit:
                        case MessageType.Nack:
                            await ResendFromAsync(committedSequence, ct).ConfigureAwait(false);
                            break;
                    }
                }
                catch (ProtocolException ex)
                {
                    _log.LogDebug("Ignoring a malformed frame while waiting for DONE: {Message}", ex.Message);
                }
            }

            _log.LogWarning("System stored and COMMITTED sent, but the device never confirmed: it must not be resumed automatically");
            return MigrationCompletion.Unconfirmed;
        }
    }
}
