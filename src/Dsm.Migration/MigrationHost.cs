using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Dsm.Emulation.CortexM3;
using Dsm.Emulation.CortexM3.Boards;
using Dsm.Emulation.CortexM3.Timing;
using Dsm.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dsm.Migration;

/// <summary>Something happened to a hosted system.</summary>
/// <param name="System">The system.</param>
public sealed class HostedSystemEventArgs(HostedSystem System) : EventArgs
{
    /// <summary>The system concerned.</summary>
    public HostedSystem System { get; } = System;
}

/// <summary>
/// The backup computer's side of live migration, embeddable in any .NET service: accepts emigrating
/// systems (TCP, serial ports, any stream or duplex pipe), stores each durably before the device is told it
/// may stop, rebuilds it on the Dsm engine and runs it in real time alongside many others on a few threads.
/// Systems survive a host restart through the state directory.
/// </summary>
public sealed class MigrationHost : IAsyncDisposable
{
    private readonly MigrationHostOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly FirmwareImageStore _images;
    private readonly SystemStore _store;
    private readonly ConcurrentDictionary<Guid, HostedSystem> _systems = new();
    private readonly ConcurrentDictionary<Guid, Task> _confirming = new(); // Confirmed state writes in flight
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Emulation.CortexM3.Memory.SharedMemoryPool _sharedFlash = new(); // one flash image per firmware, not per system
    private SystemScheduler? _scheduler;
    private Task? _snapshotLoop;

    /// <summary>Creates a host; call <see cref="StartAsync"/> before accepting systems.</summary>
    /// <param name="options">Configuration.</param>
    /// <param name="loggerFactory">Loggers for the host and the machines it runs.</param>
    public MigrationHost(MigrationHostOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _loggers = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggers.CreateLogger<MigrationHost>();
        _images = new FirmwareImageStore(_loggers.CreateLogger<FirmwareImageStore>());
        _store = new SystemStore(options.StateDirectory, _loggers.CreateLogger<SystemStore>());
    }

    /// <summary>A system arrived and is stored (it runs once the device confirms it stopped).</summary>
    public event EventHandler<HostedSystemEventArgs>? SystemArrived;

    /// <summary>A system started or resumed running on this host.</summary>
    public event EventHandler<HostedSystemEventArgs>? SystemResumed;

    /// <summary>A system faulted or locked up; the host goes on.</summary>
    public event EventHandler<HostedSystemEventArgs>? SystemFaulted;

    /// <summary>A system exited or was stopped.</summary>
    public event EventHandler<HostedSystemEventArgs>? SystemStopped;

    /// <summary>The systems on this host.</summary>
    public IReadOnlyCollection<HostedSystem> Systems => _systems.Values.OrderBy(s => s.ArrivedAt).ToList();

    /// <summary>The firmware images known, by build-id.</summary>
    public FirmwareImageStore Images => _images;

    // Pacing measurements of the worker threads (the hosting-density benchmark reads them).
    internal SchedulerStatistics? SchedulerStatistics => _scheduler?.Statistics;

    /// <summary>Finds a system by id.</summary>
    /// <param name="id">The id.</param>
    /// <returns>The system or null.</returns>
    public HostedSystem? Find(Guid id) => _systems.GetValueOrDefault(id);

    /// <summary>Loads the firmware images, starts the worker threads and resumes stored systems.</summary>
    /// <param name="cancellationToken">Cancels start-up.</param>
    /// <returns>A task that completes when the host is ready.</returns>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_scheduler is not null)
        {
            throw new InvalidOperationException("The host is already started.");
        }

        if (_options.ImageDirectory is { } images)
        {
            _images.AddDirectory(images);
        }

        _scheduler = new SystemScheduler(_options.WorkerThreads, RunSlice, _options.TimeProvider, _logger);
        if (_options.ResumeStoredSystems)
        {
            foreach (var stored in _store.List())
            {
                cancellationToken.ThrowIfCancellationRequested();
                await RestoreAsync(stored, cancellationToken).ConfigureAwait(false);
            }
        }

