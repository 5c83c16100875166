using System.Collections.Concurrent;
using System.Diagnostics;
using Dsm.Emulation.CortexM3.Boards;
using Dsm.Emulation.CortexM3.Cpu;
using Dsm.Emulation.CortexM3.Elf;
using Dsm.Emulation.CortexM3.Memory;
using Dsm.Emulation.CortexM3.Semihosting;
using Dsm.Emulation.CortexM3.State;
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
    private readonly List<object> _deviceOrder = new();
    private readonly Stream _standardOutput;
    private readonly Stream _standardError;
    private readonly ILogger _logger;
    private readonly Pacer _pacer;
    private readonly Func<ulong> _coreCycles;
    private readonly ConcurrentQueue<Action> _hostInputs = new();
    private ResetRequest? _pendingReset;
    private SleepState _sleep;
    private ulong _sliceEnd;
    private bool _pacerAnchored;

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
                case RegionKind.Rom: Bus.AddRom(region.Name, region.Base, region.Size, region.Fill); break;
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
            Post,
            _standardOutput,
            loggerFactory,
            _devices,
            _deviceOrder));

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

        // While the core runs a slice, virtual time follows its cycle counter, so SysTick, the DWT and devices that
        // read the time or schedule events from a register access see the instant of the access.
        _coreCycles = () => Cpu.Cycles;
        SystemControl.Clock = () => Scheduler.Now;
        Cpu.AttachSystemControl(SystemControl);
        Scheduler.EarliestDeadlineChanged += OnEarliestDeadlineChanged;
        _pacer = new Pacer(Scheduler, options.PacingMode, options.TimeProvider);
        _coreState = new CoreStateSection(this);
        _memoryState = new MemoryContentsState(Bus);
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
    /// Runs the guest until it exits through semihosting, faults, sleeps with nothing left to wake it, executes
    /// <paramref name="maxInstructions"/> instructions or <paramref name="cancellationToken"/> fires (checked between
    /// slices of at most <see cref="MachineOptions.SliceInstructions"/>). When the core sleeps (WFI/WFE) and nothing
    /// can wake it yet, virtual time jumps to the next timed event (<see cref="PacingMode.Deterministic"/>) or the
    /// call waits for the wall clock to reach it (<see cref="PacingMode.RealTime"/>); in real time the guest never
    /// runs ahead of the wall clock. Call from one thread at a time (see <see cref="Post"/> for host input).
    /// </summary>
    /// <param name="maxInstructions">Instruction budget for this call (time spent asleep costs none).</param>
    /// <param name="cancellationToken">Stops the run between slices and ends real-time waits; the result then has <see cref="RunResult.Cancelled"/> set.</param>
    /// <returns>Why and where the run ended.</returns>
    public RunResult Run(long maxInstructions = long.MaxValue, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxInstructions);
        var stopwatch = Stopwatch.StartNew();
        ulong startInstructions = Cpu.Instructions;
        ulong startCycles = Cpu.Cycles;
        bool realTime = _options.PacingMode == PacingMode.RealTime;
        if (realTime && !_pacerAnchored)
        {
            _pacer.Start(Scheduler.Now);
            _pacerAnchored = true;
        }

        long remaining = maxInstructions;
        var end = Execute(ref remaining, ulong.MaxValue, realTime, cancellationToken, out StopReason coreStop);
        FlushOutputs();
        stopwatch.Stop();

        var reason = end switch
        {
            LoopEnd.Exited or LoopEnd.Cancelled => StopReason.StopRequested,
            LoopEnd.InstructionLimit => StopReason.InstructionLimit,
            LoopEnd.Sleeping => StopReason.Sleeping,
            _ => coreStop,
        };
        bool cancelled = end == LoopEnd.Cancelled;
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
            FaultDescription = abnormal && reason is not (StopReason.InstructionLimit or StopReason.StopRequested) ? DescribeStop(reason, fault) : null,
            DescribeWhenRead = abnormal && reason is (StopReason.InstructionLimit or StopReason.StopRequested) ? DescribeStopLater(reason) : null,
        };
    }

    /// <summary>
    /// Runs the guest until virtual time reaches <paramref name="virtualTimeLimit"/> (the first instruction boundary at
    /// or after it), without ever blocking on the wall clock: for hosts that pace many machines on a few threads.
    /// A core that sleeps with nothing to wake it before the limit lets virtual time pass up to the limit and the
    /// call returns <see cref="SliceOutcome.Sleeping"/> with the deadline of the next timed event, at which the host
    /// should call again (or earlier, after <see cref="Post"/>ing input). <see cref="MachineOptions.PacingMode"/> is
    /// not consulted: the host does the pacing. Call from one thread at a time.
    /// </summary>
    /// <param name="virtualTimeLimit">Virtual time (core cycles, see <see cref="EventScheduler.Now"/>) to stop at.</param>
    /// <param name="maxInstructions">Instruction budget for this call.</param>
    /// <returns>Why the slice ended and when the machine next needs the host.</returns>
    public MachineSliceResult RunSlice(ulong virtualTimeLimit, long maxInstructions = long.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxInstructions);
        ulong startInstructions = Cpu.Instructions;
        long remaining = maxInstructions;
        var end = Execute(ref remaining, virtualTimeLimit, blockOnWallClock: false, CancellationToken.None, out StopReason coreStop);
        FlushOutputs();
        var outcome = end switch
        {
            LoopEnd.Exited => SliceOutcome.Exited,
            LoopEnd.TimeLimit => SliceOutcome.TimeLimit,
            LoopEnd.InstructionLimit => SliceOutcome.InstructionLimit,
            LoopEnd.Sleeping or LoopEnd.SleepingUntilLater => SliceOutcome.Sleeping,
            _ => SliceOutcome.Faulted,
        };
        var fault = coreStop is StopReason.Fault or StopReason.Lockup && outcome == SliceOutcome.Faulted ? Cpu.LastFault : null;
        return new MachineSliceResult
        {
            Outcome = outcome,
            VirtualTime = Scheduler.Now,
            WakeAt = outcome == SliceOutcome.Sleeping ? Scheduler.NextDeadline : Scheduler.Now,
            Instructions = Cpu.Instructions - startInstructions,
            ExitCode = Semihosting.ExitCode,
            StopReason = outcome == SliceOutcome.Faulted ? coreStop : null,
            Fault = fault,
            FaultDescription = outcome == SliceOutcome.Faulted ? DescribeStop(coreStop, fault) : null,
        };
    }

    /// <summary>
    /// Queues host input for the machine's thread: a received UART byte, a pin change, anything that touches
    /// devices. Thread-safe; the only member that may be called while another thread runs the machine. The action
    /// runs on the thread running the machine at the next slice boundary (the running slice is cut short, a
    /// real-time sleep ends early), so devices are never touched concurrently with the core. Nothing runs until
    /// someone calls <see cref="Run"/> or <see cref="RunSlice"/>.
    /// </summary>
    /// <param name="input">The action; it runs between instructions with virtual time at that boundary.</param>
    public void Post(Action input)
    {
        ArgumentNullException.ThrowIfNull(input);
        _hostInputs.Enqueue(input);
        Cpu.RequestStop();
        _pacer.Wake();
        InputPosted?.Invoke();
    }

    /// <summary>
    /// Raised on the posting thread after <see cref="Post"/> queued an input. A host that runs the machine with
    /// <see cref="RunSlice"/> wakes it here: a sleeping machine would otherwise see the input only at its next timer event.
    /// </summary>
    public event Action? InputPosted;

    // The run loop shared by Run and RunSlice.
    private LoopEnd Execute(ref long remaining, ulong timeLimit, bool blockOnWallClock, CancellationToken cancellationToken, out StopReason coreStop)
    {
        coreStop = StopReason.InstructionLimit;
        while (true)
        {
            ApplyHostInputs();
            if (Semihosting.ExitCode is not null)
            {
                return LoopEnd.Exited;
            }

            if (_pendingReset is { } request)
            {
                PerformRequestedReset(request);
                continue;
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return LoopEnd.Cancelled;
            }

            if (_sleep == SleepState.LockedUp)
            {
                coreStop = StopReason.Lockup;
                return LoopEnd.CoreStopped;
            }

            if (_sleep != SleepState.Running && !TryWake())
            {
                ulong next = Scheduler.NextDeadline;
                if (next == ulong.MaxValue)
                {
                    return LoopEnd.Sleeping; // nothing scheduled and nothing pending: asleep until host input or forever
                }

                if (next > timeLimit)
                {
                    Scheduler.AdvanceTo(Math.Max(timeLimit, Scheduler.Now));
                    return LoopEnd.SleepingUntilLater;
                }

                if (blockOnWallClock)
                {
                    try
                    {
                        next = _pacer.Sleep(Scheduler.Now, cancellationToken);
                    }
                    catch (OperationCanceledException)
                    {
                        return LoopEnd.Cancelled;
                    }
                }

                Scheduler.AdvanceTo(Math.Max(next, Scheduler.Now));
                continue;
            }

            if (remaining == 0)
            {
                return LoopEnd.InstructionLimit;
            }

            if (Scheduler.Now >= timeLimit)
            {
                return LoopEnd.TimeLimit;
            }

            ulong sliceEnd = Math.Min(timeLimit, blockOnWallClock ? _pacer.SliceEnd(Scheduler.Now) : Scheduler.NextDeadline);
            if (blockOnWallClock)
            {
                try
                {
                    _pacer.WaitUntilDue(Scheduler.Now, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return LoopEnd.Cancelled;
                }
            }

            var reason = RunCore(ref remaining, sliceEnd);
            switch (reason)
            {
                case StopReason.InstructionLimit or StopReason.StopRequested:
                    break; // the slice reached its end, or something asked for attention: look again
                case StopReason.Sleeping:
                    _sleep = Cpu.SleepingOnExit ? SleepState.SleepOnExit : Cpu.SleptOnWfe ? SleepState.WaitForEvent : SleepState.WaitForInterrupt;
                    break;
                case StopReason.Lockup:
                    _sleep = SleepState.LockedUp;
                    coreStop = reason;
                    return LoopEnd.CoreStopped;
                default:
                    coreStop = reason;
                    return LoopEnd.CoreStopped;
            }
        }
    }

    /// <summary>
    /// Runs the core for at most one slice (<see cref="MachineOptions.SliceInstructions"/> instructions) and never past
    /// the first instruction boundary at or after virtual time <paramref name="sliceEnd"/>; then fires the events that
    /// became due. A device that schedules an earlier event during the slice moves the end (<see cref="OnEarliestDeadlineChanged"/>).
    /// </summary>
    private StopReason RunCore(ref long remaining, ulong sliceEnd)
    {
        var trace = _options.InstructionTrace;
        long budget = Math.Min(remaining, trace is null ? _options.SliceInstructions : 1);
        _sliceEnd = sliceEnd;
        Scheduler.BeginCoreSlice(_coreCycles);
        try
        {
            while (true)
            {
                ulong now = Scheduler.Now;
                if (budget == 0 || now >= _sliceEnd)
                {
                    return StopReason.InstructionLimit;
                }

                // The core stops itself at the first instruction boundary at or past the deadline (one instruction at a
                // time only near it). Bounding it by instruction counts instead cost a hundred short runs before every
                // event, which made peripheral-heavy guests (a UART byte every few hundred cycles) several times slower.
                Cpu.CycleLimit = CoreCycleAt(_sliceEnd, now);
                trace?.Invoke(Cpu.Pc);
                ulong before = Cpu.Instructions;
                var reason = Cpu.Run(budget);
                long executed = (long)Math.Min((ulong)budget, Cpu.Instructions - before);
                budget -= executed;
                remaining -= executed;
                if (reason != StopReason.InstructionLimit)
                {
                    return reason;
                }
            }
        }
        finally
        {
            Cpu.CycleLimit = ulong.MaxValue;
            Scheduler.EndCoreSlice();
        }
    }

    // The core's cycle count at virtual time `time` during a core slice (virtual time follows the count), saturating.
    private ulong CoreCycleAt(ulong time, ulong now)
    {
        ulong cycles = Cpu.Cycles, ahead = time - now;
        return ahead > ulong.MaxValue - cycles ? ulong.MaxValue : cycles + ahead;
    }

    private void OnEarliestDeadlineChanged(ulong deadline)
    {
        if (Scheduler.InCoreSlice && deadline < _sliceEnd)
        {
            // A device scheduled an event in the middle of the slice (a register write started a transfer): the core
            // must stop at it, at the first instruction boundary at or past it.
            ulong now = Scheduler.Now;
            _sliceEnd = deadline;
            Cpu.CycleLimit = deadline > now ? CoreCycleAt(deadline, now) : Cpu.Cycles;
        }
    }

    private void ApplyHostInputs()
    {
        while (_hostInputs.TryDequeue(out var input))
        {
            input();
        }
    }

    // Whether the sleeping core has a wake-up event now; consumes the event register for WFE.
    private bool TryWake()
    {
        var exceptions = SystemControl.Exceptions;
        bool wake = _sleep switch
        {
            SleepState.WaitForInterrupt or SleepState.SleepOnExit => exceptions.WakesFromWfi,
            SleepState.WaitForEvent => Cpu.EventRegister || exceptions.MayPreempt,
            _ => false,
        };
        if (wake)
        {
            if (_sleep == SleepState.WaitForEvent)
            {
                Cpu.EventRegister = false;
            }

            _sleep = SleepState.Running;
        }

        return wake;
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

        CopyCoreConfiguration();
        Cpu.Reset();
        _sleep = SleepState.Running; // virtual time runs on from where it was
    }

    // The core keeps its own copies of VTOR and the CCR traps: after a reset or an import they are the SCS's values.
    private void CopyCoreConfiguration()
    {
        Cpu.VectorTableOffset = SystemControl.VectorTableOffset;
        Cpu.DivideByZeroTrap = SystemControl.DivideByZeroTrap;
        Cpu.UnalignedTrap = SystemControl.UnalignedTrap;
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
            _sleep = SleepState.Running;
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
            // Zeros that would land in ROM belong to a segment loaded in flash to run elsewhere (.data, then its
            // .bss): start-up code clears them at the run address, and a flash programmer writes only the file
            // bytes, so flash past them stays erased. In RAM the zeros are written, as QEMU does.
            uint zeroAt = segment.PhysicalAddress + (uint)segment.FileBytes.Length;
            if (zeroFill > 0 && Bus.FindRegion(zeroAt)?.Kind != RegionKind.Rom)
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
