using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Dsm.Emulation.CortexM3.Cpu;

namespace Dsm.Emulation.CortexM3;

/// <summary>Readable reports of the machine's state for fault messages.</summary>
public sealed partial class Machine
{
    /// <summary>
    /// A multi-line report of the core: general and special registers, xPSR flags, the instruction at PC,
    /// and PC and LR as <c>symbol+offset</c> when the loaded image has symbols.
    /// </summary>
    /// <returns>The report.</returns>
    public string DescribeState()
    {
        var text = new StringBuilder();
        AppendState(text, CaptureCore(null));
        return text.ToString();
    }

    /// <summary>Describes <paramref name="address"/> as <c>symbol+0xOFFSET</c> if the loaded image has a function there.</summary>
    /// <param name="address">A code address.</param>
    /// <returns>The description or null.</returns>
    public string? DescribeAddress(uint address) => Image?.DescribeAddress(address);

    private string DescribeStop(StopReason reason, CpuFault? fault) => FormatStop(reason, CaptureCore(fault), fault);

    /// <summary>
    /// The stop report of <see cref="DescribeStop"/>, formatted only when asked for: the core's state is captured now
    /// (a few hundred bytes) instead of a report of kilobytes being built after every slice of a long run.
    /// </summary>
    private Func<string> DescribeStopLater(StopReason reason)
    {
        var core = CaptureCore(null);
        string? report = null;
        return () => report ??= FormatStop(reason, core, null);
    }

    private string FormatStop(StopReason reason, CoreSnapshot core, CpuFault? fault)
    {
        var text = new StringBuilder();
        text.Append(reason switch
        {
            StopReason.Fault => $"The guest faulted: {DescribeFault(fault)}.",
            StopReason.Lockup => $"The core locked up (a fault while handling a fault): {DescribeFault(fault)}.",
            StopReason.Breakpoint => $"The guest executed BKPT 0x{BreakpointImmediateAt(Cpu.CurrentInstructionAddress)} at 0x{Cpu.CurrentInstructionAddress:X8}, which is not a semihosting call.",
            StopReason.Sleeping => "The core is sleeping (WFI/WFE) and nothing can wake it.",
            StopReason.InstructionLimit => "The instruction limit was reached before the guest exited.",
            StopReason.StopRequested => "The run was stopped by the host before the guest exited.",
            _ => $"The core stopped: {reason}.",
        });
        text.AppendLine();
        AppendState(text, core);
        return text.ToString();
    }

    private string DescribeFault(CpuFault? fault)
    {
        if (fault is null)
        {
            return "no fault details";
        }

        string what = fault.Kind switch
        {
            FaultKind.UndefinedInstruction => "undefined instruction",
            FaultKind.UnpredictableInstruction => "UNPREDICTABLE instruction",
            FaultKind.InvalidState => "execution in ARM state (Thumb bit clear)",
            FaultKind.InvalidExceptionReturn => "invalid exception return",
            FaultKind.Unaligned => "unaligned access",
            FaultKind.DivideByZero => "division by zero",
            FaultKind.InstructionBusError => "instruction fetch from unmapped memory",
            FaultKind.DataBusError => "data access to unmapped or read-only memory",
            FaultKind.SupervisorCall => "SVC with no handler",
            FaultKind.NoCoprocessor => "coprocessor instruction",
            FaultKind.InstructionAccessViolation => "instruction fetch denied by the MPU",
            FaultKind.DataAccessViolation => "data access denied by the MPU",
            _ => fault.Kind.ToString(),
        };
        string at = fault.Address is { } address ? $" (address 0x{address:X8})" : string.Empty;
        string symbol = DescribeAddress(fault.Pc) is { } name ? $" in {name}" : string.Empty;
        return $"{what}{at} at pc=0x{fault.Pc:X8}{symbol}";
    }

    private string BreakpointImmediateAt(uint address)
    {
        Span<byte> bytes = stackalloc byte[2];
        return Bus.TryPeek(address, bytes) ? bytes[0].ToString("X2", CultureInfo.InvariantCulture) : "??";
    }

    // What a report shows of the core, read at one instant.
    private sealed class CoreSnapshot
    {
        public required uint Pc { get; init; }
        public required string Instruction { get; init; }
        public required uint Lr { get; init; }
        public (uint Pc, uint Lr)? Stacked { get; init; }
        public required uint[] R { get; init; }
        public required uint Sp { get; init; }
        public required uint Msp { get; init; }
        public required uint Psp { get; init; }
        public required uint Control { get; init; }
        public required uint Xpsr { get; init; }
        public required uint Primask { get; init; }
        public required uint Faultmask { get; init; }
        public required uint Basepri { get; init; }
        public required ulong Instructions { get; init; }
        public required ulong Cycles { get; init; }
    }

