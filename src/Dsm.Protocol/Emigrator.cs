using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dsm.Protocol;

/// <summary>Everything a device sends: its description, memory and captured CPU state.</summary>
public sealed record DeviceImage
{
    /// <summary>The HELLO; <see cref="DeviceCapabilities.HasKey"/> and <see cref="DeviceCapabilities.Lz4"/> are set from <see cref="Key"/> when sent.</summary>
    public required HelloMessage Hello { get; init; }

    /// <summary>Bytes of each region in table order (Size bytes; ignored for <see cref="RegionKind.DsmcPrivate"/>).</summary>
    public required IReadOnlyList<ReadOnlyMemory<byte>> RegionContents { get; init; }

    /// <summary>The captured CPU state.</summary>
    public required CpuStateMessage CpuState { get; init; }

    /// <summary>The per-device key, or empty.</summary>
    public ReadOnlyMemory<byte> Key { get; init; }
}

/// <summary>How a device-side session ended. Only <see cref="Moved"/> (or <see cref="Pushed"/> under a push-move policy) lets the device stop.</summary>
public enum EmigrationOutcome
{
    /// <summary>COMMITTED received and DONE sent.</summary>
    Moved,
    /// <summary>Push-only: everything sent, no answer possible.</summary>
    Pushed,
    /// <summary>The host sent REJECT.</summary>
    Rejected,
    /// <summary>The host sent ABORT.</summary>
    Aborted,
    /// <summary>No answer within the retry budget.</summary>
    Timeout,
}

/// <summary>Timeouts of the device side.</summary>
public sealed class EmigratorOptions
{
    /// <summary>Wait for ACCEPT, FLASH_REQUEST and COMMITTED. Default 2 s.</summary>
    public TimeSpan ReplyTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Repeats of HELLO, COMMIT or NACK before giving up. Default 4.</summary>
    public int MaxRetries { get; init; } = 4;
}

/// <summary>
/// Device side in C#: the same frames, byte for byte, as the C device half (src/dsmc/protocol), for tests,
/// benchmarks and the <c>dsm device</c> command. Frames are kept for retransmission instead of replayed.
/// </summary>
public sealed class Emigrator
{
    private readonly DeviceImage _image;
    private readonly EmigratorOptions _options;
    private readonly ILogger _log;

