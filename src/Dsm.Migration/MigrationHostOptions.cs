using Dsm.Protocol;

namespace Dsm.Migration;

/// <summary>Configuration of a <see cref="MigrationHost"/>.</summary>
public sealed class MigrationHostOptions
{
    /// <summary>Directory where arrived systems and their snapshots are kept durably. Required.</summary>
    public required string StateDirectory { get; init; }

    /// <summary>Directory of firmware ELF files, matched to devices by GNU build-id (optional).</summary>
    public string? ImageDirectory { get; init; }

    /// <summary>Boards the host can run; the default has the MB9BF506N and the MPS2-AN385.</summary>
    public BoardCatalog Boards { get; init; } = BoardCatalog.CreateDefault();

    /// <summary>Per-device keys; null accepts unauthenticated devices when <see cref="MigrationReceiverOptions.RequireAuthentication"/> allows.</summary>
    public IDeviceKeyProvider? DeviceKeys { get; init; }

    /// <summary>Protocol limits and policies.</summary>
    public MigrationReceiverOptions Receiver { get; init; } = new() { RequireAuthentication = false };

    /// <summary>Threads that run hosted systems (a few serve hundreds of mostly idle systems).</summary>
    public int WorkerThreads { get; init; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>Length of one execution slice in wall time: the most a guest trails real time while the host keeps up.</summary>
    public TimeSpan Quantum { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>How far a guest may fall behind real time before the lost time is given up.</summary>
    public TimeSpan MaxLag { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How often running systems are snapshotted to the state directory (zero: only on request and at shutdown).</summary>
    public TimeSpan SnapshotInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether <see cref="MigrationHost.StartAsync"/> resumes the systems found in the state directory.</summary>
    public bool ResumeStoredSystems { get; init; } = true;

    /// <summary>
    /// Whether <see cref="MigrationHost.StartAsync"/> also resumes stored systems whose hand-over stopped at
    /// COMMITTED (the host went down before the device's DONE arrived). Only for an operator who knows the
    /// device stopped (e.g. <c>dsm device</c> reported the move); otherwise such systems are held.
    /// </summary>
    public bool ResumeCommittedSystems { get; init; }

    /// <summary>The wall clock (tests substitute it).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
