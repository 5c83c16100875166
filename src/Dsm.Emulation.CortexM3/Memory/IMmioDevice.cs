namespace Dsm.Emulation.CortexM3.Memory;

/// <summary>
/// A memory-mapped device: the bus forwards every access inside the device's window to it,
/// with the offset from the window's base. Accesses are little-endian and naturally sized
/// (1, 2 or 4 bytes); the bus splits nothing and widens nothing.
/// </summary>
public interface IMmioDevice
{
    /// <summary>Reads <paramref name="size"/> bytes (1, 2 or 4) at <paramref name="offset"/>.</summary>
    /// <param name="offset">Offset from the start of the device's window.</param>
    /// <param name="size">Access width in bytes: 1, 2 or 4.</param>
    /// <returns>The value, zero-extended to 32 bits.</returns>
    uint Read(uint offset, int size);

    /// <summary>Writes the low <paramref name="size"/> bytes of <paramref name="value"/> at <paramref name="offset"/>.</summary>
    /// <param name="offset">Offset from the start of the device's window.</param>
    /// <param name="size">Access width in bytes: 1, 2 or 4.</param>
    /// <param name="value">The value; bits above the access width are zero.</param>
    void Write(uint offset, int size, uint value);
}
