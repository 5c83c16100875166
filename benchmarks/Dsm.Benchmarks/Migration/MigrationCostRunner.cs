using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Dsm.Emulation.CortexM3;
using Dsm.Emulation.CortexM3.Elf;
using Dsm.Emulation.CortexM3.Timing;
using Dsm.Migration;
using Dsm.Peripherals.FM3;
using Dsm.Protocol;

namespace Dsm.Benchmarks.Migration;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/Dsm.Benchmarks -- migration [options]</c>: downtime and wire bytes of
/// live migration against SRAM size and link speed, each beside its physical floor. Wall-clock runs of whole
/// sessions (seconds each at 115200 Bd) do not suit BenchmarkDotNet's iteration model, so this is a runner
/// that prints the median round of each configuration as a Markdown table. See docs/performance.md.
/// </summary>
internal static class MigrationCostRunner
{
    private const string Usage =
        """
        migration [--sizes 16,32,64,128,256] [--links 115200,1000000,tcp] [--rounds 5] [--warmup 1]
                  [--synthetic-only | --device-only | --host-steps | --device-profile]
          synthetic rows: the C# device half (Emigrator) with an SRAM of each size, into a MigrationHost,
                          over a serial line throttled in wall time (8N1) or loopback TCP
          device rows:    the real DSMC in the sample FM3 firmware (64 KiB SRAM) on the emulated device
                          (EmulatedDevice, as dsm device --baud), into a MigrationHost over loopback TCP
        """;

    /// <summary>
    /// The device's link on the TCP row, where the device runs unpaced: 4 Mbaud (200 core cycles a byte), about the
    /// rate a DSMC polling a FIFO-less MFS receiver can follow; at BGR 0 (40 Mbaud, 20 core cycles a byte) no session completed.
    /// </summary>
    private const int UnpacedDeviceBaud = 4_000_000;

    private const string FirmwareRelativePath = "samples/firmware/bin/app-mb9bf506n-dsmc.elf";

    private sealed record Link(string Name, int? Baud);

