using System.Buffers.Binary;
using System.Text;

namespace Dsm.Emulation.CortexM3.State;

/// <summary>
/// Reads little-endian primitives from one state section, checking every read against the section's end.
/// Errors name the section and the offset, so a bad image is diagnosable.
/// </summary>
public sealed class StateReader
{
    private readonly ReadOnlyMemory<byte> _data;
    private int _position;

    /// <summary>Creates a reader over a section payload.</summary>
    /// <param name="data">The payload.</param>
    /// <param name="sectionName">Section name used in error messages.</param>
    public StateReader(ReadOnlyMemory<byte> data, string sectionName)
    {
        _data = data;
        SectionName = sectionName;
    }

    /// <summary>Name of the section being read.</summary>
    public string SectionName { get; }

    /// <summary>Bytes not yet read.</summary>
    public int Remaining => _data.Length - _position;

    /// <summary>Reads a section layout version and rejects versions outside 1..<paramref name="newestSupported"/>.</summary>
    /// <param name="newestSupported">The newest layout this reader understands.</param>
    /// <returns>The version.</returns>
    public int ReadVersion(int newestSupported)
    {
        int version = ReadUInt16();
        if (version < 1 || version > newestSupported)
        {
            throw Corrupt($"layout version {version} is not supported (this build reads 1..{newestSupported})");
        }

        return version;
    }

    /// <summary>Reads one byte.</summary>
    /// <returns>The byte.</returns>
    public byte ReadByte() => Take(1, "byte")[0];

    /// <summary>Reads a boolean stored as 0 or 1; any other value is corruption.</summary>
    /// <returns>The value.</returns>
    public bool ReadBoolean()
    {
        byte b = ReadByte();
        return b switch
        {
            0 => false,
            1 => true,
            _ => throw Corrupt($"boolean has value {b}"),
        };
    }

    /// <summary>Reads a 16-bit unsigned integer.</summary>
    /// <returns>The value.</returns>
    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, "UInt16"));

    /// <summary>Reads a 32-bit unsigned integer.</summary>
    /// <returns>The value.</returns>
    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, "UInt32"));

    /// <summary>Reads a 32-bit signed integer.</summary>
    /// <returns>The value.</returns>
    public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4, "Int32"));

    /// <summary>Reads a 64-bit unsigned integer.</summary>
    /// <returns>The value.</returns>
    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, "UInt64"));

    /// <summary>Reads a 64-bit signed integer.</summary>
    /// <returns>The value.</returns>
    public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8, "Int64"));

    /// <summary>Reads a length-prefixed byte array.</summary>
    /// <returns>A new array.</returns>
    public byte[] ReadBytes()
    {
        uint count = ReadUInt32();
        if (count > (uint)Remaining)
        {
            throw Corrupt($"byte array of {count} bytes runs past the end of the section ({Remaining} left)");
        }

        return Take((int)count, "bytes").ToArray();
    }

    /// <summary>Reads a length-prefixed byte array whose length must be exactly <paramref name="destination"/>'s.</summary>
    /// <param name="destination">Receives the bytes.</param>
    public void ReadBytes(Span<byte> destination)
    {
        uint count = ReadUInt32();
        if (count != (uint)destination.Length)
        {
            throw Corrupt($"byte array has {count} bytes where {destination.Length} are expected");
        }

        Take(destination.Length, "bytes").CopyTo(destination);
    }

    /// <summary>Takes the next <paramref name="count"/> bytes of the payload without a length prefix and without copying them.</summary>
    /// <param name="count">Number of bytes.</param>
    /// <returns>The bytes, a slice of the image.</returns>
    internal ReadOnlyMemory<byte> ReadRaw(int count)
    {
        Take(count, "bytes");
        return _data.Slice(_position - count, count);
    }

    /// <summary>Reads a length-prefixed UTF-8 string.</summary>
    /// <returns>The string.</returns>
    public string ReadString()
    {
        int count = ReadUInt16();
        var bytes = Take(count, "string");
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new StateFormatException($"Section '{SectionName}' at offset {_position - count}: string is not valid UTF-8.", e);
        }
    }

    /// <summary>Throws unless every byte of the section has been read (a longer section is a layout mismatch).</summary>
    public void EnsureEnd()
    {
        if (Remaining != 0)
        {
            throw Corrupt($"{Remaining} unread bytes at the end of the section");
        }
    }

    /// <summary>Creates an exception describing a problem at the current position.</summary>
    /// <param name="problem">What is wrong.</param>
    /// <returns>The exception, to throw.</returns>
    public StateFormatException Corrupt(string problem) => new($"Section '{SectionName}' at offset {_position}: {problem}.");

    private ReadOnlySpan<byte> Take(int count, string what)
    {
        if (count > Remaining)
        {
            throw new StateFormatException(
                $"Section '{SectionName}' is truncated: reading {what} at offset {_position} needs {count} bytes, {Remaining} left.");
        }

        var span = _data.Span.Slice(_position, count);
        _position += count;
        return span;
    }
}