        if (_options.SnapshotInterval > TimeSpan.Zero)
        {
            _snapshotLoop = SnapshotLoopAsync(_shutdown.Token);
        }
    }

    /// <summary>Listens for emigrating devices on TCP until <paramref name="cancellationToken"/> fires.</summary>
    /// <param name="endpoint">Where to listen (e.g. 127.0.0.1:7070).</param>
    /// <param name="cancellationToken">Stops listening; sessions in progress are cancelled too.</param>
    /// <param name="listening">Told the bound endpoint once the socket listens (useful with port 0).</param>
    /// <returns>A task that completes when listening stops.</returns>
    public async Task ListenAsync(IPEndPoint endpoint, CancellationToken cancellationToken, Action<IPEndPoint>? listening = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Token);
        var listener = new TcpListener(endpoint);
        listener.Start();
        _logger.LogInformation("Listening for emigrating systems on {Endpoint}", listener.LocalEndpoint);
        listening?.Invoke((IPEndPoint)listener.LocalEndpoint);
        var sessions = new List<Task>();
        try
        {
            while (!linked.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = await listener.AcceptSocketAsync(linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                socket.NoDelay = true;
                sessions.RemoveAll(t => t.IsCompleted);
                sessions.Add(ServeConnectionAsync(socket, linked.Token));
            }
        }
        finally
        {
            listener.Stop();
            await Task.WhenAll(sessions).ConfigureAwait(false);
        }
    }

    private async Task ServeConnectionAsync(Socket socket, CancellationToken cancellationToken)
    {
        var remote = socket.RemoteEndPoint;
        await using var stream = new LinkMeter(new NetworkStream(socket, ownsSocket: true), _options.TimeProvider);
        try
        {
            var hosted = await AcceptAsync(stream, cancellationToken).ConfigureAwait(false);
            _logger.LogInformation("System {Id} link: first byte at {FirstByte} (Unix µs), {In} bytes from the device, {Out} bytes to it",
                hosted.Id, stream.FirstReadAt is { } first ? Micros(first) : 0, stream.BytesRead, stream.BytesWritten);
        }
        catch (Exception ex) when (ex is ProtocolException or MigrationException or IOException or OperationCanceledException)
        {
            _logger.LogWarning("Migration from {Remote} did not complete: {Reason}", remote, ex.Message);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // One bad session must never take the host (and every system on it) down.
            _logger.LogError(ex, "Migration from {Remote} failed unexpectedly", remote);
        }
    }

    /// <summary>Runs one migration session on a byte stream (a socket, a serial port's stream).</summary>
    /// <param name="link">The link to the device.</param>
    /// <param name="cancellationToken">Cancels the session; the device then keeps running.</param>
    /// <returns>The hosted system, running when the device confirmed it stopped, held otherwise.</returns>
    public Task<HostedSystem> AcceptAsync(Stream link, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(link);
        var pipe = new StreamDuplexPipe(PipeReader.Create(link, new StreamPipeReaderOptions(leaveOpen: true)), PipeWriter.Create(link, new StreamPipeWriterOptions(leaveOpen: true)));
        return AcceptAsync(pipe, cancellationToken);
    }

    /// <summary>Accepts migrations on a serial port (one session at a time) until <paramref name="cancellationToken"/> fires.</summary>
    /// <param name="portName">The port, e.g. "/dev/ttyUSB0" or "COM3".</param>
    /// <param name="baudRate">The link's baud rate.</param>
    /// <param name="cancellationToken">Stops serving the port.</param>
    /// <returns>A task that completes when serving stops.</returns>
    public async Task ServeSerialPortAsync(string portName, int baudRate, CancellationToken cancellationToken)
    {
        using var port = new System.IO.Ports.SerialPort(portName, baudRate) { ReadTimeout = System.IO.Ports.SerialPort.InfiniteTimeout };
        port.Open();
        _logger.LogInformation("Listening for emigrating systems on {Port} at {Baud} Bd", portName, baudRate);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await AcceptAsync(port.BaseStream, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ProtocolException or MigrationException or IOException)
            {
                _logger.LogWarning("Migration on {Port} did not complete: {Reason}", portName, ex.Message);
            }
        }
    }

    /// <summary>Runs one migration session on a duplex pipe.</summary>
    /// <param name="link">The link to the device.</param>
    /// <param name="cancellationToken">Cancels the session; the device then keeps running.</param>
    /// <returns>The hosted system, running when the device confirmed it stopped, held otherwise.</returns>
    /// <exception cref="ProtocolException">The session failed; nothing is hosted and the device keeps running.</exception>
    public async Task<HostedSystem> AcceptAsync(IDuplexPipe link, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(link);
        var scheduler = _scheduler ?? throw new InvalidOperationException("Call StartAsync before accepting systems.");
        var arrival = new Arrival(this);
        var receiver = new MigrationReceiver(_images, arrival, _options.DeviceKeys, _options.Receiver, _loggers.CreateLogger<MigrationReceiver>());
        MigrationResult result;
        try
        {
            result = await receiver.ReceiveAsync(link, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await arrival.CommittedRecordSettled().ConfigureAwait(false);
            arrival.Discard();
            throw;
        }

        var hosted = arrival.Hosted ?? throw new InvalidOperationException("The receiver completed without storing the system.");
        if (result.Completion is not (MigrationCompletion.Moved or MigrationCompletion.PushedMove))
        {
            await arrival.CommittedRecorded.ConfigureAwait(false);
        }

        var confirmedAt = _options.TimeProvider.GetUtcNow();
        _logger.LogInformation("System {Id} timeline: stored {Stored}, committed {Committed}, {Completion} {Confirmed} (Unix µs)",
            hosted.Id, Micros(arrival.StoredAt), Micros(arrival.CommittedAt), result.Completion, Micros(confirmedAt));
        switch (result.Completion)
        {
            case MigrationCompletion.Moved:
            case MigrationCompletion.PushedMove:
                // DONE means the device has stopped: the system runs here now. The Confirmed record only tells a
                // restarted host to resume it, so it is written while the system already runs (not on the downtime).
                var confirming = ConfirmAfterAsync(arrival.CommittedRecorded, hosted.Id, cancellationToken);
                _confirming[hosted.Id] = confirming;
                Resume(hosted);
                try
                {
                    await confirming.ConfigureAwait(false);
                }
                finally
                {
                    _confirming.TryRemove(hosted.Id, out _);
                }

                break;
            case MigrationCompletion.Unconfirmed:
                _logger.LogWarning("System {Id} is held: the device did not confirm it stopped. Resume it by hand if the device is down.", hosted.Id);
                break;
            case MigrationCompletion.Copied:
                _logger.LogInformation("System {Id} is a copy (push-only link, the device runs on); it is held", hosted.Id);
                break;
        }

        return hosted;
    }

    // The state file is written once at a time: Committed (when still in flight), then Confirmed.
    private async Task ConfirmAfterAsync(Task committedRecorded, Guid id, CancellationToken cancellationToken)
    {
        await committedRecorded.ConfigureAwait(false);
        await _store.SetStateAsync(id, HandOverState.Confirmed, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts a held system (operator decision after an unconfirmed hand-over, or a copy).</summary>
    /// <param name="id">The system.</param>
    /// <param name="cancellationToken">Cancels the state update.</param>
    /// <returns>A task that completes when the system is scheduled.</returns>
    public async Task ResumeAsync(Guid id, CancellationToken cancellationToken)
    {
        var system = Find(id) ?? throw new KeyNotFoundException($"No system {id} on this host.");
        if (system.State != HostedSystemState.Held)
        {
            throw new InvalidOperationException($"System {id} is {system.State}, not held.");
        }

        await _store.SetStateAsync(id, HandOverState.Confirmed, cancellationToken).ConfigureAwait(false);
        Resume(system);
    }

    /// <summary>Stops a system for good on this host (its files stay, marked stopped).</summary>
    /// <param name="id">The system.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the system no longer runs.</returns>
    public async Task StopAsync(Guid id, CancellationToken cancellationToken)
    {
        var system = Find(id) ?? throw new KeyNotFoundException($"No system {id} on this host.");
        system.StopRequested = true;
        _scheduler?.Remove(system);
        await system.InvokeAsync(_ => true, cancellationToken).ConfigureAwait(false); // waits out a slice in progress
        system.State = HostedSystemState.Stopped;
        if (_confirming.TryGetValue(id, out var confirming))
        {
            await confirming.ConfigureAwait(false); // the state file is written once at a time; Stopped comes last
        }

        await _store.SetStateAsync(id, HandOverState.Stopped, cancellationToken).ConfigureAwait(false);
        SystemStopped?.Invoke(this, new HostedSystemEventArgs(system));
    }

    /// <summary>Writes a snapshot of a system to the state directory, so a host restart resumes it from here.</summary>
    /// <param name="id">The system.</param>
    /// <param name="cancellationToken">Cancels the snapshot.</param>
    /// <returns>The snapshot's size in bytes.</returns>
    public async Task<int> SnapshotAsync(Guid id, CancellationToken cancellationToken)
    {
        var system = Find(id) ?? throw new KeyNotFoundException($"No system {id} on this host.");
        byte[] image = await system.InvokeAsync(m => m.ExportState(), cancellationToken).ConfigureAwait(false);
        await _store.WriteSnapshotAsync(id, image, cancellationToken).ConfigureAwait(false);
        return image.Length;
    }

    private void Resume(HostedSystem system)
    {
        var machine = system.Machine;
        system.Pacer = new SystemPacer(_options.TimeProvider, machine.Scheduler.Now, machine.Scheduler.CoreClockHz, _options.MaxLag);
        system.MarkResumed();
        system.State = HostedSystemState.Running;
        system.AwaitingFirstSlice = true;
        _logger.LogInformation("System {Id} ({Board}, firmware {BuildId}) resumed", system.Id, system.BoardId, system.BuildId ?? "unknown");
        SystemResumed?.Invoke(this, new HostedSystemEventArgs(system));
        _scheduler!.Wake(system);
    }

    // One slice of real-time execution; returns the wall tick the system is next due.
    private long RunSlice(HostedSystem system)
    {
        system.EnterGate();
        try
        {
            if (system.StopRequested || system.State is not (HostedSystemState.Running or HostedSystemState.Sleeping))
            {
                return long.MaxValue;
            }

            var machine = system.Machine;
            var pacer = system.Pacer!;
            if (system.AwaitingFirstSlice)
            {
                system.AwaitingFirstSlice = false;
                _logger.LogInformation("System {Id} runs its first instruction on this host at {Wall} (Unix µs)", system.Id, Micros(_options.TimeProvider.GetUtcNow()));
            }

            long now = pacer.NowTicks;
            system.NoteProgress(now);
            ulong virtualNow = machine.Scheduler.Now;
            pacer.CatchUp(virtualNow, now);
            ulong target = pacer.VirtualAt(now + _options.Quantum.Ticks, virtualNow, machine.Scheduler.CoreClockHz);
            var result = machine.RunSlice(target, long.MaxValue);

            switch (result.Outcome)
            {
                case SliceOutcome.TimeLimit:
                case SliceOutcome.InstructionLimit:
                    system.State = HostedSystemState.Running;
                    return pacer.WallAt(machine.Scheduler.Now);
                case SliceOutcome.Sleeping:
                    system.State = HostedSystemState.Sleeping;
                    return result.WakeAt == ulong.MaxValue ? long.MaxValue : pacer.WallAt(result.WakeAt);
                case SliceOutcome.Exited:
                    system.State = HostedSystemState.Exited;
                    _logger.LogInformation("System {Id} exited with code {Code}", system.Id, result.ExitCode);
                    SystemStopped?.Invoke(this, new HostedSystemEventArgs(system));
                    return long.MaxValue;
                default:
                    system.Fault(result.FaultDescription ?? machine.DescribeState());
                    SystemFaulted?.Invoke(this, new HostedSystemEventArgs(system));
                    return long.MaxValue;
            }
        }
        finally
        {
            system.LeaveGate();
        }
    }

    private async Task RestoreAsync(StoredSystem stored, CancellationToken cancellationToken)
    {
        if (stored.State == HandOverState.Stopped)
        {
            return;
        }

        try
        {
            var (id, receivedAt, system) = SystemRecord.Read(await File.ReadAllBytesAsync(stored.RecordPath, cancellationToken).ConfigureAwait(false));
            var hosted = Build(id, receivedAt, system);
            if (stored.SnapshotPath is { } snapshot)
            {
                hosted.Machine.ImportState(await File.ReadAllBytesAsync(snapshot, cancellationToken).ConfigureAwait(false));
            }

            _systems[id] = hosted;
            _logger.LogInformation("System {Id} restored from {Source} (hand-over {State})", id, stored.SnapshotPath is null ? "its arrival record" : "its snapshot", stored.State);
            if (stored.State == HandOverState.Confirmed)
            {
                Resume(hosted);
            }
            else if (stored.State == HandOverState.Committed && _options.ResumeCommittedSystems)
            {
                _logger.LogWarning("System {Id} resumed although its device never confirmed the stop (the operator asked for it)", id);
                await _store.SetStateAsync(id, HandOverState.Confirmed, cancellationToken).ConfigureAwait(false);
                Resume(hosted);
            }
            else
            {
                _logger.LogWarning("System {Id} restored but held: its hand-over was {State} when the host stopped", id, stored.State);
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or MigrationException or IOException or Emulation.CortexM3.State.StateFormatException)
        {
            _logger.LogError("System files {Path} cannot be restored: {Reason}", stored.RecordPath, ex.Message);
        }
    }

    private bool KnowsBoard(string boardId) => _options.Boards.BoardIds.Contains(boardId, StringComparer.OrdinalIgnoreCase);

    private MigrationException UnknownBoard(string boardId) =>
        new($"Board '{boardId}' is not known to this host (known: {string.Join(", ", _options.Boards.BoardIds)}).");

    // A machine for a system of this board, not yet loaded: built at COMMIT, or ahead while the system streams in.
    private sealed record BlankMachine(BoardDefinition Board, GuestConsole Console, Machine Machine);

    private BlankMachine CreateBlankMachine(string boardId)
    {
        var board = _options.Boards.Create(boardId) ?? throw UnknownBoard(boardId);
        var console = new GuestConsole();
        var machine = Machine.Create(board, new MachineOptions { StandardOutput = console, PacingMode = PacingMode.RealTime, TimeProvider = _options.TimeProvider }, _loggers);
        return new BlankMachine(board, console, machine);
    }

    private HostedSystem Build(Guid id, DateTimeOffset receivedAt, EmigratedSystem system, BlankMachine? prepared = null)
    {
        var (board, console, machine) = prepared ?? CreateBlankMachine(system.Hello.BoardId); // prepared: from this HELLO
        try
        {
            SystemImporter.LoadInto(system, board, machine);
        }
        catch
        {
            MachineResources.Release(machine);
            throw;
        }

        machine.Bus.ShareReadOnlyMemory(_sharedFlash);
        var firmware = _images.Find(system.Hello.BuildId.Span);
        var hosted = new HostedSystem(id, machine, console, system.Hello.BoardId, system.Hello.BuildId.IsEmpty ? null : Convert.ToHexStringLower(system.Hello.BuildId.Span),
            Convert.ToHexStringLower(system.Hello.DeviceId.Span), firmware, receivedAt, _loggers.CreateLogger($"Dsm.Migration.System.{id:N}"));

        // Host input (a console byte) for a sleeping system: run it now, not at its next timer event.
        machine.InputPosted += () =>
        {
            if (hosted.State is HostedSystemState.Running or HostedSystemState.Sleeping)
            {
                _scheduler?.Wake(hosted);
            }
        };
        return hosted;
    }

    private async Task SnapshotLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.SnapshotInterval, _options.TimeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (var system in _systems.Values.Where(s => s.State is HostedSystemState.Running or HostedSystemState.Sleeping))
                {
                    await SnapshotAsync(system.Id, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Stops the workers, snapshots running systems and releases their resources.</summary>
    /// <returns>A task that completes when everything is stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await _shutdown.CancelAsync().ConfigureAwait(false);
        if (_snapshotLoop is not null)
        {
            await _snapshotLoop.ConfigureAwait(false);
        }

        _scheduler?.Dispose();
        foreach (var system in _systems.Values)
        {
            if (system.State is HostedSystemState.Running or HostedSystemState.Sleeping)
            {
                try
                {
                    await _store.WriteSnapshotAsync(system.Id, system.Machine.ExportState(), CancellationToken.None).ConfigureAwait(false);
                }
                catch (IOException ex)
                {
                    _logger.LogError("Snapshot of {Id} at shutdown failed: {Reason}", system.Id, ex.Message);
                }
            }

            MachineResources.Release(system.Machine);
        }

        _shutdown.Dispose();
    }

    // The receiver's view of the host: builds and stores the system before COMMITTED, records COMMITTED.
    private sealed class Arrival(MigrationHost host) : IEmigratedSystemStore, ICommitObserver, ISessionPreparer
    {
        // The machine built while the system streams in (off the path between COMMIT and COMMITTED); null when none.
        private Task<BlankMachine?>? _prepared;

        public void Prepare(HelloMessage hello)
        {
            if (!host.KnowsBoard(hello.BoardId))
            {
                return; // StoreAsync turns the system away
            }

            _prepared = Task.Run(() =>
            {
                try
                {
                    return host.CreateBlankMachine(hello.BoardId);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    host._logger.LogWarning("Building a machine ahead for board {Board} failed ({Reason}); it is built at COMMIT", hello.BoardId, ex.Message);
                    return null;
                }
            });
        }

        // The machine built ahead, handed over once (null if none or it failed).
        private async Task<BlankMachine?> TakePreparedAsync()
        {
            var prepared = Interlocked.Exchange(ref _prepared, null);
            return prepared is null ? null : await prepared.ConfigureAwait(false);
        }

        public HostedSystem? Hosted { get; private set; }

        public DateTimeOffset StoredAt { get; private set; }

        public DateTimeOffset CommittedAt { get; private set; }

        public async Task StoreAsync(EmigratedSystem system, CancellationToken cancellationToken)
        {
            var id = Guid.NewGuid();
            var receivedAt = host._options.TimeProvider.GetUtcNow();
            if (!host.KnowsBoard(system.Hello.BoardId))
            {
                throw host.UnknownBoard(system.Hello.BoardId); // before anything reaches the disk
            }

            // The device waits for COMMITTED while both run: the record's serialisation and durable write do not need
            // the machine, so it is built meanwhile (1-2 ms each on the benchmark host).
            var writing = Task.Run(() => host._store.WriteRecordAsync(id, SystemRecord.Write(id, receivedAt, system), cancellationToken), cancellationToken);
            HostedSystem hosted;
            try
            {
                hosted = host.Build(id, receivedAt, system, await TakePreparedAsync().ConfigureAwait(false));
            }
            catch
            {
                // The session fails before COMMITTED: the device runs on, so no record of this copy may stay.
                await Task.WhenAny(writing).ConfigureAwait(false);
                host._store.Delete(id);
                throw;
            }

            try
            {
                await writing.ConfigureAwait(false);
            }
            catch
            {
                MachineResources.Release(hosted.Machine);
                host._store.Delete(id);
                throw;
            }

            Hosted = hosted;
            StoredAt = host._options.TimeProvider.GetUtcNow();
            host._systems[id] = hosted;
            host._logger.LogInformation("System {Id} from device {Device} ({Board}) stored", id, hosted.DeviceId, hosted.BoardId);
            host.SystemArrived?.Invoke(host, new HostedSystemEventArgs(hosted));
        }

        private bool _committedSent;

        /// <summary>The Committed state write; AcceptAsync awaits it before any later state write.</summary>
        public Task CommittedRecorded { get; private set; } = Task.CompletedTask;

        // Started, not awaited here: on a fast link DONE is back before this write ends, and resuming need not
        // wait for it (a crash before it lands leaves the system held, as a crash just before it would).
        public Task CommittedSentAsync(EmigratedSystem system, CancellationToken cancellationToken)
        {
            _committedSent = true;
            CommittedAt = host._options.TimeProvider.GetUtcNow();
            CommittedRecorded = Hosted is null ? Task.CompletedTask : RecordCommittedAsync(Hosted.Id, cancellationToken);
            return Task.CompletedTask;
        }

        // Logged once durable: an operator (or a test) that kills the host after this line finds it Committed on disk.
        private async Task RecordCommittedAsync(Guid id, CancellationToken cancellationToken)
        {
            await host._store.SetStateAsync(id, HandOverState.Committed, cancellationToken).ConfigureAwait(false);
            host._logger.LogInformation("System {Id} committed: COMMITTED sent to the device", id);
        }

        // A failed session must not leave the write racing the clean-up.
        public async Task CommittedRecordSettled()
        {
            try
            {
                await CommittedRecorded.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or UnauthorizedAccessException)
            {
                host._logger.LogError("Recording that COMMITTED went out failed: {Reason}", ex.Message);
            }
        }

        // A session that failed before COMMITTED went out: the device keeps running, so the stored copy must
        // never run. After COMMITTED the device may have stopped: the system stays, held for an operator.
        public void Discard()
        {
            if (Interlocked.Exchange(ref _prepared, null) is { } prepared)
            {
                // Built ahead for a session that failed before storing: released once built.
                _ = prepared.ContinueWith(t => { if (t.Result is { } blank) MachineResources.Release(blank.Machine); }, TaskScheduler.Default);
            }

            if (Hosted is { } hosted && !_committedSent)
            {
                host._systems.TryRemove(hosted.Id, out _);
                host._store.Delete(hosted.Id);
                MachineResources.Release(hosted.Machine);
            }
        }
    }

    private static long Micros(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    // Counts the link's bytes and notes when the first one arrived (the transfer phase's start).
    private sealed class LinkMeter(Stream inner, TimeProvider clock) : Stream
    {
        private long _read;
        private long _written;

        public DateTimeOffset? FirstReadAt { get; private set; }

        public long BytesRead => Interlocked.Read(ref _read);

        public long BytesWritten => Interlocked.Read(ref _written);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Counted(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            Interlocked.Add(ref _written, count);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref _written, buffer.Length);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false);
        }

        private int Counted(int count)
        {
            if (count > 0 && Interlocked.Add(ref _read, count) == count)
            {
                FirstReadAt = clock.GetUtcNow();
            }

            return count;
        }
    }

    private sealed class StreamDuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
