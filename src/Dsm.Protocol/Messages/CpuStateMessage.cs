namespace Dsm.Protocol;

/// <summary>
/// CPU_STATE (layout version 1): everything the host engine needs to recreate the core at the capture instant,
/// including the state software cannot write back (active exceptions, NVIC active bits).
/// Engine-independent: plain register values as the ARMv7-M architecture defines them.
/// </summary>
public sealed record CpuStateMessage : IProtocolMessage
{
    private const int FixedLength = 152;

    /// <summary>Layout version of this payload.</summary>
    public byte StateVersion { get; init; } = ProtocolConstants.CpuStateVersion;

    /// <summary>Number of external interrupts covered by the NVIC arrays (equals HELLO's IRQ count).</summary>
    public ushort IrqCount { get; init; }

    /// <summary>r0 to r12 (13 values).</summary>
    public IReadOnlyList<uint> R { get; init; } = new uint[13];

    /// <summary>Main stack pointer.</summary>
    public uint Msp { get; init; }

    /// <summary>Process stack pointer.</summary>
    public uint Psp { get; init; }

    /// <summary>Link register.</summary>
    public uint Lr { get; init; }

    /// <summary>Capture PC: the resume address inside the DSMC.</summary>
    public uint Pc { get; init; }

    /// <summary>xPSR including IPSR (the DSM exception number) and execution state bits.</summary>
    public uint Xpsr { get; init; }

    /// <summary>The DSM handler's EXC_RETURN value.</summary>
    public uint ExcReturn { get; init; }

    /// <summary>PRIMASK.</summary>
    public byte Primask { get; init; }

    /// <summary>FAULTMASK.</summary>
    public byte Faultmask { get; init; }

    /// <summary>BASEPRI.</summary>
    public byte Basepri { get; init; }

    /// <summary>CONTROL.</summary>
    public byte Control { get; init; }

    /// <summary>SHCSR (system handler active, pending and enable bits).</summary>
    public uint Shcsr { get; init; }

    /// <summary>SHPR1 to SHPR3 (3 values).</summary>
    public IReadOnlyList<uint> Shpr { get; init; } = new uint[3];

    /// <summary>ICSR pending bits (NMIPENDSET, PENDSVSET, PENDSTSET).</summary>
    public uint Icsr { get; init; }

    /// <summary>VTOR.</summary>
    public uint Vtor { get; init; }

    /// <summary>AIRCR with only PRIGROUP (bits 10:8) kept.</summary>
    public uint Aircr { get; init; }

    /// <summary>SCR.</summary>
    public uint Scr { get; init; }

    /// <summary>CCR.</summary>
    public uint Ccr { get; init; }

    /// <summary>Bitmap over exception numbers 0..255 of active exceptions (32 bytes).</summary>
    public ReadOnlyMemory<byte> ActiveExceptions { get; init; } = new byte[32];

    /// <summary>NVIC ISER words, ceil(IrqCount / 32) of them.</summary>
    public IReadOnlyList<uint> NvicEnabled { get; init; } = [];

    /// <summary>NVIC ISPR words.</summary>
    public IReadOnlyList<uint> NvicPending { get; init; } = [];

    /// <summary>NVIC IABR words.</summary>
    public IReadOnlyList<uint> NvicActive { get; init; } = [];

    /// <summary>NVIC IPR bytes, one per external interrupt.</summary>
    public ReadOnlyMemory<byte> NvicPriority { get; init; }

    /// <summary>True when exception <paramref name="exceptionNumber"/> is active.</summary>
    /// <param name="exceptionNumber">0 to 255.</param>
    /// <returns>Its bit in <see cref="ActiveExceptions"/>.</returns>
    public bool IsExceptionActive(int exceptionNumber) => (ActiveExceptions.Span[exceptionNumber >> 3] & (1 << (exceptionNumber & 7))) != 0;

    /// <inheritdoc/>
    public MessageType Type => MessageType.CpuState;

    /// <summary>NVIC words per bitmap for <see cref="IrqCount"/>.</summary>
    public int NvicWords => (IrqCount + 31) / 32;

    /// <inheritdoc/>
    public int EncodedLength => FixedLength + (12 * NvicWords) + IrqCount;

