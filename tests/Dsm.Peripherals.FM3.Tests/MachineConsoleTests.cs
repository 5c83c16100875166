using Dsm.Emulation.CortexM3;
using Dsm.Peripherals.FM3.Serial;

namespace Dsm.Peripherals.FM3.Tests;

/// <summary>
/// The console UART in a machine: an idle line keeps no timed event (a sleeping system costs nothing until its own
/// timers), and a host byte reaches the receiver through the machine's host-input queue.
/// </summary>
public class MachineConsoleTests
{
    private const uint Mfs0 = 0x4003_8000;
    private const uint CodeAddress = 0x100;
    private const ushort Wfi = 0xBF30;
    private const ushort BranchBack = 0xE7FD; // b to the WFI

    [Test]
    public void SleepingMachineWithAnIdleConsoleWakesOnlyForAHostByte()
    {
        var machine = Machine.Create(Mb9bf506n.Definition());
        LoadWfiLoop(machine);
        machine.Reset();
        Write(machine, 0x4001_1C00, 0x1ACC_E551, 4); // hardware watchdog: unlock, then off
        Write(machine, 0x4001_1C00, 0xE533_1AAE, 4);
        Write(machine, 0x4001_1008, 0, 1);
        Write(machine, Mfs0 + 0x00, 0x01, 1); // SMR: UART, SOE
        Write(machine, Mfs0 + 0x04, 0x00, 1); // ESCR: 8N1
        Write(machine, Mfs0 + 0x0C, 3, 2); // BGR 3: a bit is 4 PCLK2 cycles (4 MHz at reset), a frame 40 core cycles
        Write(machine, Mfs0 + 0x01, 0x03, 1); // SCR: TXE, RXE
        var board = machine.GetDevice<Mb9bf506n.ResettableBoard>(Mb9bf506n.DeviceName).Board;
        var line = new InMemoryByteChannel();
        board.Serial[0].Attach(line);

        var idle = machine.RunSlice(machine.Scheduler.Now + 10_000);
        Assert.Multiple(() =>
        {
            Assert.That(idle.Outcome, Is.EqualTo(SliceOutcome.Sleeping));
            Assert.That(idle.WakeAt, Is.EqualTo(ulong.MaxValue), "nothing to wake the core: the idle receiver does not poll");
        });

        int posted = 0;
        machine.InputPosted += () => posted++;
        line.Enqueue("x"u8);
        Assert.That(posted, Is.EqualTo(1), "the arrival went through Machine.Post, so a slicing host wakes the system");
        ulong start = machine.Scheduler.Now;
        machine.RunSlice(start + 39);
        Assert.That(Read(machine, Mfs0 + 0x05) & 4, Is.Zero, "the frame takes 40 cycles from the slice that heard of it");
        machine.RunSlice(start + 41);
        Assert.That((Read(machine, Mfs0 + 0x05) & 4, Read(machine, Mfs0 + 0x08)), Is.EqualTo((4u, (uint)'x')));
    }

    private static void LoadWfiLoop(Machine machine)
    {
        var image = new byte[CodeAddress + 4];
        BitConverter.TryWriteBytes(image.AsSpan(0), 0x2000_1000u); // initial SP
        BitConverter.TryWriteBytes(image.AsSpan(4), CodeAddress | 1); // reset vector (Thumb)
        BitConverter.TryWriteBytes(image.AsSpan((int)CodeAddress), Wfi);
        BitConverter.TryWriteBytes(image.AsSpan((int)CodeAddress + 2), BranchBack);
        machine.Bus.Load(0, image);
    }

    private static void Write(Machine machine, uint address, uint value, int size) =>
        Assert.That(machine.Bus.TryWrite(address, size, value), Is.True, $"bus error writing 0x{address:X8}");

    private static uint Read(Machine machine, uint address)
    {
        Assert.That(machine.Bus.TryRead(address, 1, out uint value), Is.True);
        return value;
    }
}
