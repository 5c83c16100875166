using System.Diagnostics;
using Dsm.Migration;

namespace Dsm.Benchmarks.Migration;

/// <summary>
/// A real <see cref="MigrationHost"/> with a state directory of its own, and a probe that timestamps each resumed
/// system's first slice: the probe is posted to the machine before the scheduler first runs it, so it runs
/// right before the first resumed instruction.
/// </summary>
internal sealed class HostUnderTest : IAsyncDisposable
{
    private readonly string _directory;
    private TaskCompletionSource<long> _firstInstruction = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HostUnderTest(MigrationHost host, string directory)
    {
        Host = host;
        _directory = directory;
        host.SystemResumed += (_, e) =>
        {
            // The handler runs before the scheduler first wakes the system, so the gate is free and this runs now.
            var probe = _firstInstruction;
            _ = e.System.InvokeAsync(machine =>
            {
                machine.Post(() => probe.TrySetResult(Stopwatch.GetTimestamp()));
                return true;
            });
        };
        host.SystemFaulted += (_, e) => _firstInstruction.TrySetException(new InvalidOperationException("The system faulted on the host:\n" + e.System.FaultReport));
    }

    public MigrationHost Host { get; }

    public static async Task<HostUnderTest> StartAsync(string firmwareDirectory, IEnumerable<int> syntheticSramKiB, CancellationToken ct)
    {
        string directory = Directory.CreateTempSubdirectory("dsm-migcost-").FullName;
        var boards = BoardCatalog.CreateDefault();
        foreach (int kib in syntheticSramKiB)
        {
            boards.Add(SyntheticSystem.BoardId(kib), () => SyntheticSystem.Board(kib));
        }

        var host = new MigrationHost(new MigrationHostOptions
        {
            StateDirectory = Path.Combine(directory, "state"),
            ImageDirectory = firmwareDirectory,
            Boards = boards,
            SnapshotInterval = TimeSpan.Zero,
            ResumeStoredSystems = false,
        }, StderrLoggerFactory.Create());
        await host.StartAsync(ct).ConfigureAwait(false);
        return new HostUnderTest(host, directory);
    }

    /// <summary>Arms the probe for the next resumed system.</summary>
    public Task<long> ArmProbe()
    {
        _firstInstruction = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        return _firstInstruction.Task;
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync().ConfigureAwait(false);
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
