namespace Dsm.Migration;

/// <summary>
/// What the scheduler measures about real-time pacing, for the hosting-density benchmark and diagnostics:
/// the lateness of every wake-up (wall time at which a system got the core minus the wall time its virtual
/// clock was due), and how much of its time the worker thread spent running slices rather than waiting.
/// Recording is a few integer updates per wake-up and allocates nothing.
/// </summary>
internal sealed class SchedulerStatistics
{
    // 1 µs buckets up to 100 ms; later wake-ups land in the last bucket (the maximum is kept exactly).
    private const int Buckets = 100_000;
    private readonly long[] _lagHistogram = new long[Buckets];
    private readonly object _gate = new();
    private long _wakeups;
    private long _maxLagTicks;
    private long _idleTicks;
    private long _windowStart = DateTime.UtcNow.Ticks;

    /// <summary>Records one wake-up that happened <paramref name="lagTicks"/> (100 ns) after it was due.</summary>
    public void RecordLag(long lagTicks)
    {
        long micros = Math.Max(0, lagTicks) / 10;
        lock (_gate)
        {
            _lagHistogram[Math.Min(micros, Buckets - 1)]++;
            _wakeups++;
            _maxLagTicks = Math.Max(_maxLagTicks, lagTicks);
        }
    }

    /// <summary>Adds time a worker spent waiting for the next due system.</summary>
    public void AddIdle(long ticks) => Interlocked.Add(ref _idleTicks, ticks);

    /// <summary>Forgets everything recorded so far (the start of a measurement window).</summary>
    public void Reset()
    {
        lock (_gate)
        {
            Array.Clear(_lagHistogram);
            _wakeups = 0;
            _maxLagTicks = 0;
        }

        Interlocked.Exchange(ref _idleTicks, 0);
        Interlocked.Exchange(ref _windowStart, DateTime.UtcNow.Ticks);
    }

    /// <summary>Wake-ups recorded.</summary>
    public long Wakeups
    {
        get
        {
            lock (_gate)
            {
                return _wakeups;
            }
        }
    }

    /// <summary>Time since the last reset that the (single) worker spent outside its waits: running slices or scheduling.</summary>
    public TimeSpan Busy => TimeSpan.FromTicks(Math.Max(0, DateTime.UtcNow.Ticks - Interlocked.Read(ref _windowStart) - Interlocked.Read(ref _idleTicks)));

    /// <summary>The largest lateness recorded.</summary>
    public TimeSpan MaxLag
    {
        get
        {
            lock (_gate)
            {
                return TimeSpan.FromTicks(_maxLagTicks);
            }
        }
    }

    /// <summary>The lateness below which <paramref name="fraction"/> of the wake-ups fall (1 µs resolution).</summary>
    /// <param name="fraction">0..1, e.g. 0.99.</param>
    /// <returns>The percentile; zero when nothing was recorded.</returns>
    public TimeSpan LagPercentile(double fraction)
    {
        lock (_gate)
        {
            if (_wakeups == 0)
            {
                return TimeSpan.Zero;
            }

            long rank = (long)Math.Ceiling(fraction * _wakeups);
            long seen = 0;
            for (int i = 0; i < Buckets; i++)
            {
                seen += _lagHistogram[i];
                if (seen >= rank)
                {
                    return TimeSpan.FromTicks((i + 1) * 10L); // upper edge of the bucket: never optimistic
                }
            }

            return TimeSpan.FromTicks(_maxLagTicks);
        }
    }
}
