using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using Dsm.Emulation.CortexM3;
using Dsm.Emulation.CortexM3.Elf;
using Dsm.Emulation.CortexM3.Timing;
using Dsm.Migration;
using Dsm.Protocol;

namespace Dsm.Benchmarks.Migration;

/// <summary>
/// Where the host's share of the downtime goes, step by step, without a link: the protocol pipeline alone
/// (device half into receiver over an in-memory pipe), building the machine, serialising the record and
/// the durable writes the host makes before COMMITTED and before resuming.
/// </summary>
internal static class HostStepTimings
{
    public static async Task PrintAsync(IEnumerable<int> sizes, string firmware, int rounds, CancellationToken ct)
    {
        var elf = ElfImage.Load(firmware);
        var images = new FirmwareImageStore();
        images.Add(elf);
        string directory = Directory.CreateTempSubdirectory("dsm-migcost-steps-").FullName;
        try
        {
            var store = new SystemStore(directory);
            Console.WriteLine();
            Console.WriteLine("| SRAM KiB | Protocol in memory ms | Build machine ms | Serialise record ms | Durable record + state ms | Durable state ms | Record bytes | Protocol allocates KiB | Build allocates KiB |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (int kib in sizes)
            {
                var image = SyntheticSystem.Image(kib, elf);
                var board = SyntheticSystem.Board(kib);
                var protocol = new List<double>();
                var build = new List<double>();
                var serialise = new List<double>();
                var record = new List<double>();
                var state = new List<double>();
                int recordBytes = 0;
                long protocolAllocated = 0, buildAllocated = 0;
                for (int round = 0; round < rounds + 2; round++)
                {
                    var capture = new CapturingStore();
                    long a0 = GC.GetTotalAllocatedBytes(precise: true);
                    long t = Stopwatch.GetTimestamp();
                    await InMemorySessionAsync(image, images, capture, ct).ConfigureAwait(false);
                    var system = capture.System!;
                    long t1 = Stopwatch.GetTimestamp();
                    long a1 = GC.GetTotalAllocatedBytes(precise: true);
                    var machine = SystemImporter.Build(system, board, new MachineOptions { PacingMode = PacingMode.RealTime }, null);
                    long t2 = Stopwatch.GetTimestamp();
                    long a2 = GC.GetTotalAllocatedBytes(precise: true);
                    (protocolAllocated, buildAllocated) = (a1 - a0, a2 - a1);
                    var id = Guid.NewGuid();
                    byte[] bytes = SystemRecord.Write(id, DateTimeOffset.UtcNow, system);
                    long t3 = Stopwatch.GetTimestamp();
                    await store.WriteRecordAsync(id, bytes, ct).ConfigureAwait(false);
                    long t4 = Stopwatch.GetTimestamp();
                    await store.SetStateAsync(id, HandOverState.Confirmed, ct).ConfigureAwait(false);
                    long t5 = Stopwatch.GetTimestamp();
                    GC.KeepAlive(machine); // the benchmark board has no devices to release
                    store.Delete(id);
                    recordBytes = bytes.Length;
                    if (round >= 2)
                    {
                        protocol.Add(Ms(t, t1));
                        build.Add(Ms(t1, t2));
                        serialise.Add(Ms(t2, t3));
                        record.Add(Ms(t3, t4));
                        state.Add(Ms(t4, t5));
                    }
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {kib} | {Median(protocol):F2} | {Median(build):F2} | {Median(serialise):F2} | {Median(record):F2} | {Median(state):F2} | {recordBytes:N0} | {protocolAllocated / 1024:N0} | {buildAllocated / 1024:N0} |"));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task InMemorySessionAsync(DeviceImage image, IFirmwareImageStore firmware, IEmigratedSystemStore store, CancellationToken ct)
    {
        var toHost = new Pipe();
        var toDevice = new Pipe();
        var receiver = new MigrationReceiver(firmware, store, options: new MigrationReceiverOptions { RequireAuthentication = false });
        var receiving = receiver.ReceiveAsync(new DuplexPipe(toHost.Reader, toDevice.Writer), ct);
        var outcome = await new Emigrator(image).RunAsync(new DuplexPipe(toDevice.Reader, toHost.Writer), ct).ConfigureAwait(false);
        var result = await receiving.ConfigureAwait(false);
        if (outcome != EmigrationOutcome.Moved || result.Completion != MigrationCompletion.Moved)
        {
            throw new InvalidOperationException($"In-memory session ended {outcome}/{result.Completion}.");
        }
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;

    private sealed class CapturingStore : IEmigratedSystemStore
    {
        public EmigratedSystem? System { get; private set; }

        public Task StoreAsync(EmigratedSystem system, CancellationToken cancellationToken)
        {
            System = system;
            return Task.CompletedTask;
        }
    }
}
