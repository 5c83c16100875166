using Dsm.Emulation.CortexM3;
using Dsm.Emulation.CortexM3.Elf;
using Microsoft.Extensions.Logging;

namespace Dsm.Migration;

/// <summary>Life cycle of a hosted system.</summary>
public enum HostedSystemState
{
    /// <summary>Imported, waiting for the device to confirm it stopped (or for an operator, for a copy).</summary>
    Held,

    /// <summary>Executing instructions.</summary>
    Running,

    /// <summary>The guest sleeps (WFI/WFE) until its next timer event or an input.</summary>
    Sleeping,

    /// <summary>The guest faulted or locked up; <see cref="HostedSystem.FaultReport"/> says how. The host is unaffected.</summary>
    Faulted,

    /// <summary>The guest exited through semihosting.</summary>
    Exited,

    /// <summary>Stopped by the host.</summary>
    Stopped,
}

/// <summary>A migrated system running on the host: what it is, how it is doing, and how to control it.</summary>
public sealed class HostedSystem
{
    // Held by the scheduler while a slice runs (every wake-up, so a single compare-and-swap when free) and by
    // InvokeAsync. A SemaphoreSlim here took two monitor round trips per wake-up.
    private readonly Lock _machineGate = new();
    private readonly ILogger _logger;
    private ulong _instructionsAtStart;
    private long _resumedAtTicks;
    private double _recentMips;
    private long _rateWindowStartTicks;
    private ulong _rateWindowStartInstructions;

    internal HostedSystem(Guid id, Machine machine, GuestConsole console, string boardId, string? buildId, string deviceId, ElfImage? firmware, DateTimeOffset arrivedAt, ILogger logger)
    {
        Id = id;
        Machine = machine;
        Console = console;
        BoardId = boardId;
        BuildId = buildId;
        DeviceId = deviceId;
        Firmware = firmware;
        ArrivedAt = arrivedAt;
        _logger = logger;
        _instructionsAtStart = machine.Cpu.Instructions;
    }

    /// <summary>The host's id of the system.</summary>
    public Guid Id { get; }

    /// <summary>The board the device announced.</summary>
    public string BoardId { get; }

    /// <summary>The firmware's GNU build-id in hex, if the device sent one.</summary>
    public string? BuildId { get; }

    /// <summary>The device id in hex.</summary>
    public string DeviceId { get; }

    /// <summary>The firmware's ELF when the host's image store has it (used for symbols in fault reports).</summary>
    public ElfImage? Firmware { get; }

    /// <summary>When the system arrived.</summary>
    public DateTimeOffset ArrivedAt { get; }

    /// <summary>The system's console output (its console serial channel).</summary>
    public GuestConsole Console { get; }

    /// <summary>Current state.</summary>
    public HostedSystemState State { get; internal set; } = HostedSystemState.Held;

    /// <summary>What stopped a faulted system: registers, fault status, PC's symbol.</summary>
    public string? FaultReport { get; internal set; }

    /// <summary>Guest instructions executed on this host.</summary>
    public ulong Instructions => Machine.Cpu.Instructions - _instructionsAtStart;

    /// <summary>Wall time since the system was resumed on this host.</summary>
    public TimeSpan Uptime => _resumedAtTicks == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(Environment.TickCount64 * TimeSpan.TicksPerMillisecond - _resumedAtTicks);

    /// <summary>Guest million instructions per second over the last second or so of wall time.</summary>
    public double Mips => Volatile.Read(ref _recentMips);

    /// <summary>The guest's virtual time in seconds.</summary>
    public double VirtualSeconds => Machine.Scheduler.NowSeconds;

    internal Machine Machine { get; }

    internal SystemPacer? Pacer { get; set; }

    internal long NextWakeTicks { get; set; }

    // Scheduler bookkeeping, guarded by the scheduler's lock: whether the system takes part in scheduling, and the
    // version of its one live queue entry (older entries are stale).
    internal bool Scheduled;

    internal long ScheduleVersion;

    internal bool StopRequested { get; set; }

    internal volatile bool WakeRequested;

    // Resumed and not yet run a slice here: the first slice logs its start time. Read and cleared under the machine gate.
    internal bool AwaitingFirstSlice;

    /// <summary>
    /// Runs <paramref name="action"/> on the machine between two slices of execution (the machine is never
    /// touched by two threads at once): drive a GPIO or external-interrupt line, read peripheral state.
    /// </summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="action">Works on the machine; must be quick.</param>
    /// <param name="cancellationToken">Cancels the wait for the machine.</param>
    /// <returns>The action's result.</returns>
    public Task<T> InvokeAsync<T>(Func<Machine, T> action, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }

        if (_machineGate.TryEnter())
        {
            try
            {
                return Task.FromResult(RunInGate(action));
            }
            catch (Exception ex)
            {
                return Task.FromException<T>(ex); // as an async method would report it
            }
        }

        // A slice is running (at most one quantum): wait for it on a pool thread, which takes and leaves the gate itself.
        return Task.Run(
            () =>
            {
                while (!_machineGate.TryEnter(GateWaitStep))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                return RunInGate(action);
            },
            cancellationToken);
    }

    private static readonly TimeSpan GateWaitStep = TimeSpan.FromMilliseconds(10);

    // With the gate held: runs the action and leaves the gate.
    private T RunInGate<T>(Func<Machine, T> action)
    {
        try
        {
            return action(Machine);
        }
        finally
        {
            _machineGate.Exit();
        }
    }

    internal void EnterGate() => _machineGate.Enter();

    internal void LeaveGate() => _machineGate.Exit();

    internal void MarkResumed()
    {
        _instructionsAtStart = Machine.Cpu.Instructions;
        _resumedAtTicks = Environment.TickCount64 * TimeSpan.TicksPerMillisecond;
        _rateWindowStartTicks = 0;
    }

    // Called with the gate held at the start of each slice, with the wall clock the slice starts at: closes a rate window
    // once a second of wall time has passed (a compare per slice otherwise).
    internal void NoteProgress(long nowTicks)
    {
        ulong instructions = Machine.Cpu.Instructions;
        if (_rateWindowStartTicks == 0)
        {
            (_rateWindowStartTicks, _rateWindowStartInstructions) = (nowTicks, instructions);
            return;
        }

        long elapsed = nowTicks - _rateWindowStartTicks;
        if (elapsed >= TimeSpan.TicksPerSecond)
        {
            Volatile.Write(ref _recentMips, (instructions - _rateWindowStartInstructions) / (elapsed / (double)TimeSpan.TicksPerSecond) / 1e6);
            (_rateWindowStartTicks, _rateWindowStartInstructions) = (nowTicks, instructions);
        }
    }

    internal void Fault(string report)
    {
        FaultReport = report;
        State = HostedSystemState.Faulted;
        _logger.LogError("System {Id} faulted:\n{Report}", Id, report);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Id:D} {BoardId} {State} {Instructions} instr";
}
