using Dsm.Emulation.CortexM3.SystemControl;
using Dsm.Emulation.CortexM3.Timing;

namespace Dsm.Emulation.SystemControl.Tests;

/// <summary>A core whose masks and mode the test sets directly.</summary>
internal sealed class FakeCore : IExceptionCore
{
    public bool Primask { get; set; }

    public bool Faultmask { get; set; }

    public byte Basepri { get; set; }

    public int CurrentException { get; set; }

    uint IExceptionCore.Primask => Primask ? 1u : 0;

    uint IExceptionCore.Faultmask => Faultmask ? 1u : 0;

    uint IExceptionCore.Basepri => Basepri;

    uint IExceptionCore.Ipsr => (uint)CurrentException;

    public bool IsPrivileged { get; set; } = true;

    public int ClearCurrentExceptionCalls { get; private set; }

    public int Events { get; private set; }

    public void ClearCurrentException()
    {
        ClearCurrentExceptionCalls++;
        CurrentException = 0;
    }

    public void SignalEvent() => Events++;
}

/// <summary>
/// A wall clock under test control. With <see cref="AutoAdvance"/>, creating a timer moves the clock to the
/// timer's due time and fires it at once, so a blocking wait returns immediately having "waited" exactly its
/// delay; <see cref="Waited"/> records each delay.
/// </summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private long _ticks;

    public bool AutoAdvance { get; set; } = true;

    public List<TimeSpan> Waited { get; } = new();

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public TimeSpan Elapsed => TimeSpan.FromTicks(_ticks);

    public override long GetTimestamp() => _ticks;

    public override DateTimeOffset GetUtcNow() => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) + Elapsed;

    public void Advance(TimeSpan by) => _ticks += by.Ticks;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (AutoAdvance && dueTime != Timeout.InfiniteTimeSpan)
        {
            Waited.Add(dueTime);
            _ticks += dueTime.Ticks;
            callback(state);
        }

        return new InertTimer();
    }

    private sealed class InertTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>A System Control Space on a fresh scheduler, with a fake core attached.</summary>
internal sealed class ScsFixture
{
    public ScsFixture(SystemControlOptions? options = null, uint coreClockHz = 1_000_000)
    {
        Scheduler = new EventScheduler(coreClockHz);
        Scs = new SystemControlSpace(options ?? new SystemControlOptions(), Scheduler);
        Scs.AttachCore(Core);
    }

    public FakeCore Core { get; } = new();

    public EventScheduler Scheduler { get; }

    public SystemControlSpace Scs { get; }

    public ExceptionController Exceptions => Scs.Exceptions;

    public uint Read(uint address, int size = 4) => Scs.Read(address - SystemControlSpace.BaseAddress, size);

    public void Write(uint address, uint value, int size = 4) => Scs.Write(address - SystemControlSpace.BaseAddress, size, value);
}
