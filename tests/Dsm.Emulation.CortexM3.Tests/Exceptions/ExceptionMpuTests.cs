namespace Dsm.Emulation.CortexM3.Tests.Exceptions;

/// <summary>The core enforcing the MPU: MemManage DACCVIOL (with MMFAR), IACCVIOL and MSTKERR.</summary>
public class ExceptionMpuTests
{
    private const uint Iaccviol = 1u << 0;
    private const uint Daccviol = 1u << 1;
    private const uint Mstkerr = 1u << 4;
    private const uint Mmarvalid = 1u << 7;
    private const int MemManage = 4;
    private const ushort LdrR0R1 = 0x6808;
    private const ushort StrR0R1 = 0x6008;
    private const ushort StrR2R3 = 0x601A;
    private const uint Guarded = 0x4000;

    private const uint ApNoAccess = 0b000;
    private const uint ApPrivilegedOnly = 0b001;
    private const uint ApUnprivilegedReadOnly = 0b010;
    private const uint ApFull = 0b011;

    private const uint CtrlEnable = 1;
    private const uint CtrlPrivilegedDefault = 4;

    /// <summary>A core with MemManage enabled, region 0 giving full access to 0-0x7FFF and region 1 over 256 bytes at <see cref="Guarded"/>.</summary>
    private static ExceptionCore Core(uint guardedAp, uint control = CtrlEnable | CtrlPrivilegedDefault, params ushort[] thread)
    {
        var t = new ExceptionCore().Thread(thread);
        t.Exc.SetEnabled(MemManage, true);
        Region(t, 0, 0, 14, ApFull);
        Region(t, 1, Guarded, 7, guardedAp);
        Ctrl(t, control);
        t.SetWord(Guarded + 0x10, 0x1234_5678);
        t[0] = 0xAA;
        t[1] = Guarded + 0x10;
        return t;
    }

    private static void Region(ExceptionCore t, int number, uint baseAddress, int sizeField, uint ap, bool executeNever = false)
    {
        t.Scs.Write(0xD98, 4, (uint)number);
        t.Scs.Write(0xD9C, 4, baseAddress);
        t.Scs.Write(0xDA0, 4, (executeNever ? 1u << 28 : 0) | (ap << 24) | ((uint)sizeField << 1) | 1);
    }

    private static void Ctrl(ExceptionCore t, uint value) => t.Scs.Write(0xD94, 4, value);

    private static void AssertDataViolation(ExceptionCore t, uint address, uint pc)
    {
        Assert.Multiple(() =>
        {
            Assert.That(t.Cpu.Ipsr, Is.EqualTo((uint)MemManage));
            Assert.That(t.Exc.Cfsr, Is.EqualTo(Daccviol | Mmarvalid));
            Assert.That(t.Exc.Mmfar, Is.EqualTo(address));
            Assert.That(t.Exc.Hfsr, Is.Zero);
            Assert.That(t.Frame(ExceptionCore.MainStack - 0x20)[6], Is.EqualTo(pc), "the stacked PC is the faulting instruction");
        });
    }

    [TestCase(LdrR0R1)]
    [TestCase(StrR0R1)]
    public void NoAccessRegionFaultsLoadsAndStoresWithoutPerformingThem(ushort instruction)
    {
        var t = Core(ApNoAccess, thread: instruction);
        t.Step(1);
        AssertDataViolation(t, Guarded + 0x10, ExceptionCore.ThreadCode);
        Assert.That(t.Frame(ExceptionCore.MainStack - 0x20)[0], Is.EqualTo(0xAAu), "r0 was not loaded");
        Assert.That(t.Word(Guarded + 0x10), Is.EqualTo(0x1234_5678u), "memory was not written");
    }

    [Test]
    public void DisablingTheMpuRestoresAccess()
    {
        var t = Core(ApNoAccess, thread: LdrR0R1);
        Ctrl(t, 0);
        t.Step(1);
        Assert.That((t.Cpu.Ipsr, t.Exc.Cfsr, t[0]), Is.EqualTo((0u, 0u, 0x1234_5678u)));
    }

