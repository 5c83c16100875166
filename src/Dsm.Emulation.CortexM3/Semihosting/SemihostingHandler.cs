using System.Buffers.Binary;
using System.Text;
using Dsm.Emulation.CortexM3.Cpu;
using Dsm.Emulation.CortexM3.Memory;
using Dsm.Emulation.CortexM3.State;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dsm.Emulation.CortexM3.Semihosting;

/// <summary>
/// Arm semihosting (<c>BKPT 0xAB</c>, r0 = operation, r1 = argument, result in r0) with QEMU's
/// behaviour for the console operations, SYS_HEAPINFO and the exit calls, so one ELF produces the same
/// output and exit code here and under <c>qemu-system-arm -semihosting</c>. There is no host file
/// access: only the console (<c>:tt</c>) and <c>:semihosting-features</c> can be opened. Guest memory
/// is read and written through the bus; a bad pointer makes the call fail with EFAULT, never throws.
/// </summary>
public sealed class SemihostingHandler : IBreakpointHandler, IStatefulComponent
{
    /// <summary>The BKPT immediate that requests semihosting on M-profile cores.</summary>
    public const byte BreakpointImmediate = 0xAB;

    /// <summary>ADP_Stopped_ApplicationExit: the reason code of a normal exit.</summary>
    public const uint ApplicationExitReason = 0x20026;

    // errno values as QEMU reports them (the Linux host's numbering).
    internal const uint ErrnoNoEntry = 2;
    internal const uint ErrnoArgumentListTooLong = 7;
    internal const uint ErrnoBadHandle = 9;
    internal const uint ErrnoAccessDenied = 13;
    internal const uint ErrnoBadAddress = 14;
    internal const uint ErrnoInvalid = 22;
    internal const uint ErrnoNotATerminal = 25;
    internal const uint ErrnoIllegalSeek = 29;
    internal const uint ErrnoNotImplemented = 38;

    private const uint Failure = 0xFFFF_FFFF;
    private const ushort StateVersion = 1;
    private const uint MaxHandles = 1 << 16;
    private const uint NoDefinedResult = 0xDEAD_BEEF; // what QEMU leaves in r0 after WRITEC and WRITE0
    private const int MaxStringLength = 1 << 20;
    private const int MaxTransfer = 1 << 20;

    // Contents of the :semihosting-features pseudo-file: magic "SHFB" and feature byte 0 with
    // SH_EXT_EXIT_EXTENDED and SH_EXT_STDOUT_STDERR, the extensions implemented here.
    private static readonly byte[] FeatureFile = [0x53, 0x48, 0x46, 0x42, 0x03];

    private readonly SemihostingOptions _options;
    private readonly ILogger _logger;
    private readonly List<OpenHandle?> _handles = new();
    private readonly HashSet<uint> _reportedUnsupported = new();
    private long _startTimestamp;

    /// <summary>Creates a handler.</summary>
    /// <param name="options">Host streams and settings; null for defaults (output discarded, no input).</param>
    /// <param name="logger">Logger for unsupported operations and guest errors.</param>
    public SemihostingHandler(SemihostingOptions? options = null, ILogger? logger = null)
    {
        _options = options ?? new SemihostingOptions();
        _logger = logger ?? NullLogger.Instance;
        _startTimestamp = _options.TimeProvider.GetTimestamp();
    }

    /// <summary>The guest's exit code once it called SYS_EXIT or SYS_EXIT_EXTENDED; null while it runs.</summary>
    public int? ExitCode { get; private set; }

    /// <summary>The reason code the guest passed when it exited (0x20026 for a normal exit), or null.</summary>
    public uint? ExitReason { get; private set; }

    /// <summary>The semihosting errno: set by a failed call, read by SYS_ERRNO.</summary>
    public uint Errno { get; private set; }

    /// <summary>What SYS_HEAPINFO returns. The machine sets it from the board's RAM and the loaded image.</summary>
    public SemihostingHeapInfo HeapInfo { get; set; }

    /// <summary>Overrides <see cref="SemihostingOptions.CommandLine"/> when set (the machine uses the image path, as QEMU does).</summary>
    public string? CommandLine { get; set; }

    /// <summary>Forgets the exit code, errno and open handles, and restarts SYS_CLOCK (a machine reset).</summary>
    public void Reset()
    {
        ExitCode = null;
        ExitReason = null;
        Errno = 0;
        _handles.Clear();
        _startTimestamp = _options.TimeProvider.GetTimestamp();
    }

