using System.Diagnostics;

namespace Dsm.Benchmarks.Migration;

/// <summary>
/// One measured migration. Instants are Stopwatch ticks: the DSM interrupt, the first device byte at the host,
/// the COMMIT's last byte at the host, DONE's last byte at the host, and the first resumed instruction.
/// </summary>
internal sealed record MigrationSample(
    long DeviceBytes,
    long HostBytes,
    long InterruptAt,
    long FirstByteAt,
    long CommitAt,
    long DoneAt,
    long FirstInstructionAt)
{
    /// <summary>The DONE frame: header 8, digest 32, CRC 4.</summary>
    public const int DigestFrameBytes = 44;

    /// <summary>Emulated device only: guest time from the DSM interrupt to the device's last byte (DONE).</summary>
    public double DeviceGuestMs { get; init; } = double.NaN;

    public double CaptureMs => Ms(InterruptAt, FirstByteAt);

    /// <summary>First byte to COMMIT received: the device's stream of memory and CPU state.</summary>
    public double StreamMs => Ms(FirstByteAt, CommitAt);

    /// <summary>COMMIT received to DONE received: verify, store durably, COMMITTED, DONE.</summary>
    public double CommitMs => Ms(CommitAt, DoneAt);

    public double TransferMs => StreamMs + CommitMs;

    /// <summary>DONE received to the first instruction on the host.</summary>
    public double RestoreMs => Ms(DoneAt, FirstInstructionAt);

    public double DowntimeMs => Ms(InterruptAt, FirstInstructionAt);

    /// <summary>Bytes that must cross the link one after the other: all device bytes and the COMMITTED between COMMIT and DONE.</summary>
    public long CriticalBytes => DeviceBytes + DigestFrameBytes;

    public double FloorMs(int? baud) => baud is { } b ? CriticalBytes * 10 * 1000.0 / b : 0;

    private static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;
}
