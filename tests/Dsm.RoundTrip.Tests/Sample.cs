using Dsm.Emulation.CortexM3;
using Dsm.Emulation.CortexM3.Elf;
using Dsm.Emulation.CortexM3.Timing;
using Dsm.Peripherals.FM3;

namespace Dsm.RoundTrip.Tests;

/// <summary>The FM3 sample firmware with the DSMC linked in, in one of its two trigger variants.</summary>
internal sealed class Sample
{
    public const int ConsoleChannel = 0;
    public const int LinkChannel = 1;
    public const int DsmIrq = 4;      // external interrupt ch0-7: the DSMC's default FM3 trigger
    public const int SysTick = 15;
    public const int PendSv = 14;
    public const int TimerIrqException = 16 + 6;   // the application's 50 Hz dual-timer interrupt

    private static readonly Lazy<Sample> IrqVariant = new(() => new Sample("app-mb9bf506n-dsmc.elf", nmi: false));
    private static readonly Lazy<Sample> NmiVariant = new(() => new Sample("app-mb9bf506n-dsmc-nmi.elf", nmi: true));
    private static readonly Lazy<Sample> CompactVariant = new(() => new Sample("app-mb9bf506n-dsmc-compact.elf", nmi: false));

    private Sample(string fileName, bool nmi)
    {
        Path = System.IO.Path.Combine(RepositoryRoot(), "samples", "firmware", "bin", fileName);
        Image = ElfImage.Load(Path);
        UsesNmi = nmi;
        DsmcStatus = Symbol("dsmc_local");
        DsmcConfig = Symbol("dsmc_cfg");
        DsmcSave = Symbol("dsmc_save");
    }

    /// <summary>Triggered by external interrupt 0 (IRQ 4).</summary>
    public static Sample Irq => IrqVariant.Value;

    /// <summary>Triggered by the NMIX pin.</summary>
    public static Sample Nmi => NmiVariant.Value;

    /// <summary>The DSMC's compact build (keyless, CRC-32 transcript, raw blocks), triggered by external interrupt 0.</summary>
    public static Sample Compact => CompactVariant.Value;

    public string Path { get; }

    public ElfImage Image { get; }

    public bool UsesNmi { get; }

    /// <summary>The exception the DSMC runs in.</summary>
    public int DsmException => UsesNmi ? 2 : 16 + DsmIrq;

    /// <summary>The DSMC's device-only status byte (1 returned, 2 moved).</summary>
    public uint DsmcStatus { get; }

    /// <summary>The DSMC's configuration pointer: non-zero once <c>dsmc_init</c> ran.</summary>
    public uint DsmcConfig { get; }

    /// <summary>The save area; its first word is the interrupted context's PRIMASK.</summary>
    public uint DsmcSave { get; }

    public string Name => System.IO.Path.GetFileName(Path);

    private uint Symbol(string name) =>
        Image.FindSymbol(name)?.Address ?? throw new InvalidOperationException($"{Name} has no symbol {name}.");

    /// <summary>A machine for the FM3 board with no host channels attached, deterministic time.</summary>
    public static (Machine Machine, Mb9bf506nBoard Board) NewMachine()
    {
        var machine = Machine.Create(Mb9bf506n.Definition(), new MachineOptions { PacingMode = PacingMode.Deterministic });
        return (machine, BoardOf(machine));
    }

    public static Mb9bf506nBoard BoardOf(Machine machine) =>
        machine.GetDevice<Mb9bf506n.ResettableBoard>(Mb9bf506n.DeviceName).Board;

    public static void Release(Machine machine) => BoardOf(machine).Dispose();

    public static byte Peek8(Machine machine, uint address)
    {
        Span<byte> b = stackalloc byte[1];
        return machine.Bus.TryPeek(address, b) ? b[0] : throw new InvalidOperationException($"0x{address:X8} is not memory.");
    }

    public static uint Peek32(Machine machine, uint address)
    {
        Span<byte> b = stackalloc byte[4];
        return machine.Bus.TryPeek(address, b) ? BitConverter.ToUInt32(b) : throw new InvalidOperationException($"0x{address:X8} is not memory.");
    }

    /// <summary>Runs until virtual time reaches <paramref name="time"/> (an instruction boundary at or after it).</summary>
    public static void RunTo(Machine machine, ulong time)
    {
        while (machine.Scheduler.Now < time)
        {
            var slice = machine.RunSlice(time);
            if (slice.Outcome is SliceOutcome.Faulted or SliceOutcome.Exited
                || (slice.Outcome == SliceOutcome.Sleeping && machine.Scheduler.Now < time))
            {
                throw new InvalidOperationException($"The guest stopped at {machine.Scheduler.Now}: {slice.Outcome} {slice.FaultDescription}");
            }
        }
    }

    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "Dsm.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Dsm.sln not found above the test directory.");
    }
}
