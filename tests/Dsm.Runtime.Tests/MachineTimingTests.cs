using Dsm.Emulation.CortexM3;
using Dsm.Emulation.CortexM3.Boards;
using Dsm.Emulation.CortexM3.Cpu;
using Dsm.Emulation.CortexM3.Memory;
using Dsm.Emulation.CortexM3.Timing;

namespace Dsm.Runtime.Tests;

/// <summary>
/// Timed events fire at the first instruction boundary at or after their deadline, whatever the slicing; a sleeping
/// core jumps virtual time to the next event; hosts drive machines with RunSlice and Post.
/// </summary>
[TestFixture]
public sealed class MachineTimingTests
{
    private const uint DeviceBase = 0x4000_0000;
    private const ushort AddsR0One = 0x3001;
    private const ushort StrR0ToR1 = 0x6008;
    private const ushort BranchToNext = 0xE7FF; // b to the following instruction (the offset is from PC + 4)
    private const ushort Wfi = 0xBF30;
    private const ushort Wfe = 0xBF20;
    private const ushort Sev = 0xBF40;
    private const ushort CpsidI = 0xB672;

    [TestCase(1_000UL)]
    [TestCase(100_003UL)]
    [TestCase(777_777UL)]
    public void AnEventFiresAtTheFirstInstructionBoundaryAtOrAfterItsDeadline(ulong deadline)
    {
        var fired = FireTimes(stepped: false, deadline);
        var reference = FireTimes(stepped: true, deadline);
        Assert.Multiple(() =>
        {
            Assert.That(fired, Is.EqualTo(reference), "same instruction and cycle as a run stopped after every instruction");
            Assert.That(fired.Now, Is.EqualTo(deadline), "the event sees its own deadline as the time");
            Assert.That(fired.Cycles, Is.InRange(deadline, deadline + 2), "at most one instruction (a 3-cycle branch) past the deadline");
        });
    }

    [Test]
    public void AnEventScheduledByARegisterWriteInTheMiddleOfASliceFiresOnTime()
    {
        var fast = WriteThenFire(stepped: false);
        var reference = WriteThenFire(stepped: true);
        Assert.Multiple(() =>
        {
            Assert.That(fast.WrittenAt, Is.EqualTo(reference.WrittenAt), "the device sees the time of the write, not of the slice start");
            Assert.That(fast.WrittenAt, Is.GreaterThan(0UL));
            Assert.That(fast.Fired, Is.EqualTo(reference.Fired));
        });
    }

