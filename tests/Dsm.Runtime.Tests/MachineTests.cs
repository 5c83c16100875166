using System.Buffers.Binary;
using Dsm.Emulation.CortexM3;
using Dsm.Emulation.CortexM3.Boards;
using Dsm.Emulation.CortexM3.Cpu;
using Dsm.Emulation.CortexM3.Elf;
using Dsm.Emulation.CortexM3.Memory;
using Dsm.Emulation.CortexM3.Semihosting;
using Dsm.Emulation.CortexM3.SystemControl;

namespace Dsm.Runtime.Tests;

/// <summary>Machine composition, loading and runs of hand-assembled code (a handful of Thumb instructions).</summary>
public class MachineTests
{
    private const uint ApplicationExit = 0x20026;

    // MOVS r0,#0x18 ; LDR r1,=0x20026 ; BKPT 0xAB ; B . — SYS_EXIT with ADP_Stopped_ApplicationExit.
    private static (ushort[] Code, uint[] Literals) ExitProgram() =>
        ([TestSupport.MovsImmediate(0, 0x18), TestSupport.LdrLiteral(1, 1, 0, 4), TestSupport.SemihostingBkpt, TestSupport.BranchToSelf], [ApplicationExit]);

    [Test]
    public void CreateBuildsTheBoardsMemoryAndDevices()
    {
        bool called = false;
        var board = TestSupport.SmallBoard with
        {
            Memory = [.. TestSupport.SmallBoard.Memory, new MemoryRegionSpec("flash", 0x0800_0000, 0x1000, RegionKind.Rom)],
            AddDevices = context =>
            {
                called = true;
                context.Register("marker", "value");
            },
        };
        var machine = Machine.Create(board);

        Assert.That(called, Is.True);
        Assert.That(machine.Board, Is.SameAs(board));
        Assert.That(machine.Bus.FindRegion(0x0800_0000)?.Kind, Is.EqualTo(RegionKind.Rom));
        Assert.That(machine.Devices["marker"], Is.EqualTo("value"));
        Assert.That(machine.GetDevice<string>("marker"), Is.EqualTo("value"));
        Assert.Throws<KeyNotFoundException>(() => machine.GetDevice<string>("absent"));
        Assert.That(machine.Cpu.BreakpointHandler, Is.SameAs(machine.Semihosting));
        Assert.That(machine.Scheduler.CoreClockHz, Is.EqualTo(board.CoreClockHz));
    }

    [Test]
    public void BoardContextWiresInterruptsNmiAndResets()
    {
        BoardContext? captured = null;
        var counter = new ResetCounter();
        var board = TestSupport.SmallBoard with
        {
            AddDevices = context =>
            {
                captured = context;
                context.Register("counter", counter);
            },
        };
        var machine = Machine.Create(board);
        Assert.That(captured!.Interrupts, Is.SameAs(machine.SystemControl.Exceptions));

        captured.PendNmi();
        Assert.That(machine.SystemControl.Exceptions.IsPending(ExceptionNumber.Nmi), Is.True);

        TestSupport.LoadProgram(machine.Bus, [TestSupport.Nop, TestSupport.BranchToSelf]);
        machine.Reset();
        Assert.That(counter.Resets, Is.EqualTo(1));
        Assert.That(machine.SystemControl.Exceptions.IsPending(ExceptionNumber.Nmi), Is.False, "reset clears pending NMI");

        captured.RequestSystemReset();
        machine.Run(10);
        Assert.That(counter.Resets, Is.EqualTo(2), "a requested reset is carried out by the run loop");
    }

    [Test]
    public void AircrSystemResetRequestResetsTheMachine()
    {
        var counter = new ResetCounter();
        var machine = Machine.Create(TestSupport.SmallBoard with { AddDevices = context => context.Register("counter", counter) });
        TestSupport.LoadProgram(machine.Bus, [TestSupport.Nop, TestSupport.BranchToSelf]);
        machine.Reset();
        machine.Run(5);

        Assert.That(machine.Bus.TryWrite(0xE000_ED0C, 4, 0x05FA_0004), Is.True, "AIRCR: VECTKEY, SYSRESETREQ");
        var result = machine.Run(10);

        Assert.That(counter.Resets, Is.EqualTo(2));
        Assert.That(result.Instructions, Is.EqualTo(10UL), "the run goes on after the reset");
    }

