using System.Buffers.Binary;
using Dsm.Emulation.CortexM3.Memory;
using Dsm.Emulation.CortexM3.State;
using Dsm.Emulation.CortexM3.SystemControl;

namespace Dsm.Emulation.SystemControl.Tests;

[TestFixture]
public sealed class StateImageTests
{
    /// <summary>The system-level part of a machine: scheduler, SCS units and memory.</summary>
    private sealed class MachineParts
    {
        public MachineParts()
        {
            Fixture = new ScsFixture(new SystemControlOptions { ExternalInterrupts = 48, PriorityBits = 4 });
            Bus = new MemoryBus();
            Bus.AddRom("flash", 0x0000_0000, 0x1000);
            Bus.AddRam("sram", 0x2000_0000, 0x800);
            Bus.AddDevice("scs", SystemControlSpace.BaseAddress, SystemControlSpace.WindowSize, Fixture.Scs);
        }

        public ScsFixture Fixture { get; }

        public MemoryBus Bus { get; }

        public IEnumerable<IStatefulComponent> Components =>
            new IStatefulComponent[] { Fixture.Scheduler }.Concat(Fixture.Scs.StateComponents).Append(new MemoryContentsState(Bus));

        public byte[] Export() => MachineStateImage.Export(Components);

        public void Import(byte[] image, bool ignoreUnknown = false) => MachineStateImage.Import(image, Components, ignoreUnknown);
    }

    /// <summary>A component with a fixed payload, for framing tests.</summary>
    private sealed class BlobComponent(string name, byte[] payload) : IStatefulComponent
    {
        public string SectionName => name;

        public byte[]? Loaded { get; private set; }

        public int BytesToRead { get; init; } = -1;

        public void SaveState(StateWriter writer) => writer.WriteBytes(payload);

        public void LoadState(StateReader reader)
        {
            if (BytesToRead >= 0)
            {
                for (int i = 0; i < BytesToRead; i++)
                {
                    reader.ReadByte();
                }

                return;
            }

            Loaded = reader.ReadBytes();
        }
    }

    private static MachineParts BusyMachine()
    {
        var m = new MachineParts();
        var f = m.Fixture;
        f.Scheduler.AdvanceTo(1234);
        f.Write(0xE000_ED0C, 0x05FA_0300);      // PRIGROUP 3
        f.Write(0xE000_E100, 0x0000_0106);      // enable IRQ 1, 2, 8
        f.Write(0xE000_E400, 0x0020_4060);      // priorities of IRQ 0..3
        f.Write(0xE000_ED20, 0xF0E0_0000);      // PendSV, SysTick priorities
        f.Write(0xE000_E200, 0x0000_0100);      // IRQ 8 pending
        f.Exceptions.SetActive(ExceptionNumber.FirstExternal + 1, true); // inside a handler: software cannot write this
        f.Exceptions.SetActive(ExceptionNumber.PendSV, true);
        f.Exceptions.SetLevel(5, true);
        f.Exceptions.RaiseFault(FaultCause.PreciseDataBusError, 0x6000_0000);
        f.Write(0xE000_ED08, 0x0000_8000);      // VTOR
        f.Write(0xE000_ED14, 0x0000_0218);      // CCR
        f.Write(0xE000_ED10, 0x0000_0002);      // SCR.SLEEPONEXIT
        f.Write(0xE000_EDFC, 0x0100_0000);      // TRCENA
        f.Scs.Dwt.Write(0, 4, 1);
        f.Write(0xE000_E014, 999);
        f.Write(0xE000_E010, 7);                // SysTick on, TICKINT, core clock
        f.Write(0xE000_ED9C, 0x2000_0000 | 0x10 | 3);
        f.Write(0xE000_EDA0, 0x0300_0000 | (10 << 1) | 1);
        f.Write(0xE000_ED94, 5);
        f.Scheduler.AdvanceTo(1600);
        m.Bus.Load(0x2000_0010, [1, 2, 3, 4, 5]);
        m.Bus.Load(0x0000_0000, [0x00, 0x08, 0x00, 0x20]);
        return m;
    }

