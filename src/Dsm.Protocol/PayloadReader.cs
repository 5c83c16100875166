using System.Buffers.Binary;

namespace Dsm.Protocol;

/// <summary>Bounds-checked little-endian reads over a payload; running off the end is a malformed message.</summary>
internal ref struct PayloadReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly MessageType _type;
    private int _position;

    public PayloadReader(ReadOnlySpan<byte> data, MessageType type)
    {
        _data = data;
        _type = type;
        _position = 0;
    }

    public readonly int Remaining => _data.Length - _position;

    public byte U8() => Take(1)[0];

    public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

    public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public ReadOnlySpan<byte> Bytes(int count) => Take(count);

    public void Reserved(int count)
    {
        foreach (byte b in Take(count))
        {
            if (b != 0)
            {
                throw ProtocolException.Malformed(_type, $"reserved byte at offset {_position - count} is 0x{b:X2}, must be 0");
            }
        }
    }

    public readonly void End()
    {
        if (Remaining != 0)
        {
            throw ProtocolException.Malformed(_type, $"{Remaining} unexpected trailing bytes");
        }
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining)
        {
            throw ProtocolException.Malformed(_type, $"needs {count} more bytes at offset {_position}, only {Remaining} left");
        }

        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }
}

/// <summary>Little-endian writes into a payload span sized by the message beforehand.</summary>
internal ref struct PayloadWriter
{
    private readonly Span<byte> _data;
    private int _position;

    public PayloadWriter(Span<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly int Position => _position;

    public void U8(byte value) => _data[_position++] = value;

    public void U16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_data[_position..], value);
        _position += 2;
    }

    public void U32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_data[_position..], value);
        _position += 4;
    }

    public void Bytes(scoped ReadOnlySpan<byte> value)
    {
        value.CopyTo(_data[_position..]);
        _position += value.Length;
    }

    public void Zeros(int count)
    {
        _data.Slice(_position, count).Clear();
        _position += count;
    }
}