    [TestCase(ApPrivilegedOnly, true, LdrR0R1, false)]
    [TestCase(ApPrivilegedOnly, true, StrR0R1, false)]
    [TestCase(ApPrivilegedOnly, false, LdrR0R1, true)]
    [TestCase(ApPrivilegedOnly, false, StrR0R1, true)]
    [TestCase(ApUnprivilegedReadOnly, false, LdrR0R1, false)]
    [TestCase(ApUnprivilegedReadOnly, false, StrR0R1, true)]
    [TestCase(ApUnprivilegedReadOnly, true, StrR0R1, false)]
    public void PermissionsFollowThePrivilege(uint ap, bool privileged, ushort instruction, bool faults)
    {
        var t = Core(ap, thread: instruction);
        t.Cpu.Control = privileged ? 0u : 1u;
        t.Step(1);
        if (faults)
        {
            AssertDataViolation(t, Guarded + 0x10, ExceptionCore.ThreadCode);
        }
        else
        {
            Assert.That((t.Cpu.Ipsr, t.Exc.Cfsr), Is.EqualTo((0u, 0u)));
            Assert.That(instruction == LdrR0R1 ? t[0] : t.Word(Guarded + 0x10), Is.EqualTo(instruction == LdrR0R1 ? 0x1234_5678u : 0xAAu));
        }
    }

    [TestCase(CtrlEnable | CtrlPrivilegedDefault, true, false)]
    [TestCase(CtrlEnable | CtrlPrivilegedDefault, false, true)]
    [TestCase(CtrlEnable, true, true)]
    public void BackgroundRegionIsTheDefaultMapOnlyForPrivilegedAccessesWithPrivdefena(uint control, bool privileged, bool faults)
    {
        var t = Core(ApFull, control, LdrR0R1);
        t.SetWord(0x9000, 0xCAFE);
        t[1] = 0x9000; // in RAM, outside every region
        t.Cpu.Control = privileged ? 0u : 1u;
        t.Step(1);
        if (faults)
        {
            AssertDataViolation(t, 0x9000, ExceptionCore.ThreadCode);
        }
        else
        {
            Assert.That((t.Cpu.Ipsr, t.Exc.Cfsr, t[0]), Is.EqualTo((0u, 0u, 0xCAFEu)));
        }
    }

    [Test]
    public void FetchFromAnExecuteNeverRegionIsIaccviolWithoutMmfar()
    {
        var t = Core(ApFull);
        Region(t, 2, ExceptionCore.ThreadCode + 0x40, 4, ApFull, executeNever: true); // 32 bytes in the middle of the NOPs
        t.Step(0x20);
        Assert.That((t.Cpu.Pc, t.Cpu.Ipsr), Is.EqualTo((ExceptionCore.ThreadCode + 0x40, 0u)), "the block stopped at the XN region");
        t.Step(1);
        Assert.Multiple(() =>
        {
            Assert.That(t.Cpu.Ipsr, Is.EqualTo((uint)MemManage));
            Assert.That(t.Exc.Cfsr, Is.EqualTo(Iaccviol), "no MMARVALID on an instruction access violation");
            Assert.That(t.Frame(ExceptionCore.MainStack - 0x20)[6], Is.EqualTo(ExceptionCore.ThreadCode + 0x40));
        });
    }

    [Test]
    public void FetchOutsideEveryRegionWithoutPrivdefenaIsIaccviol()
    {
        var t = Core(ApFull, CtrlEnable);
        Region(t, 0, ExceptionCore.HandlerBase, 11, ApFull); // 0x1000-0x1FFF: the handlers, not the thread code nor the stack
        Region(t, 1, 0x7000, 11, ApFull); // the stack
        t.Step(1);
        Assert.That((t.Cpu.Ipsr, t.Exc.Cfsr), Is.EqualTo(((uint)MemManage, Iaccviol)));
        Assert.That(t.Frame(ExceptionCore.MainStack - 0x20)[6], Is.EqualTo(ExceptionCore.ThreadCode));
    }

    [Test]
    public void EnablingTheMpuTakesEffectAtTheNextInstruction()
    {
        var t = Core(ApNoAccess, 0, StrR2R3, LdrR0R1);
        t[2] = CtrlEnable | CtrlPrivilegedDefault;
        t[3] = 0xE000_ED94; // MPU_CTRL
        t.Step(1);
        Assert.That(t.Scs.Mpu.Enabled, Is.True);
        t.Step(1);
        AssertDataViolation(t, Guarded + 0x10, ExceptionCore.ThreadCode + 2);
    }

    [Test]
    public void StackingIntoANoAccessRegionIsMstkerr()
    {
        var t = Core(ApFull).Irq(0, 0x80);
        Region(t, 2, ExceptionCore.MainStack - 0x100, 7, ApNoAccess);
        t.Exc.SetPending(16);
        t.Step(1);
        Assert.That((t.Cpu.Ipsr, t.Exc.Cfsr), Is.EqualTo(((uint)MemManage, Mstkerr)), "MemManage (priority 0) outranks the IRQ; no MMFAR");
    }
}
