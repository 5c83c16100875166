using System.Diagnostics;
using Dsm.Emulation.CortexM3.Boards;
using Dsm.Emulation.CortexM3.Cpu;
using Dsm.Emulation.CortexM3.Elf;
using Dsm.Emulation.CortexM3.Memory;
using Dsm.Emulation.CortexM3.Semihosting;
using Dsm.Emulation.CortexM3.SystemControl;
using Dsm.Emulation.CortexM3.Timing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dsm.Emulation.CortexM3;

/// <summary>
/// A complete emulated system: a board's memory map and devices on a <see cref="MemoryBus"/>, a
/// <see cref="CortexM3Cpu"/>, the System Control Space (NVIC, SCB, SysTick, MPU, DWT), virtual time and
/// semihosting. Typical use:
/// <code>
/// var machine = Machine.Create(board, new MachineOptions { StandardOutput = output });
/// machine.LoadElf("firmware.elf");
/// machine.Reset();
/// RunResult result = machine.Run();
/// </code>
/// </summary>
public sealed partial class Machine
{
    private readonly MachineOptions _options;
    private readonly Dictionary<string, object> _devices = new(StringComparer.Ordinal);
    private readonly Stream _standardOutput;
    private readonly Stream _standardError;
    private readonly ILogger _logger;
    private ResetRequest? _pendingReset;
    private ulong _cyclesAtTimeSync; // the core's cycle count when virtual time last caught up with it

    private Machine(BoardDefinition board, MachineOptions options, ILoggerFactory loggerFactory)
    {
        Board = board;
        _options = options;
        _logger = loggerFactory.CreateLogger<Machine>();
        _standardOutput = options.StandardOutput ?? Stream.Null;
        _standardError = options.StandardError ?? Stream.Null;

        Bus = new MemoryBus();
        foreach (var region in board.Memory)
        {
            switch (region.Kind)
            {
                case RegionKind.Ram: Bus.AddRam(region.Name, region.Base, region.Size); break;
                case RegionKind.Rom: Bus.AddRom(region.Name, region.Base, region.Size); break;
                default: throw new ArgumentException($"Board '{board.Name}': memory region '{region.Name}' must be RAM or ROM; devices are added by AddDevices.", nameof(board));
            }
        }

        foreach (var window in board.BitBands)
        {
            Bus.AddBitBand(window.AliasBase, window.TargetBase, window.TargetSize);
        }

        Scheduler = new EventScheduler(board.CoreClockHz);
        SystemControl = new SystemControlSpace(board.SystemControl, Scheduler, loggerFactory.CreateLogger<SystemControlSpace>());
        Bus.AddDevice("scs", SystemControlSpace.BaseAddress, SystemControlSpace.WindowSize, SystemControl);
        Bus.AddDevice("dwt", DwtBaseAddress, DwtWindowSize, SystemControl.Dwt);
        SystemControl.ResetRequested += OnResetRequested;
        board.AddDevices?.Invoke(new BoardContext(
            Bus,
            Scheduler,
            SystemControl.Exceptions,
            () => OnResetRequested(ResetRequest.System),
            _standardOutput,
            loggerFactory,
            _devices));

        Semihosting = new SemihostingHandler(
            new SemihostingOptions
            {
                StandardOutput = _standardOutput,
                StandardError = _standardError,
                StandardInput = options.StandardInput ?? Stream.Null,
                CommandLine = options.CommandLine ?? string.Empty,
                TimeProvider = options.TimeProvider ?? TimeProvider.System,
                ConsoleIsInteractive = options.ConsoleIsInteractive,
            },
            loggerFactory.CreateLogger<SemihostingHandler>());
        Semihosting.HeapInfo = SemihostingHeapInfo.FromLayout(Bus.Regions, []);

        Cpu = new CortexM3Cpu(Bus) { BreakpointHandler = Semihosting };

        // Registers read in the middle of a slice see the core's own cycle count, never behind the scheduler.
        SystemControl.Clock = () => Scheduler.Now + (Cpu.Cycles - _cyclesAtTimeSync);
        SystemControl.AttachCore(Cpu);
    }

    /// <summary>Base address of the DWT unit.</summary>
    public const uint DwtBaseAddress = 0xE000_1000;

    /// <summary>Size of the DWT window.</summary>
    public const uint DwtWindowSize = 0x1000;

    /// <summary>The board this machine was built from.</summary>
    public BoardDefinition Board { get; }

    /// <summary>The address space.</summary>
    public MemoryBus Bus { get; }

    /// <summary>The core.</summary>
    public CortexM3Cpu Cpu { get; }

    /// <summary>Virtual time (core cycles) and timed device events.</summary>
    public EventScheduler Scheduler { get; }

    /// <summary>The System Control Space at 0xE000E000: NVIC and system exceptions, SCB, SysTick, MPU; DWT at 0xE0001000.</summary>
    public SystemControlSpace SystemControl { get; }

