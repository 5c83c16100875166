using System.Runtime.CompilerServices;
using Dsm.Emulation.CortexM3.Registers;
using Dsm.Emulation.CortexM3.State;
using Microsoft.Extensions.Logging;

namespace Dsm.Peripherals.FM3.Misc;

/// <summary>
/// The CRC unit at 0x4003_9000 (CRCCR, CRCINIT, CRCIN, CRCR per the MB9BF50x header/SVD). CRCCR bit
/// names and positions are sourced; their meanings are inferred from the names (UNCONFIRMED) and
/// chosen as: INIT (b0) writes 1 to load CRCINIT (reads 0); CRC32 (b1) selects CRC-32 (polynomial
/// 0x04C11DB7) over CRC-16/CCITT (0x1021); LTLEND (b2) feeds a multi-byte CRCIN write lowest byte first
/// (else highest first); LSBFST (b3) feeds each byte LSB first; CRCLTE (b4) byte-swaps the result;
/// CRCLSF (b5) bit-reverses the result; FXOR (b6) inverts it. With init all ones, CRC32, LTLEND,
/// LSBFST, CRCLSF and FXOR set, CRCR gives the standard CRC-32 (0xCBF43926 for "123456789");
/// with CRC-16, init 0xFFFF and all other bits clear, CRC-16/CCITT-FALSE (0x29B1).
/// </summary>
public sealed class CrcUnit : Fm3Peripheral
{
    private readonly Register _control, _init;
    private const int Crc32Bit = 1, LittleEndianBit = 2, LsbFirstBit = 3;
    private readonly RegisterField _crc32, _resultSwap, _resultReverse, _finalXor;
    private uint _crc = 0xFFFF_FFFF;

    /// <summary>Creates the CRC unit.</summary>
    /// <param name="logger">Logger.</param>
    public CrcUnit(ILogger logger)
        : base("crc", 0x4003_9000, 0x100, logger)
    {
        var r = Registers;
        _control = r.Define("CRCCR", 0x00, 8);
        _control.WithFlag("INIT", 0, FieldAccess.WriteOnly, writeCallback: (_, set) =>
        {
            if (set != 0)
            {
                _crc = _init!.Value & WidthMask;
            }
        });
        _crc32 = _control.DefineField("CRC32", Crc32Bit, 1);
        _control.DefineField("LTLEND", LittleEndianBit, 1);
        _control.DefineField("LSBFST", LsbFirstBit, 1);
        _resultSwap = _control.DefineField("CRCLTE", 4, 1);
        _resultReverse = _control.DefineField("CRCLSF", 5, 1);
        _finalXor = _control.DefineField("FXOR", 6, 1);
        _init = r.Define("CRCINIT", 0x04, 32, 0xFFFF_FFFF);
        r.Define("CRCIN", 0x08, 32).WithAccessCallback(Feed);
        r.Define("CRCR", 0x0C, 32, 0xFFFF_FFFF).WithField("CRCR", 0, 32, FieldAccess.ReadOnly, _ => Result());
    }

    private uint WidthMask => _crc32.IsSet ? 0xFFFF_FFFFu : 0xFFFFu;

    /// <inheritdoc />
    public override void Reset()
    {
        base.Reset();
        _crc = 0xFFFF_FFFF;
    }

    private void Feed(uint value, uint accessMask)
    {
        int bytes = accessMask switch { 0xFFu => 1, 0xFFFFu => 2, 0xFFFF_FFFFu => 4, _ => 0 };
        if (bytes == 0)
        {
            Logger.LogDebug("crc: CRCIN write covering mask 0x{Mask:X8} ignored", accessMask);
            return;
        }

        // Settings read once a write, not per bit, straight from CRCCR's bits: the DSMC feeds 512 KiB of flash through
        // here per migration.
        uint control = _control.Value;
        bool crc32 = (control & (1u << Crc32Bit)) != 0, lsbFirst = (control & (1u << LsbFirstBit)) != 0;
        bool littleEndian = (control & (1u << LittleEndianBit)) != 0;
        uint[] table = crc32 ? Crc32Table : Crc16Table;
        byte[] reverse = ReverseBits8;
        uint crc = _crc & (crc32 ? 0xFFFF_FFFFu : 0xFFFFu);
        for (int i = 0; i < bytes; i++)
        {
            byte data = (byte)(value >> (8 * (littleEndian ? i : bytes - 1 - i)));
            crc = FeedByte(crc, lsbFirst ? reverse[data] : data, crc32, table);
        }

        _crc = crc;
    }

    // Most significant bit first, a byte at a time (LSBFST feeds the byte's bits reversed, the same thing).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint FeedByte(uint crc, byte data, bool crc32, uint[] table) => crc32
        ? (crc << 8) ^ table[(byte)((crc >> 24) ^ data)]
        : ((crc << 8) ^ table[(byte)((crc >> 8) ^ data)]) & 0xFFFFu;

    private static readonly uint[] Crc32Table = MsbFirstTable(0x04C1_1DB7u, 32);
    private static readonly uint[] Crc16Table = MsbFirstTable(0x1021u, 16);
    private static readonly byte[] ReverseBits8 = [.. Enumerable.Range(0, 256).Select(b => (byte)(ReverseBits((uint)b) >> 24))];

    private static uint[] MsbFirstTable(uint polynomial, int width)
    {
        uint top = 1u << (width - 1), mask = width == 32 ? 0xFFFF_FFFFu : (1u << width) - 1;
        var table = new uint[256];
        for (uint b = 0; b < 256; b++)
        {
            uint crc = b << (width - 8);
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & top) != 0 ? ((crc << 1) ^ polynomial) & mask : (crc << 1) & mask;
            }

            table[b] = crc;
        }

        return table;
    }

    private uint Result()
    {
        int width = _crc32.IsSet ? 32 : 16;
        uint result = _crc & WidthMask;
        if (_resultReverse.IsSet)
        {
            result = ReverseBits(result) >> (32 - width);
        }

        if (_resultSwap.IsSet)
        {
            result = width == 32 ? System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(result) : (uint)System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((ushort)result);
        }

        if (_finalXor.IsSet)
        {
            result ^= WidthMask;
        }

        return result;
    }

    private static uint ReverseBits(uint value)
    {
        uint result = 0;
        for (int i = 0; i < 32; i++)
        {
            result = (result << 1) | ((value >> i) & 1);
        }

        return result;
    }

    /// <inheritdoc />
    protected override void SaveModelState(StateWriter writer) => writer.WriteUInt32(_crc);

    /// <inheritdoc />
    protected override void LoadModelState(StateReader reader) => _crc = reader.ReadUInt32();
}
