using System.Text;
using Dsm.Emulation.CortexM3;
using Dsm.Peripherals.FM3.Gpio;
using Dsm.Peripherals.FM3.Serial;

namespace Dsm.Peripherals.FM3.Tests.Firmware;

/// <summary>
/// Runs samples/firmware/fm3-tests/bin/fm3_peripherals.elf on the MB9BF506N board: PLL start-up to
/// 80 MHz, UART output over MFS0, base-timer and dual-timer interrupts, an external interrupt the test
/// raises, GPIO toggles the test observes.
/// </summary>
public class FirmwareTests
{
    private const ulong FrameCycles = 6940; // 8N1 at BGR 346, PCLK2 40 MHz, HCLK 80 MHz

    [Test]
    public void StartUpReachesThePllAndPrintsAtTheModelledBaudRate()
    {
        var machine = CreateMachine();
        var board = machine.GetDevice<Mb9bf506n.ResettableBoard>(Mb9bf506n.DeviceName).Board;
        var line = new InMemoryByteChannel();
        board.Serial[0].Attach(line);
        var frames = new List<ulong>();
        board.Serial[0].FrameTransmitted += (_, time) => frames.Add(time);
        machine.LoadElf(FindFirmware("fm3_peripherals.elf"));
        machine.Reset();
        var output = new StringBuilder();
        RunUntil(machine, line, output, () => output.ToString().Contains("ready\r\n", StringComparison.Ordinal));
        Assert.Multiple(() =>
        {
            Assert.That(output.ToString(), Is.EqualTo("FM3 start\r\nready\r\n"));
            Assert.That(board.Clocks.HclkHz, Is.EqualTo(80_000_000u));
            Assert.That(frames.Zip(frames.Skip(1), (a, b) => b - a).Take(10), Is.All.EqualTo(FrameCycles));
            Assert.That(board.Gpio.IsOutput(3, 0) && board.Gpio.IsOutput(3, 1), Is.True);
            Assert.That(machine.GetDevice<GpioPorts>("gpio"), Is.SameAs(board.Gpio), "each peripheral is a named machine device");
            Assert.That(machine.Devices.Values.OfType<Dsm.Emulation.CortexM3.State.IStatefulComponent>().Select(c => c.SectionName),
                Is.SupersetOf(new[] { "crg", "hwwdt", "mfs0", "mfs7", "bt", "dtim", "gpio", "exti", "crc" }));
        });
    }

    [Test]
    [Category("NeedsExceptions")]
    public void PeripheralFirmwareTakesTimerAndExternalInterrupts()
    {
        string elf = FindFirmware("fm3_peripherals.elf");
        var machine = CreateMachine();
        var board = machine.GetDevice<Mb9bf506n.ResettableBoard>(Mb9bf506n.DeviceName).Board;
        var line = new InMemoryByteChannel();
        board.Serial[0].Attach(line);
        var frames = new List<(ushort Value, ulong Time)>();
        board.Serial[0].FrameTransmitted += (value, time) => frames.Add((value, time));
        var pins = new List<PinChange>();
        board.Gpio.OutputChanged += pins.Add;

        machine.LoadElf(elf);
        machine.Reset();
        var output = new StringBuilder();
        RunUntil(machine, line, output, () => output.ToString().Contains("ready\r\n", StringComparison.Ordinal));
        Assert.That(board.Clocks.HclkHz, Is.EqualTo(80_000_000u), "the firmware's PLL set-up completed");

        board.ExternalInterrupts.SetExternalInterruptLine(0, false);
        machine.Run(2_000_000); // about 30 ms of virtual time: 30 base-timer periods
        RunUntil(machine, line, output, () => machine.Semihosting.ExitCode is not null);

        Assert.Multiple(() =>
        {
            Assert.That(machine.Semihosting.ExitCode, Is.Zero);
            Assert.That(output.ToString(), Is.EqualTo("FM3 start\r\nready\r\nbt>=10 dt>=10 exti=1\r\ndone\r\n"));
            Assert.That(board.Clocks.ResetCause, Is.EqualTo(Clock.Fm3ResetCause.PowerOn), "the firmware never reads RST_STR: it still says power-on, so no watchdog reset happened");
            var startBanner = frames.Take("FM3 start\r\n".Length).Select(f => f.Time).ToList();
            Assert.That(startBanner.Zip(startBanner.Skip(1), (a, b) => b - a), Is.All.EqualTo(FrameCycles), "back-to-back frames at 115200 Bd");
            Assert.That(pins.Count(p => p.Port == 3 && p.Pin == 0), Is.GreaterThanOrEqualTo(10), "P30 toggles on every base-timer tick");
            Assert.That(pins.Where(p => p.Port == 3 && p.Pin == 1).Select(p => p.Level), Is.EqualTo(new[] { false, true }),
                "P31 becomes an output (low), then the external-interrupt handler toggles it once");
        });
    }

    /// <summary>A machine for the board with the default slicing: events fire at their exact instruction boundary anyway.</summary>
    private static Machine CreateMachine() => Machine.Create(Mb9bf506n.Definition());

    private static void RunUntil(Machine machine, InMemoryByteChannel line, StringBuilder output, Func<bool> done)
    {
        for (int slice = 0; slice < 200 && !done(); slice++)
        {
            var result = machine.Run(100_000);
            output.Append(Encoding.ASCII.GetString(line.TakeSent()));
            Assert.That(result.Fault, Is.Null, result.FaultDescription);
            if (result.Exited)
            {
                break;
            }
        }

        output.Append(Encoding.ASCII.GetString(line.TakeSent()));
        Assert.That(done(), Is.True, $"firmware did not get there; output so far: {output}");
    }

    private static string FindFirmware(string name)
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "samples", "firmware", "fm3-tests", "bin", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"samples/firmware/fm3-tests/bin/{name} not found above the test directory.");
    }
}
