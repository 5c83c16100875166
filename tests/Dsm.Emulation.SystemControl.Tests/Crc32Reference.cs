namespace Dsm.Emulation.SystemControl.Tests;

/// <summary>A bitwise CRC-32 (IEEE 802.3), written independently of the production table-driven one, to check it.</summary>
internal static class Crc32Reference
{
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFF_FFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int i = 0; i < 8; i++)
            {
                crc = (crc >> 1) ^ (0xEDB8_8320u & (0u - (crc & 1)));
            }
        }

        return ~crc;
    }
}

[TestFixture]
public sealed class Crc32ReferenceTests
{
    [Test]
    public void ReferenceGivesTheStandardCheckValue() => Assert.That(Crc32Reference.Compute("123456789"u8), Is.EqualTo(0xCBF4_3926u));
}
