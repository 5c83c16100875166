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
    private readonly RegisterField _crc32, _littleEndian, _lsbFirst, _resultSwap, _resultReverse, _finalXor;
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
        _crc32 = _control.DefineField("CRC32", 1, 1);
        _littleEndian = _control.DefineField("LTLEND", 2, 1);
        _lsbFirst = _control.DefineField("LSBFST", 3, 1);
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

        for (int i = 0; i < bytes; i++)
        {
            int index = _littleEndian.IsSet ? i : bytes - 1 - i;
            FeedByte((byte)(value >> (8 * index)));
        }
    }

    private void FeedByte(byte data)
    {
        int width = _crc32.IsSet ? 32 : 16;
        uint polynomial = _crc32.IsSet ? 0x04C1_1DB7u : 0x1021u;
        uint top = 1u << (width - 1);
        uint crc = _crc & WidthMask;
        for (int bit = 0; bit < 8; bit++)
        {
            int position = _lsbFirst.IsSet ? bit : 7 - bit;
            bool input = ((data >> position) & 1) != 0;
            bool feedback = ((crc & top) != 0) ^ input;
            crc = (crc << 1) & WidthMask;
            if (feedback)
            {
                crc ^= polynomial;
            }
        }

        _crc = crc;
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
