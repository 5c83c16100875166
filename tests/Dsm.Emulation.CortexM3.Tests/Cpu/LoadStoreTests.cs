using Dsm.Emulation.CortexM3.Cpu;

namespace Dsm.Emulation.CortexM3.Tests.Cpu;

public class LoadStoreTests
{
    private const uint Data = 0x1000;

    private static TestCore WithData()
    {
        var t = new TestCore();
        for (uint i = 0; i < 16; i++)
        {
            t.SetWord(Data + (4 * i), 0x1111_1111u * i);
        }

        t.SetWord(Data + 0x40, 0x8180_7F7E);
        return t;
    }

    [TestCase(0x100u, 0x108u)] // aligned PC: Align(0x104, 4) + 4
    [TestCase(0x102u, 0x108u)] // PC + 4 = 0x106 rounds down to 0x104
    public void LiteralLoadsUseTheWordAlignedPc(uint at, uint literalAddress)
    {
        var t = new TestCore();
        t.SetWord(literalAddress, 0xCAFE_F00D);
        t.CodeAt(at, 0x4801).Step(); // ldr r0, [pc, #4]
        Assert.That(t[0], Is.EqualTo(0xCAFE_F00Du));
    }

    [Test]
    public void WideLiteralLoadWithNegativeOffsetAndAdr()
    {
        var t = new TestCore();
        t.SetWord(0xFC, 0x1234_5678);
        t.CodeAt(0x102, 0xF85F, 0x0008).Step(); // ldr.w r0, [pc, #-8]: Align(0x106, 4) - 8 = 0xFC
        Assert.That(t[0], Is.EqualTo(0x1234_5678u));

        t.CodeAt(0x202, 0xA001).Step(); // adr r0, .+8 from 0x202: Align(0x206, 4) + 4
        Assert.That(t[0], Is.EqualTo(0x208u));
        t.CodeAt(0x302, 0xF2AF, 0x0008).Step(); // adr.w r0, .-4 (sub): Align(0x306, 4) - 8
        Assert.That(t[0], Is.EqualTo(0x2FCu));
    }

    [Test]
    public void LiteralLoadDual()
    {
        var t = new TestCore();
        t.SetWord(0x10C, 1);
        t.SetWord(0x110, 2);
        t.CodeAt(0x100, 0xE9DF, 0x0102).Step(); // ldrd r0, r1, [pc, #8]
        Assert.That((t[0], t[1]), Is.EqualTo((1u, 2u)));
    }

    [Test]
    public void ImmediateOffsetAndIndexedLoads()
    {
        var t = WithData().Code(0x6848).With(1, Data).Step(); // ldr r0, [r1, #4]
        Assert.That((t[0], t[1]), Is.EqualTo((0x1111_1111u, Data)));

        t = WithData().Code(0xF851, 0x0C04).With(1, Data + 8).Step(); // ldr.w r0, [r1, #-4]
        Assert.That((t[0], t[1]), Is.EqualTo((0x1111_1111u, Data + 8)));

        t = WithData().Code(0xF851, 0x0F04).With(1, Data).Step(); // ldr r0, [r1, #4]!
        Assert.That((t[0], t[1]), Is.EqualTo((0x1111_1111u, Data + 4)));

        t = WithData().Code(0xF851, 0x0904).With(1, Data + 8).Step(); // ldr r0, [r1], #-4
        Assert.That((t[0], t[1]), Is.EqualTo((0x2222_2222u, Data + 4)));
    }

    [Test]
    public void RegisterOffsetLoads()
    {
        Assert.That(WithData().Code(0x5888).With(1, Data).With(2, 12).Step()[0], Is.EqualTo(0x3333_3333u)); // ldr r0, [r1, r2]
        Assert.That(WithData().Code(0xF851, 0x0022).With(1, Data).With(2, 3).Step()[0], Is.EqualTo(0x3333_3333u)); // lsl #2
    }

    [Test]
    public void NarrowLoadsExtend()
    {
        Assert.That(WithData().Code(0x8848).With(1, Data + 0x40).Step()[0], Is.EqualTo(0x8180u)); // ldrh r0, [r1, #2]
        Assert.That(WithData().Code(0x5E88).With(1, Data + 0x40).With(2, 2).Step()[0], Is.EqualTo(0xFFFF_8180u)); // ldrsh
        Assert.That(WithData().Code(0x7848).With(1, Data + 0x40).Step()[0], Is.EqualTo(0x7Fu)); // ldrb r0, [r1, #1]
        Assert.That(WithData().Code(0xF911, 0x0C01).With(1, Data + 0x44).Step()[0], Is.EqualTo(0xFFFF_FF81u)); // ldrsb.w [r1, #-1]
        Assert.That(WithData().Code(0x5688).With(1, Data + 0x40).With(2, 1).Step()[0], Is.EqualTo(0x7Fu)); // ldrsb r0, [r1, r2]
    }

