using System.Buffers.Binary;
using System.Text;

namespace Dsm.Protocol.Tests;

/// <summary>Deterministic device images shaped like a running RTOS system, and their scenario files for the C driver.</summary>
internal static class TestScenario
{
    public static readonly byte[] Key = Encoding.ASCII.GetBytes("dsm-test-device-key-0123456789ab");

    /// <summary>An FM3-like device: 64 KiB SRAM (zeros, 0xA5 stacks, data), 128 KiB flash (code, erased tail), a DSMC private area.</summary>
    public static DeviceImage Realistic(int seed = 1, bool withKey = true, DeviceCapabilities caps = DeviceCapabilities.Backchannel | DeviceCapabilities.FlashCrc,
        uint sramSize = 64 * 1024, uint flashSize = 128 * 1024)
    {
        var random = new Random(seed);
        var sram = new byte[sramSize];
        FillRtosRam(sram, random);
        var flash = new byte[flashSize];
        FillFirmware(flash, random);
        var regions = new[]
        {
            new RegionDescriptor(RegionKind.Flash, 0x0000_0000, flashSize),
            new RegionDescriptor(RegionKind.Sram, 0x1FFF_8000, sramSize),
            new RegionDescriptor(RegionKind.DsmcPrivate, 0x1FFF_8000 + sramSize, 0x400),
        };
        var hello = new HelloMessage
        {
            Capabilities = caps, IrqCount = 48, DeviceId = Enumerable.Range(0, 16).Select(i => (byte)(0xC0 + i)).ToArray(),
            BoardId = "MB9BF506R", BuildId = Enumerable.Range(0, 20).Select(i => (byte)(i * 13 + seed)).ToArray(),
            Cpuid = 0x412FC230, CoreClockHz = 80_000_000, ResumeAddress = 0x0000_1F41, Regions = regions,
        };
        return new DeviceImage { Hello = hello, RegionContents = [flash, sram, ReadOnlyMemory<byte>.Empty], CpuState = Cpu(48, seed), Key = withKey ? Key : default };
    }

    public static CpuStateMessage Cpu(ushort irqCount, int seed)
    {
        var random = new Random(seed + 100);
        uint Next() => (uint)random.NextInt64(0, 1L << 32);
        int words = (irqCount + 31) / 32;
        var active = new byte[32];
        active[2] = 0x24; // exceptions 18 (the DSM IRQ 2) and 21 (IRQ 5, the ISR it preempted)
        var priority = new byte[irqCount];
        random.NextBytes(priority);
        return new CpuStateMessage
        {
            IrqCount = irqCount, R = Enumerable.Range(0, 13).Select(_ => Next()).ToArray(), Msp = 0x2000_7B80, Psp = 0x2000_1200,
            Lr = 0xFFFF_FFFD, Pc = 0x0000_1F40, Xpsr = 0x0100_0010 + (uint)seed, ExcReturn = 0xFFFF_FFF9, Primask = 0, Faultmask = 0,
            Basepri = 0x40, Control = 2, Shcsr = 0x0000_0400, Shpr = [0, 0x8000_0000, 0xF0F0_0000], Icsr = 0x0400_0000, Vtor = 0,
            Aircr = 0x0000_0300, Scr = 0, Ccr = 0x200, ActiveExceptions = active,
            NvicEnabled = Enumerable.Range(0, words).Select(_ => Next()).ToArray(),
            NvicPending = Enumerable.Range(0, words).Select(_ => Next() & 0xF).ToArray(),
            NvicActive = Enumerable.Range(0, words).Select(i => i == 0 ? 0x24u : 0u).ToArray(),
            NvicPriority = priority,
        };
    }

    /// <summary>Mostly zeros, task stacks painted 0xA5A5A5A5 with a used top, heap and .data with structured values.</summary>
    public static void FillRtosRam(Span<byte> ram, Random random)
    {
        ram.Clear();
        int dataSize = Math.Min(ram.Length / 8, 6 * 1024);
        for (int i = 0; i < dataSize; i += 4)
        {
            // .data/.bss: small counters, pointers into SRAM, flags
            uint value = (i % 32) switch
            {
                0 => 0x1FFF_8000u + (uint)random.Next(0, 0x8000),
                4 or 8 => (uint)random.Next(0, 256),
                _ => random.Next(0, 4) == 0 ? (uint)random.Next() : 0u,
            };
            BinaryPrimitives.WriteUInt32LittleEndian(ram[i..], value);
        }

        int stacks = 6, stackSize = 2048, stackBase = ram.Length / 2;
        for (int s = 0; s < stacks && stackBase + ((s + 1) * stackSize) <= ram.Length; s++)
        {
            var stack = ram.Slice(stackBase + (s * stackSize), stackSize);
            for (int i = 0; i < stack.Length; i += 4)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(stack[i..], 0xA5A5A5A5);
            }

            int used = random.Next(128, 768) & ~3;
            for (int i = stack.Length - used; i < stack.Length; i += 4)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(stack[i..], random.Next(0, 3) == 0 ? 0x0000_1000u + (uint)random.Next(0, 0x8000) : (uint)random.Next(0, 64));
            }
        }
    }

    /// <summary>Thumb-like code in the first part, 0xFF erased flash after it.</summary>
    public static void FillFirmware(Span<byte> flash, Random random)
    {
        flash.Fill(0xFF);
        int code = flash.Length * 3 / 8;
        var vocabulary = new ushort[64];
        for (int i = 0; i < vocabulary.Length; i++)
        {
            vocabulary[i] = (ushort)random.Next(0, 0x10000);
        }

        for (int i = 0; i < code; i += 2)
        {
            ushort op = random.Next(0, 3) == 0 ? (ushort)random.Next(0, 0x10000) : vocabulary[random.Next(0, vocabulary.Length)];
            BinaryPrimitives.WriteUInt16LittleEndian(flash[i..], op);
        }
    }

    /// <summary>The scenario file read by native/dsm_test_driver.c.</summary>
    public static byte[] Serialize(DeviceImage image, uint replyTimeoutMs = 500, byte maxRetries = 4)
    {
        var hello = image.Hello;
        var output = new MemoryStream();
        var w = new BinaryWriter(output);
        w.Write("DSMS"u8);
        w.Write((byte)hello.Capabilities);
        w.Write((byte)hello.Regions.Count);
        w.Write((byte)hello.BuildId.Length);
        w.Write((byte)hello.BoardId.Length);
        w.Write((byte)image.Key.Length);
        w.Write(maxRetries);
        w.Write(hello.IrqCount);
        w.Write(replyTimeoutMs);
        w.Write(hello.DeviceId.Span);
        w.Write(hello.Cpuid);
        w.Write(hello.CoreClockHz);
        w.Write(hello.ResumeAddress);
        w.Write(hello.BuildId.Span);
        w.Write(Encoding.ASCII.GetBytes(hello.BoardId));
        w.Write(image.Key.Span);
        for (int i = 0; i < hello.Regions.Count; i++)
        {
            var region = hello.Regions[i];
            w.Write((byte)region.Kind);
            w.Write(region.Base);
            w.Write(region.Size);
            var contents = region.Kind == RegionKind.DsmcPrivate ? ReadOnlySpan<byte>.Empty : image.RegionContents[i].Span;
            w.Write((uint)contents.Length);
            w.Write(contents);
        }

        var cpu = new byte[image.CpuState.EncodedLength];
        image.CpuState.Encode(cpu);
        w.Write((ushort)cpu.Length);
        w.Write(cpu);
        w.Flush();
        return output.ToArray();
    }
}
