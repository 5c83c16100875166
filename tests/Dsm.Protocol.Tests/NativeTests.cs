using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Security.Cryptography;
using K4os.Compression.LZ4;

namespace Dsm.Protocol.Tests;

/// <summary>The C device half against the C# host half, and the golden vectors both must reproduce.</summary>
public class NativeTests
{
    private static readonly (string Name, Func<DeviceImage> Image)[] Scenarios =
    [
        ("realistic", () => TestScenario.Realistic()),
        ("odd-sizes", () => TestScenario.Realistic(seed: 7, withKey: false, caps: DeviceCapabilities.PushMove, sramSize: 5000, flashSize: 9000)),
    ];

    private static string VectorPath(string file) => Path.Combine(TestContext.CurrentContext.TestDirectory, "Vectors", file);

    public static IEnumerable<string> ScenarioNames => Scenarios.Select(s => s.Name);

    private static DeviceImage Image(string name) => Scenarios.Single(s => s.Name == name).Image();

    [TestCaseSource(nameof(ScenarioNames))]
    public void CSharpSenderReproducesTheGoldenVector(string name)
    {
        var scenario = File.ReadAllBytes(VectorPath($"scenario-{name}.bin"));
        Assert.That(TestScenario.Serialize(Image(name)), Is.EqualTo(scenario), "the scenario generator changed; regenerate the vectors");
        var bytes = new ArrayBufferWriter<byte>();
        new Emigrator(Image(name)).WritePushOnly(bytes);
        Assert.That(bytes.WrittenSpan.ToArray(), Is.EqualTo(File.ReadAllBytes(VectorPath($"push-{name}.bin"))));
    }

    [TestCaseSource(nameof(ScenarioNames))]
    public async Task HostDecodesTheGoldenVector(string name)
    {
        var receiver = new MigrationReceiver(new FirmwareStore(), new SystemStore(), new KeyProvider(TestScenario.Key),
            new MigrationReceiverOptions { RequireAuthentication = false });
        var result = await receiver.ReceiveAsync(Link.ReadOnly(File.ReadAllBytes(VectorPath($"push-{name}.bin"))), CancellationToken.None);
        SessionTests.AssertSameSystem(Image(name), result.System);
    }