    private CoreSnapshot CaptureCore(CpuFault? fault)
    {
        uint pc = fault?.Pc ?? Cpu.Pc;
        (uint, uint)? stacked = null;
        if (Cpu.HandlerMode && (Cpu.Lr >> 28) == 0xF)
        {
            // LR is an EXC_RETURN: the interrupted context's PC and LR are in the frame on the stack it names.
            uint frame = (Cpu.Lr & 4) != 0 ? Cpu.Psp : Cpu.Msp;
            if (Bus.TryRead(frame + 24, 4, out uint stackedPc) && Bus.TryRead(frame + 20, 4, out uint stackedLr))
            {
                stacked = (stackedPc, stackedLr);
            }
        }

        var r = new uint[13];
        for (int n = 0; n < r.Length; n++)
        {
            r[n] = Cpu.GetRegister(n);
        }

        return new CoreSnapshot
        {
            Pc = pc, Instruction = DescribeInstruction(pc, fault), Lr = Cpu.Lr, Stacked = stacked, R = r, Sp = Cpu.Sp, Msp = Cpu.Msp, Psp = Cpu.Psp,
            Control = Cpu.Control, Xpsr = Cpu.Xpsr, Primask = Cpu.Primask, Faultmask = Cpu.Faultmask, Basepri = Cpu.Basepri,
            Instructions = Cpu.Instructions, Cycles = Cpu.Cycles,
        };
    }

    // The instruction of a fault was taken from the fault when the snapshot was captured.
    private void AppendState(StringBuilder text, CoreSnapshot core)
    {
        text.AppendLine(CultureInfo.InvariantCulture, $"  pc   0x{core.Pc:X8}  {DescribeAddress(core.Pc) ?? "(no symbol)"}  instruction {core.Instruction}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  lr   0x{core.Lr:X8}  {DescribeAddress(core.Lr) ?? "(no symbol)"}");
        if (core.Stacked is var (stackedPc, stackedLr))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  stacked pc 0x{stackedPc:X8}  {DescribeAddress(stackedPc) ?? "(no symbol)"}");
            text.AppendLine(CultureInfo.InvariantCulture, $"  stacked lr 0x{stackedLr:X8}  {DescribeAddress(stackedLr) ?? "(no symbol)"}");
        }

        for (int row = 0; row < 4; row++)
        {
            text.Append(' ');
            for (int column = 0; column < 4; column++)
            {
                int n = row * 4 + column;
                if (n > 12)
                {
                    break;
                }

                text.Append(CultureInfo.InvariantCulture, $" {"r" + n,-4} 0x{core.R[n]:X8}");
            }

            text.AppendLine();
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"  sp   0x{core.Sp:X8}  msp 0x{core.Msp:X8}  psp 0x{core.Psp:X8}  control 0x{core.Control:X}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  xpsr 0x{core.Xpsr:X8}  {DescribeXpsr(core.Xpsr)}  primask {core.Primask}  faultmask {core.Faultmask}  basepri 0x{core.Basepri:X2}");
        text.Append(CultureInfo.InvariantCulture, $"  after {core.Instructions} instructions, {core.Cycles} cycles");
        if (Image is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"; image {Image.SourceName}, build-id {Image.BuildIdHex ?? "none"}");
        }

        text.AppendLine();
    }

    private string DescribeInstruction(uint pc, CpuFault? fault)
    {
        if (fault is not null && fault.Pc == pc && (fault.FirstHalfword != 0 || fault.SecondHalfword is not null))
        {
            return fault.SecondHalfword is { } second ? $"{fault.FirstHalfword:X4} {second:X4}" : $"{fault.FirstHalfword:X4}";
        }

        Span<byte> bytes = stackalloc byte[4];
        if (!Bus.TryPeek(pc & ~1u, bytes[..2]))
        {
            return "(unmapped)";
        }

        ushort first = BinaryPrimitives.ReadUInt16LittleEndian(bytes);
        bool wide = (first & 0xE000) == 0xE000 && (first & 0x1800) != 0;
        if (wide && Bus.TryPeek((pc & ~1u) + 2, bytes[2..]))
        {
            return $"{first:X4} {BinaryPrimitives.ReadUInt16LittleEndian(bytes[2..]):X4}";
        }

        return $"{first:X4}";
    }

    private static string DescribeXpsr(uint xpsr)
    {
        var flags = new StringBuilder();
        flags.Append((xpsr & 0x8000_0000) != 0 ? 'N' : 'n');
        flags.Append((xpsr & 0x4000_0000) != 0 ? 'Z' : 'z');
        flags.Append((xpsr & 0x2000_0000) != 0 ? 'C' : 'c');
        flags.Append((xpsr & 0x1000_0000) != 0 ? 'V' : 'v');
        flags.Append((xpsr & 0x0800_0000) != 0 ? 'Q' : 'q');
        flags.Append((xpsr & 0x0100_0000) != 0 ? " T" : " t");
        uint exception = xpsr & 0x1FF;
        flags.Append(exception == 0 ? " thread mode" : $" handler mode, exception {exception}");
        return flags.ToString();
    }
}
