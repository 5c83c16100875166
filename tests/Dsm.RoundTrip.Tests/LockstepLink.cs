using System.Buffers;
using System.IO.Pipelines;
using Dsm.Peripherals.FM3.Serial;

namespace Dsm.RoundTrip.Tests;

/// <summary>
/// The DSMC's serial link held in memory between an emulated device and a <c>MigrationReceiver</c>, run in
/// lockstep so that a session is repeatable: bytes the device sends are handed to the receiver once the device
/// has gone quiet on the line (it then waits for an answer), and the device's next receive poll waits until
/// the receiver has looked at all of them and is waiting for more (or has finished). The receiver's answers
/// therefore reach the device at the same virtual time in every run, however slow the host is.
/// </summary>
internal sealed class LockstepLink : IByteChannel
{
    private static readonly PipeOptions Unbounded = new(pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false);
    private static readonly TimeSpan ReceiverDeadline = TimeSpan.FromSeconds(60);
    private readonly Pipe _toHost = new(Unbounded);
    private readonly Pipe _toDevice = new(Unbounded);
    private readonly Queue<byte> _received = new();
    private readonly Func<ulong> _now;
    private readonly Func<ulong> _quietCycles;
    private readonly object _gate = new();
    private long _flushed;
    private long _synced;
    private long _examinedWhenWaiting = -1;
    private int _unflushed;
    private ulong _lastSendAt;
    private Task? _receiver;

    /// <param name="now">The device's virtual time.</param>
    /// <param name="quietCycles">How long the line must be idle before the receiver sees the bytes.</param>
    public LockstepLink(Func<ulong> now, Func<ulong> quietCycles)
    {
        _now = now;
        _quietCycles = quietCycles;
        HostEnd = new Duplex(new WatchedReader(_toHost.Reader, this), _toDevice.Writer);
    }

    /// <summary>The receiver's end.</summary>
    public IDuplexPipe HostEnd { get; }

    /// <summary>Bytes the device sent.</summary>
    public long BytesFromDevice { get; private set; }

    /// <summary>Bytes the receiver sent to the device.</summary>
    public long BytesToDevice { get; private set; }

    /// <summary>The session as seen on the line: "time:dN" the device had sent N bytes at a hand-over, "time:hN" the host N bytes.</summary>
    public string Timeline => _log.ToString();

    /// <summary>Hand-overs so far (the device waited for the receiver).</summary>
    public int HandOvers { get; private set; }

    /// <summary>Called on the device's thread at each hand-over with the bytes sent so far (failure injection).</summary>
    public Action<long>? AtHandOver { get; set; }

    /// <summary>The receiver's session; the device stops waiting for it once it completed.</summary>
    public void Serve(Task receiver)
    {
        _receiver = receiver;
        receiver.ContinueWith(_ => Wake(), TaskScheduler.Default);
    }

    public void Send(byte value)
    {
        _toHost.Writer.GetSpan(1)[0] = value;
        _toHost.Writer.Advance(1);
        _unflushed++;
        BytesFromDevice++;
        _lastSendAt = _now();
    }

    public bool TryReceive(out byte value)
    {
        if (_received.Count == 0)
        {
            Exchange();
        }

        return _received.TryDequeue(out value);
    }

    private void Exchange()
    {
        if (_unflushed > 0 && _now() - _lastSendAt >= _quietCycles())
        {
            _toHost.Writer.FlushAsync().AsTask().GetAwaiter().GetResult();
            _flushed += _unflushed;
            _unflushed = 0;
        }

        if (_flushed > _synced)
        {
            HandOvers++;
            _log.Append(System.Globalization.CultureInfo.InvariantCulture, $" {_now()}:d{_flushed}");
            AtHandOver?.Invoke(_flushed);
            WaitForReceiver(_flushed);
            _synced = _flushed;
        }

        Drain();
    }

    private readonly System.Text.StringBuilder _log = new();

    private void WaitForReceiver(long bytes)
    {
        var deadline = DateTime.UtcNow + ReceiverDeadline;
        lock (_gate)
        {
            while (Volatile.Read(ref _examinedWhenWaiting) < bytes && _receiver is not { IsCompleted: true })
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"The receiver did not take the device's {bytes} bytes within {ReceiverDeadline.TotalSeconds} s.");
                }

                Monitor.Wait(_gate, 50);
            }
        }
    }

    /// <summary>Waits (wall clock) until the receiver finished; for failure injection at a hand-over.</summary>
    public void WaitForReceiverEnd()
    {
        if (_receiver is { } receiver && !((IAsyncResult)receiver).AsyncWaitHandle.WaitOne(ReceiverDeadline))
        {
            throw new TimeoutException("The receiver did not finish.");
        }
    }

    private void Drain()
    {
        if (_toDevice.Reader.TryRead(out var read))
        {
            foreach (var segment in read.Buffer)
            {
                foreach (byte b in segment.Span)
                {
                    _received.Enqueue(b);
                }
            }

            BytesToDevice += read.Buffer.Length;
            _log.Append(System.Globalization.CultureInfo.InvariantCulture, $" {_now()}:h{BytesToDevice}");
            _toDevice.Reader.AdvanceTo(read.Buffer.End);
        }
    }

    private void ReceiverWaits(long examined)
    {
        lock (_gate)
        {
            if (examined > _examinedWhenWaiting)
            {
                Volatile.Write(ref _examinedWhenWaiting, examined);
            }

            Monitor.PulseAll(_gate);
        }
    }

    private void Wake()
    {
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }
    }

    public void Dispose()
    {
        _toHost.Writer.Complete();
        _toDevice.Reader.Complete();
    }

    private sealed record Duplex(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    /// <summary>Counts the bytes the receiver has examined and reports when it waits for more.</summary>
    private sealed class WatchedReader(PipeReader inner, LockstepLink link) : PipeReader
    {
        private long _consumed;
        private long _examined;
        private ReadOnlySequence<byte> _last;

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            var read = inner.ReadAsync(cancellationToken);
            if (!read.IsCompleted)
            {
                // Nothing unexamined is buffered: the receiver has processed everything it was given.
                link.ReceiverWaits(_examined);
                return Track(read);
            }

            Remember(read.Result);
            return read;
        }

        private async ValueTask<ReadResult> Track(ValueTask<ReadResult> read)
        {
            var result = await read.ConfigureAwait(false);
            Remember(result);
            return result;
        }

        public override bool TryRead(out ReadResult result)
        {
            if (!inner.TryRead(out result))
            {
                return false;
            }

            Remember(result);
            return true;
        }

        private void Remember(ReadResult result) => _last = result.Buffer;

        public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
            _examined = Math.Max(_examined, _consumed + _last.Slice(0, examined).Length);
            _consumed += _last.Slice(0, consumed).Length;
            inner.AdvanceTo(consumed, examined);
        }

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);
    }
}
