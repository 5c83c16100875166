using System.IO.Pipelines;
using Dsm.Protocol;

namespace Dsm.Migration.Tests;

public class MigrationHostTests
{
    private const uint ResumeAddress = 0x100;
    private string _state = null!;

    [SetUp]
    public void CreateStateDirectory() => _state = Directory.CreateTempSubdirectory("dsm-host-").FullName;

    [TearDown]
    public void RemoveStateDirectory() => Directory.Delete(_state, recursive: true);

    private sealed class PipePair
    {
        private readonly Pipe _toHost = new();
        private readonly Pipe _toDevice = new();

        public IDuplexPipe Host => new Duplex(_toHost.Reader, _toDevice.Writer);

        public IDuplexPipe Device => new Duplex(_toDevice.Reader, _toHost.Writer);

        private sealed record Duplex(PipeReader Input, PipeWriter Output) : IDuplexPipe;
    }

    private sealed class Keys(byte[] key) : IDeviceKeyProvider
    {
        public ValueTask<ReadOnlyMemory<byte>?> FindKeyAsync(ReadOnlyMemory<byte> deviceId, CancellationToken cancellationToken) =>
            ValueTask.FromResult<ReadOnlyMemory<byte>?>(key);
    }

    // An FM3 device captured in external interrupt 0-7's handler (exception 20); the resume code sleeps.
    private static DeviceImage Device(byte[]? key = null)
    {
        var flash = new byte[0x200];
        flash.AsSpan().Fill(0xFF);
        flash[ResumeAddress] = 0x30; // WFI
        flash[ResumeAddress + 1] = 0xBF;
        flash[ResumeAddress + 2] = 0xFE; // B .
        flash[ResumeAddress + 3] = 0xE7;
        var sram = new byte[0x1000];
        for (int i = 0; i < sram.Length; i++)
        {
            sram[i] = (byte)(i ^ (i >> 8));
        }

        var active = new byte[32];
        active[20 / 8] |= 1 << (20 % 8);
        var regions = new[]
        {
            new RegionDescriptor(RegionKind.Flash, 0, (uint)flash.Length),
            new RegionDescriptor(RegionKind.Sram, 0x2000_0000, (uint)sram.Length),
            new RegionDescriptor(RegionKind.DsmcPrivate, 0x1FFF_8000, 0x1000),
        };
        return new DeviceImage
        {
            Hello = new HelloMessage
            {
                BoardId = "mb9bf506n",
                IrqCount = 48,
                Cpuid = 0x412F_C230,
                CoreClockHz = 80_000_000,
                ResumeAddress = ResumeAddress,
                DeviceId = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray(),
                Capabilities = DeviceCapabilities.Backchannel | DeviceCapabilities.Lz4 | DeviceCapabilities.FlashCrc | (key is null ? 0 : DeviceCapabilities.HasKey),
                Regions = regions,
            },
            RegionContents = [flash, sram, ReadOnlyMemory<byte>.Empty],
            CpuState = new CpuStateMessage
            {
                IrqCount = 48,
                Msp = 0x2000_0800,
                Psp = 0x2000_0400,
                Lr = 0xFFFF_FFF9,
                Pc = ResumeAddress,
                Xpsr = (1u << 24) | 20,
                ExcReturn = 0xFFFF_FFF9,
                Primask = 1,
                ActiveExceptions = active,
                NvicEnabled = new uint[2],
                NvicPending = new uint[2],
                NvicActive = new uint[2],
                NvicPriority = new byte[48],
            },
            Key = key ?? ReadOnlyMemory<byte>.Empty,
        };
    }

    private MigrationHost NewHost(IDeviceKeyProvider? keys = null) => new(new MigrationHostOptions
    {
        StateDirectory = _state,
        DeviceKeys = keys,
        Receiver = new MigrationReceiverOptions { RequireAuthentication = keys is not null, FrameTimeout = TimeSpan.FromSeconds(2) },
        SnapshotInterval = TimeSpan.Zero,
        WorkerThreads = 1,
    });