    /// <inheritdoc/>
    public void Encode(Span<byte> destination)
    {
        CheckShape();
        var w = new PayloadWriter(destination);
        w.U8(StateVersion);
        w.U8(0);
        w.U16(IrqCount);
        foreach (uint r in R)
        {
            w.U32(r);
        }

        w.U32(Msp);
        w.U32(Psp);
        w.U32(Lr);
        w.U32(Pc);
        w.U32(Xpsr);
        w.U32(ExcReturn);
        w.U8(Primask);
        w.U8(Faultmask);
        w.U8(Basepri);
        w.U8(Control);
        w.U32(Shcsr);
        foreach (uint v in Shpr)
        {
            w.U32(v);
        }

        w.U32(Icsr);
        w.U32(Vtor);
        w.U32(Aircr);
        w.U32(Scr);
        w.U32(Ccr);
        w.Bytes(ActiveExceptions.Span);
        foreach (var list in new[] { NvicEnabled, NvicPending, NvicActive })
        {
            foreach (uint v in list)
            {
                w.U32(v);
            }
        }

        w.Bytes(NvicPriority.Span);
    }

    /// <summary>Parses a CPU_STATE payload.</summary>
    /// <param name="payload">The frame payload.</param>
    /// <returns>The message.</returns>
    /// <exception cref="ProtocolException">The layout, the version or the IRQ count is wrong.</exception>
    public static CpuStateMessage Decode(ReadOnlySpan<byte> payload)
    {
        var r = new PayloadReader(payload, MessageType.CpuState);
        byte version = r.U8();
        if (version != ProtocolConstants.CpuStateVersion)
        {
            throw new ProtocolException(ProtocolErrorCode.UnsupportedVersion,
                $"CPU_STATE layout version {version}; this host reads version {ProtocolConstants.CpuStateVersion}.");
        }

        r.Reserved(1);
        ushort irqCount = r.U16();
        if (irqCount > ProtocolConstants.MaxIrqCount)
        {
            throw new ProtocolException(ProtocolErrorCode.Oversize, $"CPU_STATE covers {irqCount} IRQs; at most {ProtocolConstants.MaxIrqCount} exist.");
        }

        int words = (irqCount + 31) / 32;
        var regs = Words(ref r, 13);
        uint msp = r.U32(), psp = r.U32(), lr = r.U32(), pc = r.U32(), xpsr = r.U32(), excReturn = r.U32();
        byte primask = r.U8(), faultmask = r.U8(), basepri = r.U8(), control = r.U8();
        uint shcsr = r.U32();
        var shpr = Words(ref r, 3);
        uint icsr = r.U32(), vtor = r.U32(), aircr = r.U32(), scr = r.U32(), ccr = r.U32();
        byte[] active = r.Bytes(32).ToArray();
        var enabled = Words(ref r, words);
        var pending = Words(ref r, words);
        var nvicActive = Words(ref r, words);
        byte[] priority = r.Bytes(irqCount).ToArray();
        r.End();
        return new CpuStateMessage
        {
            StateVersion = version, IrqCount = irqCount, R = regs, Msp = msp, Psp = psp, Lr = lr, Pc = pc, Xpsr = xpsr,
            ExcReturn = excReturn, Primask = primask, Faultmask = faultmask, Basepri = basepri, Control = control,
            Shcsr = shcsr, Shpr = shpr, Icsr = icsr, Vtor = vtor, Aircr = aircr, Scr = scr, Ccr = ccr,
            ActiveExceptions = active, NvicEnabled = enabled, NvicPending = pending, NvicActive = nvicActive, NvicPriority = priority,
        };
    }

    private static uint[] Words(ref PayloadReader r, int count)
    {
        var words = new uint[count];
        for (int i = 0; i < count; i++)
        {
            words[i] = r.U32();
        }

        return words;
    }

    private void CheckShape()
    {
        int words = NvicWords;
        if (R.Count != 13 || Shpr.Count != 3 || ActiveExceptions.Length != 32 || NvicEnabled.Count != words ||
            NvicPending.Count != words || NvicActive.Count != words || NvicPriority.Length != IrqCount)
        {
            throw new InvalidOperationException(
                $"CPU state arrays do not match IRQ count {IrqCount}: need 13 registers, 3 SHPR, 32 active-exception bytes, {words} words per NVIC bitmap and {IrqCount} priority bytes.");
        }
    }
}
