using System.Diagnostics;
using System.Globalization;
using Dsm.Emulation.CortexM3;
using Dsm.Peripherals.FM3;

namespace Dsm.Benchmarks;

/// <summary>
/// How soon a fresh process emulates peripheral writes at full speed: fresh MB9BF506N machines run a loop of word
/// stores to the CRC unit's input register (the DSMC's flash-offer path), 2 million instructions a round, and each
/// round prints host nanoseconds per store. The first rounds show what a just-started host, or a system migrated
/// into it, pays until the peripheral path is optimised. <c>--peripheral-warmup [--rounds N]</c>.
/// </summary>
internal static class PeripheralWarmUp
{
    private const uint CodeAddress = 0x100;
    private const int InstructionsPerRound = 2_000_000;

    // Thumb code at 0x100 (assembled with arm-none-eabi-as, as the listing says):
    //   ldr r0, =0x40039008   ; CRCIN
    //   movs r1, #0x55
    //   ldr r2, =100000000
    // loop:
    //   str r1, [r0]  (four times)
    //   subs r2, #1
    //   bne loop
    //   b .
    private static readonly byte[] StoreLoop =
    [
        0x04, 0x48, 0x55, 0x21, 0x04, 0x4A, 0x01, 0x60, 0x01, 0x60, 0x01, 0x60, 0x01, 0x60, 0x01, 0x3A,
        0xF9, 0xD1, 0xFE, 0xE7, 0x08, 0x90, 0x03, 0x40, 0x00, 0xE1, 0xF5, 0x05,
    ];

    public static int Run(string[] args)
    {
        int rounds = 8;
        for (int i = 1; i < args.Length; i++)
        {
            rounds = args[i] == "--rounds" ? int.Parse(args[++i], CultureInfo.InvariantCulture) : throw new ArgumentException($"unknown option {args[i]}");
        }

        for (int round = 0; round < rounds; round++)
        {
            var machine = Machine.Create(Mb9bf506n.Definition());
            var image = new byte[CodeAddress + StoreLoop.Length];
            BitConverter.TryWriteBytes(image.AsSpan(0), 0x2000_1000u); // initial SP
            BitConverter.TryWriteBytes(image.AsSpan(4), CodeAddress | 1); // reset vector (Thumb)
            StoreLoop.CopyTo(image, (int)CodeAddress);
            machine.Bus.Load(0, image);
            machine.Reset();
            // The hardware watchdog off, as the sample start-up does.
            machine.Bus.TryWrite(0x4001_1C00, 4, 0x1ACC_E551);
            machine.Bus.TryWrite(0x4001_1C00, 4, 0xE533_1AAE);
            machine.Bus.TryWrite(0x4001_1008, 1, 0);
            ulong before = machine.Cpu.Instructions;
            var clock = Stopwatch.StartNew();
            machine.RunSlice(ulong.MaxValue, InstructionsPerRound);
            clock.Stop();
            double stores = (machine.Cpu.Instructions - before) * 4.0 / 6; // four stores in each six-instruction turn
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {round}: {machine.Cpu.Instructions - before} instructions in {clock.Elapsed.TotalMilliseconds:F1} ms, {clock.Elapsed.TotalMilliseconds * 1e6 / stores:F1} ns per CRC-unit store"));
        }

        return 0;
    }
}