    private static async Task<(EmigrationOutcome Device, Task<HostedSystem> Host)> MigrateAsync(MigrationHost host, DeviceImage device)
    {
        var link = new PipePair();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var hostSide = host.AcceptAsync(link.Host, timeout.Token);
        var outcome = await new Emigrator(device, new EmigratorOptions { ReplyTimeout = TimeSpan.FromSeconds(2) }).RunAsync(link.Device, timeout.Token);
        await link.Device.Output.CompleteAsync();
        return (outcome, hostSide);
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting until {what}");
            }

            await Task.Delay(10);
        }
    }

    [Test]
    public async Task AMovedSystemIsStoredConfirmedAndRuns()
    {
        await using var host = NewHost();
        await host.StartAsync(CancellationToken.None);
        var (outcome, hostSide) = await MigrateAsync(host, Device());
        var system = await hostSide;

        Assert.That(outcome, Is.EqualTo(EmigrationOutcome.Moved));
        await WaitForAsync(() => system.State == HostedSystemState.Sleeping, "the resume code sleeps in WFI");
        var stored = new SystemStore(_state).List().Single();
        Assert.Multiple(() =>
        {
            Assert.That(stored.Id, Is.EqualTo(system.Id));
            Assert.That(stored.State, Is.EqualTo(HandOverState.Confirmed));
            Assert.That(system.BoardId, Is.EqualTo("mb9bf506n"));
            Assert.That(system.DeviceId, Is.EqualTo("0102030405060708090a0b0c0d0e0f10"));
            Assert.That(host.Systems, Has.Count.EqualTo(1));
        });
        uint pc = await system.InvokeAsync(m => m.Cpu.Pc);
        Assert.That(pc, Is.EqualTo(ResumeAddress + 2), "stopped after the WFI, in the resume code");
    }

    [Test]
    public async Task InvokeAsyncWaitsOutASliceAndReportsFailuresAndCancellationThroughItsTask()
    {
        await using var host = NewHost();
        await host.StartAsync(CancellationToken.None);
        var (_, hostSide) = await MigrateAsync(host, Device());
        var system = await hostSide;
        await WaitForAsync(() => system.State == HostedSystemState.Sleeping, "the resume code sleeps in WFI");

        // An action's exception and a cancelled token come back in the task, as from an async method.
        var failing = system.InvokeAsync<int>(_ => throw new InvalidOperationException("from the action"));
        Assert.That(failing.IsFaulted, Is.True);
        Assert.ThrowsAsync<InvalidOperationException>(() => failing);
        Assert.That(system.InvokeAsync(m => m.Cpu.Pc, new CancellationToken(canceled: true)).IsCanceled, Is.True);

        // While a slice holds the machine (here another thread), the action waits for it and then runs.
        using var held = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var holder = Task.Run(() =>
        {
            system.EnterGate();
            held.Set();
            release.Wait();
            system.LeaveGate();
        });
        held.Wait();
        var waiting = system.InvokeAsync(m => m.Cpu.Pc);
        await Task.Delay(50);
        Assert.That(waiting.IsCompleted, Is.False, "the machine is busy");
        using var cancel = new CancellationTokenSource();
        var cancelled = system.InvokeAsync(m => m.Cpu.Pc, cancel.Token);
        cancel.Cancel();
        Assert.That(async () => await cancelled, Throws.InstanceOf<OperationCanceledException>());
        release.Set();
        await holder;
        Assert.That(await waiting, Is.EqualTo(ResumeAddress + 2));
    }

    [Test]
    public async Task AHostRestartResumesTheSystemFromDisk()
    {
        Guid id;
        byte[] sramBefore;
        await using (var host = NewHost())
        {
            await host.StartAsync(CancellationToken.None);
            var (_, hostSide) = await MigrateAsync(host, Device());
            var system = await hostSide;
            id = system.Id;
            await WaitForAsync(() => system.State == HostedSystemState.Sleeping, "the system sleeps");
            sramBefore = await system.InvokeAsync(m =>
            {
                var bytes = new byte[0x1000];
                m.Bus.TryPeek(0x2000_0000, bytes);
                return bytes;
            });
        }

        Assert.That(new SystemStore(_state).List().Single().SnapshotPath, Is.Not.Null, "shutdown writes a snapshot");
        await using var restarted = NewHost();
        await restarted.StartAsync(CancellationToken.None);
        var resumed = restarted.Find(id);
        Assert.That(resumed, Is.Not.Null);
        await WaitForAsync(() => resumed!.State == HostedSystemState.Sleeping, "the restored system runs and sleeps again");
        var sramAfter = await resumed!.InvokeAsync(m =>
        {
            var bytes = new byte[0x1000];
            m.Bus.TryPeek(0x2000_0000, bytes);
            return bytes;
        });
        Assert.That(sramAfter, Is.EqualTo(sramBefore));
        bool flashShared = await resumed.InvokeAsync(m => m.Bus.Regions.Single(r => r.Name == "flash").IsBackingShared);
        Assert.That(flashShared, Is.True, "the snapshot's flash equals the image, so the import leaves it shared (and its decoded code with it)");
    }

    [Test]
    public async Task ADeviceWithTheWrongKeyIsRejectedAndNothingRuns()
    {
        await using var host = NewHost(new Keys([1, 2, 3, 4, 5, 6, 7, 8]));
        await host.StartAsync(CancellationToken.None);
        var (outcome, hostSide) = await MigrateAsync(host, Device(key: [8, 7, 6, 5, 4, 3, 2, 1]));

        Assert.That(outcome, Is.Not.EqualTo(EmigrationOutcome.Moved));
        Assert.That(async () => await hostSide, Throws.TypeOf<ProtocolException>());
        Assert.Multiple(() =>
        {
            Assert.That(host.Systems, Is.Empty);
            Assert.That(new SystemStore(_state).List(), Is.Empty, "a rejected system leaves nothing on disk");
        });
    }

    [Test]
    public async Task ADeviceForAnUnknownBoardIsTurnedAwayAndKeepsRunning()
    {
        await using var host = NewHost();
        await host.StartAsync(CancellationToken.None);
        var device = Device();
        device = device with { Hello = device.Hello with { BoardId = "stm32f103" } };
        var (outcome, hostSide) = await MigrateAsync(host, device);

        Assert.That(outcome, Is.Not.EqualTo(EmigrationOutcome.Moved), "the device must go on running itself");
        Assert.That(async () => await hostSide, Throws.InstanceOf<Exception>());
        Assert.That(host.Systems, Is.Empty);
    }

    [Test]
    public async Task ASystemTheHostCannotBuildLeavesNoRecordOnDiskAndTheDeviceRunsOn()
    {
        await using var host = NewHost();
        await host.StartAsync(CancellationToken.None);
        var device = Device();
        device = device with { CpuState = device.CpuState with { Xpsr = 1u << 24 } }; // thread mode: no DSMC handler to resume in
        var (outcome, hostSide) = await MigrateAsync(host, device);

        Assert.That(outcome, Is.Not.EqualTo(EmigrationOutcome.Moved), "the device must go on running itself");
        Assert.That(async () => await hostSide, Throws.InstanceOf<Exception>());
        Assert.Multiple(() =>
        {
            Assert.That(host.Systems, Is.Empty);
            Assert.That(new SystemStore(_state).List(), Is.Empty, "the record written while the machine was built is removed again");
            Assert.That(Directory.EnumerateFiles(_state, "*", SearchOption.AllDirectories).Where(f => f.Contains(".system", StringComparison.Ordinal)), Is.Empty);
        });
    }

    [Test]
    public async Task StoppingASystemMarksItStoppedAndARestartLeavesItStopped()
    {
        await using (var host = NewHost())
        {
            await host.StartAsync(CancellationToken.None);
            var (_, hostSide) = await MigrateAsync(host, Device());
            var system = await hostSide;
            await host.StopAsync(system.Id, CancellationToken.None);
            Assert.That(system.State, Is.EqualTo(HostedSystemState.Stopped));
        }

        Assert.That(new SystemStore(_state).List().Single().State, Is.EqualTo(HandOverState.Stopped));
        await using var restarted = NewHost();
        await restarted.StartAsync(CancellationToken.None);
        Assert.That(restarted.Systems, Is.Empty);
    }
}
