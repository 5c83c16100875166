using Dsm.Emulation.CortexM3.Memory;
using Dsm.Emulation.CortexM3.Registers;
using Dsm.Emulation.CortexM3.State;
using Microsoft.Extensions.Logging;

namespace Dsm.Peripherals.FM3;

/// <summary>
/// Common shape of an FM3 peripheral: a named register map at a base address (the peripheral is the
/// bus device; accesses go to the map), reset, and snapshot participation (every register value,
/// then whatever running state the model keeps beside them).
/// </summary>
public abstract class Fm3Peripheral : IMmioDevice, IStatefulComponent
{
    /// <summary>Creates the peripheral's empty register map.</summary>
    /// <param name="name">Name used in logs and snapshots (e.g. "mfs0").</param>
    /// <param name="baseAddress">Base address of the peripheral's window.</param>
    /// <param name="size">Size of the window in bytes.</param>
    /// <param name="logger">Logger for unmodelled accesses and model diagnostics.</param>
    protected Fm3Peripheral(string name, uint baseAddress, uint size, ILogger logger)
    {
        Name = name;
        BaseAddress = baseAddress;
        Logger = logger;
        Registers = new RegisterBank(name, size, logger);
    }

    /// <summary>Name used in logs and snapshots.</summary>
    public string Name { get; }

    /// <summary>Base address of the peripheral's window.</summary>
    public uint BaseAddress { get; }

    /// <summary>The register map; it is the device the bus dispatches to.</summary>
    public RegisterBank Registers { get; }

    /// <summary>Logger for this peripheral.</summary>
    protected ILogger Logger { get; }

    /// <inheritdoc />
    public uint Read(uint offset, int size) => Registers.Read(offset, size);

    /// <inheritdoc />
    public void Write(uint offset, int size, uint value) => Registers.Write(offset, size, value);

    /// <summary>Returns the peripheral to its reset state: register reset values, timers stopped, queues emptied.</summary>
    public virtual void Reset() => Registers.Reset();

    /// <summary>Snapshot section name: the peripheral's name.</summary>
    public string SectionName => Name;

    /// <summary>Layout version of the section this class writes.</summary>
    private const ushort StateVersion = 1;

    /// <summary>Writes the peripheral's state: register values, then the model's running state.</summary>
    /// <param name="writer">Destination.</param>
    public void SaveState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteVersion(StateVersion);
        Registers.SaveValues(writer);
        SaveModelState(writer);
    }

    /// <summary>Restores state written by <see cref="SaveState"/> without guest-visible side effects, and re-arms timers.</summary>
    /// <param name="reader">Source.</param>
    /// <exception cref="StateFormatException">The section does not match this peripheral's layout.</exception>
    public void LoadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.ReadVersion(StateVersion);
        Registers.LoadValues(reader);
        LoadModelState(reader);
        reader.EnsureEnd();
    }

    /// <summary>Writes state kept outside the registers (counters, queues, deadlines).</summary>
    /// <param name="writer">Destination.</param>
    protected virtual void SaveModelState(StateWriter writer)
    {
    }

    /// <summary>Restores state written by <see cref="SaveModelState"/> and re-arms timed events.</summary>
    /// <param name="reader">Source.</param>
    protected virtual void LoadModelState(StateReader reader)
    {
    }
}