    [Test]
    public void StoresInEveryAddressingMode()
    {
        var t = new TestCore().Code(0x6048).With(0, 0xAABB_CCDD).With(1, Data).Step(); // str r0, [r1, #4]
        Assert.That(t.Word(Data + 4), Is.EqualTo(0xAABB_CCDDu));

        t = new TestCore().Code(0xF841, 0x0D04).With(0, 7).With(1, Data + 8).Step(); // str r0, [r1, #-4]!
        Assert.That((t.Word(Data + 4), t[1]), Is.EqualTo((7u, Data + 4)));

        t = new TestCore().Code(0xF841, 0x0B04).With(0, 9).With(1, Data).Step(); // str r0, [r1], #4
        Assert.That((t.Word(Data), t[1]), Is.EqualTo((9u, Data + 4)));

        t = new TestCore().Code(0x5288).With(0, 0x1234_5678).With(1, Data).With(2, 2).Step(); // strh r0, [r1, r2]
        Assert.That(t.Word(Data), Is.EqualTo(0x5678_0000u));

        t = new TestCore().Code(0xF881, 0x0123).With(0, 0xAB).With(1, Data).Step(); // strb.w r0, [r1, #0x123]
        Assert.That(t.Word(Data + 0x120), Is.EqualTo(0xAB00_0000u));

        t = new TestCore().Code(0xF801, 0x0C01).With(0, 0xCD).With(1, Data + 1).Step(); // strb r0, [r1, #-1]
        Assert.That(t.Word(Data), Is.EqualTo(0xCDu));
    }

    [Test]
    public void UnprivilegedFormsBehaveAsPrivilegedWithoutAnMpu()
    {
        var t = WithData().Code(0xF851, 0x0E04, 0xF841, 0x0E04).With(1, Data).Step(); // ldrt r0, [r1, #4]
        Assert.That(t[0], Is.EqualTo(0x1111_1111u));
        t.With(0, 5).Step(); // strt r0, [r1, #4]
        Assert.That(t.Word(Data + 4), Is.EqualTo(5u));
    }

    [Test]
    public void SpRelativeLoadAndStore()
    {
        var t = new TestCore().Code(0x9001, 0x9802).With(0, 42).Step(); // str r0, [sp, #4]
        Assert.That(t.Word(TestCore.StackTop + 4), Is.EqualTo(42u));
        t.SetWord(TestCore.StackTop + 8, 43);
        t.Step(); // ldr r0, [sp, #8]
        Assert.That(t[0], Is.EqualTo(43u));
    }

    [Test]
    public void UnalignedWordAndHalfwordAccessesAreAllowed()
    {
        // Bytes from 0x1040: 7E 7F 80 81 00 00.
        var t = WithData().Code(0x6848, 0x8848).With(1, Data + 0x3E).Step(); // ldr r0, [r1, #4] at 0x1042
        Assert.That(t[0], Is.EqualTo(0x0000_8180u));
        t.With(1, Data + 0x3F).Step(); // ldrh r0, [r1, #2] at 0x1041
        Assert.That(t[0], Is.EqualTo(0x807Fu));
    }

    [Test]
    public void UnalignedAccessFaultsWhenTrapped()
    {
        var t = WithData().Code(0x6848).With(1, Data + 1);
        t.Cpu.UnalignedTrap = true;
        Assert.That(t.Run(1), Is.EqualTo(StopReason.Fault));
        Assert.That(t.Cpu.LastFault, Is.EqualTo(new CpuFault(FaultKind.Unaligned, 0, 0x6848, null, Data + 5)));
    }

    [Test]
    public void DualTransfers()
    {
        var t = WithData().Code(0xE9D2, 0x0102).With(2, Data).Step(); // ldrd r0, r1, [r2, #8]
        Assert.That((t[0], t[1]), Is.EqualTo((0x2222_2222u, 0x3333_3333u)));

        t = WithData().Code(0xE972, 0x0102).With(2, Data + 16).Step(); // ldrd r0, r1, [r2, #-8]!
        Assert.That((t[0], t[1], t[2]), Is.EqualTo((0x2222_2222u, 0x3333_3333u, Data + 8)));

        t = new TestCore().Code(0xE8E2, 0x0102).With(0, 1).With(1, 2).With(2, Data).Step(); // strd r0, r1, [r2], #8
        Assert.That((t.Word(Data), t.Word(Data + 4), t[2]), Is.EqualTo((1u, 2u, Data + 8)));
    }

