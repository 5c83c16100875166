using Dsm.Emulation.CortexM3.Boards;
using Dsm.Emulation.CortexM3.Memory;
using Dsm.Emulation.CortexM3.Registers;
using Dsm.Emulation.CortexM3.State;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dsm.Peripherals.Mps2;

/// <summary>
/// Common shape of an MPS2 peripheral: a named register map (the bus device), reset, and snapshot
/// participation (every register value, then the running state the model keeps beside them).
/// </summary>
public abstract class Mps2Peripheral : IMmioDevice, IResettable, IStatefulComponent
{
    /// <summary>Size of every CMSDK/FPGA APB window.</summary>
    public const uint WindowSize = 0x1000;

    private const ushort StateVersion = 1;

    /// <summary>Creates the peripheral's empty register map.</summary>
    /// <param name="name">Name used in logs and snapshots ("timer0").</param>
    /// <param name="logger">Logger for unmodelled accesses and model diagnostics; null discards them.</param>
    protected Mps2Peripheral(string name, ILogger? logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        Logger = logger ?? NullLogger.Instance;
        Registers = new RegisterBank(name, WindowSize, Logger);
    }

    /// <summary>Name used in logs and snapshots.</summary>
    public string Name { get; }

    /// <summary>The register map; unmodelled offsets read zero and are logged once.</summary>
    public RegisterBank Registers { get; }

    /// <inheritdoc />
    public string SectionName => Name;

    /// <summary>Logger for this peripheral.</summary>
    protected ILogger Logger { get; }

    /// <inheritdoc />
    public uint Read(uint offset, int size) => Registers.Read(offset, size);

    /// <inheritdoc />
    public void Write(uint offset, int size, uint value) => Registers.Write(offset, size, value);

    /// <summary>Returns to the power-on state: register reset values, counters stopped.</summary>
    public virtual void Reset() => Registers.Reset();

    /// <inheritdoc />
    public void SaveState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteVersion(StateVersion);
        Registers.SaveValues(writer);
        SaveModelState(writer);
    }

    /// <inheritdoc />
    public void LoadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.ReadVersion(StateVersion);
        Registers.LoadValues(reader);
        LoadModelState(reader);
        reader.EnsureEnd();
    }

    /// <summary>Writes state kept outside the registers.</summary>
    /// <param name="writer">Destination.</param>
    protected virtual void SaveModelState(StateWriter writer)
    {
    }

    /// <summary>Restores state written by <see cref="SaveModelState"/>, re-arms timed events and drives the interrupt lines.</summary>
    /// <param name="reader">Source.</param>
    protected virtual void LoadModelState(StateReader reader)
    {
    }

    /// <summary>Declares the twelve read-only PrimeCell identification registers at 0xFD0..0xFFC.</summary>
    /// <param name="ids">PID4..PID7, PID0..PID3, CID0..CID3.</param>
    protected void DefineIdentification(ReadOnlySpan<byte> ids)
    {
        string[] names = ["PID4", "PID5", "PID6", "PID7", "PID0", "PID1", "PID2", "PID3", "CID0", "CID1", "CID2", "CID3"];
        for (int i = 0; i < names.Length; i++)
        {
            Registers.Define(names[i], 0xFD0 + (uint)(4 * i), 32, ids[i]).WithField("ID", 0, 8, FieldAccess.ReadOnly);
        }
    }
}
