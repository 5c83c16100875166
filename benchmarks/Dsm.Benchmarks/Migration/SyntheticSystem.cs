using System.Buffers.Binary;
using Dsm.Emulation.CortexM3.Boards;
using Dsm.Emulation.CortexM3.Elf;
using Dsm.Migration;
using Dsm.Peripherals.FM3;
using Dsm.Protocol;
using MemoryKind = Dsm.Emulation.CortexM3.Memory.RegionKind;

namespace Dsm.Benchmarks.Migration;

/// <summary>
/// A device image with an SRAM of any size, for the C# device half (<see cref="Emigrator"/>): the FM3's
/// 512 KiB flash holding the sample firmware (known to the host by build-id, so only the flash CRC offers
/// cross the link, as with the real DSMC) and one SRAM region whose 4 KiB blocks cycle through zero,
/// random (incompressible), record-structured (LZ4-compressible) and zero again: half of it zeros.
/// The captured CPU sits in IRQ 0's handler at a two-instruction park loop (WFI; B) near the SRAM's end.
/// </summary>
internal static class SyntheticSystem
{
    public const uint SramBase = 0x2000_0000;
    private const int Seed = 20261126;

    public static string BoardId(int sramKiB) => $"bench-sram{sramKiB}k";

    /// <summary>The FM3's core configuration with only flash and <paramref name="sramKiB"/> KiB of SRAM, no peripherals.</summary>
    public static BoardDefinition Board(int sramKiB) => Mb9bf506n.Definition() with
    {
        Name = BoardId(sramKiB),
        Description = $"benchmark board: FM3 core, 512 KiB flash, {sramKiB} KiB SRAM",
        Memory =
        [
            new MemoryRegionSpec("flash", Mb9bf506nBoard.FlashBase, Mb9bf506nBoard.FlashSize, MemoryKind.Rom),
            new MemoryRegionSpec("sram", SramBase, (uint)sramKiB * 1024, MemoryKind.Ram),
        ],
        AddDevices = null,
    };

    public static DeviceImage Image(int sramKiB, ElfImage firmware)
    {
        uint size = (uint)sramKiB * 1024;
        var flash = new byte[Mb9bf506nBoard.FlashSize];
        flash.AsSpan().Fill(0xFF);
        FirmwareImageStore.RenderRegion(firmware, Mb9bf506nBoard.FlashBase, Mb9bf506nBoard.FlashSize).CopyTo(flash, 0);
        var sram = Sram(size);
        uint park = SramBase + size - 16;
        BinaryPrimitives.WriteUInt16LittleEndian(sram.AsSpan((int)(park - SramBase)), 0xBF30);     // WFI
        BinaryPrimitives.WriteUInt16LittleEndian(sram.AsSpan((int)(park - SramBase) + 2), 0xE7FD); // B back to the WFI
        const int irqs = Mb9bf506nBoard.ExternalInterruptCount;
        var active = new byte[32];
        active[16 / 8] = 1 << (16 % 8); // exception 16: IRQ 0, the DSM interrupt
        var deviceId = new byte[ProtocolConstants.DeviceIdSize];
        deviceId[0] = (byte)sramKiB;
        var hello = new HelloMessage
        {
            Capabilities = DeviceCapabilities.FlashCrc,
            IrqCount = irqs,
            DeviceId = deviceId,
            BoardId = BoardId(sramKiB),
            BuildId = firmware.BuildId ?? throw new InvalidOperationException($"{firmware.SourceName} has no build-id."),
            Cpuid = Mb9bf506nBoard.CpuId,
            CoreClockHz = 80_000_000,
            ResumeAddress = park,
            Regions =
            [
                new RegionDescriptor(Protocol.RegionKind.Flash, Mb9bf506nBoard.FlashBase, Mb9bf506nBoard.FlashSize),
                new RegionDescriptor(Protocol.RegionKind.Sram, SramBase, size),
            ],
        };
        int words = (irqs + 31) / 32;
        var cpu = new CpuStateMessage
        {
            IrqCount = irqs,
            Msp = SramBase + size - 256,
            Lr = 0xFFFF_FFF9,
            Pc = park,
            Xpsr = 0x0100_0010,
            ExcReturn = 0xFFFF_FFF9,
            ActiveExceptions = active,
            NvicEnabled = new uint[words],
            NvicPending = new uint[words],
            NvicActive = [1, 0],
            NvicPriority = new byte[irqs],
        };
        return new DeviceImage { Hello = hello, RegionContents = [flash, sram], CpuState = cpu };
    }

    private static byte[] Sram(uint size)
    {
        var sram = new byte[size];
        var random = new Random(Seed);
        for (int block = 0; block * ProtocolConstants.BlockSize < size; block++)
        {
            var span = sram.AsSpan(block * ProtocolConstants.BlockSize, ProtocolConstants.BlockSize);
            switch (block % 4)
            {
                case 1:
                    random.NextBytes(span);
                    break;
                case 2:
                    // Task records: a counter, an id, a state word, a short name; neighbours differ a little.
                    for (int at = 0; at + 16 <= span.Length; at += 16)
                    {
                        BinaryPrimitives.WriteUInt32LittleEndian(span[at..], (uint)(at * 7 + random.Next(4)));
                        BinaryPrimitives.WriteUInt32LittleEndian(span[(at + 4)..], (uint)(at / 16 % 12));
                        BinaryPrimitives.WriteUInt32LittleEndian(span[(at + 8)..], 0x2000_1000u + (uint)(at & 0xF0));
                        "TASK"u8.CopyTo(span[(at + 12)..]);
                    }

                    break;
            }
        }

        return sram;
    }
}
