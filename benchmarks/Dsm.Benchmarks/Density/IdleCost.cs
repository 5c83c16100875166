using System.Diagnostics;
using System.Globalization;
using Dsm.Emulation.CortexM3;
using Dsm.Emulation.CortexM3.Memory;
using Dsm.Migration;
using Dsm.Peripherals.FM3;
using Dsm.Peripherals.FM3.Serial;

namespace Dsm.Benchmarks.Density;

/// <summary>
/// The host CPU one idle system costs, without the wall clock (so a loaded machine inflates it less): N machines
/// imported from the captured record advance round-robin, one virtual millisecond per <see cref="Machine.RunSlice"/>
/// call, as the scheduler wakes them at every tick. Reports host CPU per system per guest second and the systems
/// one core could carry at that cost. <c>--idle-cost N --record FILE [--seconds S] [--console-none]</c>.
/// </summary>
internal static class IdleCost
{
    public static int Run(string record, int count, double seconds, bool consoleInput)
    {
        var (_, _, captured) = SystemRecord.Read(File.ReadAllBytes(record));
        var catalog = BoardCatalog.CreateDefault();
        if (!consoleInput)
        {
            // For comparison: no host channel on the console UART, so it does not poll for host bytes every frame time.
            catalog.Add(Mb9bf506nBoard.BoardName, () => Mb9bf506n.Definition([new UartBackendSpec(0, "none")]));
        }

        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var flash = new SharedMemoryPool(); // as MigrationHost does
        var machines = Enumerable.Range(0, count)
            .Select(_ => SystemImporter.Build(captured, catalog.Create(captured.Hello.BoardId)!, new MachineOptions { StandardOutput = new GuestConsole() }, null))
            .ToArray();
        foreach (var machine in machines)
        {
            machine.Bus.ShareReadOnlyMemory(flash);
        }

        long heapBuilt = GC.GetTotalMemory(forceFullCollection: true);
        Advance(machines, 1.0); // warm: the DSMC's resume path, the decoded-instruction cache, tiered JIT
        ulong instructionsBefore = (ulong)machines.Sum(m => (long)m.Cpu.Instructions);
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuBefore = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        long slices = Advance(machines, seconds);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        wall.Stop();
        process.Refresh();
        double cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        double instructions = (ulong)machines.Sum(m => (long)m.Cpu.Instructions) - instructionsBefore;
        double perSystemSecond = cpu / (count * seconds);
        long heapRun = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine($"managed heap per system: {(heapBuilt - heapBefore) / count / 1024} KiB imported, {(heapRun - heapBefore) / count / 1024} KiB after running");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"idle cost: {count} systems x {seconds} guest s: {slices} slices, {cpu:F2} s CPU ({wall.Elapsed.TotalSeconds:F2} s wall), " +
            $"{cpu / slices * 1e9:F0} ns CPU per 1 ms slice, {instructions / slices:F1} guest instructions and {allocated / (double)slices:F0} bytes allocated per slice, " +
            $"{perSystemSecond * 100:F3}% of a core per system => {1 / perSystemSecond:F0} systems per core at 100%"));
        return 0;
    }

    private static long Advance(Machine[] machines, double seconds)
    {
        long slices = 0;
        int ticks = (int)(seconds * 1000);
        for (int t = 0; t < ticks; t++)
        {
            foreach (var machine in machines)
            {
                // The core clock is the board's until the DSMC's resume path restores the PLL.
                var result = machine.RunSlice(machine.Scheduler.Now + machine.Scheduler.CoreClockHz / 1000);
                if (result.Outcome is SliceOutcome.Faulted or SliceOutcome.Exited)
                {
                    throw new InvalidOperationException($"an idle system stopped: {result.FaultDescription}");
                }

                slices++;
            }
        }

        return slices;
    }

    public static int RunFromCommandLine(string[] args)
    {
        int count = 100;
        double seconds = 5;
        string? record = null;
        bool consoleInput = true;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--idle-cost": count = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--record": record = args[++i]; break;
                case "--console-none": consoleInput = false; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        return Run(record ?? throw new ArgumentException("--record FILE (a capture.system from --density-point)"), count, seconds, consoleInput);
    }
}