    /// <summary>Creates a device-side sender.</summary>
    /// <param name="image">What to send.</param>
    /// <param name="options">Timeouts; null for defaults.</param>
    /// <param name="logger">Log sink; null for none.</param>
    public Emigrator(DeviceImage image, EmigratorOptions? options = null, ILogger<Emigrator>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        image.Hello.Validate();
        if (image.RegionContents.Count != image.Hello.Regions.Count)
        {
            throw new ArgumentException($"{image.RegionContents.Count} region contents for {image.Hello.Regions.Count} regions.", nameof(image));
        }

        for (int i = 0; i < image.Hello.Regions.Count; i++)
        {
            if (image.Hello.Regions[i].Kind != RegionKind.DsmcPrivate && image.RegionContents[i].Length != image.Hello.Regions[i].Size)
            {
                throw new ArgumentException($"Region {i} has {image.RegionContents[i].Length} bytes of contents for size {image.Hello.Regions[i].Size}.", nameof(image));
            }
        }

        if (image.Key.Length > ProtocolConstants.MaxKeyLength)
        {
            throw new ArgumentException($"Key of {image.Key.Length} bytes; at most {ProtocolConstants.MaxKeyLength}.", nameof(image));
        }

        _image = image;
        _options = options ?? new EmigratorOptions();
        _log = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Encodes a whole push-only session (no backchannel) as the bytes on the wire.</summary>
    /// <param name="output">Receives the frames.</param>
    public void WritePushOnly(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var plan = new Plan(_image, backchannel: false);
        foreach (var frame in plan.Frames(null, AcceptOptions.None, null))
        {
            if (frame is not null)
            {
                output.Write(frame);
            }
        }
    }

    /// <summary>Sends a push-only session to <paramref name="output"/>.</summary>
    /// <param name="output">The send side of the link.</param>
    /// <param name="cancellationToken">Cancels sending.</param>
    /// <returns><see cref="EmigrationOutcome.Pushed"/>.</returns>
    public async Task<EmigrationOutcome> PushAsync(PipeWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        var plan = new Plan(_image, backchannel: false);
        foreach (var frame in plan.Frames(null, AcceptOptions.None, null))
        {
            if (frame is not null)
            {
                await output.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            }
        }

        return EmigrationOutcome.Pushed;
    }

    /// <summary>Runs a session with a backchannel: handshake, flash diff, retransmissions, commit.</summary>
    /// <param name="link">The duplex link to the host.</param>
    /// <param name="cancellationToken">Cancels the session.</param>
    /// <returns>How it ended.</returns>
    public async Task<EmigrationOutcome> RunAsync(IDuplexPipe link, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(link);
        var session = new DeviceSession(this, link);
        return await session.RunAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The deterministic frame sequence; mirrors plan_step in dsm_session.c.</summary>
    private sealed class Plan
    {
        private readonly DeviceImage _image;
        private readonly bool _backchannel;
        private readonly TranscriptHash _transcript;
        private readonly ushort[] _hashTable = new ushort[1 << ProtocolConstants.Lz4HashBits];
        private readonly byte[] _scratch = new byte[Lz4BlockEncoder.MaxOutputLength(ProtocolConstants.BlockSize)];
        private ushort _sequence;

        public Plan(DeviceImage image, bool backchannel)
        {
            _image = image;
            _backchannel = backchannel;
            var caps = (image.Hello.Capabilities & ~(DeviceCapabilities.HasKey | DeviceCapabilities.Backchannel)) | DeviceCapabilities.Lz4;
            if (!image.Key.IsEmpty)
            {
                caps |= DeviceCapabilities.HasKey;
            }

            if (backchannel)
            {
                caps |= DeviceCapabilities.Backchannel;
            }

            Hello = image.Hello with { Capabilities = caps };
            _transcript = new TranscriptHash((caps & DeviceCapabilities.CrcTranscript) != 0);
        }

        public HelloMessage Hello { get; }

        public byte[] Digest { get; private set; } = [];

        private IReadOnlyList<RegionDescriptor> Regions => _image.Hello.Regions;

        public byte[] HelloFrame() => Data(Hello);

        /// <summary>
        /// Frames of the session (from HELLO when <paramref name="accept"/> is null, else after it); a null item marks
        /// the start of the flash blocks, where a diffing device waits for the request. <paramref name="selected"/> gives the
        /// request bitmap per region.
        /// </summary>
        public IEnumerable<byte[]?> Frames(AcceptMessage? accept, AcceptOptions options, Func<bool[]?[]>? selected)
        {
            if (accept is null)
            {
                yield return HelloFrame();
            }
            else
            {
                var payload = new byte[AcceptMessage.Length];
                accept.Encode(payload);
                Hash(MessageType.Accept, payload);
            }

            bool diff = (options & AcceptOptions.FlashDiff) != 0 && (Hello.Capabilities & DeviceCapabilities.FlashCrc) != 0;
            if (diff)
            {
                foreach (var offer in Offers())
                {
                    yield return offer;
                }
            }

            foreach (var block in Blocks(RegionKind.Sram, null))
            {
                yield return block;
            }

            yield return null;
            foreach (var block in Blocks(RegionKind.Flash, diff ? selected!() : null))
            {
                yield return block;
            }

            yield return Data(_image.CpuState);
            Digest = _transcript.GetDigestAndReset();
            byte[] mac = [];
            if (!_image.Key.IsEmpty)
            {
                byte[] nonce = accept is null ? new byte[ProtocolConstants.NonceSize] : accept.Nonce.ToArray();
                mac = HMACSHA256.HashData(_image.Key.Span, [.. nonce, .. Digest]);
            }

            yield return Encode(new CommitMessage(Digest, mac), _sequence++);
        }

        private IEnumerable<byte[]> Offers()
        {
            int lastFlash = -1;
            for (int i = 0; i < Regions.Count; i++)
            {
                if (Regions[i].Kind == RegionKind.Flash)
                {
                    lastFlash = i;
                }
            }

            for (int r = 0; r < Regions.Count; r++)
            {
                if (Regions[r].Kind != RegionKind.Flash)
                {
                    continue;
                }

                int blocks = Regions[r].BlockCount;
                for (int first = 0; first < blocks; first += ProtocolConstants.MaxOfferBlocks)
                {
                    int count = Math.Min(ProtocolConstants.MaxOfferBlocks, blocks - first);
                    var crcs = new uint[count];
                    for (int i = 0; i < count; i++)
                    {
                        crcs[i] = Crc32.Compute(BlockSpan(r, (uint)(first + i) * ProtocolConstants.BlockSize));
                    }

                    yield return Data(new FlashOfferMessage((byte)r, r == lastFlash && first + count == blocks, (ushort)first, crcs));
                }
            }
        }

        private ReadOnlySpan<byte> BlockSpan(int region, uint offset)
        {
            int length = (int)Math.Min(ProtocolConstants.BlockSize, Regions[region].Size - offset);
            return _image.RegionContents[region].Span.Slice((int)offset, length);
        }

        private IEnumerable<byte[]> Blocks(RegionKind kind, bool[]?[]? selected)
        {
            for (int r = 0; r < Regions.Count; r++)
            {
                if (Regions[r].Kind != kind)
                {
                    continue;
                }

                var wanted = selected?[r];
                bool Selected(uint offset) => wanted is null || wanted[offset / ProtocolConstants.BlockSize];
                uint size = Regions[r].Size;
                for (uint offset = 0; offset < size;)
                {
                    if (!Selected(offset))
                    {
                        offset += ProtocolConstants.BlockSize;
                        continue;
                    }

                    var frame = BlockFrame(r, offset, size, Selected, out uint length);
                    yield return frame;
                    offset += length;
                }
            }
        }

        private byte[] BlockFrame(int r, uint offset, uint size, Func<uint, bool> selected, out uint length)
        {
            var data = BlockSpan(r, offset);
            length = (uint)data.Length;
            BlockEncoding encoding;
            ReadOnlyMemory<byte> carried;
            bool zero = IsZero(data);
            if (zero || IsFill(data, out _))
            {
                encoding = zero ? BlockEncoding.Zero : BlockEncoding.Fill;
                IsFill(data, out uint pattern);
                for (uint next = offset + length; next < size && selected(next); next += ProtocolConstants.BlockSize)
                {
                    var following = BlockSpan(r, next);
                    bool same = zero ? IsZero(following) : IsFill(following, out uint other) && other == pattern;
                    if (!same)
                    {
                        break;
                    }

                    length += (uint)following.Length;
                }

                var word = new byte[4];
                BinaryPrimitives.WriteUInt32LittleEndian(word, pattern);
                carried = zero ? ReadOnlyMemory<byte>.Empty : word;
            }
            else
            {
                int packed = Lz4BlockEncoder.Encode(data, _scratch, _hashTable);
                encoding = packed < data.Length ? BlockEncoding.Lz4 : BlockEncoding.Raw;
                carried = encoding == BlockEncoding.Lz4 ? _scratch.AsMemory(0, packed) : data.ToArray();
            }

            return Data(new BlockMessage((byte)r, encoding, offset, length, carried));
        }

        // As uniform_kind in dsm_session.c: a block under 4 bytes is never a run.
        private static bool IsZero(ReadOnlySpan<byte> data) => data.Length >= 4 && !data.ContainsAnyExcept((byte)0);

        private static bool IsFill(ReadOnlySpan<byte> data, out uint pattern)
        {
            pattern = 0;
            if (data.Length % 4 != 0)
            {
                return false;
            }

            for (int i = 4; i < data.Length; i++)
            {
                if (data[i] != data[i & 3])
                {
                    return false;
                }
            }

            pattern = BinaryPrimitives.ReadUInt32LittleEndian(data);
            return true;
        }

        private void Hash(MessageType type, ReadOnlySpan<byte> payload) => _transcript.Append(type, payload);

        private byte[] Data<TMessage>(TMessage message)
            where TMessage : IProtocolMessage
        {
            var frame = Encode(message, _sequence++);
            Hash(message.Type, frame.AsSpan(ProtocolConstants.HeaderSize, frame.Length - ProtocolConstants.HeaderSize - ProtocolConstants.TrailerSize));
            return frame;
        }

        public static byte[] Encode<TMessage>(TMessage message, ushort sequence)
            where TMessage : IProtocolMessage
        {
            var buffer = new ArrayBufferWriter<byte>(ProtocolConstants.HeaderSize + message.EncodedLength + ProtocolConstants.TrailerSize);
            FrameCodec.Write(buffer, message, sequence);
            return buffer.WrittenSpan.ToArray();
        }
    }

    /// <summary>The device's handshake over a duplex link; mirrors dsm_session_step.</summary>
    private sealed class DeviceSession
    {
        private readonly Emigrator _owner;
        private readonly FrameReader _reader;
        private readonly PipeWriter _output;
        private readonly List<byte[]> _sent = [];
        private readonly Plan _plan;
        private ushort _hostSequence;
        private bool[]?[]? _selected;
        private bool _requestsDone;
        private ushort _nackSequence = ushort.MaxValue;
        private int _nackCount;

        public DeviceSession(Emigrator owner, IDuplexPipe link)
        {
            _owner = owner;
            _reader = new FrameReader(link.Input);
            _output = link.Output;
            _plan = new Plan(owner._image, backchannel: true);
        }

        private EmigratorOptions Options => _owner._options;

        public async Task<EmigrationOutcome> RunAsync(CancellationToken ct)
        {
            var hello = _plan.HelloFrame();
            AcceptMessage? accept = null;
            for (int attempt = 0; accept is null; attempt++)
            {
                if (attempt > Options.MaxRetries)
                {
                    return await GiveUpAsync(ct).ConfigureAwait(false);
                }

                await _output.WriteAsync(hello, ct).ConfigureAwait(false);
                var reply = await WaitAsync(ct).ConfigureAwait(false);
                if (reply is { Type: MessageType.Accept })
                {
                    accept = AcceptMessage.Decode(reply.Value.Payload.Span);
                    _hostSequence++;
                }
                else if (reply is { Type: MessageType.Reject or MessageType.Abort } end)
                {
                    _owner._log.LogWarning("Host refused: {Type}", end.Type);
                    return end.Type == MessageType.Reject ? EmigrationOutcome.Rejected : EmigrationOutcome.Aborted;
                }
            }

            _sent.Add(hello);
            bool diff = (accept.Options & AcceptOptions.FlashDiff) != 0 && (_plan.Hello.Capabilities & DeviceCapabilities.FlashCrc) != 0;
            _requestsDone = !diff;
            _selected = _owner._image.Hello.Regions.Select(r => r.Kind == RegionKind.Flash ? new bool[r.BlockCount] : null).ToArray();
            int retries = 0;
            using var frames = _plan.Frames(accept, accept.Options, () => _selected).GetEnumerator();
            while (frames.MoveNext())
            {
                if (frames.Current is null)
                {
                    // Flash blocks come next: they need the host's complete request.
                    while (!_requestsDone)
                    {
                        var waited = await WaitAsync(ct).ConfigureAwait(false);
                        if (waited is null)
                        {
                            if (++retries > Options.MaxRetries)
                            {
                                return await GiveUpAsync(ct).ConfigureAwait(false);
                            }

                            await SendControlAsync(new NackMessage(_hostSequence), ct).ConfigureAwait(false);
                        }
                        else if (await HandleAsync(waited.Value, ct).ConfigureAwait(false) is { } ended)
                        {
                            return ended;
                        }
                    }

                    continue;
                }

                _sent.Add(frames.Current);
                await _output.WriteAsync(frames.Current, ct).ConfigureAwait(false);
                while (_reader.TryRead(out var polled))
                {
                    if (polled.Status == FrameReadStatus.Frame && await HandleAsync(polled.Frame, ct).ConfigureAwait(false) is { } ended)
                    {
                        return ended;
                    }
                }
            }

            // COMMIT sent: wait for COMMITTED; KEEPALIVE means the host is still storing.
            retries = 0;
            while (true)
            {
                var reply = await WaitAsync(ct).ConfigureAwait(false);
                if (reply is null)
                {
                    if (++retries > Options.MaxRetries)
                    {
                        return await GiveUpAsync(ct).ConfigureAwait(false);
                    }

                    await ResendAsync(_sent.Count - 1, ct).ConfigureAwait(false);
                    continue;
                }

                if (reply.Value.Type == MessageType.Keepalive)
                {
                    retries = 0;
                    continue;
                }

                if (reply.Value.Type == MessageType.Committed && reply.Value.Sequence == _hostSequence)
                {
                    var committed = DigestMessage.Decode(MessageType.Committed, reply.Value.Payload.Span);
                    if (!committed.Digest.Span.SequenceEqual(_plan.Digest))
                    {
                        throw new ProtocolException(ProtocolErrorCode.TranscriptMismatch, "COMMITTED echoes a digest of another session.");
                    }

                    _hostSequence++;
                    await SendControlAsync(new DigestMessage(MessageType.Done, _plan.Digest), ct).ConfigureAwait(false);
                    return EmigrationOutcome.Moved;
                }

                if (await HandleAsync(reply.Value, ct).ConfigureAwait(false) is { } ended)
                {
                    return ended;
                }
            }
        }

        private async Task<EmigrationOutcome?> HandleAsync(Frame frame, CancellationToken ct)
        {
            switch (frame.Type)
            {
                case MessageType.Keepalive:
                    return null;
                case MessageType.Abort:
                    return EmigrationOutcome.Aborted;
                case MessageType.Nack:
                    ushort target = NackMessage.Decode(frame.Payload.Span).ExpectedSequence;
                    if (target == 0 || target > _sent.Count)
                    {
                        throw new ProtocolException(ProtocolErrorCode.UnexpectedMessage, $"NACK for frame {target}, which was never sent.");
                    }

                    _nackCount = target == _nackSequence ? _nackCount + 1 : 1;
                    _nackSequence = target;
                    if (_nackCount > Options.MaxRetries)
                    {
                        return await GiveUpAsync(ct).ConfigureAwait(false);
                    }

                    await ResendAsync(target, ct).ConfigureAwait(false);
                    return null;
            }

            if (frame.Sequence != _hostSequence)
            {
                if ((short)(frame.Sequence - _hostSequence) > 0)
                {
                    await SendControlAsync(new NackMessage(_hostSequence), ct).ConfigureAwait(false);
                }

                return null;
            }

            switch (frame.Type)
            {
                case MessageType.Reject:
                    return EmigrationOutcome.Rejected;
                case MessageType.FlashRequest when !_requestsDone:
                    var request = FlashRequestMessage.Decode(frame.Payload.Span);
                    var wanted = request.RegionIndex < _selected!.Length ? _selected[request.RegionIndex] : null;
                    if (wanted is null || request.FirstBlock + request.BlockCount > wanted.Length)
                    {
                        throw new ProtocolException(ProtocolErrorCode.Oversize, $"FLASH_REQUEST for region {request.RegionIndex} blocks {request.FirstBlock}+{request.BlockCount} does not fit a flash region.");
                    }

                    for (int i = 0; i < request.BlockCount; i++)
                    {
                        wanted[request.FirstBlock + i] = request.IsRequested(i);
                    }

                    _requestsDone = request.IsLast;
                    _hostSequence++;
                    return null;
                default:
                    throw new ProtocolException(ProtocolErrorCode.UnexpectedMessage, $"Unexpected {frame.Type} from the host.");
            }
        }

        private async Task<EmigrationOutcome> GiveUpAsync(CancellationToken ct)
        {
            await SendControlAsync(ReasonMessage.Abort(AbortReason.Timeout, string.Empty), ct).ConfigureAwait(false);
            return EmigrationOutcome.Timeout;
        }

        private async Task ResendAsync(int from, CancellationToken ct)
        {
            for (int i = from; i < _sent.Count; i++)
            {
                _output.Write(_sent[i]);
            }

            await _output.FlushAsync(ct).ConfigureAwait(false);
        }

        private async Task SendControlAsync<TMessage>(TMessage message, CancellationToken ct)
            where TMessage : IProtocolMessage
        {
            await _output.WriteAsync(Plan.Encode(message, (ushort)_sent.Count), ct).ConfigureAwait(false);
        }

        private async Task<Frame?> WaitAsync(CancellationToken ct)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(Options.ReplyTimeout);
            try
            {
                while (true)
                {
                    var read = await _reader.ReadAsync(timeout.Token).ConfigureAwait(false);
                    switch (read.Status)
                    {
                        case FrameReadStatus.Frame:
                            return read.Frame;
                        case FrameReadStatus.Completed:
                            return null;
                    }
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return null;
            }
        }
    }
}
