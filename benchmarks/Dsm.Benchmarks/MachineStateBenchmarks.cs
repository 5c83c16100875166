using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using Dsm.Emulation.CortexM3;
using Dsm.Peripherals.FM3;

namespace Dsm.Benchmarks;

/// <summary>
/// Whole-machine state export and import for a 64 KiB-SRAM system: the MB9BF506N (SRAM0 + SRAM1, 32 KiB each)
/// running the sample RTOS (<c>samples/firmware/bin/app-mb9bf506n.elf</c>) for <see cref="AdvanceInstructions"/>
/// instructions, so tasks, stacks, timers and pending exceptions hold live state. <see cref="Export"/> measures
/// <see cref="Machine.ExportState"/>; <see cref="Import"/> measures <see cref="Machine.ImportState"/> into a machine
/// that was only created and loaded with the image, never run (both with a stopped host clock, see <see cref="MachineOptions.TimeProvider"/>). Set-up checks that the imported machine exports the
/// same image and, run further, stays identical to the original, so a broken round trip fails the benchmark.
/// The summary adds the image size in bytes.
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project benchmarks/Dsm.Benchmarks -- --filter '*MachineState*' --job short</c>.</remarks>
[Config(typeof(StateSizeConfig))]
public class MachineStateBenchmarks
{
    /// <summary>How far the sample runs before the state is taken (about 1.3 s of guest time on the FM3).</summary>
    public const long AdvanceInstructions = 10_000_000;

    private static readonly Lazy<int> ImageSize = new(() => CreateAdvanced().ExportState().Length);

    private Machine _source = null!;
    private Machine _target = null!;
    private byte[] _image = [];

    /// <summary>Builds the running machine and the fresh target, and checks a round trip (not measured).</summary>
    [GlobalSetup]
    public void Setup()
    {
        _source = CreateAdvanced();
        _image = _source.ExportState();
        _target = CreateFresh();
        _target.ImportState(_image);
        byte[] again = _target.ExportState();
        if (!again.AsSpan().SequenceEqual(_image))
        {
            throw new InvalidOperationException($"The imported machine exports a different state image ({again.Length} bytes, first difference at byte {again.AsSpan().CommonPrefixLength(_image)} of {_image.Length}).");
        }

        // Both must continue identically; then the target is replaced so Import always starts from a fresh machine.
        _source.Run(1_000_000);
        _target.Run(1_000_000);
        if (!_target.ExportState().AsSpan().SequenceEqual(_source.ExportState()))
        {
            throw new InvalidOperationException("The imported machine diverged from the original after 1,000,000 instructions.");
        }

        _source = CreateAdvanced();
        _image = _source.ExportState();
        _target = CreateFresh();
    }

    /// <summary>Saves the whole machine into a new state image.</summary>
    /// <returns>The image.</returns>
    [Benchmark]
    public byte[] Export() => _source.ExportState();

    /// <summary>Loads the image into the target machine, replacing all of its state.</summary>
    [Benchmark]
    public void Import() => _target.ImportState(_image);

    private static Machine CreateFresh()
    {
        // A stopped host clock: semihosting's section holds host time elapsed since start, which would otherwise
        // make the round-trip comparison depend on when each machine was built.
        var machine = Machine.Create(Mb9bf506n.Definition(), new MachineOptions { TimeProvider = StoppedClock.Instance });
        machine.LoadElf(ImagePath);
        return machine;
    }

    private static Machine CreateAdvanced()
    {
        var machine = CreateFresh();
        machine.Reset();
        var result = machine.Run(AdvanceInstructions);
        if (result.Instructions != (ulong)AdvanceInstructions)
        {
            throw new InvalidOperationException($"The sample stopped after {result.Instructions} instructions ({result.StopReason}: {result.FaultDescription}).");
        }

        return machine;
    }

    private static string ImagePath => Path.Combine(BenchFirmware.RepositoryRoot, "samples", "firmware", "bin", "app-mb9bf506n.elf");

    private sealed class StoppedClock : TimeProvider
    {
        public static readonly StoppedClock Instance = new();

        public override long GetTimestamp() => 0;
    }

    /// <summary>Adds the state image size.</summary>
    private sealed class StateSizeConfig : ManualConfig
    {
        public StateSizeConfig() =>
            AddColumn(new TagColumn("State bytes", _ => ImageSize.Value.ToString(CultureInfo.InvariantCulture)));
    }
}