    /// <inheritdoc />
    public string SectionName => "semihosting";

    /// <summary>
    /// Saves the guest-visible semihosting state: exit code and reason, errno, the open handles (kind and position)
    /// and the SYS_CLOCK base as the time elapsed since it, so the guest's clock runs on after an import.
    /// </summary>
    /// <param name="writer">Destination.</param>
    public void SaveState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteVersion(StateVersion);
        writer.WriteBoolean(ExitCode is not null);
        writer.WriteInt32(ExitCode ?? 0);
        writer.WriteBoolean(ExitReason is not null);
        writer.WriteUInt32(ExitReason ?? 0);
        writer.WriteUInt32(Errno);
        writer.WriteInt64(_options.TimeProvider.GetElapsedTime(_startTimestamp).Ticks);
        writer.WriteUInt32((uint)_handles.Count);
        foreach (var handle in _handles)
        {
            writer.WriteByte(handle is null ? (byte)0 : (byte)(handle.Kind + 1));
            writer.WriteInt32(handle?.Position ?? 0);
        }
    }

    /// <summary>Restores what <see cref="SaveState"/> wrote.</summary>
    /// <param name="reader">Source.</param>
    public void LoadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.ReadVersion(StateVersion);
        bool exited = reader.ReadBoolean();
        int exitCode = reader.ReadInt32();
        bool hasReason = reader.ReadBoolean();
        uint reason = reader.ReadUInt32();
        uint errno = reader.ReadUInt32();
        long clockTicks = reader.ReadInt64();
        uint count = reader.ReadUInt32();
        if (clockTicks < 0 || count > MaxHandles)
        {
            throw reader.Corrupt($"negative clock or {count} handles");
        }

        var handles = new List<OpenHandle?>();
        for (uint i = 0; i < count; i++)
        {
            byte kind = reader.ReadByte();
            int position = reader.ReadInt32();
            if (kind > (byte)HandleKind.Features + 1 || position < 0)
            {
                throw reader.Corrupt($"handle {i} has kind {kind} and position {position}");
            }

            handles.Add(kind == 0 ? null : new OpenHandle((HandleKind)(kind - 1)) { Position = position });
        }

        ExitCode = exited ? exitCode : null;
        ExitReason = hasReason ? reason : null;
        Errno = errno;
        _handles.Clear();
        _handles.AddRange(handles);
        long elapsed = (long)(clockTicks * (double)_options.TimeProvider.TimestampFrequency / TimeSpan.TicksPerSecond);
        _startTimestamp = _options.TimeProvider.GetTimestamp() - elapsed;
    }

    /// <inheritdoc />
    public bool OnBreakpoint(CortexM3Cpu cpu, byte immediate)
    {
        ArgumentNullException.ThrowIfNull(cpu);
        if (immediate != BreakpointImmediate)
        {
            return false;
        }

        uint operation = cpu.GetRegister(0);
        uint argument = cpu.GetRegister(1);
        uint? result = Dispatch(cpu, operation, argument);
        if (result is { } value)
        {
            cpu.SetRegister(0, value);
        }

        return true;
    }

    private uint? Dispatch(CortexM3Cpu cpu, uint operation, uint argument)
    {
        var bus = cpu.Bus;
        switch ((SemihostingOperation)operation)
        {
            case SemihostingOperation.Open: return Open(bus, argument);
            case SemihostingOperation.Close: return Close(bus, argument);
            case SemihostingOperation.WriteC: return WriteC(bus, argument);
            case SemihostingOperation.Write0: return Write0(bus, argument);
            case SemihostingOperation.Write: return Write(bus, argument);
            case SemihostingOperation.Read: return Read(bus, argument);
            case SemihostingOperation.ReadC: return ReadC();
            case SemihostingOperation.IsError: return IsError(bus, argument);
            case SemihostingOperation.IsTty: return IsTty(bus, argument);
            case SemihostingOperation.Seek: return Seek(bus, argument);
            case SemihostingOperation.FileLength: return FileLength(bus, argument);
            case SemihostingOperation.Clock: return (uint)(_options.TimeProvider.GetElapsedTime(_startTimestamp).Ticks / (TimeSpan.TicksPerMillisecond * 10));
            case SemihostingOperation.Time: return (uint)_options.TimeProvider.GetUtcNow().ToUnixTimeSeconds();
            case SemihostingOperation.Errno: return Errno;
            case SemihostingOperation.GetCommandLine: return GetCommandLine(bus, argument);
            case SemihostingOperation.HeapInfo: return WriteHeapInfo(bus, argument);
            case SemihostingOperation.Exit: return Exit(cpu, argument, argument == ApplicationExitReason ? 0 : 1);
            case SemihostingOperation.ExitExtended: return ExitExtended(cpu, bus, argument);
            case SemihostingOperation.Elapsed: return Elapsed(bus, argument);
            case SemihostingOperation.TickFrequency: return 1_000_000_000;
            default: return Unsupported(cpu, operation);
        }
    }

    private uint Open(MemoryBus bus, uint block)
    {
        if (!TryReadWords(bus, block, 3, out var args) || !TryReadString(bus, args[0], out string? name))
        {
            return Fail(ErrnoBadAddress);
        }

        uint mode = args[1];
        if (mode >= 12)
        {
            return Fail(ErrnoInvalid);
        }

        OpenHandle handle;
        if (name == ":tt")
        {
            // With SH_EXT_STDOUT_STDERR: read modes give stdin, write modes stdout, append modes stderr.
            handle = new OpenHandle(mode < 4 ? HandleKind.Input : mode < 8 ? HandleKind.Output : HandleKind.Error);
        }
        else if (name == ":semihosting-features")
        {
            if (mode > 1)
            {
                return Fail(ErrnoAccessDenied);
            }

            handle = new OpenHandle(HandleKind.Features);
        }
        else
        {
            _logger.LogWarning("Guest tried to open host file '{Name}'; semihosting here has no host file access", name);
            return Fail(ErrnoNoEntry);
        }

        // Handles start at 1: SYS_OPEN must return non-zero on success.
        int slot = 1;
        while (slot < _handles.Count && _handles[slot] is not null)
        {
            slot++;
        }

        while (_handles.Count <= slot)
        {
            _handles.Add(null);
        }

        _handles[slot] = handle;
        return (uint)slot;
    }

    private uint Close(MemoryBus bus, uint block)
    {
        if (!TryReadWords(bus, block, 1, out var args))
        {
            return Fail(ErrnoBadAddress);
        }

        if (FindHandle(args[0]) is null)
        {
            return Fail(ErrnoBadHandle);
        }

        _handles[(int)args[0]] = null;
        return 0;
    }

    private uint WriteC(MemoryBus bus, uint address)
    {
        Span<byte> character = stackalloc byte[1];
        if (!bus.TryPeek(address, character))
        {
            Errno = ErrnoBadAddress;
            return NoDefinedResult;
        }

        Emit(_options.StandardOutput, character);
        return NoDefinedResult;
    }

    private uint Write0(MemoryBus bus, uint address)
    {
        if (!TryReadStringBytes(bus, address, out byte[]? text))
        {
            Errno = ErrnoBadAddress;
            return NoDefinedResult;
        }

        Emit(_options.StandardOutput, text);
        return NoDefinedResult;
    }

    private uint Write(MemoryBus bus, uint block)
    {
        if (!TryReadWords(bus, block, 3, out var args))
        {
            return Fail(ErrnoBadAddress);
        }

        uint length = args[2];
        var handle = FindHandle(args[0]);
        Stream? target = handle?.Kind switch
        {
            HandleKind.Output => _options.StandardOutput,
            HandleKind.Error => _options.StandardError,
            _ => null,
        };
        if (target is null)
        {
            Errno = ErrnoBadHandle;
            return length; // nothing written
        }

        if (length > MaxTransfer)
        {
            Errno = ErrnoInvalid;
            return length;
        }

        var data = new byte[length];
        if (!bus.TryPeek(args[1], data))
        {
            Errno = ErrnoBadAddress;
            return length;
        }

        Emit(target, data);
        return 0;
    }

    private uint Read(MemoryBus bus, uint block)
    {
        if (!TryReadWords(bus, block, 3, out var args))
        {
            return Fail(ErrnoBadAddress);
        }

        uint buffer = args[1], length = args[2];
        var handle = FindHandle(args[0]);
        if (handle is null || handle.Kind is HandleKind.Output or HandleKind.Error)
        {
            Errno = ErrnoBadHandle;
            return length;
        }

        int wanted = (int)Math.Min(length, MaxTransfer);
        if (!IsWritableRam(bus, buffer, (uint)wanted))
        {
            Errno = ErrnoBadAddress;
            return length;
        }

        var data = new byte[wanted];
        int count;
        if (handle.Kind == HandleKind.Features)
        {
            count = Math.Max(0, Math.Min(wanted, FeatureFile.Length - handle.Position));
            FeatureFile.AsSpan(handle.Position, count).CopyTo(data);
            handle.Position += count;
        }
        else
        {
            count = ReadInput(data);
        }

        WriteGuest(bus, buffer, data.AsSpan(0, count));
        return length - (uint)count;
    }

    private uint ReadC()
    {
        Span<byte> character = stackalloc byte[1];
        return ReadInput(character) == 1 ? character[0] : Failure;
    }

    private uint IsError(MemoryBus bus, uint block)
    {
        if (!TryReadWords(bus, block, 1, out var args))
        {
            return Fail(ErrnoBadAddress);
        }

        return (int)args[0] < 0 ? 1u : 0u;
    }

    private uint IsTty(MemoryBus bus, uint block)
    {
        if (!TryReadWords(bus, block, 1, out var args))
        {
            return Fail(ErrnoBadAddress);
        }

        var handle = FindHandle(args[0]);
        if (handle is null)
        {
            return Fail(ErrnoBadHandle);
        }

        if (handle.Kind != HandleKind.Features && _options.ConsoleIsInteractive)
        {
            return 1;
        }

        Errno = ErrnoNotATerminal;
        return 0;
    }

    private uint Seek(MemoryBus bus, uint block)
    {
        if (!TryReadWords(bus, block, 2, out var args))
        {
            return Fail(ErrnoBadAddress);
        }

        var handle = FindHandle(args[0]);
        if (handle is null)
        {
            return Fail(ErrnoBadHandle);
        }

        if (handle.Kind != HandleKind.Features)
        {
            return Fail(ErrnoIllegalSeek);
        }

        if (args[1] > FeatureFile.Length)
        {
            return Fail(ErrnoInvalid);
        }

        handle.Position = (int)args[1];
        return 0;
    }

    private uint FileLength(MemoryBus bus, uint block)
    {
        if (!TryReadWords(bus, block, 1, out var args))
        {
            return Fail(ErrnoBadAddress);
        }

        var handle = FindHandle(args[0]);
        if (handle is null)
        {
            return Fail(ErrnoBadHandle);
        }

        // A console is a stream: like a pipe or terminal on the host, it has length 0.
        return handle.Kind == HandleKind.Features ? (uint)FeatureFile.Length : 0;
    }

    private uint GetCommandLine(MemoryBus bus, uint block)
    {
        if (!TryReadWords(bus, block, 2, out var args))
        {
            return Fail(ErrnoBadAddress);
        }

        byte[] text = Encoding.UTF8.GetBytes(CommandLine ?? _options.CommandLine);
        uint needed = (uint)text.Length + 1;
        if (needed > args[1])
        {
            return Fail(ErrnoArgumentListTooLong);
        }

        if (!IsWritableRam(bus, block + 4, 4) || !IsWritableRam(bus, args[0], needed))
        {
            return Fail(ErrnoBadAddress);
        }

        bus.TryWrite(block + 4, 4, (uint)text.Length);
        var terminated = new byte[needed];
        text.CopyTo(terminated, 0);
        WriteGuest(bus, args[0], terminated);
        return 0;
    }

    private uint WriteHeapInfo(MemoryBus bus, uint block)
    {
        if (!TryReadWords(bus, block, 1, out var args) || !IsWritableRam(bus, args[0], 16))
        {
            return Fail(ErrnoBadAddress);
        }

        var info = HeapInfo;
        Span<byte> values = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(values, info.HeapBase);
        BinaryPrimitives.WriteUInt32LittleEndian(values[4..], info.HeapLimit);
        BinaryPrimitives.WriteUInt32LittleEndian(values[8..], info.StackBase);
        BinaryPrimitives.WriteUInt32LittleEndian(values[12..], info.StackLimit);
        WriteGuest(bus, args[0], values);
        return 0;
    }

    private uint? ExitExtended(CortexM3Cpu cpu, MemoryBus bus, uint block)
    {
        if (!TryReadWords(bus, block, 2, out var args))
        {
            return Fail(ErrnoBadAddress);
        }

        return Exit(cpu, args[0], args[0] == ApplicationExitReason ? unchecked((int)args[1]) : 1);
    }

    private uint? Exit(CortexM3Cpu cpu, uint reason, int exitCode)
    {
        ExitReason = reason;
        ExitCode = exitCode;
        _options.StandardOutput.Flush();
        _options.StandardError.Flush();
        _logger.LogDebug("Guest exited: reason 0x{Reason:X}, exit code {ExitCode}", reason, exitCode);
        cpu.RequestStop();
        return null; // r0 is left alone: the guest does not continue
    }

    private uint Elapsed(MemoryBus bus, uint block)
    {
        if (!IsWritableRam(bus, block, 8))
        {
            return Fail(ErrnoBadAddress);
        }

        ulong nanoseconds = (ulong)_options.TimeProvider.GetElapsedTime(_startTimestamp).Ticks * 100;
        Span<byte> value = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(value, nanoseconds);
        WriteGuest(bus, block, value);
        return 0;
    }

    private uint Unsupported(CortexM3Cpu cpu, uint operation)
    {
        if (_reportedUnsupported.Add(operation))
        {
            _logger.LogWarning(
                "Unsupported semihosting operation 0x{Operation:X2} at pc=0x{Pc:X8}; returning -1 with errno ENOSYS",
                operation,
                cpu.CurrentInstructionAddress);
        }

        return Fail(ErrnoNotImplemented);
    }

    private uint Fail(uint errno)
    {
        Errno = errno;
        return Failure;
    }

    private OpenHandle? FindHandle(uint handle) => handle < (uint)_handles.Count ? _handles[(int)handle] : null;

    private int ReadInput(Span<byte> destination)
    {
        if (destination.IsEmpty)
        {
            return 0;
        }

        try
        {
            return _options.StandardInput.Read(destination);
        }
        catch (IOException e)
        {
            _logger.LogWarning(e, "Reading the guest's standard input failed");
            Errno = ErrnoBadHandle;
            return 0;
        }
    }

    private void Emit(Stream target, ReadOnlySpan<byte> data)
    {
        try
        {
            target.Write(data);
            target.Flush();
        }
        catch (IOException e)
        {
            // A closed host pipe must not take the emulator down; the guest's output is lost either way.
            _logger.LogWarning(e, "Writing the guest's output failed");
        }
    }

    private static bool TryReadWords(MemoryBus bus, uint address, int count, out uint[] words)
    {
        words = new uint[count];
        Span<byte> bytes = stackalloc byte[4 * count];
        if (!bus.TryPeek(address, bytes))
        {
            return false;
        }

        for (int i = 0; i < count; i++)
        {
            words[i] = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(4 * i)..]);
        }

        return true;
    }

    private static bool TryReadString(MemoryBus bus, uint address, out string? text)
    {
        text = TryReadStringBytes(bus, address, out byte[]? bytes) ? Encoding.UTF8.GetString(bytes) : null;
        return text is not null;
    }

    private static bool TryReadStringBytes(MemoryBus bus, uint address, out byte[] bytes)
    {
        var collected = new List<byte>();
        Span<byte> one = stackalloc byte[1];
        for (int i = 0; i < MaxStringLength; i++)
        {
            if (!bus.TryPeek(address + (uint)i, one))
            {
                break;
            }

            if (one[0] == 0)
            {
                bytes = collected.ToArray();
                return true;
            }

            collected.Add(one[0]);
        }

        bytes = [];
        return false;
    }

    private static bool IsWritableRam(MemoryBus bus, uint address, uint length)
    {
        ulong cursor = address, end = (ulong)address + length;
        if (end > 0x1_0000_0000UL)
        {
            return false;
        }

        while (cursor < end)
        {
            var region = bus.FindRegion((uint)cursor);
            if (region is null || region.Kind != RegionKind.Ram)
            {
                return false;
            }

            cursor = (ulong)region.Base + region.Size;
        }

        return true;
    }

    // Guest-visible stores go through TryWrite so that decoded code overwritten by them is invalidated.
    private static void WriteGuest(MemoryBus bus, uint address, ReadOnlySpan<byte> data)
    {
        for (int i = 0; i < data.Length; i++)
        {
            bus.TryWrite(address + (uint)i, 1, data[i]);
        }
    }

    private enum HandleKind
    {
        Input,
        Output,
        Error,
        Features,
    }

    private sealed class OpenHandle(HandleKind kind)
    {
        public HandleKind Kind { get; } = kind;

        public int Position { get; set; }
    }
}