    [Test]
    public void RoundTripReproducesEverySection()
    {
        var original = BusyMachine();
        byte[] image = original.Export();
        var copy = new MachineParts();
        copy.Import(image);
        Assert.That(copy.Export(), Is.EqualTo(image));
        var f = copy.Fixture;
        Assert.Multiple(() =>
        {
            Assert.That(f.Scheduler.Now, Is.EqualTo(1600UL));
            Assert.That(f.Exceptions.IsActive(ExceptionNumber.FirstExternal + 1), Is.True, "active bits restored");
            Assert.That(f.Exceptions.IsActive(ExceptionNumber.PendSV), Is.True);
            Assert.That(f.Exceptions.ExecutionPriority, Is.EqualTo(original.Fixture.Exceptions.ExecutionPriority));
            Assert.That(f.Read(0xE000_ED0C), Is.EqualTo(0xFA05_0300u));
            Assert.That(f.Read(0xE000_E100), Is.EqualTo(0x0000_0106u));
            Assert.That(f.Read(0xE000_E200), Is.EqualTo(original.Fixture.Read(0xE000_E200)));
            Assert.That(f.Read(0xE000_ED28), Is.EqualTo(0x0000_8200u));
            Assert.That(f.Read(0xE000_ED38), Is.EqualTo(0x6000_0000u));
            Assert.That(f.Scs.VectorTableOffset, Is.EqualTo(0x8000u));
            Assert.That(f.Scs.SleepOnExit, Is.True);
            Assert.That(f.Read(0xE000_E018), Is.EqualTo(original.Fixture.Read(0xE000_E018)));
            Assert.That(f.Scs.Dwt.CycleCount, Is.EqualTo(original.Fixture.Scs.Dwt.CycleCount));
            Assert.That(f.Scs.Mpu.Check(0x2000_0000, MemoryAccess.Write, false), Is.EqualTo(MpuVerdict.Allowed));
            Assert.That(f.Scs.Mpu.Check(0x3000_0000, MemoryAccess.Write, false), Is.EqualTo(MpuVerdict.DataAccessViolation));
            Assert.That(copy.Bus.TryRead(0x2000_0010, 4, out uint ram) ? ram : 0, Is.EqualTo(0x0403_0201u));
        });
    }

    [Test]
    public void ImportedMachineContinuesExactlyAsTheOriginal()
    {
        var original = BusyMachine();
        var copy = new MachineParts();
        copy.Import(original.Export());
        var trace = new List<string>[2] { new(), new() };
        var machines = new[] { original, copy };
        for (ulong t = 1601; t <= 5000; t += 37)
        {
            for (int i = 0; i < 2; i++)
            {
                var f = machines[i].Fixture;
                f.Scheduler.AdvanceTo(t);
                bool tick = f.Exceptions.IsPending(ExceptionNumber.SysTick);
                if (tick)
                {
                    f.Exceptions.ClearPending(ExceptionNumber.SysTick);
                }

                trace[i].Add($"{t}: cvr={f.Read(0xE000_E018)} csr={f.Read(0xE000_E010):X} tick={tick} cyc={f.Scs.Dwt.CycleCount}");
            }
        }

        Assert.That(trace[1], Is.EqualTo(trace[0]));
        Assert.That(trace[0].Count(line => line.Contains("tick=True", StringComparison.Ordinal)), Is.GreaterThan(2));
    }

