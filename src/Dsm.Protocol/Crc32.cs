namespace Dsm.Protocol;

/// <summary>CRC-32 of IEEE 802.3 (reflected polynomial 0xEDB88320, init and final xor 0xFFFFFFFF), as zlib computes it.</summary>
public static class Crc32
{
    // Slicing by 8: eight bytes per step keep the CRC well below the decode cost.
    private static readonly uint[] Table = BuildTable();

    /// <summary>The CRC-32 of <paramref name="data"/>.</summary>
    /// <param name="data">Bytes to check.</param>
    /// <returns>The finished CRC.</returns>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Update(0xFFFFFFFFu, data);

    /// <summary>Continues a running CRC (start with 0xFFFFFFFF, invert the result at the end).</summary>
    /// <param name="crc">The running register.</param>
    /// <param name="data">Next bytes.</param>
    /// <returns>The updated register.</returns>
    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        var t = Table;
        while (data.Length >= 8)
        {
            uint low = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data) ^ crc;
            uint high = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            crc = t[(7 * 256) + (low & 0xFF)] ^ t[(6 * 256) + ((low >> 8) & 0xFF)] ^
                  t[(5 * 256) + ((low >> 16) & 0xFF)] ^ t[(4 * 256) + (low >> 24)] ^
                  t[(3 * 256) + (high & 0xFF)] ^ t[(2 * 256) + ((high >> 8) & 0xFF)] ^
                  t[256 + ((high >> 16) & 0xFF)] ^ t[high >> 24];
            data = data[8..];
        }

        foreach (byte b in data)
        {
            crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[8 * 256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        for (int slice = 1; slice < 8; slice++)
        {
            for (int n = 0; n < 256; n++)
            {
                uint prev = table[((slice - 1) * 256) + n];
                table[(slice * 256) + n] = table[prev & 0xFF] ^ (prev >> 8);
            }
        }

        return table;
    }
}
