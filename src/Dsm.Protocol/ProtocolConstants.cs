namespace Dsm.Protocol;

/// <summary>Fixed numbers of wire protocol version 1; the C device half (dsm_protocol.h) uses the same values.</summary>
public static class ProtocolConstants
{
    /// <summary>The protocol version this library speaks.</summary>
    public const byte Version = 1;

    /// <summary>First byte of every frame.</summary>
    public const byte Sync0 = 0xD5;

    /// <summary>Second byte of every frame.</summary>
    public const byte Sync1 = 0x4D;

    /// <summary>Bytes before the payload: sync (2), type, flags, length (2), sequence (2).</summary>
    public const int HeaderSize = 8;

    /// <summary>Bytes after the payload: the CRC-32.</summary>
    public const int TrailerSize = 4;

    /// <summary>Largest payload of any frame; a larger length field marks the bytes as garbage.</summary>
    public const int MaxPayloadLength = 4112;

    /// <summary>Largest payload of a host-to-device frame (the device buffers these in a few bytes of RAM).</summary>
    public const int MaxHostPayloadLength = 128;

    /// <summary>Memory travels in blocks of this size; flash CRCs are offered per block of this size.</summary>
    public const int BlockSize = 4096;

    /// <summary>Most entries of a region table.</summary>
    public const int MaxRegions = 16;

    /// <summary>Most external interrupts of a part (ARMv7-M allows 240 plus 16 system exceptions).</summary>
    public const int MaxIrqCount = 240;

    /// <summary>Size of the device id in HELLO.</summary>
    public const int DeviceIdSize = 16;

    /// <summary>Longest GNU build-id in HELLO.</summary>
    public const int MaxBuildIdLength = 32;

    /// <summary>Longest board id string in HELLO.</summary>
    public const int MaxBoardIdLength = 32;

    /// <summary>Size of the host's session nonce.</summary>
    public const int NonceSize = 16;

    /// <summary>Size of the transcript digest (SHA-256) and of the HMAC.</summary>
    public const int DigestSize = 32;

    /// <summary>Most CRCs in one FLASH_OFFER frame.</summary>
    public const int MaxOfferBlocks = 1024;

    /// <summary>Most blocks one FLASH_REQUEST frame covers (its bitmap fits a host frame).</summary>
    public const int MaxRequestBlocks = (MaxHostPayloadLength - 8) * 8;

    /// <summary>Longest per-device key (one SHA-256 block).</summary>
    public const int MaxKeyLength = 64;

    /// <summary>Version of the CPU_STATE payload layout.</summary>
    public const byte CpuStateVersion = 1;

    /// <summary>log2 of the LZ4 encoder's hash table entries; part of what makes encoder output reproducible.</summary>
    public const int Lz4HashBits = 10;
}
