using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Dsm.Protocol;
using ELFSharp.ELF;
using ELFSharp.ELF.Sections;

namespace Dsm.Dsmc.Tests;

/// <summary>
/// The DSMC on QEMU mps2-an385 with its test firmware: the failure path (no host: restore and
/// return) and a whole session with the C# host half (HELLO .. COMMITTED .. DONE, device stopped).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class DsmcQemuTests
{
    private const int DsmIrq = 31;
    private static readonly byte[] DeviceKey = Encoding.ASCII.GetBytes("dsmc-test-key");

    [SetUp]
    public void RequireQemu() => QemuDevice.RequireQemu();

    [TestCase(false)]
    [TestCase(true)]
    [CancelAfter(90_000)]
    public void WithoutHost_DsmcTimesOutRestoresAndReturns_NoLineLostOrRepeated(bool compact)
    {
        using var device = QemuDevice.Start(linkPort: null, compact ? QemuDevice.CompactFirmwarePath : null);
        Assert.That(device.WaitForExit(TimeSpan.FromSeconds(60)), Is.True, "the firmware did not finish:\n" + device.Console);

        var expected = new List<string> { "dsmc test firmware" };
        for (int line = 1; line <= 12; line++)
        {
            expected.Add($"line {line}");
            if (line == 4)
            {
                expected.Add("dsmc status 1 outcome 5");   // DSMC_STATUS_RETURNED, DSM_OUTCOME_TIMEOUT
            }
        }

        expected.Add("done");
        Assert.Multiple(() =>
        {
            Assert.That(device.ExitCode, Is.Zero, device.Console);
            Assert.That(device.Console.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(expected));
        });
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task WithHost_WholeSessionMovesTheSystem_DeviceStopsAndTheImageIsTheCapture(CancellationToken ct)
    {
        var store = new CapturingStore();
        var receiver = new MigrationReceiver(new UnknownFirmware(), store, new SingleKey(DeviceKey),
            new MigrationReceiverOptions { FrameTimeout = TimeSpan.FromSeconds(5) });
        var (device, result, symbols, sram, deviceSram) = await MigrateAsync(QemuDevice.FirmwarePath, receiver, ct);
        using var _ = device;
        EmigratedSystem system = result.System;

        Assert.Multiple(() =>
        {
            Assert.That(result.Completion, Is.EqualTo(MigrationCompletion.Moved));
            Assert.That(system.IsAuthenticated, Is.True);
            Assert.That(store.Stored, Is.SameAs(system));
            Assert.That(device.Console, Does.Not.Contain("line 5"), "the device must stop after COMMITTED");
            Assert.That(system.Hello.BoardId, Is.EqualTo("mps2-an385"));
            Assert.That(system.Hello.ResumeAddress, Is.EqualTo(symbols["dsmc_resume"] & ~1u));
            Assert.That(system.CpuState.Pc, Is.EqualTo(symbols["dsmc_resume"] & ~1u));
            Assert.That(system.CpuState.Xpsr & 0x1FFu, Is.EqualTo(16u + DsmIrq), "IPSR: the DSM exception");
            Assert.That(system.CpuState.IsExceptionActive(16 + DsmIrq), Is.True, "the DSM exception is active");
            Assert.That(system.CpuState.Primask, Is.EqualTo(1));
            Assert.That(sram.Contents.ToArray(), Is.EqualTo(deviceSram), "SRAM as the device holds it after the capture");
            Assert.That(system.Regions.Any(r => r.Descriptor.Kind == RegionKind.DsmcPrivate && r.Descriptor.Base == symbols["__dsmc_private_start"]));
            // The application's line counter travelled with the SRAM: the system was captured at line 4.
            uint counter = symbols["line_counter"] - sram.Descriptor.Base;
            Assert.That(BitConverter.ToUInt32(sram.Contents.Span[(int)counter..]), Is.EqualTo(4u));
        });
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task SmallestBuild_PushesTheSystemAndStops_HostGetsAPushedMove(CancellationToken ct)
    {
        var store = new CapturingStore();
        // The smallest build has no key: the host must opt out of its authentication requirement.
        var receiver = new MigrationReceiver(new UnknownFirmware(), store, null,
            new MigrationReceiverOptions { FrameTimeout = TimeSpan.FromSeconds(5), RequireAuthentication = false });
        var (device, result, symbols, sram, deviceSram) = await MigrateAsync(QemuDevice.SmallestFirmwarePath, receiver, ct);
        using var _ = device;
        EmigratedSystem system = result.System;

        Assert.Multiple(() =>
        {
            Assert.That(result.Completion, Is.EqualTo(MigrationCompletion.PushedMove));
            Assert.That(system.IsPushOnly, Is.True);
            Assert.That(system.IsAuthenticated, Is.False, "the smallest build has no key");
            Assert.That(store.Stored, Is.SameAs(system));
            Assert.That(device.Console, Does.Not.Contain("line 5"), "a push-move device must stop after COMMIT");
            Assert.That(system.CpuState.Pc, Is.EqualTo(symbols["dsmc_resume"] & ~1u));
            Assert.That(system.CpuState.IsExceptionActive(16 + DsmIrq), Is.True, "the DSM exception is active");
            Assert.That(sram.Contents.ToArray(), Is.EqualTo(deviceSram), "SRAM as the device holds it after the capture");
            uint counter = symbols["line_counter"] - sram.Descriptor.Base;
            Assert.That(BitConverter.ToUInt32(sram.Contents.Span[(int)counter..]), Is.EqualTo(4u));
        });
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task CompactBuild_MovesTheSystemWithACrcTranscript_DeviceStops(CancellationToken ct)
    {
        var store = new CapturingStore();
        var receiver = new MigrationReceiver(new UnknownFirmware(), store, null,
            new MigrationReceiverOptions { FrameTimeout = TimeSpan.FromSeconds(5), RequireAuthentication = false });
        var (device, result, symbols, sram, deviceSram) = await MigrateAsync(QemuDevice.CompactFirmwarePath, receiver, ct);
        using var _ = device;
        EmigratedSystem system = result.System;

        Assert.Multiple(() =>
        {
            Assert.That(result.Completion, Is.EqualTo(MigrationCompletion.Moved), "a duplex build: COMMITTED, then DONE");
            Assert.That(system.IsPushOnly, Is.False);
            Assert.That(system.IsAuthenticated, Is.False, "the compact build has no key");
            Assert.That(system.Hello.Capabilities, Is.EqualTo(DeviceCapabilities.Backchannel | DeviceCapabilities.CrcTranscript));
            Assert.That(system.TranscriptDigest.Span[4..].ToArray(), Is.All.Zero);
            Assert.That(store.Stored, Is.SameAs(system));
            Assert.That(device.Console, Does.Not.Contain("line 5"), "the device must stop after COMMITTED");
            Assert.That(system.CpuState.Pc, Is.EqualTo(symbols["dsmc_resume"] & ~1u));
            Assert.That(system.CpuState.IsExceptionActive(16 + DsmIrq), Is.True, "the DSM exception is active");
            Assert.That(sram.Contents.ToArray(), Is.EqualTo(deviceSram), "SRAM as the device holds it after the capture");
            uint counter = symbols["line_counter"] - sram.Descriptor.Base;
            Assert.That(BitConverter.ToUInt32(sram.Contents.Span[(int)counter..]), Is.EqualTo(4u));
        });
    }

    /// <summary>Runs <paramref name="firmware"/> with its link on loopback TCP, lets <paramref name="receiver"/>
    /// take the migration started after line 4, and reads the device's SRAM once it has had time to go on.</summary>
    private static async Task<(QemuDevice Device, MigrationResult Result, Dictionary<string, uint> Symbols, RegionImage Sram, byte[] DeviceSram)>
        MigrateAsync(string firmware, MigrationReceiver receiver, CancellationToken ct)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var device = QemuDevice.Start(port, firmware);
        try
        {
            using var link = await listener.AcceptTcpClientAsync(ct);
            using var stream = link.GetStream();
            var pipe = new StreamDuplexPipe(PipeReader.Create(stream), PipeWriter.Create(stream));
            MigrationResult result = await receiver.ReceiveAsync(pipe, ct);

            await device.WaitForConsoleAsync("line 4\n", TimeSpan.FromSeconds(10));
            await Task.Delay(300, ct);   // the device would print line 5 within 20 ms if it had gone on
            RegionImage sram = result.System.Regions.Single(r => r.Descriptor.Kind == RegionKind.Sram);
            byte[] deviceSram = await device.ReadMemoryAsync(sram.Descriptor.Base, sram.Descriptor.Size, ct);
            return (device, result, ReadSymbols(firmware), sram, deviceSram);
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    private static Dictionary<string, uint> ReadSymbols(string elfPath)
    {
        var elf = ELFReader.Load<uint>(elfPath);
        try
        {
            var table = (ISymbolTable)elf.GetSection(".symtab");
            var result = new Dictionary<string, uint>();
            foreach (var symbol in table.Entries.OfType<SymbolEntry<uint>>())
            {
                result.TryAdd(symbol.Name, symbol.Value);
            }

            return result;
        }
        finally
        {
            elf.Dispose();
        }
    }

    private sealed record StreamDuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    private sealed class UnknownFirmware : IFirmwareImageStore
    {
        public ValueTask<ReadOnlyMemory<byte>?> FindFlashImageAsync(ReadOnlyMemory<byte> buildId, RegionDescriptor region, CancellationToken cancellationToken) =>
            ValueTask.FromResult<ReadOnlyMemory<byte>?>(null);
    }

    private sealed class CapturingStore : IEmigratedSystemStore
    {
        public EmigratedSystem? Stored { get; private set; }

        public Task StoreAsync(EmigratedSystem system, CancellationToken cancellationToken)
        {
            Stored = system;
            return Task.CompletedTask;
        }
    }

    private sealed class SingleKey(byte[] key) : IDeviceKeyProvider
    {
        public ValueTask<ReadOnlyMemory<byte>?> FindKeyAsync(ReadOnlyMemory<byte> deviceId, CancellationToken cancellationToken) =>
            ValueTask.FromResult<ReadOnlyMemory<byte>?>(key);
    }
}
