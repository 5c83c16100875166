using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;

namespace Dsm.Protocol;

/// <summary>A CRC-checked frame. <see cref="Payload"/> belongs to the reader and is valid until its next read.</summary>
/// <param name="Type">Message type.</param>
/// <param name="Sequence">Sender's sequence number.</param>
/// <param name="Payload">Payload bytes.</param>
public readonly record struct Frame(MessageType Type, ushort Sequence, ReadOnlyMemory<byte> Payload);

/// <summary>What one read produced.</summary>
public enum FrameReadStatus
{
    /// <summary>A valid frame.</summary>
    Frame,
    /// <summary>Bytes that looked like a frame header but failed the CRC; the reader resynchronises.</summary>
    Corrupt,
    /// <summary>The link closed; no more frames.</summary>
    Completed,
}

/// <summary>Result of <see cref="FrameReader.ReadAsync"/>.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Frame">The frame when <see cref="Status"/> is <see cref="FrameReadStatus.Frame"/>.</param>
public readonly record struct FrameReadResult(FrameReadStatus Status, Frame Frame);

/// <summary>Frame layout: parse and build single frames.</summary>
public static class FrameCodec
{
    /// <summary>Outcome of <see cref="TryParse"/>.</summary>
    public enum ParseStatus
    {
        /// <summary>More bytes are needed.</summary>
        NeedMoreData,
        /// <summary>A valid frame was parsed.</summary>
        Frame,
        /// <summary>A plausible header failed the CRC; one byte was skipped to resynchronise.</summary>
        Corrupt,
    }

    /// <summary>True for type codes the protocol defines.</summary>
    /// <param name="type">Raw type byte.</param>
    /// <returns>Whether it is a <see cref="MessageType"/>.</returns>
    public static bool IsKnownType(byte type) => Enum.IsDefined((MessageType)type);

    /// <summary>
    /// Looks for one frame at the start of <paramref name="buffer"/>, skipping garbage before a sync word.
    /// On return <paramref name="buffer"/> starts after whatever was consumed.
    /// </summary>
    /// <param name="buffer">Received bytes; sliced past consumed bytes.</param>
    /// <param name="payloadBuffer">At least <see cref="ProtocolConstants.MaxPayloadLength"/> bytes; receives the payload.</param>
    /// <param name="frame">The frame (its payload in <paramref name="payloadBuffer"/>) when the result is <see cref="ParseStatus.Frame"/>.</param>
    /// <param name="discarded">Bytes skipped as garbage during this call.</param>
    /// <returns>What was found.</returns>
    public static ParseStatus TryParse(ref ReadOnlySequence<byte> buffer, Memory<byte> payloadBuffer, out Frame frame, out long discarded)
    {
        frame = default;
        discarded = 0;
        Span<byte> header = stackalloc byte[ProtocolConstants.HeaderSize];
        Span<byte> trailer = stackalloc byte[ProtocolConstants.TrailerSize];
        while (true)
        {
            var sync = buffer.PositionOf(ProtocolConstants.Sync0);
            if (sync is null)
            {
                discarded += buffer.Length;
                buffer = buffer.Slice(buffer.End);
                return ParseStatus.NeedMoreData;
            }

            var skipped = buffer.Slice(0, sync.Value).Length;
            discarded += skipped;
            buffer = buffer.Slice(sync.Value);
            if (buffer.Length < ProtocolConstants.HeaderSize)
            {
                // A partial header may still turn out wrong; only a wrong second byte is certain now.
                if (buffer.Length >= 2 && buffer.Slice(1, 1).FirstSpan[0] != ProtocolConstants.Sync1)
                {
                    discarded++;
                    buffer = buffer.Slice(1);
                    continue;
                }

                return ParseStatus.NeedMoreData;
            }

            buffer.Slice(0, ProtocolConstants.HeaderSize).CopyTo(header);
            int length = BinaryPrimitives.ReadUInt16LittleEndian(header[4..]);
            if (header[1] != ProtocolConstants.Sync1 || header[3] != 0 || !IsKnownType(header[2]) || length > ProtocolConstants.MaxPayloadLength)
            {
                discarded++;
                buffer = buffer.Slice(1);
                continue;
            }

            long total = ProtocolConstants.HeaderSize + length + ProtocolConstants.TrailerSize;
            if (buffer.Length < total)
            {
                return ParseStatus.NeedMoreData;
            }

            var payload = payloadBuffer.Span[..length];
            buffer.Slice(ProtocolConstants.HeaderSize, length).CopyTo(payload);
            buffer.Slice(ProtocolConstants.HeaderSize + length, ProtocolConstants.TrailerSize).CopyTo(trailer);
            uint crc = ~Crc32.Update(Crc32.Update(0xFFFFFFFFu, header), payload);
            if (crc != BinaryPrimitives.ReadUInt32LittleEndian(trailer))
            {
                discarded++;
                buffer = buffer.Slice(1);
                return ParseStatus.Corrupt;
            }

            frame = new Frame((MessageType)header[2], BinaryPrimitives.ReadUInt16LittleEndian(header[6..]), payloadBuffer[..length]);
            buffer = buffer.Slice(total);
            return ParseStatus.Frame;
        }
    }

