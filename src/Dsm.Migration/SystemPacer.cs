namespace Dsm.Migration;

/// <summary>
/// Maps a hosted system's virtual time (core cycles) to the host's wall clock so the guest runs in real
/// time: never ahead, and behind only by the time a slice takes. The mapping is rebased whenever the
/// guest's core clock changes (firmware switching the PLL) or the guest falls too far behind.
/// </summary>
internal sealed class SystemPacer
{
    private readonly TimeProvider _time;
    private long _anchorWallTicks;
    private ulong _anchorVirtual;
    private uint _hz;

    public SystemPacer(TimeProvider time, ulong virtualNow, uint coreClockHz, TimeSpan maxLag)
    {
        _time = time;
        MaxLag = maxLag;
        Rebase(virtualNow, coreClockHz);
    }

    public TimeSpan MaxLag { get; }

    /// <summary>How many times the guest fell more than <see cref="MaxLag"/> behind and time was given up.</summary>
    public long LagResets { get; private set; }

    public long NowTicks => WallClock.Ticks(_time);

    /// <summary>The virtual time the guest should have reached at <paramref name="wallTicks"/>.</summary>
    public ulong VirtualAt(long wallTicks, ulong virtualNow, uint coreClockHz)
    {
        if (coreClockHz != _hz)
        {
            Rebase(virtualNow, coreClockHz);
        }

        double seconds = (wallTicks - _anchorWallTicks) / (double)TimeSpan.TicksPerSecond;
        return seconds <= 0 ? _anchorVirtual : _anchorVirtual + (ulong)(seconds * _hz);
    }

    /// <summary>The wall time at which the guest reaches <paramref name="virtualTime"/>.</summary>
    public long WallAt(ulong virtualTime)
    {
        if (virtualTime <= _anchorVirtual || _hz == 0)
        {
            return _anchorWallTicks;
        }

        double seconds = (virtualTime - _anchorVirtual) / (double)_hz;
        return seconds > TimeSpan.MaxValue.TotalSeconds / 2 ? long.MaxValue : _anchorWallTicks + (long)(seconds * TimeSpan.TicksPerSecond);
    }

    /// <summary>Gives up lost time when the guest is more than <see cref="MaxLag"/> behind (host overloaded or paused).</summary>
    public bool CatchUp(ulong virtualNow, long wallTicks)
    {
        long behind = wallTicks - WallAt(virtualNow);
        if (behind > MaxLag.Ticks)
        {
            Rebase(virtualNow, _hz);
            LagResets++;
            return true;
        }

        return false;
    }

    public void Rebase(ulong virtualNow, uint coreClockHz)
    {
        _anchorWallTicks = NowTicks;
        _anchorVirtual = virtualNow;
        _hz = coreClockHz;
    }
}