    [Test]
    public void ImageLayoutHasMagicVersionSectionsAndCrc()
    {
        byte[] image = MachineStateImage.Export([new BlobComponent("alpha", [1, 2, 3])]);
        Assert.Multiple(() =>
        {
            Assert.That(image[..8], Is.EqualTo("DSMSTATE"u8.ToArray()));
            Assert.That(BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan(8)), Is.EqualTo(1));
            Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(12)), Is.EqualTo(1u));
            Assert.That(image[16], Is.EqualTo(5));
            Assert.That(image[17..22], Is.EqualTo("alpha"u8.ToArray()));
            Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(22)), Is.EqualTo(7u));
            Assert.That(image.Length, Is.EqualTo(16 + 1 + 5 + 4 + 7 + 4));
        });
        var sections = MachineStateImage.ReadSections(image);
        Assert.That(sections.Single().Name, Is.EqualTo("alpha"));
    }

    [Test]
    public void ImageEndsWithIeeeCrc32OfEverythingBefore()
    {
        byte[] image = MachineStateImage.Export([new BlobComponent("alpha", [1, 2, 3])]);
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(image.Length - 4));
        Assert.That(crc, Is.EqualTo(Crc32Reference.Compute(image.AsSpan(0, image.Length - 4))));
    }

    [Test]
    public void EveryFlippedByteIsDetected()
    {
        byte[] image = BusyMachine().Export();
        var rng = new Random(7);
        for (int trial = 0; trial < 200; trial++)
        {
            byte[] corrupted = (byte[])image.Clone();
            corrupted[rng.Next(corrupted.Length)] ^= (byte)(1 << rng.Next(8));
            Assert.That(() => new MachineParts().Import(corrupted), Throws.InstanceOf<StateFormatException>());
        }
    }

    [Test]
    public void TruncatedImagesAreRejected()
    {
        byte[] image = BusyMachine().Export();
        foreach (int length in new[] { 0, 10, 19, 100, image.Length / 2, image.Length - 1 })
        {
            Assert.That(() => new MachineParts().Import(image[..length]), Throws.InstanceOf<StateFormatException>(), $"length {length}");
        }
    }

    [Test]
    public void BadMagicAndVersionAreRejected()
    {
        byte[] image = MachineStateImage.Export([new BlobComponent("alpha", [1])]);
        byte[] badMagic = (byte[])image.Clone();
        badMagic[0] = (byte)'X';
        Assert.That(() => MachineStateImage.ReadSections(badMagic), Throws.InstanceOf<StateFormatException>().With.Message.Contains("magic"));
        byte[] future = (byte[])image.Clone();
        future[8] = 2;
        Rechecksum(future);
        Assert.That(() => MachineStateImage.ReadSections(future), Throws.InstanceOf<StateFormatException>().With.Message.Contains("version 2"));
    }

    [Test]
    public void SectionLengthPastTheEndIsRejectedEvenWithAValidCrc()
    {
        byte[] image = MachineStateImage.Export([new BlobComponent("alpha", [1, 2, 3])]);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(22), 1000);
        Rechecksum(image);
        Assert.That(() => MachineStateImage.ReadSections(image), Throws.InstanceOf<StateFormatException>().With.Message.Contains("truncated"));
    }

    [Test]
    public void UnknownSectionsAreRejectedOrSkippedOnRequest()
    {
        var alpha = new BlobComponent("alpha", [1]);
        byte[] image = MachineStateImage.Export([alpha, new BlobComponent("future-unit", [9, 9])]);
        var target = new BlobComponent("alpha", []);
        Assert.That(() => MachineStateImage.Import(image, [target]), Throws.InstanceOf<StateFormatException>().With.Message.Contains("future-unit"));
        Assert.That(target.Loaded, Is.Null, "nothing is loaded from a rejected image");
        MachineStateImage.Import(image, [target], ignoreUnknownSections: true);
        Assert.That(target.Loaded, Is.EqualTo(new byte[] { 1 }));
    }

    [Test]
    public void MissingSectionIsRejected()
    {
        byte[] image = MachineStateImage.Export([new BlobComponent("alpha", [1])]);
        Assert.That(
            () => MachineStateImage.Import(image, [new BlobComponent("alpha", []), new BlobComponent("beta", [])]),
            Throws.InstanceOf<StateFormatException>().With.Message.Contains("beta"));
    }

    [Test]
    public void UnreadBytesInASectionAreRejected()
    {
        byte[] image = MachineStateImage.Export([new BlobComponent("alpha", [1, 2, 3])]);
        Assert.That(
            () => MachineStateImage.Import(image, [new BlobComponent("alpha", []) { BytesToRead = 2 }]),
            Throws.InstanceOf<StateFormatException>().With.Message.Contains("unread"));
    }

    [Test]
    public void DuplicateAndInvalidSectionNamesAreRefusedOnExport()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => MachineStateImage.Export([new BlobComponent("a", []), new BlobComponent("a", [])]), Throws.ArgumentException);
            Assert.That(() => MachineStateImage.Export([new BlobComponent("Upper", [])]), Throws.ArgumentException);
            Assert.That(() => MachineStateImage.Export([new BlobComponent("", [])]), Throws.ArgumentException);
        });
    }

    [Test]
    public void MachineWithADifferentShapeIsRejected()
    {
        byte[] image = BusyMachine().Export();
        var otherBoard = new ScsFixture(new SystemControlOptions { ExternalInterrupts = 32, PriorityBits = 4 });
        Assert.That(
            () => MachineStateImage.Import(image, otherBoard.Scs.StateComponents.Prepend(otherBoard.Scheduler), ignoreUnknownSections: true),
            Throws.InstanceOf<StateFormatException>().With.Message.Contains("48 interrupts"));
        var otherMemory = new MachineParts();
        otherMemory.Bus.AddRam("sram2", 0x2000_8000, 0x100);
        Assert.That(() => otherMemory.Import(image), Throws.InstanceOf<StateFormatException>().With.Message.Contains("memory regions"));
    }

    [Test]
    public void ReaderReportsTruncationAndBadValuesWithContext()
    {
        var reader = new StateReader(new byte[] { 1, 2, 3 }, "demo");
        Assert.That(reader.ReadUInt16(), Is.EqualTo(0x0201));
        Assert.That(() => reader.ReadUInt32(), Throws.InstanceOf<StateFormatException>().With.Message.Contains("'demo'").And.Message.Contains("truncated"));
        Assert.That(() => new StateReader(new byte[] { 2 }, "demo").ReadBoolean(), Throws.InstanceOf<StateFormatException>());
        Assert.That(() => new StateReader(new byte[] { 9, 0 }, "demo").ReadVersion(1), Throws.InstanceOf<StateFormatException>().With.Message.Contains("version 9"));
        Assert.That(() => new StateReader(new byte[] { 0xFF, 0xFF, 0xFF, 0x7F }, "demo").ReadBytes(), Throws.InstanceOf<StateFormatException>());
    }

    [Test]
    public void WriterAndReaderAgreeOnEveryPrimitive()
    {
        var writer = new StateWriter(1);
        writer.WriteByte(0xAB);
        writer.WriteBoolean(true);
        writer.WriteUInt16(0xBEEF);
        writer.WriteUInt32(0xDEAD_BEEF);
        writer.WriteInt32(-5);
        writer.WriteUInt64(0x0123_4567_89AB_CDEF);
        writer.WriteInt64(long.MinValue);
        writer.WriteBytes([7, 8, 9]);
        writer.WriteString("sram1 é");
        var reader = new StateReader(writer.WrittenSpan.ToArray(), "all");
        Assert.Multiple(() =>
        {
            Assert.That(reader.ReadByte(), Is.EqualTo(0xAB));
            Assert.That(reader.ReadBoolean(), Is.True);
            Assert.That(reader.ReadUInt16(), Is.EqualTo(0xBEEF));
            Assert.That(reader.ReadUInt32(), Is.EqualTo(0xDEAD_BEEFu));
            Assert.That(reader.ReadInt32(), Is.EqualTo(-5));
            Assert.That(reader.ReadUInt64(), Is.EqualTo(0x0123_4567_89AB_CDEFUL));
            Assert.That(reader.ReadInt64(), Is.EqualTo(long.MinValue));
            Assert.That(reader.ReadBytes(), Is.EqualTo(new byte[] { 7, 8, 9 }));
            Assert.That(reader.ReadString(), Is.EqualTo("sram1 é"));
            Assert.That(reader.Remaining, Is.Zero);
        });
    }

    [Test]
    public void NvicSectionRejectsPriorityBitsTheBoardDoesNotHave()
    {
        var m = BusyMachine();
        var writer = new StateWriter();
        m.Fixture.Exceptions.SaveState(writer);
        byte[] payload = writer.WrittenSpan.ToArray();
        payload[6 + (2 * (ExceptionNumber.FirstExternal - 1)) + 1] = 0x0F; // IRQ 0 priority with unimplemented bits
        Assert.That(() => m.Fixture.Exceptions.LoadState(new StateReader(payload, "nvic")), Throws.InstanceOf<StateFormatException>());
    }

    private static void Rechecksum(byte[] image)
    {
        uint crc = Crc32Reference.Compute(image.AsSpan(0, image.Length - 4));
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(image.Length - 4), crc);
    }
}
