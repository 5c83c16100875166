using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Dsm.Emulation.CortexM3.Timing;
using Dsm.Migration;

namespace Dsm.Benchmarks.Migration;

/// <summary>
/// Where the DSMC spends guest time during a migration: the emulated FM3 runs in short slices, kept from running
/// ahead of wall time after the interrupt, and each slice's guest cycles are charged to the function holding the
/// PC at its end (a sampling profile in guest time; waits for the host count as they would on a device, as long as
/// this host emulates the device at least as fast as real time).
/// </summary>
internal static class DeviceProfile
{
    public static async Task PrintAsync(string firmware, CancellationToken ct)
    {
        await using var host = await HostUnderTest.StartAsync(Path.GetDirectoryName(firmware)!, [], ct).ConfigureAwait(false);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accepted = listener.AcceptSocketAsync(ct).AsTask();
        using var device = EmulatedDevice.Create(new EmulatedDeviceOptions
        {
            FirmwarePath = firmware,
            Link = $"tcp:127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}",
            ConsoleOutput = Stream.Null,
            Pacing = PacingMode.Deterministic, // paced by hand below, sample by sample
        });
        var socket = await accepted.ConfigureAwait(false);
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        var accept = host.Host.AcceptAsync(stream, ct);
        var machine = device.Machine;
        var trace = new List<string>();
        if (Environment.GetEnvironmentVariable("DSM_BENCH_LINK_TRACE") is { } tracePath)
        {
            var serial = machine.GetDevice<Dsm.Peripherals.FM3.Mb9bf506n.ResettableBoard>(Dsm.Peripherals.FM3.Mb9bf506n.DeviceName).Board.Serial[1];
            serial.FrameReceived += (value, lost) => trace.Add(string.Create(CultureInfo.InvariantCulture, $"{machine.Scheduler.Now} RX {value:X2}{(lost ? " LOST" : string.Empty)} pc={device.Image.FindFunction(machine.Cpu.Pc)?.Symbol.Name}"));
            serial.FrameTransmitted += (value, cycle) => trace.Add(string.Create(CultureInfo.InvariantCulture, $"{cycle} TX {value:X2}"));
        }

        var probe = host.ArmProbe();
        var charged = new Dictionary<string, ulong>();
        var emulatedTicks = new Dictionary<string, long>();
        ulong total = 0;
        double wallMs = 0;
        (int, int, int, TimeSpan) gcBefore = default, gcAfter = default;
        long allocatedBefore = 0, allocatedAfter = 0;

        // Instructions a sample: small for the profile; DSM_PROFILE_SLICE raises it to time the emulation itself.
        int slice = int.TryParse(Environment.GetEnvironmentVariable("DSM_PROFILE_SLICE"), CultureInfo.InvariantCulture, out int n) ? n : 200;
        var emulation = Task.Run(() =>
        {
            while (machine.Scheduler.NowSeconds < 1.0)
            {
                machine.Run(20_000, ct);
            }

            device.Trigger(new DeviceTrigger.ExternalInterrupt(0));
            gcBefore = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
            allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
            var wall = System.Diagnostics.Stopwatch.StartNew();
            double triggeredAt = machine.Scheduler.NowSeconds;
            double giveUp = machine.Scheduler.NowSeconds + 20.0;
            while (!device.Halted)
            {
                if (machine.Scheduler.NowSeconds > giveUp)
                {
                    throw new InvalidOperationException(
                        $"The device did not stop within 20 s of guest time after the interrupt ({device.LinkBytesSent} link bytes sent, PC in {device.Image.FindFunction(machine.Cpu.Pc)?.Symbol.Name}).");
                }

                ulong before = machine.Scheduler.Now;
                long runStart = System.Diagnostics.Stopwatch.GetTimestamp();
                machine.Run(slice, ct);
                long runTicks = System.Diagnostics.Stopwatch.GetTimestamp() - runStart;

                // Real-time pace, so the host's answers take the guest time they would take a device.
                while ((machine.Scheduler.NowSeconds - triggeredAt) * 1000 > wall.Elapsed.TotalMilliseconds)
                {
                    Thread.SpinWait(100);
                }

                ulong spent = machine.Scheduler.Now - before;
                var where = device.Image.FindFunction(machine.Cpu.Pc);
                string name = where?.Symbol.Name ?? $"0x{machine.Cpu.Pc:X8}";
                charged[name] = charged.GetValueOrDefault(name) + spent;
                emulatedTicks[name] = emulatedTicks.GetValueOrDefault(name) + runTicks;
                total += spent;
            }

            wallMs = wall.Elapsed.TotalMilliseconds;
            gcAfter = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
            allocatedAfter = GC.GetTotalAllocatedBytes(precise: false);

            // The stopped device still shifts DONE out of its serial port.
            double halted = machine.Scheduler.NowSeconds;
            while (machine.Scheduler.NowSeconds < halted + 0.25)
            {
                machine.Run(20_000, ct);
            }
        }, ct);
        try
        {
            await emulation.ConfigureAwait(false);
        }
        finally
        {
            if (Environment.GetEnvironmentVariable("DSM_BENCH_LINK_TRACE") is { } traceFile)
            {
                await File.WriteAllLinesAsync(traceFile, trace, CancellationToken.None).ConfigureAwait(false);
            }
        }

        await probe.WaitAsync(TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
        await accept.ConfigureAwait(false);
        double clock = machine.Scheduler.CoreClockHz;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"DSM interrupt to halt: {total / clock * 1000:F1} ms guest time at {clock / 1e6:F0} MHz, emulated in {wallMs:F1} ms; garbage collections meanwhile (gen 0/1/2): {gcAfter.Item1 - gcBefore.Item1}/{gcAfter.Item2 - gcBefore.Item2}/{gcAfter.Item3 - gcBefore.Item3}, paused {(gcAfter.Item4 - gcBefore.Item4).TotalMilliseconds:F1} ms, {(allocatedAfter - allocatedBefore) / 1024} KiB allocated"));
        // Host time spent inside machine.Run for each function's samples: below 1x real time a function is emulated
        // slower than the device would run it (the sample's own overhead included).
        Console.WriteLine("| Function | Guest ms | Share | Host ms emulating | Real-time factor |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var (name, cycles) in charged.OrderByDescending(kv => kv.Value).Take(15))
        {
            double hostMs = emulatedTicks.GetValueOrDefault(name) * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
            double guestMs = cycles / clock * 1000;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {guestMs:F1} | {100.0 * cycles / total:F1}% | {hostMs:F1} | {guestMs / Math.Max(hostMs, 1e-9):F2} |"));
        }
    }
}
