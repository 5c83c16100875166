using Dsm.Emulation.CortexM3.Timing;

namespace Dsm.Emulation.SystemControl.Tests;

[TestFixture]
public sealed class PacerTests
{
    private const uint OneMegahertz = 1_000_000;

    private EventScheduler _scheduler = null!;
    private ManualTimeProvider _clock = null!;

    [SetUp]
    public void SetUp()
    {
        _scheduler = new EventScheduler(OneMegahertz);
        _clock = new ManualTimeProvider();
    }

    [Test]
    public void DeterministicModeNeverWaitsAndSleepJumpsToTheNextEvent()
    {
        var pacer = new Pacer(_scheduler, PacingMode.Deterministic, _clock);
        _scheduler.CreateEvent("timer", _ => { }).ScheduleAt(5_000_000);
        pacer.WaitUntilDue(3_000_000, CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(pacer.Sleep(1000, CancellationToken.None), Is.EqualTo(5_000_000UL));
            Assert.That(_clock.Waited, Is.Empty);
            Assert.That(_clock.Elapsed, Is.EqualTo(TimeSpan.Zero));
        });
    }

    [Test]
    public void DeterministicSleepWithNothingScheduledNeverWakes()
    {
        var pacer = new Pacer(_scheduler, PacingMode.Deterministic, _clock);
        Assert.That(pacer.Sleep(1000, CancellationToken.None), Is.EqualTo(ulong.MaxValue));
    }

    [Test]
    public void RealTimeWaitsWhenTheGuestIsAhead()
    {
        var pacer = new Pacer(_scheduler, PacingMode.RealTime, _clock);
        pacer.WaitUntilDue(2_000, CancellationToken.None); // 2 ms of guest time at 1 MHz
        Assert.Multiple(() =>
        {
            Assert.That(_clock.Waited, Is.EqualTo(new[] { TimeSpan.FromMilliseconds(2) }));
            Assert.That(_clock.Elapsed, Is.EqualTo(TimeSpan.FromMilliseconds(2)));
        });
        _clock.Advance(TimeSpan.FromMilliseconds(1.5));
        pacer.WaitUntilDue(4_000, CancellationToken.None);
        Assert.That(_clock.Waited[^1], Is.EqualTo(TimeSpan.FromMilliseconds(1)), "0.5 ms ahead, rounded up to the timer resolution");
    }

    [Test]
    public void RealTimeDoesNotWaitWhenTheGuestIsBehind()
    {
        var pacer = new Pacer(_scheduler, PacingMode.RealTime, _clock);
        _clock.Advance(TimeSpan.FromMilliseconds(50));
        pacer.WaitUntilDue(10_000, CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(_clock.Waited, Is.Empty);
            Assert.That(pacer.LagResets, Is.Zero);
        });
        pacer.WaitUntilDue(60_000, CancellationToken.None); // caught up and 10 ms ahead
        Assert.That(_clock.Waited, Is.EqualTo(new[] { TimeSpan.FromMilliseconds(10) }));
    }

    [Test]
    public void FallingTooFarBehindReanchorsInsteadOfRacing()
    {
        var pacer = new Pacer(_scheduler, PacingMode.RealTime, _clock) { MaxLag = TimeSpan.FromMilliseconds(100) };
        _clock.Advance(TimeSpan.FromSeconds(5)); // the host was paused
        pacer.WaitUntilDue(1_000, CancellationToken.None);
        Assert.That(pacer.LagResets, Is.EqualTo(1));
        pacer.WaitUntilDue(3_000, CancellationToken.None);
        Assert.That(_clock.Waited, Is.EqualTo(new[] { TimeSpan.FromMilliseconds(2) }), "paced from the new anchor, not 5 s in the past");
    }

    [Test]
    public void RealTimeSleepWaitsForTheNextEventsWallTime()
    {
        var pacer = new Pacer(_scheduler, PacingMode.RealTime, _clock);
        _scheduler.CreateEvent("tick", _ => { }).ScheduleAt(7_000);
        ulong resume = pacer.Sleep(2_000, CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(resume, Is.EqualTo(7_000UL));
            Assert.That(_clock.Elapsed, Is.EqualTo(TimeSpan.FromMilliseconds(7)));
        });
    }

    [Test]
    public void SleepReturnsAtOnceWhenTheDeadlineHasPassed()
    {
        var pacer = new Pacer(_scheduler, PacingMode.RealTime, _clock);
        _scheduler.CreateEvent("tick", _ => { }).ScheduleAt(1_000);
        _clock.Advance(TimeSpan.FromMilliseconds(3));
        Assert.Multiple(() =>
        {
            Assert.That(pacer.Sleep(500, CancellationToken.None), Is.EqualTo(1_000UL));
            Assert.That(_clock.Waited, Is.Empty);
        });
    }

    [Test]
    public void WakeBeforeSleepEndsTheNextSleepAtOnce()
    {
        var pacer = new Pacer(_scheduler, PacingMode.RealTime, _clock);
        _scheduler.CreateEvent("tick", _ => { }).ScheduleAt(9_000);
        pacer.Wake();
        Assert.Multiple(() =>
        {
            Assert.That(pacer.Sleep(100, CancellationToken.None), Is.EqualTo(100UL));
            Assert.That(_clock.Waited, Is.Empty);
        });
        Assert.That(pacer.Sleep(100, CancellationToken.None), Is.EqualTo(9_000UL), "a wake is consumed once");
    }

    [Test]
    public void WakeFromAnotherThreadEndsAnIndefiniteSleep()
    {
        var pacer = new Pacer(_scheduler, PacingMode.RealTime, TimeProvider.System);
        var sleeper = Task.Run(() => pacer.Sleep(0, CancellationToken.None));
        Thread.Sleep(50);
        Assert.That(sleeper.IsCompleted, Is.False, "nothing scheduled: sleeps until woken");
        pacer.Wake();
        Assert.That(sleeper.Wait(TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(sleeper.Result, Is.LessThan(ulong.MaxValue));
    }

    [Test]
    public void CancellationEndsASleep()
    {
        var pacer = new Pacer(_scheduler, PacingMode.RealTime, TimeProvider.System);
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        Assert.That(() => pacer.Sleep(0, stop.Token), Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void SliceEndsAtTheQuantumOrTheNextEvent()
    {
        var realTime = new Pacer(_scheduler, PacingMode.RealTime, _clock) { Quantum = TimeSpan.FromMilliseconds(1) };
        var deterministic = new Pacer(_scheduler, PacingMode.Deterministic, _clock);
        Assert.That(realTime.SliceEnd(0), Is.EqualTo(1_000UL));
        var ev = _scheduler.CreateEvent("uart", _ => { });
        ev.ScheduleAt(400);
        Assert.Multiple(() =>
        {
            Assert.That(realTime.SliceEnd(0), Is.EqualTo(400UL));
            Assert.That(deterministic.SliceEnd(0), Is.EqualTo(400UL));
        });
        ev.Cancel();
        Assert.That(deterministic.SliceEnd(0), Is.EqualTo(ulong.MaxValue));
    }

    [Test]
    public void CoreClockChangeKeepsThePastAtTheOldRate()
    {
        var pacer = new Pacer(_scheduler, PacingMode.RealTime, _clock);
        pacer.WaitUntilDue(1_000, CancellationToken.None); // 1 ms at 1 MHz
        _scheduler.CoreClockHz = 4_000_000;
        pacer.WaitUntilDue(9_000, CancellationToken.None);   // 8000 more cycles at 4 MHz: 2 ms more
        Assert.That(_clock.Elapsed, Is.EqualTo(TimeSpan.FromMilliseconds(3)));
    }

    [Test]
    public void StartReanchorsAfterAPause()
    {
        var pacer = new Pacer(_scheduler, PacingMode.RealTime, _clock);
        _clock.Advance(TimeSpan.FromMilliseconds(40)); // paused below MaxLag
        pacer.Start(0);
        pacer.WaitUntilDue(1_000, CancellationToken.None);
        Assert.That(_clock.Waited, Is.EqualTo(new[] { TimeSpan.FromMilliseconds(1) }));
    }
}