    /// <summary>Writes one whole frame (header, payload, CRC) for <paramref name="message"/>.</summary>
    /// <typeparam name="TMessage">Message type.</typeparam>
    /// <param name="output">Where the bytes go.</param>
    /// <param name="message">The payload.</param>
    /// <param name="sequence">Sequence number for the header.</param>
    /// <returns>Frame length in bytes.</returns>
    public static int Write<TMessage>(IBufferWriter<byte> output, TMessage message, ushort sequence)
        where TMessage : IProtocolMessage
    {
        ArgumentNullException.ThrowIfNull(output);
        int length = message.EncodedLength;
        if (length > ProtocolConstants.MaxPayloadLength)
        {
            throw new ArgumentException($"{message.Type} payload of {length} bytes exceeds {ProtocolConstants.MaxPayloadLength}.", nameof(message));
        }

        int total = ProtocolConstants.HeaderSize + length + ProtocolConstants.TrailerSize;
        var span = output.GetSpan(total)[..total];
        span[0] = ProtocolConstants.Sync0;
        span[1] = ProtocolConstants.Sync1;
        span[2] = (byte)message.Type;
        span[3] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], (ushort)length);
        BinaryPrimitives.WriteUInt16LittleEndian(span[6..], sequence);
        message.Encode(span.Slice(ProtocolConstants.HeaderSize, length));
        BinaryPrimitives.WriteUInt32LittleEndian(span[(ProtocolConstants.HeaderSize + length)..], Crc32.Compute(span[..(ProtocolConstants.HeaderSize + length)]));
        output.Advance(total);
        return total;
    }
}

/// <summary>Reads frames from a <see cref="PipeReader"/>, resynchronising after garbage. Not thread-safe.</summary>
public sealed class FrameReader
{
    private readonly PipeReader _reader;
    private readonly byte[] _payload = new byte[ProtocolConstants.MaxPayloadLength];

    /// <summary>Creates a reader over <paramref name="reader"/>.</summary>
    /// <param name="reader">The receive side of the link.</param>
    public FrameReader(PipeReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        _reader = reader;
    }

    /// <summary>Bytes skipped as garbage so far.</summary>
    public long DiscardedBytes { get; private set; }

    /// <summary>Frames dropped for a bad CRC so far.</summary>
    public long CorruptFrames { get; private set; }

    /// <summary>Returns a frame or corrupt-frame event only if the bytes are already buffered; never waits.</summary>
    /// <param name="result">The frame or event.</param>
    /// <returns>False when no whole frame is buffered.</returns>
    public bool TryRead(out FrameReadResult result)
    {
        result = default;
        if (!_reader.TryRead(out var read))
        {
            return false;
        }

        var buffer = read.Buffer;
        var status = FrameCodec.TryParse(ref buffer, _payload, out var frame, out long discarded);
        DiscardedBytes += discarded;
        if (status == FrameCodec.ParseStatus.NeedMoreData)
        {
            _reader.AdvanceTo(buffer.Start, buffer.End);
            return false;
        }

        _reader.AdvanceTo(buffer.Start);
        if (status == FrameCodec.ParseStatus.Corrupt)
        {
            CorruptFrames++;
            result = new FrameReadResult(FrameReadStatus.Corrupt, default);
            return true;
        }

        result = new FrameReadResult(FrameReadStatus.Frame, frame);
        return true;
    }

    /// <summary>Reads the next frame, a corrupt-frame event, or the end of the link.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The result; a frame's payload is valid until the next call.</returns>
    public async ValueTask<FrameReadResult> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var status = FrameCodec.TryParse(ref buffer, _payload, out var frame, out long discarded);
            DiscardedBytes += discarded;
            if (status == FrameCodec.ParseStatus.NeedMoreData)
            {
                _reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    DiscardedBytes += buffer.Length;
                    return new FrameReadResult(FrameReadStatus.Completed, default);
                }

                continue;
            }

            _reader.AdvanceTo(buffer.Start);
            if (status == FrameCodec.ParseStatus.Corrupt)
            {
                CorruptFrames++;
                return new FrameReadResult(FrameReadStatus.Corrupt, default);
            }

            return new FrameReadResult(FrameReadStatus.Frame, frame);
        }
    }
}

/// <summary>Writes frames to a <see cref="PipeWriter"/>.</summary>
public sealed class FrameWriter
{
    private readonly PipeWriter _writer;

    /// <summary>Creates a writer over <paramref name="writer"/>.</summary>
    /// <param name="writer">The send side of the link.</param>
    public FrameWriter(PipeWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _writer = writer;
    }

    /// <summary>Writes one frame without flushing.</summary>
    /// <typeparam name="TMessage">Message type.</typeparam>
    /// <param name="message">The payload.</param>
    /// <param name="sequence">Sequence number for the header.</param>
    /// <returns>Frame length in bytes.</returns>
    public int Write<TMessage>(TMessage message, ushort sequence)
        where TMessage : IProtocolMessage => FrameCodec.Write(_writer, message, sequence);

    /// <summary>Writes one frame and flushes it to the link.</summary>
    /// <typeparam name="TMessage">Message type.</typeparam>
    /// <param name="message">The payload.</param>
    /// <param name="sequence">Sequence number for the header.</param>
    /// <param name="cancellationToken">Cancels the flush.</param>
    /// <returns>A task that completes when the bytes are handed to the link.</returns>
    public async ValueTask WriteAsync<TMessage>(TMessage message, ushort sequence, CancellationToken cancellationToken)
        where TMessage : IProtocolMessage
    {
        Write(message, sequence);
        await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Flushes written frames to the link.</summary>
    /// <param name="cancellationToken">Cancels the flush.</param>
    /// <returns>A task that completes when the bytes are handed to the link.</returns>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        var result = await _writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (result.IsCompleted)
        {
            throw new ProtocolException(ProtocolErrorCode.LinkClosed, "The peer closed the link while frames were being sent.");
        }
    }
}
