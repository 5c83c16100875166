using Dsm.Emulation.CortexM3;
using Dsm.Emulation.CortexM3.Memory;
using Dsm.Peripherals.Mps2;

namespace Dsm.Runtime.Tests;

public class Mps2An385BoardTests
{
    [Test]
    public void MemoryMapMatchesQemu()
    {
        var machine = Machine.Create(Mps2An385.Board);
        var regions = machine.Bus.Regions.Select(r => (r.Name, r.Base, r.Size, r.Kind)).ToList();
        Assert.That(regions, Is.EquivalentTo(new[]
        {
            ("ssram1", 0x0000_0000u, 0x40_0000u, RegionKind.Ram),
            ("blockram", 0x0100_0000u, 0x4000u, RegionKind.Ram),
            ("ssram23", 0x2000_0000u, 0x40_0000u, RegionKind.Ram),
            ("psram", 0x2100_0000u, 0x100_0000u, RegionKind.Ram),
            ("timer0", 0x4000_0000u, 0x1000u, RegionKind.Device),
            ("timer1", 0x4000_1000u, 0x1000u, RegionKind.Device),
            ("dualtimer", 0x4000_2000u, 0x1000u, RegionKind.Device),
            ("uart0", 0x4000_4000u, 0x1000u, RegionKind.Device),
            ("uart1", 0x4000_5000u, 0x1000u, RegionKind.Device),
            ("uart2", 0x4000_6000u, 0x1000u, RegionKind.Device),
            ("uart3", 0x4000_7000u, 0x1000u, RegionKind.Device),
            ("uart4", 0x4000_9000u, 0x1000u, RegionKind.Device),
            ("fpgaio", 0x4002_8000u, 0x1000u, RegionKind.Device),
            ("scc", 0x4002_F000u, 0x1000u, RegionKind.Device),
            ("apb-reserved", 0x4000_3000u, 0x1000u, RegionKind.Device),
            ("watchdog", 0x4000_8000u, 0x1000u, RegionKind.Device),
            ("apb-reserved2", 0x4000_A000u, 0x6000u, RegionKind.Device),
            ("ahb-gpio", 0x4001_0000u, 0x1_0000u, RegionKind.Device),
            ("spi-i2c-i2s", 0x4002_0000u, 0x8000u, RegionKind.Device),
            ("shield-i2c", 0x4002_9000u, 0x6000u, RegionKind.Device),
            ("dwt", 0xE000_1000u, 0x1000u, RegionKind.Device),
            ("scs", 0xE000_E000u, 0x1000u, RegionKind.Device),
        }));
    }

    [Test]
    public void CodeMemoryIsWritableByTheGuest()
    {
        var machine = Machine.Create(Mps2An385.Board);
        Assert.That(machine.Bus.TryWrite(0x100, 4, 0xCAFE_F00D), Is.True);
        Assert.That(machine.Bus.TryRead(0x100, 4, out uint value), Is.True);
        Assert.That(value, Is.EqualTo(0xCAFE_F00Du));
    }

    [Test]
    public void BitBandAliasesReachSramAndPeripherals()
    {
        var machine = Machine.Create(Mps2An385.Board);
        Assert.That(machine.Bus.TryWrite(0x2200_0000 + (4 * 32) + (3 * 4), 4, 1), Is.True, "bit 3 of byte 4");
        Assert.That(TestSupport.ReadWord(machine.Bus, 0x2000_0004), Is.EqualTo(1u << 3));

        var uart = machine.GetDevice<CmsdkApbUart>("uart0");
        uint controlAlias = 0x4200_0000 + ((Mps2An385.Uart0Base - 0x4000_0000 + CmsdkApbUart.ControlOffset) * 32);
        Assert.That(machine.Bus.TryWrite(controlAlias, 4, 1), Is.True, "CTRL.TX_EN through the alias");
        Assert.That(uart.Control, Is.EqualTo(CmsdkApbUart.ControlTxEnable));
    }

    [Test]
    public void Uart0WritesToTheMachineConsole()
    {
        var output = new MemoryStream();
        var machine = Machine.Create(Mps2An385.Board, new MachineOptions { StandardOutput = output });
        machine.Bus.TryWrite(Mps2An385.Uart0Base + CmsdkApbUart.ControlOffset, 4, CmsdkApbUart.ControlTxEnable);
        machine.Bus.TryWrite(Mps2An385.Uart0Base + CmsdkApbUart.DataOffset, 4, 'U');
        Assert.That(output.ToArray(), Is.EqualTo("U"u8.ToArray()));
    }

    [Test]
    public void ResetReturnsTheUartToItsPowerOnState()
    {
        var machine = Machine.Create(Mps2An385.Board);
        machine.Bus.TryWrite(Mps2An385.Uart0Base + CmsdkApbUart.ControlOffset, 4, 0x7F);
        machine.Reset();
        Assert.That(machine.GetDevice<CmsdkApbUart>("uart0").Control, Is.Zero);
    }

    [TestCase(0x0040_0000u)] // QEMU's SSRAM1 mirror is not modelled
    [TestCase(0x4003_0000u)] // past the APB peripherals
    [TestCase(0x6000_0000u)]
    [TestCase(0x2040_0000u)]
    public void EverythingElseIsUnmapped(uint address)
    {
        var machine = Machine.Create(Mps2An385.Board);
        Assert.That(machine.Bus.TryRead(address, 4, out _), Is.False);
        Assert.That(machine.Bus.TryWrite(address, 4, 0), Is.False);
    }

    [Test]
    public void SystemControlMatchesQemu()
    {
        var machine = Machine.Create(Mps2An385.Board);
        Assert.That(machine.Bus.TryRead(0xE000_ED00, 4, out uint cpuid), Is.True);
        Assert.That(cpuid, Is.EqualTo(0x410F_C231u), "CPUID");
        Assert.That(machine.Bus.TryRead(0xE000_E004, 4, out uint ictr), Is.True);
        Assert.That(ictr, Is.Zero, "ICTR: up to 32 interrupts");
        Assert.That(machine.Bus.TryWrite(0xE000_E400, 4, 0xFFFF_FFFF), Is.True);
        machine.Bus.TryRead(0xE000_E400, 4, out uint priorities);
        Assert.That(priorities, Is.EqualTo(0xFFFF_FFFFu), "IPR0: 8 priority bits");
        machine.Bus.TryRead(0xE000_ED90, 4, out uint mpuType);
        Assert.That(mpuType, Is.EqualTo(0x800u), "MPU_TYPE: 8 regions");
        machine.Bus.TryRead(0xE000_E01C, 4, out uint calibration);
        Assert.That(calibration, Is.EqualTo(0x270Fu), "SYST_CALIB");
        Assert.That(Mps2An385.Board.CoreClockHz, Is.EqualTo(25_000_000u));
        Assert.That(Mps2An385.Board.Name, Is.EqualTo("mps2-an385"));
    }
}
