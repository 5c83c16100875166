namespace Dsm.Migration.Tests;

public class SystemImporterTests
{
    [Test]
    public void BuildsTheMachineAtTheResumeAddressInsideTheCapturedHandler()
    {
        var system = TestSystems.Fm3();
        var board = BoardCatalog.CreateDefault().Create("mb9bf506n")!;

        var machine = SystemImporter.Build(system, board, null, null);

        var cpu = machine.Cpu;
        var exceptions = machine.SystemControl.Exceptions;
        Assert.Multiple(() =>
        {
            Assert.That(cpu.Pc, Is.EqualTo(TestSystems.ResumeAddress));
            Assert.That(cpu.Ipsr, Is.EqualTo(20u));
            Assert.That(cpu.HandlerMode, Is.True);
            Assert.That(cpu.Msp, Is.EqualTo(0x2000_0F00u));
            Assert.That(cpu.Psp, Is.EqualTo(0x2000_0E00u));
            Assert.That(cpu.Sp, Is.EqualTo(0x2000_0F00u), "handler mode runs on MSP");
            Assert.That(cpu.GetRegister(7), Is.EqualTo(0x1007u));
            Assert.That(cpu.Lr, Is.EqualTo(0xFFFF_FFF1u));
            Assert.That(cpu.Primask, Is.EqualTo(1u));
            Assert.That(cpu.Basepri, Is.EqualTo(0x40u));
            Assert.That(exceptions.IsActive(20), Is.True);
            Assert.That(exceptions.IsActive(15), Is.True);
            Assert.That(exceptions.IsActive(16), Is.False);
        });

        var sram = new byte[0x100];
        Assert.That(machine.Bus.TryPeek(0x2000_0000, sram), Is.True);
        Assert.That(sram, Is.EqualTo(system.Regions[1].Contents.ToArray()));
    }

    [Test]
    public void RejectsAPcThatIsNotTheResumeAddress()
    {
        var board = BoardCatalog.CreateDefault().Create("mb9bf506n")!;
        Assert.That(() => SystemImporter.Validate(TestSystems.Fm3(pc: 0x2000), board),
            Throws.TypeOf<MigrationException>().With.Message.Contains("resume address"));
    }

    [Test]
    public void RejectsAnotherBoard()
    {
        var board = BoardCatalog.CreateDefault().Create("mps2-an385")!;
        Assert.That(() => SystemImporter.Validate(TestSystems.Fm3(), board),
            Throws.TypeOf<MigrationException>().With.Message.Contains("mb9bf506n"));
    }

    [Test]
    public void RejectsACaptureOutsideAnException()
    {
        var board = BoardCatalog.CreateDefault().Create("mb9bf506n")!;
        var system = TestSystems.Fm3();
        system = system with { CpuState = system.CpuState with { Xpsr = 1u << 24 } };
        Assert.That(() => SystemImporter.Validate(system, board),
            Throws.TypeOf<MigrationException>().With.Message.Contains("not inside an active exception"));
    }

    [Test]
    public void RejectsActiveExceptionsTheBoardDoesNotHave()
    {
        var board = BoardCatalog.CreateDefault().Create("mb9bf506n")!;
        Assert.That(() => SystemImporter.Validate(TestSystems.Fm3(activeException: 16 + 60), board),
            Throws.TypeOf<MigrationException>().With.Message.Contains("only 64 exceptions"));
    }

    [Test]
    public void RejectsRegionsOutsideTheBoardsMemory()
    {
        var board = BoardCatalog.CreateDefault().Create("mb9bf506n")!;
        Assert.That(() => SystemImporter.Validate(TestSystems.Fm3(sramBase: 0x3000_0000), board),
            Throws.TypeOf<MigrationException>().With.Message.Contains("not memory of board"));
    }

    [Test]
    public void UnknownBoardsAreNotInTheCatalog()
    {
        Assert.That(BoardCatalog.CreateDefault().Create("stm32f103"), Is.Null);
    }
}