    public static async Task<int> RunAsync(string[] args)
    {
        int[] sizes = [16, 32, 64, 128, 256];
        var links = new List<Link>();
        int rounds = 5, warmup = 1;
        bool synthetic = true, device = true, steps = false, profile = false;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.\n{Usage}");
            switch (args[i])
            {
                case "--sizes": sizes = [.. Next().Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))]; break;
                case "--links": links.AddRange(Next().Split(',').Select(ParseLink)); break;
                case "--rounds": rounds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--warmup": warmup = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--synthetic-only": device = false; break;
                case "--device-only": synthetic = false; break;
                case "--host-steps": steps = true; break;
                case "--device-profile": profile = true; break;
                default: Console.Error.WriteLine(Usage); return 2;
            }
        }

        if (links.Count == 0 && !profile)
        {
            links.AddRange([new Link("115200 Bd", 115_200), new Link("1 Mbaud", 1_000_000), new Link("TCP", null)]);
        }

        string firmware = FindFirmware();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(30));
        if (steps)
        {
            await HostStepTimings.PrintAsync(sizes, firmware, rounds, cts.Token).ConfigureAwait(false);
            return 0;
        }

        if (profile)
        {
            foreach (var link in links.Count == 0 ? [new Link("115200 Bd", 115_200)] : links)
            {
                Console.WriteLine($"## {link.Name}");
                string variant = link.Baud == 115_200 ? firmware : PatchLinkBaud(firmware, link.Baud);
                for (int round = 0; round < warmup; round++)
                {
                    // Warm-up sessions in the same process: the host's first session runs on unoptimised code.
                    Console.WriteLine($"(warm-up {round + 1} of {warmup})");
                    await DeviceProfile.PrintAsync(variant, cts.Token).ConfigureAwait(false);
                }

                await DeviceProfile.PrintAsync(variant, cts.Token).ConfigureAwait(false);
            }

            return 0;
        }

        Console.WriteLine($"# Migration cost, {DateTime.UtcNow:yyyy-MM-ddTHH:mmZ}, {rounds} rounds (+{warmup} warm-up) per row, median round shown");
        Console.WriteLine($"# host: {Environment.ProcessorCount} CPUs, .NET {Environment.Version}, load {LoadAverage()}");
        Console.WriteLine();
        Console.WriteLine("| Device | SRAM KiB | Link | Wire bytes D→H | H→D | Floor ms | Capture ms | Stream ms | Commit ms | Restore ms | Downtime ms | Downtime / floor | Target ms | Met |");
        Console.WriteLine("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        if (synthetic)
        {
            await using var host = await HostUnderTest.StartAsync(Path.GetDirectoryName(firmware)!, sizes, cts.Token).ConfigureAwait(false);
            var elf = ElfImage.Load(firmware);
            foreach (int kib in sizes)
            {
                var image = SyntheticSystem.Image(kib, elf);
                foreach (var link in links)
                {
                    var samples = new List<MigrationSample>();
                    for (int round = 0; round < warmup + rounds; round++)
                    {
                        var sample = await SyntheticRoundAsync(host, image, link, cts.Token).ConfigureAwait(false);
                        if (round >= warmup)
                        {
                            samples.Add(sample);
                        }
                    }

                    PrintRow("C# Emigrator", kib, link, samples);
                }
            }
        }

        if (device)
        {
            foreach (var link in links)
            {
                var samples = new List<MigrationSample>();
                string variant = link.Baud == 115_200 ? firmware : PatchLinkBaud(firmware, link.Baud);
                await using var host = await HostUnderTest.StartAsync(Path.GetDirectoryName(variant)!, [], cts.Token).ConfigureAwait(false);
                for (int round = 0; round < warmup + rounds; round++)
                {
                    var sample = await DeviceRoundAsync(host, variant, link, cts.Token).ConfigureAwait(false);
                    if (round >= warmup)
                    {
                        samples.Add(sample);
                    }
                }

                PrintRow("DSMC, emulated FM3", 64, link, samples);
            }
        }

        return 0;
    }

    private static Link ParseLink(string text) => text switch
    {
        "tcp" => new Link("TCP", null),
        _ when int.TryParse(text, CultureInfo.InvariantCulture, out int baud) && baud > 0 =>
            new Link(baud % 1_000_000 == 0 ? $"{baud / 1_000_000} Mbaud" : $"{baud} Bd", baud),
        _ => throw new ArgumentException($"'{text}' is not a link: a baud rate or tcp."),
    };

    private static void PrintRow(string device, int kib, Link link, List<MigrationSample> samples)
    {
        var s = samples.OrderBy(x => x.DowntimeMs).ElementAt(samples.Count / 2);
        double floor = s.FloorMs(link.Baud);
        double target = (1.2 * floor) + 20;
        string ratio = floor > 0 ? (s.DowntimeMs / floor).ToString("F3", CultureInfo.InvariantCulture) : "–";
        string guest = double.IsNaN(s.DeviceGuestMs) ? string.Empty : string.Create(CultureInfo.InvariantCulture, $"; device guest time, interrupt to DONE: {s.DeviceGuestMs:F1} ms");
        string range = samples.Count > 1 ? $" ({samples.Min(x => x.DowntimeMs):F1}–{samples.Max(x => x.DowntimeMs):F1})" : string.Empty;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {device} | {kib} | {link.Name} | {s.DeviceBytes:N0} | {s.HostBytes:N0} | {floor:F1} | {s.CaptureMs:F2} | {s.StreamMs:F1} | {s.CommitMs:F1} | {s.RestoreMs:F2} | {s.DowntimeMs:F1}{range} | {ratio} | {target:F1} | {(s.DowntimeMs <= target ? "yes" : "no")} |{guest}"));
    }

    private static async Task<MigrationSample> SyntheticRoundAsync(HostUnderTest host, DeviceImage image, Link link, CancellationToken ct)
    {
        var log = new LinkLog();
        var probe = host.ArmProbe();
        var emigrator = new Emigrator(image);
        HostedSystem hosted;
        long interruptAt;
        if (link.Baud is { } baud)
        {
            using var line = new ThrottledLink(baud, log);
            var accept = host.Host.AcceptAsync(line.Host, ct);
            interruptAt = Stopwatch.GetTimestamp();
            var outcome = await emigrator.RunAsync(line.Device, ct).ConfigureAwait(false);
            Expect(outcome);
            await probe.WaitAsync(TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            hosted = await accept.ConfigureAwait(false);
        }
        else
        {
            // A device on TCP keeps its connection: connecting is not part of the downtime.
            var (deviceSocket, hostStream) = await ConnectAsync(log, ct).ConfigureAwait(false);
            await using var deviceStream = new NetworkStream(deviceSocket, ownsSocket: true);
            await using var _ = hostStream;
            var accept = host.Host.AcceptAsync(hostStream, ct);
            var pipe = new DuplexPipe(PipeReader.Create(deviceStream), PipeWriter.Create(deviceStream));
            interruptAt = Stopwatch.GetTimestamp();
            var outcome = await emigrator.RunAsync(pipe, ct).ConfigureAwait(false);
            Expect(outcome);
            await probe.WaitAsync(TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            hosted = await accept.ConfigureAwait(false);
        }

        var sample = Sample(log, interruptAt, interruptAt, await probe.ConfigureAwait(false));
        await host.Host.StopAsync(hosted.Id, ct).ConfigureAwait(false);
        return sample;
    }

    private static async Task<MigrationSample> DeviceRoundAsync(HostUnderTest host, string firmware, Link link, CancellationToken ct)
    {
        var log = new LinkLog();
        var probe = host.ArmProbe();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accepted = listener.AcceptSocketAsync(ct).AsTask();
        using var device = EmulatedDevice.Create(new EmulatedDeviceOptions
        {
            FirmwarePath = firmware,
            Link = $"tcp:127.0.0.1:{port}",
            ConsoleOutput = Stream.Null,
            Pacing = link.Baud is null ? PacingMode.Deterministic : PacingMode.RealTime,
        });
        var socket = await accepted.ConfigureAwait(false);
        socket.NoDelay = true;
        await using var hostStream = new TimedStream(new NetworkStream(socket, ownsSocket: true), log);
        var accept = host.Host.AcceptAsync(hostStream, ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var run = Task.Factory.StartNew(() => device.Run(stop.Token), stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        // The host resumes only after DONE arrived: the device has nothing left to do. Stop emulating it then, so
        // that it does not compete with the host for this machine's cores (a real device is another computer).
        EventHandler<HostedSystemEventArgs> stopDevice = (_, _) => stop.Cancel();
        host.Host.SystemResumed += stopDevice;
        try
        {
            return await MeasureDeviceRoundAsync(host, device, probe, accept, run, log, ct).ConfigureAwait(false);
        }
        finally
        {
            host.Host.SystemResumed -= stopDevice;
        }
    }

    private static async Task<MigrationSample> MeasureDeviceRoundAsync(HostUnderTest host, EmulatedDevice device, Task<long> probe,
        Task<HostedSystem> accept, Task<RunResult> run, LinkLog log, CancellationToken ct)
    {
        long firstByteAt = 0;
        ulong lastByteCycle = 0;
        device.Machine.GetDevice<Mb9bf506n.ResettableBoard>(Mb9bf506n.DeviceName).Board.Serial[1].FrameTransmitted += (_, cycle) =>
        {
            Interlocked.CompareExchange(ref firstByteAt, Stopwatch.GetTimestamp(), 0);
            lastByteCycle = cycle;
        };

        // Let the RTOS run its tasks for a while, then raise the DSM interrupt (external interrupt 0).
        await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
        long interruptAt = Stopwatch.GetTimestamp();
        device.Trigger(new DeviceTrigger.ExternalInterrupt(0));
        long firstInstructionAt;
        try
        {
            firstInstructionAt = await probe.WaitAsync(TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            var m = device.Machine;
            throw new TimeoutException(
                $"No system resumed within 60 s: the device sent {device.LinkBytesSent} link bytes, halted {device.Halted}, PC in " +
                $"{device.Image.FindFunction(m.Cpu.Pc)?.Symbol.Name}, virtual time {m.Scheduler.NowSeconds:F3} s, next event in {(long)(m.Scheduler.NextDeadline - m.Scheduler.Now)} cycles, " +
                (run.IsCompletedSuccessfully ? $"the device's run ended: {run.Result.StopReason} {run.Result.FaultDescription}" : $"the device's run is {run.Status}") + ".");
        }

        var hosted = await accept.ConfigureAwait(false);
        await run.ConfigureAwait(false);
        if (!device.Halted)
        {
            throw new InvalidOperationException("The emulated device did not stop after the migration.");
        }

        var sample = Sample(log, interruptAt, Interlocked.Read(ref firstByteAt), firstInstructionAt) with
        {
            DeviceGuestMs = (lastByteCycle - device.TriggeredAt!.Value) * 1000.0 / device.Machine.Scheduler.CoreClockHz,
        };
        await host.Host.StopAsync(hosted.Id, ct).ConfigureAwait(false);
        return sample;
    }

    private static MigrationSample Sample(LinkLog log, long interruptAt, long firstByteAt, long firstInstructionAt)
    {
        long total = log.DeviceBytes;
        long commitAt = log.DeviceBytesReachedAt(total - MigrationSample.DigestFrameBytes) ?? throw new InvalidOperationException("No COMMIT seen.");
        long doneAt = log.DeviceBytesReachedAt(total) ?? throw new InvalidOperationException("No DONE seen.");
        return new MigrationSample(total, log.HostBytes, interruptAt, firstByteAt, commitAt, doneAt, firstInstructionAt);
    }

    private static void Expect(EmigrationOutcome outcome)
    {
        if (outcome != EmigrationOutcome.Moved)
        {
            throw new InvalidOperationException($"The device half ended with {outcome}, not Moved.");
        }
    }

    private static async Task<(Socket Device, Stream Host)> ConnectAsync(LinkLog log, CancellationToken ct)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accepted = listener.AcceptSocketAsync(ct).AsTask();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync((IPEndPoint)listener.LocalEndpoint, ct).ConfigureAwait(false);
        var server = await accepted.ConfigureAwait(false);
        server.NoDelay = true;
        return (client, new TimedStream(new NetworkStream(server, ownsSocket: true), log));
    }

    /// <summary>
    /// A copy of the firmware whose DSMC board configuration programs the link for <paramref name="baud"/>
    /// (null: <see cref="UnpacedDeviceBaud"/>), as a firmware defining its own dsmc_mb9bf506n_config would.
    /// Written next to nothing else, so the host's image store holds just it.
    /// </summary>
    private static string PatchLinkBaud(string firmware, int? baud)
    {
        const uint pclk2 = 40_000_000;
        const int linkBgrOffset = 4; // after link_channel, trigger, trigger_channel, pin_port
        ushort bgr = (ushort)((pclk2 / (uint)(baud ?? UnpacedDeviceBaud)) - 1);
        var image = ElfImage.Load(firmware);
        uint address = (image.FindSymbol("dsmc_mb9bf506n_config") ?? throw new InvalidOperationException("dsmc_mb9bf506n_config not found")).Address + linkBgrOffset;
        byte[] bytes = File.ReadAllBytes(firmware);
        int fileOffset = FileOffsetOf(bytes, address);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(fileOffset), bgr);
        string directory = Directory.CreateTempSubdirectory($"dsm-fw-bgr{bgr}-").FullName;
        string path = Path.Combine(directory, $"app-mb9bf506n-dsmc-bgr{bgr}.elf");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    // ELF32 little-endian: the file offset of a load address, through the PT_LOAD program headers.
    private static int FileOffsetOf(byte[] elf, uint address)
    {
        uint phoff = BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(0x1C));
        int phentsize = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(0x2A));
        int phnum = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(0x2C));
        for (int i = 0; i < phnum; i++)
        {
            var ph = elf.AsSpan((int)phoff + (i * phentsize));
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(ph);
            uint offset = BinaryPrimitives.ReadUInt32LittleEndian(ph[4..]);
            uint paddr = BinaryPrimitives.ReadUInt32LittleEndian(ph[12..]);
            uint filesz = BinaryPrimitives.ReadUInt32LittleEndian(ph[16..]);
            if (type == 1 && address >= paddr && address + 2 <= paddr + filesz)
            {
                return (int)(offset + (address - paddr));
            }
        }

        throw new InvalidOperationException($"0x{address:X8} is in no loadable segment of the firmware.");
    }

    private static string FindFirmware()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, FirmwareRelativePath);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"Run from inside the repository: {FirmwareRelativePath} not found above {Environment.CurrentDirectory}.");
    }

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
