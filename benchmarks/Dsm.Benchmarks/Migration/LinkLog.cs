using System.Diagnostics;

namespace Dsm.Benchmarks.Migration;

/// <summary>
/// What crossed a link and when, as seen at the host end: each delivery of device bytes with its
/// Stopwatch timestamp, and the count of host bytes. Thread-safe (the link's pumps write, the runner reads).
/// </summary>
internal sealed class LinkLog
{
    private readonly object _gate = new();
    private readonly List<(long Ticks, long Total)> _deviceDeliveries = [];
    private long _deviceBytes;
    private long _hostBytes;

    /// <summary>Device-to-host bytes delivered so far.</summary>
    public long DeviceBytes { get { lock (_gate) { return _deviceBytes; } } }

    /// <summary>Host-to-device bytes sent so far.</summary>
    public long HostBytes => Interlocked.Read(ref _hostBytes);

    /// <summary>Records <paramref name="count"/> device bytes handed to the host now.</summary>
    public void DeviceDelivered(int count)
    {
        if (count <= 0)
        {
            return;
        }

        long now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            _deviceBytes += count;
            _deviceDeliveries.Add((now, _deviceBytes));
        }
    }

    /// <summary>Records <paramref name="count"/> host bytes sent towards the device.</summary>
    public void HostSent(int count) => Interlocked.Add(ref _hostBytes, count);

    /// <summary>When the host had received at least <paramref name="bytes"/> device bytes, or null.</summary>
    public long? DeviceBytesReachedAt(long bytes)
    {
        lock (_gate)
        {
            foreach (var (ticks, total) in _deviceDeliveries)
            {
                if (total >= bytes)
                {
                    return ticks;
                }
            }

            return null;
        }
    }
}
