using Dsm.Emulation.CortexM3.Cpu;
using Dsm.Emulation.CortexM3.Memory;
using Dsm.Emulation.CortexM3.SystemControl;
using Dsm.Emulation.CortexM3.Timing;

namespace Dsm.Emulation.CortexM3.Tests.Exceptions;

/// <summary>
/// A core attached to a system control space, with RAM at 0 holding a vector table whose entry n points to
/// <see cref="Handler"/>(n) (Thumb bit set), thread code at <see cref="ThreadCode"/>, SP_main at <see cref="MainStack"/>.
/// Each handler slot is 0x40 bytes, filled with NOPs until a test places code there.
/// </summary>
internal sealed class ExceptionCore
{
    public const uint ThreadCode = 0x200;
    public const uint HandlerBase = 0x1000;
    public const uint MainStack = 0x8000;
    public const uint ProcessStack = 0x6000;
    public const ushort Nop = 0xBF00;
    public const ushort BxLr = 0x4770;

    public ExceptionCore()
    {
        Bus.AddRam("ram", 0, 0x1_0000);
        Scheduler = new EventScheduler(1_000_000);
        Scs = new SystemControlSpace(new SystemControlOptions { ExternalInterrupts = 8, PriorityBits = 4 }, Scheduler);
        Bus.AddDevice("scs", SystemControlSpace.BaseAddress, SystemControlSpace.WindowSize, Scs);
        for (uint n = 1; n < 16 + 8; n++)
        {
            SetWord(4 * n, Handler((int)n) | 1);
            Place(Handler((int)n), Enumerable.Repeat(Nop, 0x20).ToArray());
        }

        SetWord(0, MainStack);
        SetWord(4, ThreadCode | 1);
        Cpu = new CortexM3Cpu(Bus);
        Cpu.AttachSystemControl(Scs);
        Cpu.Reset();
        Place(ThreadCode, Enumerable.Repeat(Nop, 0x40).ToArray());
    }

    public MemoryBus Bus { get; } = new();

    public EventScheduler Scheduler { get; }

    public SystemControlSpace Scs { get; }

    public ExceptionController Exc => Scs.Exceptions;

    public CortexM3Cpu Cpu { get; }

    public uint this[int register]
    {
        get => Cpu.GetRegister(register);
        set => Cpu.SetRegister(register, value);
    }

    public static uint Handler(int exception) => HandlerBase + (0x40 * (uint)exception);

    /// <summary>Places thread code at <see cref="ThreadCode"/>.</summary>
    public ExceptionCore Thread(params ushort[] halfwords)
    {
        Place(ThreadCode, halfwords);
        return this;
    }

    /// <summary>Places the handler of <paramref name="exception"/>.</summary>
    public ExceptionCore HandlerCode(int exception, params ushort[] halfwords)
    {
        Place(Handler(exception), halfwords);
        return this;
    }

    /// <summary>Enables external interrupt <paramref name="irq"/> at <paramref name="priority"/>.</summary>
    public ExceptionCore Irq(int irq, uint priority)
    {
        Exc.SetEnabled(16 + irq, true);
        Exc.SetPriority(16 + irq, priority);
        return this;
    }

    public void Place(uint address, params ushort[] halfwords)
    {
        var bytes = new byte[halfwords.Length * 2];
        for (int i = 0; i < halfwords.Length; i++)
        {
            bytes[2 * i] = (byte)halfwords[i];
            bytes[(2 * i) + 1] = (byte)(halfwords[i] >> 8);
        }

        Bus.Load(address, bytes);
    }

    public uint Word(uint address)
    {
        Assert.That(Bus.TryRead(address, 4, out uint value), Is.True);
        return value;
    }

    public void SetWord(uint address, uint value) => Assert.That(Bus.TryWrite(address, 4, value), Is.True);

    /// <summary>The 8 words of the frame at <paramref name="address"/>.</summary>
    public uint[] Frame(uint address) => Enumerable.Range(0, 8).Select(i => Word(address + (uint)(4 * i))).ToArray();

    /// <summary>Writes the SCB's CCR.</summary>
    public void Ccr(uint value) => Scs.Write(0xD14, 4, value);

    public StopReason Run(long instructions) => Cpu.Run(instructions);

    /// <summary>Runs and asserts the budget was used up.</summary>
    public ExceptionCore Step(long instructions = 1)
    {
        var reason = Cpu.Run(instructions);
        Assert.That(reason, Is.EqualTo(StopReason.InstructionLimit), () => $"stopped early: {reason} {Cpu.LastFault}");
        return this;
    }
}
