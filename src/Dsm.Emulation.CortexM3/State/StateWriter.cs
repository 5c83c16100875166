using System.Buffers.Binary;
using System.Text;

namespace Dsm.Emulation.CortexM3.State;

/// <summary>Appends little-endian primitives to a growing buffer: the payload of one state section.</summary>
public sealed class StateWriter
{
    private byte[] _buffer;
    private int _length;

    /// <summary>Creates an empty writer.</summary>
    /// <param name="initialCapacity">Initial buffer size in bytes.</param>
    public StateWriter(int initialCapacity = 256)
    {
        _buffer = new byte[Math.Max(16, initialCapacity)];
    }

    /// <summary>Number of bytes written so far.</summary>
    public int Length => _length;

    /// <summary>The bytes written so far (valid until the next write).</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    /// <summary>Writes a section layout version as an unsigned 16-bit value (the first field of every section).</summary>
    /// <param name="version">Layout version, starting at 1.</param>
    public void WriteVersion(ushort version) => WriteUInt16(version);

    /// <summary>Writes one byte.</summary>
    /// <param name="value">The byte.</param>
    public void WriteByte(byte value) => Reserve(1)[0] = value;

    /// <summary>Writes a boolean as one byte, 0 or 1.</summary>
    /// <param name="value">The value.</param>
    public void WriteBoolean(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    /// <summary>Writes a 16-bit unsigned integer.</summary>
    /// <param name="value">The value.</param>
    public void WriteUInt16(ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(Reserve(2), value);

    /// <summary>Writes a 32-bit unsigned integer.</summary>
    /// <param name="value">The value.</param>
    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Reserve(4), value);

    /// <summary>Writes a 32-bit signed integer.</summary>
    /// <param name="value">The value.</param>
    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32LittleEndian(Reserve(4), value);

    /// <summary>Writes a 64-bit unsigned integer.</summary>
    /// <param name="value">The value.</param>
    public void WriteUInt64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Reserve(8), value);

    /// <summary>Writes a 64-bit signed integer.</summary>
    /// <param name="value">The value.</param>
    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64LittleEndian(Reserve(8), value);

    /// <summary>Writes a byte array preceded by its length as a 32-bit unsigned integer.</summary>
    /// <param name="bytes">The bytes.</param>
    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        WriteUInt32((uint)bytes.Length);
        bytes.CopyTo(Reserve(bytes.Length));
    }

    /// <summary>Writes a string as UTF-8 preceded by its byte length as a 16-bit unsigned integer.</summary>
    /// <param name="value">The string (at most 65535 UTF-8 bytes).</param>
    public void WriteString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        int count = Encoding.UTF8.GetByteCount(value);
        if (count > ushort.MaxValue)
        {
            throw new ArgumentException("String too long for a state image.", nameof(value));
        }

        WriteUInt16((ushort)count);
        Encoding.UTF8.GetBytes(value, Reserve(count));
    }

    /// <summary>Writes bytes with no length prefix (the reader must know the length).</summary>
    /// <param name="bytes">The bytes.</param>
    internal void WriteRaw(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Reserve(bytes.Length));

    /// <summary>Overwrites a 32-bit value written earlier (length fields that are known only later).</summary>
    /// <param name="position">Byte position of the value.</param>
    /// <param name="value">The value.</param>
    internal void PatchUInt32(int position, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(position, 4), value);

    internal byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    private Span<byte> Reserve(int count)
    {
        if (_length + count > _buffer.Length)
        {
            long wanted = Math.Max((long)_buffer.Length * 2, (long)_length + count);
            if (wanted > Array.MaxLength)
            {
                throw new InvalidOperationException("State image exceeds the largest possible array.");
            }

            Array.Resize(ref _buffer, (int)wanted);
        }

        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }
}