    [Test]
    public void DeviceRegionsInTheMemoryListAreRejected()
    {
        var board = TestSupport.SmallBoard with { Memory = [new MemoryRegionSpec("io", 0x4000_0000, 0x1000, RegionKind.Device)] };
        Assert.Throws<ArgumentException>(() => Machine.Create(board));
    }

    [Test]
    public void DuplicateDeviceNamesAreRejected()
    {
        var board = TestSupport.SmallBoard with
        {
            AddDevices = context =>
            {
                context.Register("x", 1);
                context.Register("x", 2);
            },
        };
        Assert.Throws<ArgumentException>(() => Machine.Create(board));
    }

    [Test]
    public void LoadElfCopiesSegmentsAndZeroFills()
    {
        var machine = Machine.Create(Dsm.Peripherals.Mps2.Mps2An385.Board);
        var image = ElfImage.Load(TestSupport.SelfTestElf);
        var bss = image.Segments[1];
        machine.Bus.Load(bss.PhysicalAddress, Enumerable.Repeat((byte)0xEE, (int)bss.MemorySize).ToArray());

        machine.LoadElf(image);

        var code = image.Segments[0];
        var loaded = new byte[code.FileBytes.Length];
        Assert.That(machine.Bus.TryPeek(code.PhysicalAddress, loaded), Is.True);
        Assert.That(loaded, Is.EqualTo(code.FileBytes.ToArray()));
        var zeroed = new byte[bss.MemorySize];
        machine.Bus.TryPeek(bss.PhysicalAddress, zeroed);
        Assert.That(zeroed, Is.All.EqualTo((byte)0));
        Assert.That(machine.Image, Is.SameAs(image));
        Assert.That(machine.Semihosting.CommandLine, Is.EqualTo(TestSupport.SelfTestElf), "QEMU passes the image path");
        Assert.That(machine.Semihosting.HeapInfo, Is.EqualTo(new SemihostingHeapInfo(0x2100_0000, 0x2200_0000, 0x2200_0000, 0x2100_0000)));
    }

    [Test]
    public void SegmentOutsideTheBoardsMemoryIsRejectedBeforeAnythingIsWritten()
    {
        var bytes = TestSupport.SelfTestBytes();
        // Move the second (bss) segment's load address to where the small board has nothing.
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(52 + 32 + 12), 0x3000_0000);
        var image = ElfImage.Parse(bytes, "moved.elf");
        var machine = Machine.Create(TestSupport.SmallBoard);

