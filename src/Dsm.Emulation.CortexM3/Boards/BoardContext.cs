using Dsm.Emulation.CortexM3.Memory;
using Dsm.Emulation.CortexM3.SystemControl;
using Dsm.Emulation.CortexM3.Timing;
using Microsoft.Extensions.Logging;

namespace Dsm.Emulation.CortexM3.Boards;

/// <summary>A device that returns to its power-on state when the machine resets.</summary>
public interface IResettable
{
    /// <summary>Returns to the power-on state.</summary>
    void Reset();
}

/// <summary>What a board's <see cref="BoardDefinition.AddDevices"/> callback builds devices with.</summary>
public sealed class BoardContext
{
    private readonly Dictionary<string, object> _devices;
    private readonly List<object> _deviceOrder;

    private readonly ExceptionController _exceptions;
    private readonly Action _requestSystemReset;
    private readonly Action<Action> _post;

    internal BoardContext(
        MemoryBus bus,
        EventScheduler scheduler,
        ExceptionController exceptions,
        Action requestSystemReset,
        Action<Action> post,
        Stream consoleOutput,
        ILoggerFactory loggerFactory,
        Dictionary<string, object> devices,
        List<object> deviceOrder)
    {
        Bus = bus;
        Scheduler = scheduler;
        _exceptions = exceptions;
        _requestSystemReset = requestSystemReset;
        _post = post;
        ConsoleOutput = consoleOutput;
        LoggerFactory = loggerFactory;
        _devices = devices;
        _deviceOrder = deviceOrder;
    }

    /// <summary>The machine's bus.</summary>
    public MemoryBus Bus { get; }

    /// <summary>The machine's virtual clock.</summary>
    public EventScheduler Scheduler { get; }

    /// <summary>The NVIC's external interrupt lines, for peripherals to drive.</summary>
    public IInterruptLines Interrupts => _exceptions;

    /// <summary>The host console the machine writes guest output to (the same stream as semihosting stdout).</summary>
    public Stream ConsoleOutput { get; }

    /// <summary>Creates loggers for devices.</summary>
    public ILoggerFactory LoggerFactory { get; }

    /// <summary>Pends the NMI (a peripheral's non-maskable interrupt, e.g. a watchdog's first stage).</summary>
    public void PendNmi() => _exceptions.SetPending(ExceptionNumber.Nmi);

    /// <summary>
    /// Asks for a whole-system reset (a watchdog or a reset controller): the machine finishes the current
    /// instruction, then resets the core, the System Control Space and every <see cref="IResettable"/> device.
    /// </summary>
    public void RequestSystemReset() => _requestSystemReset();

    /// <summary>
    /// Queues <paramref name="input"/> to run on the machine's thread between instructions (<see cref="Machine.Post"/>):
    /// how a device's host side (a serial line's reader) hands news to the device. Thread-safe.
    /// </summary>
    /// <param name="input">The action.</param>
    public void Post(Action input) => _post(input);

    /// <summary>
    /// Maps <paramref name="device"/> at <paramref name="baseAddress"/> and registers it under <paramref name="name"/>.
    /// A device that implements <see cref="State.IStatefulComponent"/> joins the machine's state image; devices are
    /// saved and loaded in the order they are registered.
    /// </summary>
    /// <param name="name">Unique device name ("uart0"); also the bus region's name.</param>
    /// <param name="baseAddress">First address of the device's window.</param>
    /// <param name="size">Size of the window in bytes.</param>
    /// <param name="device">The device.</param>
    public void AddDevice(string name, uint baseAddress, uint size, IMmioDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        Register(name, device);
        Bus.AddDevice(name, baseAddress, size, device);
    }

    /// <summary>Registers a device that has no bus window of its own (or maps itself) so the host can find it.</summary>
    /// <param name="name">Unique device name.</param>
    /// <param name="device">The device.</param>
    public void Register(string name, object device)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(device);
        if (!_devices.TryAdd(name, device))
        {
            throw new ArgumentException($"A device named '{name}' is already registered.", nameof(name));
        }

        _deviceOrder.Add(device);
    }
}
