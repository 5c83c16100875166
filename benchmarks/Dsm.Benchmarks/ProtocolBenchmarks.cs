using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Dsm.Protocol;
using K4os.Compression.LZ4;

namespace Dsm.Benchmarks;

/// <summary>
/// Host-side decode + decompress throughput of a whole push-only migration stream, and its size on the wire
/// against raw memory and against LZ4 alone on the image's non-zero blocks.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(WireSizeConfig))]
public class ProtocolBenchmarks
{
    private byte[] _stream = [];
    private byte[] _frameOnlyStream = [];
    private MigrationReceiver _receiver = null!;

    /// <summary>SRAM size of the simulated device in KiB.</summary>
    [Params(64, 256)]
    public int SramKiB { get; set; }

    /// <summary>Raw bytes the stream carries (SRAM plus flash); the throughput base.</summary>
    public static long RawBytes { get; private set; }

    /// <summary>Builds the image and its wire stream.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var image = RealisticImage(SramKiB * 1024, 256 * 1024, seed: 1);
        var output = new ArrayBufferWriter<byte>();
        new Emigrator(image).WritePushOnly(output);
        _stream = output.WrittenSpan.ToArray();
        RawBytes = image.Hello.Regions.Where(r => r.Kind != RegionKind.DsmcPrivate).Sum(r => (long)r.Size);
        _receiver = new MigrationReceiver(new NoFirmware(), new DiscardStore(), null, new MigrationReceiverOptions { RequireAuthentication = false });
        _frameOnlyStream = _stream;
        WireSizeConfig.Record(SramKiB, image, _stream.Length);
    }

    /// <summary>Full host path: frames, CRC, validation, decompression, transcript hash.</summary>
    /// <returns>Completion, so the work is not optimised away.</returns>
    [Benchmark]
    public async Task<MigrationCompletion> ReceivePushOnlySession()
    {
        var link = new MemoryLink(_stream);
        var result = await _receiver.ReceiveAsync(link, CancellationToken.None).ConfigureAwait(false);
        return result.Completion;
    }

    /// <summary>Framing and CRC only, for comparison.</summary>
    /// <returns>Frame count.</returns>
    [Benchmark]
    public int ParseFramesOnly()
    {
        var sequence = new ReadOnlySequence<byte>(_frameOnlyStream);
        var payload = new byte[ProtocolConstants.MaxPayloadLength];
        int frames = 0;
        while (FrameCodec.TryParse(ref sequence, payload, out _, out _) == FrameCodec.ParseStatus.Frame)
        {
            frames++;
        }

        return frames;
    }

    /// <summary>A device image like an RTOS system: zeros, 0xA5 stack paint, .data, code in flash, erased flash.</summary>
    /// <param name="sramSize">SRAM bytes.</param>
    /// <param name="flashSize">Flash bytes.</param>
    /// <param name="seed">Random seed.</param>
    /// <returns>The image.</returns>
    public static DeviceImage RealisticImage(int sramSize, int flashSize, int seed)
    {
        var random = new Random(seed);
        var sram = new byte[sramSize];
        int dataSize = Math.Min(sramSize / 8, 6 * 1024);
        for (int i = 0; i < dataSize; i += 4)
        {
            uint value = (i % 32) switch
            {
                0 => 0x1FFF_8000u + (uint)random.Next(0, 0x8000),
                4 or 8 => (uint)random.Next(0, 256),
                _ => random.Next(0, 4) == 0 ? (uint)random.Next() : 0u,
            };
            BinaryPrimitives.WriteUInt32LittleEndian(sram.AsSpan(i), value);
        }

        for (int s = 0; s < 8; s++)
        {
            int start = (sramSize / 2) + (s * 2048);
            if (start + 2048 > sramSize)
            {
                break;
            }

            for (int i = 0; i < 2048; i += 4)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(sram.AsSpan(start + i), 0xA5A5A5A5);
            }

            int used = random.Next(128, 768) & ~3;
            for (int i = 2048 - used; i < 2048; i += 4)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(sram.AsSpan(start + i), random.Next(0, 3) == 0 ? 0x1000u + (uint)random.Next(0, 0x8000) : (uint)random.Next(0, 64));
            }
        }

        var flash = new byte[flashSize];
        flash.AsSpan().Fill(0xFF);
        var vocabulary = Enumerable.Range(0, 64).Select(_ => (ushort)random.Next(0, 0x10000)).ToArray();
        for (int i = 0; i < flashSize * 3 / 8; i += 2)
        {
            ushort op = random.Next(0, 3) == 0 ? (ushort)random.Next(0, 0x10000) : vocabulary[random.Next(0, vocabulary.Length)];
            BinaryPrimitives.WriteUInt16LittleEndian(flash.AsSpan(i), op);
        }

        const ushort irqs = 48;
        var hello = new HelloMessage
        {
            IrqCount = irqs, BoardId = "MB9BF506R", DeviceId = new byte[16], BuildId = new byte[20],
            Regions = [new(RegionKind.Flash, 0, (uint)flashSize), new(RegionKind.Sram, 0x1FFF_8000, (uint)sramSize)],
        };
        var cpu = new CpuStateMessage
        {
            IrqCount = irqs, NvicEnabled = new uint[2], NvicPending = new uint[2], NvicActive = new uint[2], NvicPriority = new byte[irqs],
        };
        return new DeviceImage { Hello = hello, RegionContents = [flash, sram], CpuState = cpu };
    }

    /// <summary>LZ4 (K4os, fast level) on each non-zero 4 KiB block of the image: the reference for wire size.</summary>
    /// <param name="image">The image.</param>
    /// <returns>Compressed bytes summed over the non-zero blocks.</returns>
    public static long Lz4AloneOnNonZeroBlocks(DeviceImage image)
    {
        long total = 0;
        var output = new byte[LZ4Codec.MaximumOutputSize(ProtocolConstants.BlockSize)];
        foreach (var contents in image.RegionContents)
        {
            for (int offset = 0; offset < contents.Length; offset += ProtocolConstants.BlockSize)
            {
                var block = contents.Span.Slice(offset, Math.Min(ProtocolConstants.BlockSize, contents.Length - offset));
                if (block.ContainsAnyExcept((byte)0))
                {
                    total += LZ4Codec.Encode(block, output, LZ4Level.L00_FAST);
                }
            }
        }

        return total;
    }

    private sealed class NoFirmware : IFirmwareImageStore
    {
        public ValueTask<ReadOnlyMemory<byte>?> FindFlashImageAsync(ReadOnlyMemory<byte> buildId, RegionDescriptor region, CancellationToken cancellationToken) =>
            ValueTask.FromResult<ReadOnlyMemory<byte>?>(null);
    }

    private sealed class DiscardStore : IEmigratedSystemStore
    {
        public Task StoreAsync(EmigratedSystem system, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class MemoryLink(byte[] bytes) : IDuplexPipe
    {
        public PipeReader Input { get; } = PipeReader.Create(new ReadOnlySequence<byte>(bytes));

        public PipeWriter Output { get; } = PipeWriter.Create(Stream.Null);
    }

    /// <summary>Adds wire-size and MB/s columns to the summary.</summary>
    private sealed class WireSizeConfig : BenchmarkDotNet.Configs.ManualConfig
    {
        private static readonly Dictionary<int, (long Raw, long Wire, long Lz4)> Sizes = [];

        public WireSizeConfig()
        {
            AddColumn(new SizeColumn("Raw bytes", s => Sizes[s].Raw), new SizeColumn("Wire bytes", s => Sizes[s].Wire),
                new SizeColumn("LZ4-alone bytes", s => Sizes[s].Lz4), new SizeColumn("Wire/LZ4 %", s => Sizes[s].Wire * 100 / Math.Max(1, Sizes[s].Lz4)),
                new ThroughputColumn());
        }

        public static void Record(int sramKiB, DeviceImage image, long wire) =>
            Sizes[sramKiB] = (image.Hello.Regions.Sum(r => (long)r.Size), wire, Lz4AloneOnNonZeroBlocks(image));

        private static (long Raw, long Wire, long Lz4) Compute(int sramKiB)
        {
            var image = RealisticImage(sramKiB * 1024, 256 * 1024, seed: 1);
            var output = new ArrayBufferWriter<byte>();
            new Emigrator(image).WritePushOnly(output);
            return (image.Hello.Regions.Sum(r => (long)r.Size), output.WrittenCount, Lz4AloneOnNonZeroBlocks(image));
        }

        private sealed class SizeColumn(string name, Func<int, long> value) : IColumn
        {
            public string Id => name;

            public string ColumnName => name;

            public bool AlwaysShow => true;

            public ColumnCategory Category => ColumnCategory.Custom;

            public int PriorityInCategory => 0;

            public bool IsNumeric => true;

            public UnitType UnitType => UnitType.Dimensionless;

            public string Legend => name;

            public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
            {
                int sram = (int)benchmarkCase.Parameters["SramKiB"];
                if (!Sizes.ContainsKey(sram))
                {
                    Sizes[sram] = Compute(sram);
                }

                return value(sram).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

            public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

            public bool IsAvailable(Summary summary) => true;
        }

        private sealed class ThroughputColumn : IColumn
        {
            public string Id => "RawMBps";

            public string ColumnName => "Raw MB/s";

            public bool AlwaysShow => true;

            public ColumnCategory Category => ColumnCategory.Custom;

            public int PriorityInCategory => 1;

            public bool IsNumeric => true;

            public UnitType UnitType => UnitType.Dimensionless;

            public string Legend => "Raw image bytes (SRAM + flash) decoded per second";

            public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
            {
                var report = summary[benchmarkCase];
                if (report?.ResultStatistics is null)
                {
                    return "-";
                }

                int sram = (int)benchmarkCase.Parameters["SramKiB"];
                if (!Sizes.ContainsKey(sram))
                {
                    Sizes[sram] = Compute(sram);
                }

                double seconds = report.ResultStatistics.Mean / 1e9;
                return (Sizes[sram].Raw / seconds / 1e6).ToString("0", System.Globalization.CultureInfo.InvariantCulture);
            }

            public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

            public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

            public bool IsAvailable(Summary summary) => true;
        }
    }
}