        var e = Assert.Throws<ElfLoadException>(() => machine.LoadElf(image));
        Assert.That(e!.Problem, Is.EqualTo(ElfProblem.SegmentOutsideMemory));
        Assert.That(e.Message, Does.Contain("moved.elf").And.Contain("segment 1").And.Contain("0x30000000").And.Contain("test-small"));
        Assert.That(TestSupport.ReadWord(machine.Bus, 0), Is.Zero, "segment 0 was not loaded either");
        Assert.That(machine.Image, Is.Null);
    }

    [Test]
    public void SegmentRunningPastTheEndOfRamIsRejected()
    {
        var bytes = TestSupport.SelfTestBytes();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(52 + 32 + 12), 0x2000_FFF0); // 0x80 bytes from 16 below the end
        var machine = Machine.Create(TestSupport.SmallBoard);
        var e = Assert.Throws<ElfLoadException>(() => machine.LoadElf(ElfImage.Parse(bytes)));
        Assert.That(e!.Message, Does.Contain("0x20010000"));
    }

    [Test]
    public void SegmentOnADeviceIsRejected()
    {
        var bytes = TestSupport.SelfTestBytes();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(52 + 32 + 12), 0x4000_4000);
        var machine = Machine.Create(Dsm.Peripherals.Mps2.Mps2An385.Board);
        var e = Assert.Throws<ElfLoadException>(() => machine.LoadElf(ElfImage.Parse(bytes)));
        Assert.That(e!.Problem, Is.EqualTo(ElfProblem.SegmentOutsideMemory));
    }

    [Test]
    public void RunsUntilTheGuestExits()
    {
        var machine = Machine.Create(TestSupport.SmallBoard);
        var (code, literals) = ExitProgram();
        TestSupport.LoadProgram(machine.Bus, code, literals);
        machine.Reset();
        ulong timeBefore = machine.Scheduler.Now;

        var result = machine.Run();

        Assert.That(result.ExitCode, Is.Zero);
        Assert.That(result.Exited, Is.True);
        Assert.That(result.StopReason, Is.EqualTo(StopReason.StopRequested));
        Assert.That(result.Instructions, Is.EqualTo(3UL));
        Assert.That(result.Cycles, Is.GreaterThanOrEqualTo(3UL));
        Assert.That(result.FaultDescription, Is.Null);
        Assert.That(result.Fault, Is.Null);
        Assert.That(machine.Scheduler.Now - timeBefore, Is.EqualTo(result.Cycles), "virtual time follows the core");
    }

    [Test]
    public void RunAfterExitDoesNothingUntilReset()
    {
        var machine = Machine.Create(TestSupport.SmallBoard);
        var (code, literals) = ExitProgram();
        TestSupport.LoadProgram(machine.Bus, code, literals);
        machine.Reset();
        machine.Run();

        var again = machine.Run();
        Assert.That(again.ExitCode, Is.Zero);
        Assert.That(again.Instructions, Is.Zero);

        machine.Reset();
        Assert.That(machine.Semihosting.ExitCode, Is.Null);
        Assert.That(machine.Run().Instructions, Is.EqualTo(3UL));
    }

    [Test]
    public void ARunsReportShowsItsOwnEndEvenWhenReadAfterTheMachineRanOn()
    {
        var machine = Machine.Create(TestSupport.SmallBoard, new MachineOptions { SliceInstructions = 7 });
        TestSupport.LoadProgram(machine.Bus, [TestSupport.Nop, TestSupport.BranchToSelf]);
        machine.Reset();

        var first = machine.Run(1000);
        machine.Run(500);
        var second = machine.Run(250);

        Assert.Multiple(() =>
        {
            Assert.That(first.FaultDescription, Does.Contain("after 1000 instructions"));
            Assert.That(second.FaultDescription, Does.Contain("after 1750 instructions"));
        });
    }

    [Test]
    public void InstructionLimitStopsARunAndReportsTheState()
    {
        var machine = Machine.Create(TestSupport.SmallBoard, new MachineOptions { SliceInstructions = 7 });
        TestSupport.LoadProgram(machine.Bus, [TestSupport.Nop, TestSupport.BranchToSelf]);
        machine.Reset();

        var result = machine.Run(1000);

        Assert.That(result.StopReason, Is.EqualTo(StopReason.InstructionLimit));
        Assert.That(result.Instructions, Is.EqualTo(1000UL));
        Assert.That(result.ExitCode, Is.Null);
        Assert.That(result.FaultDescription, Does.Contain("instruction limit"));
        Assert.That(result.FaultDescription, Does.Contain("pc   0x00000102").And.Contain("E7FE"));
        Assert.That(result.FaultDescription, Does.Contain("r12").And.Contain("xpsr").And.Contain("msp"));

        var more = machine.Run(10);
        Assert.That(more.Instructions, Is.EqualTo(10UL), "counts are per run");
    }

    [Test]
    public void ZeroInstructionsRunsNothing()
    {
        var machine = Machine.Create(TestSupport.SmallBoard);
        TestSupport.LoadProgram(machine.Bus, [TestSupport.BranchToSelf]);
        machine.Reset();
        var result = machine.Run(0);
        Assert.That(result.Instructions, Is.Zero);
        Assert.That(result.StopReason, Is.EqualTo(StopReason.InstructionLimit));
    }

    [Test]
    public void CancellationStopsBetweenSlices()
    {
        var machine = Machine.Create(TestSupport.SmallBoard, new MachineOptions { SliceInstructions = 1000 });
        TestSupport.LoadProgram(machine.Bus, [TestSupport.BranchToSelf]);
        machine.Reset();
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        var result = machine.Run(cancellationToken: cancellation.Token);

        Assert.That(result.Cancelled, Is.True);
        Assert.That(result.ExitCode, Is.Null);
        Assert.That(result.FaultDescription, Is.Null);
        Assert.That(result.Instructions, Is.GreaterThan(0UL));
    }

    [Test]
    public void TraceSeesEveryInstructionAddress()
    {
        var addresses = new List<uint>();
        var machine = Machine.Create(TestSupport.SmallBoard, new MachineOptions { InstructionTrace = addresses.Add });
        var (code, literals) = ExitProgram();
        TestSupport.LoadProgram(machine.Bus, code, literals);
        machine.Reset();

        var result = machine.Run();

        Assert.That(result.ExitCode, Is.Zero);
        Assert.That(addresses, Is.EqualTo(new[] { 0x100u, 0x102u, 0x104u }));
    }

    [Test]
    public void FetchFromUnmappedMemoryIsReportedWithRegisters()
    {
        var machine = Machine.Create(TestSupport.SmallBoard);
        // LDR r0,=0x30000001 ; BX r0
        TestSupport.LoadProgram(machine.Bus, [TestSupport.LdrLiteral(0, 0, 0, 2), 0x4700], 0x3000_0001);
        machine.Reset();

        var result = machine.Run(100);

        Assert.That(result.StopReason, Is.AnyOf(StopReason.Fault, StopReason.Lockup));
        Assert.That(result.ExitCode, Is.Null);
        Assert.That(result.Fault, Is.Not.Null);
        Assert.That(result.FaultDescription, Does.Contain("r0   0x30000001"));
        Assert.That(result.FaultDescription, Does.Contain("xpsr"));
    }

    [Test]
    public void UndefinedInstructionIsReported()
    {
        var machine = Machine.Create(TestSupport.SmallBoard);
        TestSupport.LoadProgram(machine.Bus, [TestSupport.Nop, 0xDE00]); // UDF #0
        machine.Reset();

        var result = machine.Run(100);

        Assert.That(result.StopReason, Is.AnyOf(StopReason.Fault, StopReason.Lockup));
        Assert.That(result.FaultDescription, Does.Contain("The ").And.Contain("pc   0x"));
    }

    [Test]
    public void SemihostingOutputReachesTheConfiguredStream()
    {
        var output = new MemoryStream();
        var machine = Machine.Create(TestSupport.SmallBoard, new MachineOptions { StandardOutput = output });
        // MOVS r0,#4 ; LDR r1,=text ; BKPT 0xAB ; MOVS r0,#0x18 ; LDR r1,=0x20026 ; BKPT 0xAB
        ushort[] code =
        [
            TestSupport.MovsImmediate(0, 0x04), TestSupport.LdrLiteral(1, 1, 0, 6), TestSupport.SemihostingBkpt,
            TestSupport.MovsImmediate(0, 0x18), TestSupport.LdrLiteral(1, 4, 1, 6), TestSupport.SemihostingBkpt,
        ];
        TestSupport.LoadProgram(machine.Bus, code, 0x2000_0000, ApplicationExit);
        TestSupport.WriteString(machine.Bus, 0x2000_0000, "hi\n");
        machine.Reset();

        var result = machine.Run();

        Assert.That(result.ExitCode, Is.Zero);
        Assert.That(TestSupport.Text(output), Is.EqualTo("hi\n"));
    }

    [Test]
    public void DescribeStateNamesTheRegisters()
    {
        var machine = Machine.Create(TestSupport.SmallBoard);
        TestSupport.LoadProgram(machine.Bus, [TestSupport.BranchToSelf]);
        machine.Reset();
        string state = machine.DescribeState();
        Assert.That(state, Does.Contain("pc   0x00000100"));
        Assert.That(state, Does.Contain("sp   0x20001000"));
        Assert.That(state, Does.Contain("r0 ").And.Contain("r12"));
    }
}

/// <summary>A device that counts machine resets.</summary>
internal sealed class ResetCounter : IResettable
{
    public int Resets { get; private set; }

    public void Reset() => Resets++;
}