    [Test]
    public void DualTransfersMustBeWordAligned()
    {
        var t = WithData().Code(0xE9D2, 0x0102).With(2, Data + 2); // ldrd r0, r1, [r2, #8]
        Assert.That(t.Run(1), Is.EqualTo(StopReason.Fault));
        Assert.That(t.Cpu.LastFault!.Kind, Is.EqualTo(FaultKind.Unaligned));
        Assert.That(t.Cpu.LastFault.Address, Is.EqualTo(Data + 10));
    }

    [Test]
    public void PushAndPopWithPcInterwork()
    {
        // push {r0, r1, lr}; pop {r0, r1, pc}
        var t = new TestCore().Code(0xB503, 0xBD03).With(0, 10).With(1, 11).With(14, 0x201).Step();
        Assert.That(t.Cpu.Sp, Is.EqualTo(TestCore.StackTop - 12));
        Assert.That((t.Word(TestCore.StackTop - 12), t.Word(TestCore.StackTop - 4)), Is.EqualTo((10u, 0x201u)));
        t.With(0, 0).With(1, 0).Step();
        Assert.That((t[0], t[1], t.Cpu.Pc, t.Cpu.Sp, t.Cpu.ThumbBit), Is.EqualTo((10u, 11u, 0x200u, TestCore.StackTop, true)));
    }

    [Test]
    public void WidePushPop()
    {
        var t = new TestCore().Code(0xE92D, 0x4FF0, 0xE8BD, 0x8FF0); // push.w {r4-r11, lr}; pop.w {r4-r11, pc}
        for (int r = 4; r <= 11; r++)
        {
            t[r] = (uint)r * 3;
        }

        t[14] = 0x301;
        t.Step();
        Assert.That(t.Cpu.Sp, Is.EqualTo(TestCore.StackTop - 36));
        for (int r = 4; r <= 11; r++)
        {
            t[r] = 0;
        }

        t.Step();
        Assert.That((t[4], t[11], t.Cpu.Pc, t.Cpu.Sp), Is.EqualTo((12u, 33u, 0x300u, TestCore.StackTop)));
    }

    [Test]
    public void PopOfAnEvenAddressClearsTheThumbBitAndFaultsAtTheTarget()
    {
        var t = new TestCore().Code(0xBD00); // pop {pc}
        t.SetWord(TestCore.StackTop, 0x400);
        Assert.That(t.Run(10), Is.EqualTo(StopReason.Fault));
        Assert.That((t.Cpu.LastFault!.Kind, t.Cpu.LastFault.Pc, t.Cpu.ThumbBit), Is.EqualTo((FaultKind.InvalidState, 0x400u, false)));
        Assert.That(t.Cpu.Instructions, Is.EqualTo(1ul));
    }

    [Test]
    public void LoadStoreMultipleWithWriteback()
    {
        var t = new TestCore().Code(0xC006, 0xC806).With(0, Data).With(1, 5).With(2, 6).Step(); // stmia r0!, {r1, r2}
        Assert.That((t.Word(Data), t.Word(Data + 4), t[0]), Is.EqualTo((5u, 6u, Data + 8)));
        t.With(0, Data).With(1, 0).With(2, 0).Step(); // ldmia r0!, {r1, r2}
        Assert.That((t[1], t[2], t[0]), Is.EqualTo((5u, 6u, Data + 8)));
    }

    [Test]
    public void LdmWithTheBaseInTheListLoadsItAndSkipsWriteback()
    {
        var t = WithData().Code(0xC803).With(0, Data + 4).Step(); // ldmia r0, {r0, r1}
        Assert.That((t[0], t[1]), Is.EqualTo((0x1111_1111u, 0x2222_2222u)));
    }

    [Test]
    public void DecrementBeforeForms()
    {
        var t = new TestCore().Code(0xE920, 0x0006).With(0, Data + 8).With(1, 1).With(2, 2).Step(); // stmdb r0!, {r1, r2}
        Assert.That((t.Word(Data), t.Word(Data + 4), t[0]), Is.EqualTo((1u, 2u, Data)));
        t = WithData().Code(0xE910, 0x0006).With(0, Data + 8).Step(); // ldmdb r0, {r1, r2}
        Assert.That((t[1], t[2], t[0]), Is.EqualTo((0u, 0x1111_1111u, Data + 8)));
    }

