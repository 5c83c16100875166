using System.Buffers.Binary;

namespace Dsm.Protocol;

/// <summary>
/// The device's LZ4 block encoder, ported from src/dsmc/protocol/dsm_lz4.c so that the C# emigrator sends
/// the same bytes as the C device half: greedy, one hash probe per position, 2^<see cref="ProtocolConstants.Lz4HashBits"/> entries.
/// </summary>
internal static class Lz4BlockEncoder
{
    private const int MinMatch = 4;
    private const int LastLiterals = 5;
    private const int MatchStartLimit = 12;

    /// <summary>Most output bytes for <paramref name="inputLength"/> input bytes.</summary>
    public static int MaxOutputLength(int inputLength) => inputLength + (inputLength / 255) + 16;

    /// <summary>Encodes <paramref name="source"/> (at most 65535 bytes) into <paramref name="output"/>; returns the length.</summary>
    public static int Encode(ReadOnlySpan<byte> source, Span<byte> output, Span<ushort> hashTable)
    {
        if (source.Length > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(source), source.Length, "The encoder handles blocks up to 65535 bytes.");
        }

        hashTable = hashTable[..(1 << ProtocolConstants.Lz4HashBits)];
        hashTable.Clear();
        int anchor = 0, ip = 0, op = 0, len = source.Length;
        while (len >= MatchStartLimit && ip + MatchStartLimit <= len)
        {
            uint sequence = BinaryPrimitives.ReadUInt32LittleEndian(source[ip..]);
            int h = (int)((sequence * 2654435761u) >> (32 - ProtocolConstants.Lz4HashBits));
            int candidate = hashTable[h];
            hashTable[h] = (ushort)ip;
            if (candidate >= ip || BinaryPrimitives.ReadUInt32LittleEndian(source[candidate..]) != sequence)
            {
                ip++;
                continue;
            }

            while (ip > anchor && candidate > 0 && source[ip - 1] == source[candidate - 1])
            {
                ip--;
                candidate--;
            }

            int matchLength = MinMatch;
            while (ip + matchLength < len - LastLiterals && source[candidate + matchLength] == source[ip + matchLength])
            {
                matchLength++;
            }

            op += PutSequence(source[anchor..ip], ip - candidate, matchLength, output[op..]);
            ip += matchLength;
            anchor = ip;
        }

        return op + PutSequence(source[anchor..], 0, 0, output[op..]);
    }

    private static int PutSequence(ReadOnlySpan<byte> literals, int offset, int matchLength, Span<byte> output)
    {
        int op = 1, extra = matchLength - MinMatch;
        byte token = (byte)(Math.Min(literals.Length, 15) << 4);
        if (matchLength != 0)
        {
            token |= (byte)Math.Min(extra, 15);
        }

        output[0] = token;
        if (literals.Length >= 15)
        {
            op += PutLength(literals.Length - 15, output[op..]);
        }

        literals.CopyTo(output[op..]);
        op += literals.Length;
        if (matchLength == 0)
        {
            return op;
        }

        BinaryPrimitives.WriteUInt16LittleEndian(output[op..], (ushort)offset);
        op += 2;
        if (extra >= 15)
        {
            op += PutLength(extra - 15, output[op..]);
        }

        return op;
    }

    private static int PutLength(int rest, Span<byte> output)
    {
        int n = 0;
        for (; rest >= 255; rest -= 255)
        {
            output[n++] = 255;
        }

        output[n++] = (byte)rest;
        return n;
    }
}