    [TestCaseSource(nameof(ScenarioNames))]
    public void CDeviceProducesTheGoldenVector(string name)
    {
        bool update = Environment.GetEnvironmentVariable("DSM_UPDATE_VECTORS") == "1";
        string source = Path.Combine(NativeDriver.RepositoryRoot, "tests", "Dsm.Protocol.Tests", "Vectors");
        if (update)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(VectorPath("x"))!);
            File.WriteAllBytes(VectorPath($"scenario-{name}.bin"), TestScenario.Serialize(Image(name)));
            File.Copy(VectorPath($"scenario-{name}.bin"), Path.Combine(source, $"scenario-{name}.bin"), overwrite: true);
        }

        var output = NativeDriver.RunDriver([], "push", VectorPath($"scenario-{name}.bin"));
        if (update)
        {
            File.WriteAllBytes(VectorPath($"push-{name}.bin"), output);
            File.WriteAllBytes(Path.Combine(source, $"push-{name}.bin"), output);
        }

        Assert.That(output, Is.EqualTo(File.ReadAllBytes(VectorPath($"push-{name}.bin"))));
    }

    [Test]
    public void CPrimitivesMatchTheHost()
    {
        var random = new Random(11);
        foreach (int length in new[] { 1, 12, 13, 64, 1000, 4096 })
        {
            var data = new byte[length];
            for (int i = 0; i < length; i++)
            {
                data[i] = random.Next(0, 3) == 0 ? (byte)random.Next() : (byte)(i % 13);
            }

            var expectedLz4 = new byte[Lz4BlockEncoder.MaxOutputLength(length)];
            int n = Lz4BlockEncoder.Encode(data, expectedLz4, new ushort[1 << ProtocolConstants.Lz4HashBits]);
            var lz4 = NativeDriver.RunDriver(data, "lz4");
            Assert.That(lz4, Is.EqualTo(expectedLz4[..n]), $"LZ4 of {length} bytes");
            var back = new byte[length];
            Assert.That(LZ4Codec.Decode(lz4, back), Is.EqualTo(length));
            Assert.That(back, Is.EqualTo(data));
            Assert.That(Text(NativeDriver.RunDriver(data, "crc")), Is.EqualTo(Crc32.Compute(data).ToString("x8")));
            Assert.That(Text(NativeDriver.RunDriver(data, "sha")), Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(data))));
            Assert.That(Text(NativeDriver.RunDriver(data, "hmac", Convert.ToHexString(TestScenario.Key))),
                Is.EqualTo(Convert.ToHexStringLower(HMACSHA256.HashData(TestScenario.Key, data))));
        }
    }

    [TestCase(4096, 3)]
    [TestCase(4096, 40)]
    [TestCase(1000, 0)]
    [TestCase(4093, 7)]
    public void CLz4MatchesTheHostOnLongRuns(int length, int scattered)
    {
        // Mostly zero, as idle SRAM is: matches run for hundreds of bytes, past word boundaries, up to the block's end rules.
        var random = new Random(length + scattered);
        var data = new byte[length];
        for (int i = 0; i < scattered; i++)
        {
            data[random.Next(length)] = (byte)random.Next(1, 256);
        }

        var expected = new byte[Lz4BlockEncoder.MaxOutputLength(length)];
        int n = Lz4BlockEncoder.Encode(data, expected, new ushort[1 << ProtocolConstants.Lz4HashBits]);
        Assert.That(NativeDriver.RunDriver(data, "lz4"), Is.EqualTo(expected[..n]));
    }

    [TestCase(null, -1L)]
    [TestCase("flip", 700L)]
    [TestCase("drop", 25000L)]
    [TestCase("flip", 60000L)]
    public async Task CDeviceMovesToTheHost(string? fault, long at)
    {
        var image = TestScenario.Realistic(seed: 4);
        var flash = image.RegionContents[0].ToArray();
        flash[100] ^= 0xFF;
        var store = new SystemStore();
        var receiver = new MigrationReceiver(new FirmwareStore(new() { [0] = flash }), store, new KeyProvider(TestScenario.Key),
            new MigrationReceiverOptions { FrameTimeout = TimeSpan.FromSeconds(1) });
        var (result, error, outcome) = await RunLiveAsync(image, receiver, fault, at);
        Assert.That(error, Is.Null, error?.Message);
        Assert.That(outcome, Does.StartWith("outcome moved"));
        Assert.That(result!.Completion, Is.EqualTo(MigrationCompletion.Moved));
        Assert.That(result.System.IsAuthenticated, Is.True);
        Assert.That(result.System.FlashBlocksReceived, Is.EqualTo(1));
        SessionTests.AssertSameSystem(image, result.System);
    }

    [Test]
    public async Task CDeviceOffersErasedBlocksWithoutComputingThemAndCatchesUpOnAByteInALaterPiece()
    {
        // Erased blocks are recognised piece by piece; a block whose programmed byte sits in its second or last quarter
        // must still get its full CRC-32 (the erased pieces before it fed afterwards), or the host asks for it.
        var image = TestScenario.Realistic(seed: 8);
        var flash = image.RegionContents[0].ToArray();
        const int block = 4096;
        int inQuarter1 = (flash.Length / block) - 3, inQuarter3 = (flash.Length / block) - 2;
        Assert.That(flash.AsSpan(inQuarter1 * block, 3 * block).ToArray(), Has.All.EqualTo((byte)0xFF), "the scenario's last blocks are erased");
        flash[(inQuarter1 * block) + 1500] = 0x12;
        flash[(inQuarter3 * block) + 3500] = 0x34;
        image = image with { RegionContents = [flash, image.RegionContents[1], image.RegionContents[2]] };
        var known = (byte[])flash.Clone();
        known[(inQuarter3 * block) + 3500] = 0xFF; // the host's copy differs only in the last quarter of one block
        var receiver = new MigrationReceiver(new FirmwareStore(new() { [0] = known }), new SystemStore(), new KeyProvider(TestScenario.Key),
            new MigrationReceiverOptions { FrameTimeout = TimeSpan.FromSeconds(1) });

        var (result, error, outcome) = await RunLiveAsync(image, receiver, null, -1);

        Assert.That(error, Is.Null, error?.Message);
        Assert.That(outcome, Does.StartWith("outcome moved"));
        Assert.That(result!.System.FlashBlocksReceived, Is.EqualTo(1), "only the block that differs: every erased block's CRC and the other altered one matched");
        SessionTests.AssertSameSystem(image, result.System);
    }

    [Test]
    public async Task CDeviceKeepsRunningWhenTheHostRejects()
    {
        var image = TestScenario.Realistic(seed: 5, withKey: false);
        var receiver = new MigrationReceiver(new FirmwareStore(), new SystemStore(), null, new MigrationReceiverOptions { FrameTimeout = TimeSpan.FromSeconds(1) });
        var (_, error, outcome) = await RunLiveAsync(image, receiver, null, -1);
        Assert.That(error!.ErrorCode, Is.EqualTo(ProtocolErrorCode.AuthenticationRequired));
        Assert.That(outcome, Does.StartWith($"outcome rejected reason {(int)RejectReason.AuthenticationRequired}"));
    }

    [Test]
    public async Task CDeviceKeepsRunningWhenTheMacIsWrong()
    {
        var image = TestScenario.Realistic(seed: 6);
        var store = new SystemStore();
        var receiver = new MigrationReceiver(new FirmwareStore(), store, new KeyProvider(new byte[32]), new MigrationReceiverOptions { FrameTimeout = TimeSpan.FromSeconds(1) });
        var (_, error, outcome) = await RunLiveAsync(image, receiver, null, -1);
        Assert.That(error!.ErrorCode, Is.EqualTo(ProtocolErrorCode.AuthenticationFailed));
        Assert.That(outcome, Does.StartWith($"outcome aborted reason {(int)AbortReason.AuthenticationFailed}"));
        Assert.That(store.Stored, Is.Empty);
    }

    [TestCase(null, -1L)]
    [TestCase("flip", 700L)]
    [TestCase("drop", 25000L)]
    public async Task CompactCDeviceMovesWithACrcTranscript(string? fault, long at)
    {
        // The DSMC's compact build: no key, raw blocks, all flash sent, CRC-32 transcript digest.
        var image = TestScenario.Realistic(seed: 8, withKey: false);
        var receiver = new MigrationReceiver(new FirmwareStore(), new SystemStore(), null,
            new MigrationReceiverOptions { FrameTimeout = TimeSpan.FromSeconds(1), RequireAuthentication = false });
        var (result, error, outcome) = await RunLiveAsync(image, receiver, fault, at, compact: true);
        Assert.That(error, Is.Null, error?.Message);
        Assert.That(outcome, Does.StartWith("outcome moved"));
        Assert.That(result!.Completion, Is.EqualTo(MigrationCompletion.Moved));
        Assert.That(result.System.Hello.Capabilities & DeviceCapabilities.CrcTranscript, Is.EqualTo(DeviceCapabilities.CrcTranscript));
        Assert.That(result.System.Hello.Capabilities & (DeviceCapabilities.HasKey | DeviceCapabilities.Lz4 | DeviceCapabilities.FlashCrc), Is.EqualTo(DeviceCapabilities.None));
        Assert.That(result.System.TranscriptDigest.Span[4..].ToArray(), Is.All.Zero, "a CRC-32 digest fills only the first four bytes");
        Assert.That(result.System.TranscriptDigest.Span[..4].ToArray(), Is.Not.All.Zero);
        SessionTests.AssertSameSystem(image, result.System);
    }

    [Test]
    public async Task CompactCDeviceIsRefusedByAHostThatRequiresAuthentication()
    {
        var image = TestScenario.Realistic(seed: 9, withKey: false);
        var receiver = new MigrationReceiver(new FirmwareStore(), new SystemStore(), null, new MigrationReceiverOptions { FrameTimeout = TimeSpan.FromSeconds(1) });
        var (_, error, outcome) = await RunLiveAsync(image, receiver, null, -1, compact: true);
        Assert.That(error!.ErrorCode, Is.EqualTo(ProtocolErrorCode.AuthenticationRequired));
        Assert.That(outcome, Does.StartWith($"outcome rejected reason {(int)RejectReason.AuthenticationRequired}"));
    }

    private static async Task<(MigrationResult?, ProtocolException?, string)> RunLiveAsync(DeviceImage image, MigrationReceiver receiver, string? fault, long at,
        bool compact = false)
    {
        string driver = NativeDriver.RequirePath(compact);
        string scenario = Path.Combine(Path.GetTempPath(), $"dsm-scenario-{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(scenario, TestScenario.Serialize(image));
        var info = new ProcessStartInfo(driver) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("live");
        info.ArgumentList.Add(scenario);
        if (fault is not null)
        {
            info.ArgumentList.Add(fault);
            info.ArgumentList.Add(at.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var link = new ProcessLink(PipeReader.Create(process.StandardOutput.BaseStream), PipeWriter.Create(process.StandardInput.BaseStream));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        MigrationResult? result = null;
        ProtocolException? error = null;
        try
        {
            result = await receiver.ReceiveAsync(link, cts.Token);
        }
        catch (ProtocolException ex)
        {
            error = ex;
        }

        try
        {
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // the device already ended the session and closed its side
        }

        await process.WaitForExitAsync(cts.Token);
        File.Delete(scenario);
        return (result, error, (await stderr).Trim());
    }

    private static string Text(byte[] output) => System.Text.Encoding.ASCII.GetString(output).Trim();

    private sealed class ProcessLink(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