    [Test]
    public void LoadMultipleIntoPcBranches()
    {
        var t = new TestCore().Code(0xE890, 0x8006).With(0, Data); // ldm.w r0, {r1, r2, pc}
        t.SetWord(Data + 8, 0x501);
        t.Step();
        Assert.That(t.Cpu.Pc, Is.EqualTo(0x500u));
    }

    [Test]
    public void LdmMustBeWordAligned()
    {
        var t = new TestCore().Code(0xC806).With(0, Data + 2);
        Assert.That(t.Run(1), Is.EqualTo(StopReason.Fault));
        Assert.That(t.Cpu.LastFault, Is.EqualTo(new CpuFault(FaultKind.Unaligned, 0, 0xC806, null, Data + 2)));
        Assert.That(t[0], Is.EqualTo(Data + 2), "no writeback on a fault");
    }

    [Test]
    public void LoadPcForms()
    {
        var t = new TestCore().Code(0xF8D0, 0xF000).With(0, Data); // ldr pc, [r0]
        t.SetWord(Data, 0x601);
        t.Step();
        Assert.That(t.Cpu.Pc, Is.EqualTo(0x600u));

        t = new TestCore().Code(0xF85D, 0xFB04); // ldr pc, [sp], #4
        t.SetWord(TestCore.StackTop, 0x701);
        t.Step();
        Assert.That((t.Cpu.Pc, t.Cpu.Sp), Is.EqualTo((0x700u, TestCore.StackTop + 4)));
    }

    [Test]
    public void PreloadHintsDoNotAccessMemory()
    {
        var t = new TestCore().Code(0xF890, 0xF000, 0xF810, 0xFC04).With(0, 0xF000_0000).Step(2); // pld [r0]; pld [r0, #-4]
        Assert.That(t.Cpu.Pc, Is.EqualTo(8u));
    }

    [Test]
    public void BusErrorOnUnmappedLoadAndStore()
    {
        var t = new TestCore().Code(0x6848).With(1, 0x4000_0000); // ldr r0, [r1, #4]
        Assert.That(t.Run(1), Is.EqualTo(StopReason.Fault));
        Assert.That(t.Cpu.LastFault, Is.EqualTo(new CpuFault(FaultKind.DataBusError, 0, 0x6848, null, 0x4000_0004)));

        t = new TestCore().Code(0x2000, 0x6048).With(1, 0x9000_0000); // movs r0, #0; str r0, [r1, #4]
        Assert.That(t.Run(5), Is.EqualTo(StopReason.Fault));
        Assert.That((t.Cpu.LastFault!.Kind, t.Cpu.LastFault.Pc, t.Cpu.Pc, t.Cpu.Instructions), Is.EqualTo((FaultKind.DataBusError, 2u, 2u, 1ul)));
    }

    [Test]
    public void StoreToRomIsABusError()
    {
        var t = new TestCore();
        t.Bus.AddRom("rom", 0x0800_0000, 0x1000);
        t.Code(0x6048).With(1, 0x0800_0000);
        Assert.That(t.Run(1), Is.EqualTo(StopReason.Fault));
        Assert.That(t.Cpu.LastFault!.Kind, Is.EqualTo(FaultKind.DataBusError));
    }

    [Test]
    public void BitBandAccessGoesThroughTheBus()
    {
        var t = new TestCore();
        t.Bus.AddRam("sram", 0x2000_0000, 0x1000);
        t.Bus.AddBitBand(0x2200_0000, 0x2000_0000);

        // str r0, [r1, #4] with r1 = alias of bit 2 of byte 0x20000010 minus 4; ldr r0, [r1, #4]
        t.Code(0x6048, 0x6848).With(0, 1).With(1, 0x2200_0000 + (0x10 * 32) + (2 * 4) - 4).Step();
        Assert.That(t.Bus.TryRead(0x2000_0010, 1, out uint value) ? value : 0, Is.EqualTo(4u));
        t.With(0, 0).Step();
        Assert.That(t[0], Is.EqualTo(1u));
    }

    [Test]
    public void DeviceRegistersAreReachable()
    {
        var device = new Moq.Mock<Memory.IMmioDevice>();
        device.Setup(d => d.Read(8, 4)).Returns(0x55u);
        var t = new TestCore();
        t.Bus.AddDevice("dev", 0x4000_0000, 0x100, device.Object);
        t.Code(0x6848, 0x6048).With(1, 0x4000_0004).Step(2); // ldr r0, [r1, #4]; str r0, [r1, #4]
        Assert.That(t[0], Is.EqualTo(0x55u));
        device.Verify(d => d.Write(8, 4, 0x55u), Moq.Times.Once);
    }
}
