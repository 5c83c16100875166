using Dsm.Emulation.CortexM3.Memory;
using Dsm.Emulation.CortexM3.State;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dsm.Emulation.CortexM3.Registers;

/// <summary>
/// A peripheral's register map: every register declared in one place and served to the bus as an
/// <see cref="IMmioDevice"/>. An access may cover part of a register (a byte of a halfword register)
/// or span several (a word read over byte registers at consecutive offsets); each register sees only
/// the bits that the access covers. Offsets with no register read zero, ignore writes and are logged
/// once per offset with the peripheral's name.
/// </summary>
public sealed class RegisterBank : IMmioDevice
{
    // Which register holds each byte of the window, as 1 + its index in _registers (0: none), in 256-byte pages
    // allocated where registers are: a machine has dozens of mostly empty windows, and a reference per byte
    // cost the FM3 board about 900 KiB per hosted system.
    private const int PageShift = 8;
    private const uint PageMask = (1u << PageShift) - 1;
    private readonly ushort[]?[] _pages;
    private readonly List<Register> _registers = new();
    private readonly HashSet<uint> _reportedUnmapped = new();
    private readonly ILogger _logger;

    /// <summary>Creates an empty register map.</summary>
    /// <param name="name">Peripheral name used in logs (e.g. "mfs0").</param>
    /// <param name="size">Size of the peripheral's address window in bytes.</param>
    /// <param name="logger">Receives the once-per-offset reports of unmapped accesses; null discards them.</param>
    public RegisterBank(string name, uint size, ILogger? logger = null)
    {
        if (size == 0 || size > 0x10_0000)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "A register window is 1 byte to 1 MiB.");
        }

        Name = name;
        Size = size;
        _pages = new ushort[]?[(size + PageMask) >> PageShift];
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Peripheral name used in logs.</summary>
    public string Name { get; }

    /// <summary>Size of the address window in bytes.</summary>
    public uint Size { get; }

    /// <summary>The registers in declaration order.</summary>
    public IReadOnlyList<Register> Registers => _registers;

    /// <summary>Declares a register.</summary>
    /// <param name="name">Register name as the reference manual spells it.</param>
    /// <param name="offset">Offset from the peripheral's base; must be aligned to the width.</param>
    /// <param name="widthBits">8, 16 or 32.</param>
    /// <param name="resetValue">Value after reset.</param>
    /// <returns>The register, for the fluent field declarations.</returns>
    public Register Define(string name, uint offset, int widthBits, uint resetValue = 0)
    {
        var register = new Register(name, offset, widthBits, resetValue);
        if (offset % (uint)register.SizeBytes != 0 || offset + (uint)register.SizeBytes > Size)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"Register {name} at 0x{offset:X} is misaligned or outside {Name}.");
        }

        for (uint i = 0; i < register.SizeBytes; i++)
        {
            if (At(offset + i) is { } other)
            {
                throw new ArgumentException($"Register {name} overlaps {other.Name} in {Name}.");
            }
        }

        if (_registers.Count >= ushort.MaxValue)
        {
            throw new InvalidOperationException($"{Name} cannot hold more than {ushort.MaxValue} registers.");
        }

        _registers.Add(register);
        for (uint i = 0; i < register.SizeBytes; i++)
        {
            uint at = offset + i;
            (_pages[at >> PageShift] ??= new ushort[PageMask + 1])[at & PageMask] = (ushort)_registers.Count;
        }
        return register;
    }

    /// <summary>Finds the register that contains the byte at <paramref name="offset"/>, or null.</summary>
    /// <param name="offset">Offset from the peripheral's base.</param>
    /// <returns>The register or null.</returns>
    public Register? Find(uint offset) => At(offset);

    private Register? At(uint offset)
    {
        if (offset >= Size || _pages[offset >> PageShift] is not { } page)
        {
            return null;
        }

        int index = page[offset & PageMask];
        return index == 0 ? null : _registers[index - 1];
    }

    /// <summary>Finds a register by name.</summary>
    /// <param name="name">Register name.</param>
    /// <returns>The register.</returns>
    /// <exception cref="KeyNotFoundException">No register has that name.</exception>
    public Register this[string name]
        => _registers.Find(r => r.Name == name) ?? throw new KeyNotFoundException($"{Name} has no register {name}.");

    /// <summary>Restores every register's reset value.</summary>
    public void Reset()
    {
        foreach (var register in _registers)
        {
            register.Reset();
        }
    }

    /// <inheritdoc />
    public uint Read(uint offset, int size)
    {
        var register = At(offset);
        if (register is not null && register.Offset == offset && register.SizeBytes == size)
        {
            return register.Read(register.WidthMask);
        }

        // A narrower or wider access than the register (a byte of a halfword register, a word over two byte
        // registers): each register it overlaps, once, with the mask of its bits the access covers. Written as a
        // plain loop: a delegate here allocated on every such access, and firmware polls some of them.
        uint result = 0;
        bool mapped = false;
        uint next = 0;
        while (NextCovered(offset, size, ref next) is { } reg)
        {
            mapped = true;
            uint mask = CoveredMask(reg, offset, size);
            int shift = ShiftFromAccess(reg, offset);
            uint value = reg.Read(mask) & mask;
            result |= shift >= 0 ? value << shift : value >> -shift;
        }

        if (!mapped)
        {
            ReportUnmapped(offset, size, write: false, 0);
        }

        return result;
    }

    /// <inheritdoc />
    public void Write(uint offset, int size, uint value)
    {
        var register = At(offset);
        if (register is not null && register.Offset == offset && register.SizeBytes == size)
        {
            register.Write(value, register.WidthMask);
            return;
        }

        bool mapped = false;
        uint next = 0;
        while (NextCovered(offset, size, ref next) is { } reg)
        {
            mapped = true;
            uint mask = CoveredMask(reg, offset, size);
            int shift = ShiftFromAccess(reg, offset);
            uint aligned = shift >= 0 ? value >> shift : value << -shift;
            reg.Write(aligned & mask, mask);
        }

        if (!mapped)
        {
            ReportUnmapped(offset, size, write: true, value);
        }
    }

    // The next register an access of size bytes at offset overlaps, each once, lowest byte first; `next` is the access
    // byte to look at (0 at the start).
    private Register? NextCovered(uint offset, int size, ref uint next)
    {
        var previous = next == 0 ? null : At(offset + next - 1);
        for (; next < (uint)size; next++)
        {
            var reg = At(offset + next);
            if (reg is not null && !ReferenceEquals(reg, previous))
            {
                next++;
                return reg;
            }
        }

        return null;
    }

    // The register's bits (in its own numbering) that an access of size bytes at offset covers.
    private static uint CoveredMask(Register reg, uint offset, int size)
    {
        uint mask = 0;
        for (uint b = 0; b < reg.SizeBytes; b++)
        {
            uint byteAddress = reg.Offset + b;
            if (byteAddress >= offset && byteAddress < offset + (uint)size)
            {
                mask |= 0xFFu << (int)(8 * b);
            }
        }

        return mask;
    }

    // From register bit 0 to access bit 0: positive when the register lies above the access start.
    private static int ShiftFromAccess(Register reg, uint offset) => (int)(8 * ((long)reg.Offset - offset));

    private void ReportUnmapped(uint offset, int size, bool write, uint value)
    {
        if (!_reportedUnmapped.Add(offset))
        {
            return;
        }

        if (write)
        {
            _logger.LogWarning("{Peripheral}: write of 0x{Value:X} ({Size} bytes) to unmodelled offset 0x{Offset:X3} ignored",
                Name, value, size, offset);
        }
        else
        {
            _logger.LogWarning("{Peripheral}: read ({Size} bytes) of unmodelled offset 0x{Offset:X3} returns 0",
                Name, size, offset);
        }
    }

    /// <summary>Writes every register's stored value (declaration order) for a snapshot.</summary>
    /// <param name="writer">Destination.</param>
    public void SaveValues(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteInt32(_registers.Count);
        foreach (var register in _registers)
        {
            writer.WriteUInt32(register.Offset);
            writer.WriteUInt32(register.Value);
        }
    }

    /// <summary>Restores register values saved by <see cref="SaveValues"/>, without side effects.</summary>
    /// <param name="reader">Source.</param>
    /// <exception cref="StateFormatException">The saved map does not match this bank's registers.</exception>
    public void LoadValues(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        int count = reader.ReadInt32();
        if (count != _registers.Count)
        {
            throw reader.Corrupt($"{Name}: snapshot holds {count} registers, the model has {_registers.Count}");
        }

        foreach (var register in _registers)
        {
            uint offset = reader.ReadUInt32();
            if (offset != register.Offset)
            {
                throw reader.Corrupt($"{Name}: snapshot register at 0x{offset:X} where the model has {register.Name} at 0x{register.Offset:X}");
            }

            register.Value = reader.ReadUInt32();
        }
    }
}