    [Test]
    public void WfiWithATimerJumpsVirtualTimeToTheTimerAndContinues()
    {
        // cpsid i; SysTick: RVR = 99_999, CSR = enable | tickint | core clock; wfi; exit.
        var machine = Machine.Create(TestSupport.SmallBoard);
        ushort[] code =
        [
            CpsidI,
            TestSupport.LdrLiteral(1, 1, 0, 12), TestSupport.LdrLiteral(2, 2, 1, 12), 0x604A, // str r2, [r1, #4]
            TestSupport.MovsImmediate(3, 7), 0x600B, // str r3, [r1]
            Wfi,
            TestSupport.MovsImmediate(0, 0x18), TestSupport.LdrLiteral(1, 8, 2, 12), TestSupport.SemihostingBkpt, TestSupport.BranchToSelf, TestSupport.Nop,
        ];
        TestSupport.LoadProgram(machine.Bus, code, 0xE000_E010, 99_999, 0x20026);
        machine.Reset();
        var result = machine.Run(1_000);
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.Zero, result.FaultDescription);
            Assert.That(machine.Scheduler.Now, Is.GreaterThanOrEqualTo(100_000UL), "asleep until the first SysTick wrap");
            Assert.That(machine.Cpu.Cycles, Is.LessThan(100UL), "the sleep cost no core cycles");
        });
    }

    [Test]
    public void WfiWithNothingScheduledReportsSleepingForever()
    {
        var machine = Machine.Create(TestSupport.SmallBoard);
        TestSupport.LoadProgram(machine.Bus, [Wfi, TestSupport.BranchToSelf]);
        machine.Reset();
        var result = machine.Run(1_000_000);
        Assert.Multiple(() =>
        {
            Assert.That(result.StopReason, Is.EqualTo(StopReason.Sleeping));
            Assert.That(result.Instructions, Is.EqualTo(1UL));
            Assert.That(result.FaultDescription, Does.Contain("sleeping"));
        });
    }

    [Test]
    public void WfeConsumesAnEventAndPostedInputWakesIt()
    {
        var machine = Machine.Create(TestSupport.SmallBoard);
        TestSupport.LoadProgram(machine.Bus, [Sev, Wfe, Wfe, TestSupport.MovsImmediate(4, 42), TestSupport.BranchToSelf, TestSupport.Nop]);
        machine.Reset();
        var first = machine.Run(100);
        Assert.That(first.StopReason, Is.EqualTo(StopReason.Sleeping), "the first WFE consumed SEV's event, the second sleeps");
        Assert.That(machine.Cpu.Pc, Is.EqualTo(TestSupport.CodeAddress + 6));

        int postingThread = 0;
        machine.InputPosted += () => postingThread = Environment.CurrentManagedThreadId;
        var poster = new Thread(() => machine.Post(() => machine.Cpu.EventRegister = true));
        poster.Start();
        poster.Join();
        Assert.That(postingThread, Is.EqualTo(poster.ManagedThreadId), "InputPosted tells a slicing host at once, on the posting thread");
        var second = machine.Run(10);
        Assert.Multiple(() =>
        {
            Assert.That(second.StopReason, Is.EqualTo(StopReason.InstructionLimit));
            Assert.That(machine.Cpu.GetRegister(4), Is.EqualTo(42u), "the posted event woke the core");
            Assert.That(machine.Cpu.EventRegister, Is.False, "waking consumed the event");
        });
    }

    [Test]
    public void RunSliceLetsASleepingGuestsTimePassAndReportsTheNextWakeUp()
    {
        // cpsid i; SysTick every 1000 cycles; loop: wfi; ICSR = PENDSTCLR; b loop.
        var machine = Machine.Create(TestSupport.SmallBoard);
        ushort[] code =
        [
            CpsidI,
            TestSupport.LdrLiteral(1, 1, 0, 14), TestSupport.LdrLiteral(2, 2, 1, 14), 0x604A, // str r2, [r1, #4]
            TestSupport.MovsImmediate(3, 7), 0x600B, // str r3, [r1]
            TestSupport.LdrLiteral(5, 6, 2, 14), TestSupport.LdrLiteral(6, 7, 3, 14),
            Wfi, 0x602E, // loop: wfi; str r6, [r5]
            0xE7FC, // b loop
            TestSupport.Nop, TestSupport.Nop, TestSupport.Nop,
        ];
        TestSupport.LoadProgram(machine.Bus, code, 0xE000_E010, 999, 0xE000_ED04, 1u << 25);
        machine.Reset();

        var slice = machine.RunSlice(5_500);
        Assert.Multiple(() =>
        {
            Assert.That(slice.Outcome, Is.EqualTo(SliceOutcome.Sleeping));
            Assert.That(slice.VirtualTime, Is.EqualTo(5_500UL), "time passed up to the limit while asleep");
            Assert.That(slice.WakeAt, Is.GreaterThan(5_500UL).And.LessThanOrEqualTo(6_500UL), "the next SysTick wrap");
            Assert.That(machine.Cpu.Instructions, Is.LessThan(100UL), "five wake-ups, a few instructions each");
        });

        var next = machine.RunSlice(slice.WakeAt + 10, maxInstructions: 2);
        Assert.That(next.Outcome, Is.EqualTo(SliceOutcome.InstructionLimit), "woken by the tick, it ran out of budget");
    }

    [Test]
    public void ExportAndImportContinueExactlyAsTheOriginal()
    {
        var original = SleeperWithTimer();
        original.RunSlice(3_333);
        byte[] image = original.ExportState();
        var copy = Machine.Create(TestSupport.SmallBoard, new MachineOptions { TimeProvider = FrozenClock.Instance });
        copy.ImportState(image);
        Assert.That(copy.ExportState(), Is.EqualTo(image), "an import exports the same image");

        var a = original.RunSlice(20_000);
        var b = copy.RunSlice(20_000);
        Assert.Multiple(() =>
        {
            Assert.That(b, Is.EqualTo(a));
            Assert.That(copy.ExportState(), Is.EqualTo(original.ExportState()));
        });
    }

    private static Machine SleeperWithTimer()
    {
        var machine = Machine.Create(TestSupport.SmallBoard, new MachineOptions { TimeProvider = FrozenClock.Instance });
        ushort[] code =
        [
            CpsidI,
            TestSupport.LdrLiteral(1, 1, 0, 14), TestSupport.LdrLiteral(2, 2, 1, 14), 0x604A,
            TestSupport.MovsImmediate(3, 7), 0x600B,
            TestSupport.LdrLiteral(5, 6, 2, 14), TestSupport.LdrLiteral(6, 7, 3, 14),
            Wfi, 0x602E, AddsR0One, 0xE7FB, // loop: wfi; str r6, [r5]; adds r0, #1; b loop
            TestSupport.Nop, TestSupport.Nop,
        ];
        TestSupport.LoadProgram(machine.Bus, code, 0xE000_E010, 999, 0xE000_ED04, 1u << 25);
        machine.Reset();
        return machine;
    }

    private static (ulong Instructions, ulong Cycles, ulong Now) FireTimes(bool stepped, ulong deadline)
    {
        var machine = Machine.Create(TestSupport.SmallBoard);
        var code = new List<ushort>();
        code.AddRange(Enumerable.Repeat(AddsR0One, 60));
        code.Add(0xE7C2); // b back to the first adds
        code.Add(TestSupport.Nop);
        TestSupport.LoadProgram(machine.Bus, [.. code]);
        machine.Reset();
        (ulong, ulong, ulong)? fired = null;
        machine.Scheduler.CreateEvent("probe", now => fired = (machine.Cpu.Instructions, machine.Cpu.Cycles, machine.Scheduler.Now)).ScheduleAt(deadline);
        RunUntil(machine, stepped, () => fired is not null);
        return fired!.Value;
    }

    private static (ulong WrittenAt, (ulong Instructions, ulong Cycles) Fired) WriteThenFire(bool stepped)
    {
        ulong writtenAt = 0;
        (ulong, ulong)? fired = null;
        Machine? machine = null;
        var board = TestSupport.SmallBoard with
        {
            Name = "test-timer-device",
            AddDevices = context =>
            {
                var ev = context.Scheduler.CreateEvent("device", _ => fired = (machine!.Cpu.Instructions, machine.Cpu.Cycles));
                context.AddDevice("timer", DeviceBase, 0x1000, new WriteHook(() =>
                {
                    writtenAt = context.Scheduler.Now;
                    ev.ScheduleIn(5_003);
                }));
            },
        };
        machine = Machine.Create(board);
        var code = new List<ushort> { TestSupport.LdrLiteral(1, 0, 0, 66), BranchToNext, StrR0ToR1, BranchToNext };
        code.AddRange(Enumerable.Repeat(AddsR0One, 60));
        code.Add(0xE7C2); // b back to the first adds
        code.Add(TestSupport.Nop);
        TestSupport.LoadProgram(machine.Bus, [.. code], DeviceBase);
        machine.Reset();
        RunUntil(machine, stepped, () => fired is not null);
        return (writtenAt, fired!.Value);
    }

    private static void RunUntil(Machine machine, bool stepped, Func<bool> done)
    {
        for (int i = 0; i < 2_000_000 && !done(); i++)
        {
            var result = machine.Run(stepped ? 1 : 1_000_000);
            Assert.That(result.StopReason, Is.EqualTo(StopReason.InstructionLimit), result.FaultDescription);
        }

        Assert.That(done(), Is.True, "the event never fired");
    }

    /// <summary>A wall clock that never moves: the semihosting clock base in state images stays the same.</summary>
    private sealed class FrozenClock : TimeProvider
    {
        public static FrozenClock Instance { get; } = new();

        public override long GetTimestamp() => 1_000_000;

        public override DateTimeOffset GetUtcNow() => new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    }

    private sealed class WriteHook(Action onWrite) : IMmioDevice
    {
        public uint Read(uint offset, int size) => 0;

        public void Write(uint offset, int size, uint value) => onWrite();
    }
}