    /// <summary>The semihosting handler: it holds the guest's exit code.</summary>
    public SemihostingHandler Semihosting { get; }

    /// <summary>The last ELF image loaded, used for symbols in fault reports; null before <see cref="LoadElf(ElfImage)"/>.</summary>
    public ElfImage? Image { get; private set; }

    /// <summary>The board's devices by name ("uart0").</summary>
    public IReadOnlyDictionary<string, object> Devices => _devices;

    /// <summary>Builds a machine for <paramref name="board"/>. The core is not reset: load an image, then call <see cref="Reset"/>.</summary>
    /// <param name="board">The board.</param>
    /// <param name="options">Host settings; null for defaults (guest output discarded).</param>
    /// <param name="loggerFactory">Logging; null for none.</param>
    /// <returns>The machine.</returns>
    public static Machine Create(BoardDefinition board, MachineOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(board);
        var settings = options ?? new MachineOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.SliceInstructions, 1, nameof(options));
        return new Machine(board, settings, loggerFactory ?? NullLoggerFactory.Instance);
    }

    /// <summary>Finds a device by name and type.</summary>
    /// <typeparam name="T">The device's type.</typeparam>
    /// <param name="name">The name the board registered it under.</param>
    /// <returns>The device.</returns>
    /// <exception cref="KeyNotFoundException">No device of that name and type.</exception>
    public T GetDevice<T>(string name)
        where T : class =>
        _devices.TryGetValue(name, out var device) && device is T typed
            ? typed
            : throw new KeyNotFoundException($"Board '{Board.Name}' has no device '{name}' of type {typeof(T).Name}.");

    /// <summary>Reads an ELF file and loads it (see <see cref="LoadElf(ElfImage)"/>).</summary>
    /// <param name="path">Path of the ELF file.</param>
    /// <returns>The loaded image.</returns>
    /// <exception cref="ElfLoadException">The file is not a loadable image or does not fit the board's memory.</exception>
    public ElfImage LoadElf(string path)
    {
        var image = ElfImage.Load(path);
        LoadElf(image);
        return image;
    }

    /// <summary>
    /// Copies the image's loadable segments to their physical addresses (zero-filling past the file bytes)
    /// and remembers the image for symbol lookup and for <see cref="Reset"/>, which reloads it as QEMU does.
    /// Nothing is written unless every segment fits in the board's RAM and ROM.
    /// </summary>
    /// <param name="image">The image.</param>
    /// <exception cref="ElfLoadException">A segment lies (partly) outside RAM and ROM.</exception>
    public void LoadElf(ElfImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        for (int i = 0; i < image.Segments.Count; i++)
        {
            var segment = image.Segments[i];
            if (FindUnbackedAddress(segment.PhysicalAddress, segment.MemorySize) is { } hole)
            {
                throw new ElfLoadException(
                    ElfProblem.SegmentOutsideMemory,
                    $"{image.SourceName}: loadable segment {i} (0x{segment.PhysicalAddress:X8}..0x{(ulong)segment.PhysicalAddress + segment.MemorySize - 1:X8}) " +
                    $"does not fit board '{Board.Name}': nothing backs address 0x{hole:X8} with RAM or ROM.");
            }
        }

        Image = image;
        CopySegments(image);
        Semihosting.HeapInfo = SemihostingHeapInfo.FromLayout(Bus.Regions, image.Segments.Select(s => (s.PhysicalAddress, s.MemorySize)));
        Semihosting.CommandLine = _options.CommandLine ?? image.SourceName;
        _logger.LogDebug("Loaded {Image}", image);
    }

    /// <summary>
    /// Resets the system: reloads the image's segments, resets the devices and the System Control Space,
    /// forgets the semihosting state (exit code, handles) and resets the core, which takes SP and PC from the
    /// vector table at address 0.
    /// </summary>
    public void Reset()
    {
        ResetHardware();
        Semihosting.Reset();
    }

    /// <summary>
    /// Runs the guest until it exits through semihosting, faults, stops for another reason, executes
    /// <paramref name="maxInstructions"/> instructions or <paramref name="cancellationToken"/> fires
    /// (checked between slices of <see cref="MachineOptions.SliceInstructions"/>).
    /// </summary>
    /// <param name="maxInstructions">Instruction budget for this call.</param>
    /// <param name="cancellationToken">Stops the run between slices; the result then has <see cref="RunResult.Cancelled"/> set.</param>
    /// <returns>Why and where the run ended.</returns>
    public RunResult Run(long maxInstructions = long.MaxValue, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxInstructions);
        var stopwatch = Stopwatch.StartNew();
        ulong startInstructions = Cpu.Instructions;
        ulong startCycles = Cpu.Cycles;
        var trace = _options.InstructionTrace;
        long sliceSize = trace is null ? _options.SliceInstructions : 1;
        long remaining = maxInstructions;
        StopReason reason = StopReason.InstructionLimit;
        bool cancelled = false;

        while (Semihosting.ExitCode is null)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                cancelled = true;
                reason = StopReason.StopRequested;
                break;
            }

            if (remaining == 0)
            {
                reason = StopReason.InstructionLimit;
                break;
            }

            long slice = Math.Min(remaining, sliceSize);
            ulong untilEvent = Scheduler.NextDeadline - Math.Min(Scheduler.NextDeadline, Scheduler.Now);
            if (untilEvent < (ulong)slice)
            {
                // Every instruction takes at least a cycle, so this many cannot run far past the deadline.
                slice = Math.Max(1, (long)untilEvent);
            }

            trace?.Invoke(Cpu.Pc);
            ulong before = Cpu.Instructions;
            reason = Cpu.Run(slice);
            remaining -= (long)Math.Min((ulong)remaining, Cpu.Instructions - before);
            SynchronizeTime();

            if (_pendingReset is { } request && Semihosting.ExitCode is null)
            {
                PerformRequestedReset(request);
                continue;
            }

            if (reason != StopReason.InstructionLimit)
            {
                break;
            }
        }

        if (Semihosting.ExitCode is not null)
        {
            reason = StopReason.StopRequested;
        }

        FlushOutputs();
        stopwatch.Stop();
        bool abnormal = Semihosting.ExitCode is null && !cancelled;
        var fault = reason is StopReason.Fault or StopReason.Lockup ? Cpu.LastFault : null;
        return new RunResult
        {
            StopReason = reason,
            ExitCode = Semihosting.ExitCode,
            Cancelled = cancelled,
            Instructions = Cpu.Instructions - startInstructions,
            Cycles = Cpu.Cycles - startCycles,
            Elapsed = stopwatch.Elapsed,
            Fault = fault,
            FaultDescription = abnormal ? DescribeStop(reason, fault) : null,
        };
    }

    private void OnResetRequested(ResetRequest request)
    {
        // AIRCR is written in the middle of an instruction: finish it, then reset between slices.
        _pendingReset = request;
        Cpu.RequestStop();
    }

    // A system reset as the guest sees it (AIRCR.SYSRESETREQ): like QEMU, the image is loaded again, and
    // semihosting state (open handles, the clock) survives.
    private void ResetHardware()
    {
        if (Image is not null)
        {
            CopySegments(Image);
        }

        foreach (var device in _devices.Values)
        {
            (device as IResettable)?.Reset();
        }

        _pendingReset = null;
        SystemControl.Reset();

        // The core keeps its own copies of VTOR and the CCR traps; after a reset they are the SCS's reset values.
        Cpu.VectorTableOffset = SystemControl.VectorTableOffset;
        Cpu.DivideByZeroTrap = SystemControl.DivideByZeroTrap;
        Cpu.UnalignedTrap = SystemControl.UnalignedTrap;
        Cpu.Reset();
        _cyclesAtTimeSync = Cpu.Cycles; // virtual time runs on from where it was
    }

    // Moves virtual time forward by the cycles the core ran since the last call, firing due events.
    private void SynchronizeTime()
    {
        ulong cycles = Cpu.Cycles;
        ulong ran = cycles - _cyclesAtTimeSync;
        _cyclesAtTimeSync = cycles;
        if (ran > 0)
        {
            Scheduler.AdvanceTo(Scheduler.Now + ran);
        }
    }

    private void PerformRequestedReset(ResetRequest request)
    {
        _logger.LogDebug("Guest requested a {Request} reset at pc=0x{Pc:X8}", request, Cpu.Pc);
        _pendingReset = null;
        if (request == ResetRequest.System)
        {
            ResetHardware();
        }
        else
        {
            Cpu.Reset();
        }
    }

    private ulong? FindUnbackedAddress(uint address, uint size)
    {
        ulong cursor = address, end = (ulong)address + size;
        while (cursor < end)
        {
            var region = Bus.FindRegion((uint)cursor);
            if (region?.Data is null)
            {
                return cursor;
            }

            cursor = (ulong)region.Base + region.Size;
        }

        return null;
    }

    private void CopySegments(ElfImage image)
    {
        foreach (var segment in image.Segments)
        {
            Bus.Load(segment.PhysicalAddress, segment.FileBytes.Span);
            uint zeroFill = segment.MemorySize - (uint)segment.FileBytes.Length;
            if (zeroFill > 0)
            {
                Bus.Load(segment.PhysicalAddress + (uint)segment.FileBytes.Length, new byte[zeroFill]);
            }
        }
    }

    private void FlushOutputs()
    {
        try
        {
            _standardOutput.Flush();
            _standardError.Flush();
        }
        catch (IOException e)
        {
            _logger.LogWarning(e, "Flushing guest output failed");
        }
    }
}
