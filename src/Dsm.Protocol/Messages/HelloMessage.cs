using System.Text;

namespace Dsm.Protocol;

/// <summary>One entry of the HELLO region table.</summary>
/// <param name="Kind">What the region is and how it travels.</param>
/// <param name="Base">First address.</param>
/// <param name="Size">Length in bytes (at least 1).</param>
public readonly record struct RegionDescriptor(RegionKind Kind, uint Base, uint Size)
{
    /// <summary>One past the last address (as a 64-bit number, so a region may end at 4 GiB).</summary>
    public ulong End => (ulong)Base + Size;

    /// <summary>Number of <see cref="ProtocolConstants.BlockSize"/> blocks, the last one possibly partial.</summary>
    public int BlockCount => (int)((Size + (ulong)ProtocolConstants.BlockSize - 1) / ProtocolConstants.BlockSize);
}

/// <summary>HELLO: the device describes itself and its memory. Decoding checks layout and limits; semantic checks are in <see cref="Validate"/>.</summary>
public sealed record HelloMessage : IProtocolMessage
{
    private const int FixedLength = 36;
    private const int RegionEntryLength = 9;

    /// <summary>Protocol version the device speaks.</summary>
    public byte Version { get; init; } = ProtocolConstants.Version;

    /// <summary>What the device can do.</summary>
    public DeviceCapabilities Capabilities { get; init; }

    /// <summary>Number of external interrupts of the part (sizes the NVIC part of CPU_STATE).</summary>
    public ushort IrqCount { get; init; }

    /// <summary>The device's unique id (<see cref="ProtocolConstants.DeviceIdSize"/> bytes).</summary>
    public ReadOnlyMemory<byte> DeviceId { get; init; } = new byte[ProtocolConstants.DeviceIdSize];

    /// <summary>Part or board id, printable ASCII.</summary>
    public string BoardId { get; init; } = string.Empty;

    /// <summary>The firmware's GNU build-id note bytes (0 to 32).</summary>
    public ReadOnlyMemory<byte> BuildId { get; init; }

    /// <summary>SCB CPUID register of the part.</summary>
    public uint Cpuid { get; init; }

    /// <summary>Core clock the system runs at, in Hz.</summary>
    public uint CoreClockHz { get; init; }

    /// <summary>Address of the DSMC's second half, where the host starts execution.</summary>
    public uint ResumeAddress { get; init; }

    /// <summary>The region table.</summary>
    public IReadOnlyList<RegionDescriptor> Regions { get; init; } = [];

    /// <inheritdoc/>
    public MessageType Type => MessageType.Hello;

    /// <inheritdoc/>
    public int EncodedLength => FixedLength + BuildId.Length + BoardId.Length + (RegionEntryLength * Regions.Count);

    /// <inheritdoc/>
    public void Encode(Span<byte> destination)
    {
        var w = new PayloadWriter(destination);
        w.U8(Version);
        w.U8((byte)Capabilities);
        w.U8(checked((byte)Regions.Count));
        w.U8(checked((byte)BuildId.Length));
        w.U8(checked((byte)BoardId.Length));
        w.U8(0);
        w.U16(IrqCount);
        w.Bytes(DeviceId.Span);
        w.U32(Cpuid);
        w.U32(CoreClockHz);
        w.U32(ResumeAddress);
        w.Bytes(BuildId.Span);
        Span<byte> board = stackalloc byte[BoardId.Length];
        Encoding.ASCII.GetBytes(BoardId, board);
        w.Bytes(board);
        foreach (var region in Regions)
        {
            w.U8((byte)region.Kind);
            w.U32(region.Base);
            w.U32(region.Size);
        }
    }

    /// <summary>Reads only the version byte, so an unknown version can be rejected before its layout is parsed.</summary>
    /// <param name="payload">A HELLO payload.</param>
    /// <returns>The version, or null for an empty payload.</returns>
    public static byte? PeekVersion(ReadOnlySpan<byte> payload) => payload.IsEmpty ? null : payload[0];

    /// <summary>Parses a HELLO payload of the current version.</summary>
    /// <param name="payload">The frame payload.</param>
    /// <returns>The message.</returns>
    /// <exception cref="ProtocolException">The layout or a fixed limit is broken.</exception>
    public static HelloMessage Decode(ReadOnlySpan<byte> payload)
    {
        var r = new PayloadReader(payload, MessageType.Hello);
        byte version = r.U8();
        if (version != ProtocolConstants.Version)
        {
            throw new ProtocolException(ProtocolErrorCode.UnsupportedVersion,
                $"HELLO speaks protocol version {version}; this host speaks version {ProtocolConstants.Version}.");
        }

        var capabilities = (DeviceCapabilities)r.U8();
        int regionCount = r.U8(), buildIdLength = r.U8(), boardLength = r.U8();
        r.Reserved(1);
        ushort irqCount = r.U16();
        if (regionCount is 0 or > ProtocolConstants.MaxRegions)
        {
            throw new ProtocolException(ProtocolErrorCode.InvalidRegionTable,
                $"HELLO has {regionCount} regions; 1 to {ProtocolConstants.MaxRegions} are allowed.");
        }

        if (buildIdLength > ProtocolConstants.MaxBuildIdLength || boardLength > ProtocolConstants.MaxBoardIdLength || irqCount > ProtocolConstants.MaxIrqCount)
        {
            throw new ProtocolException(ProtocolErrorCode.Oversize,
                $"HELLO build-id length {buildIdLength} (max {ProtocolConstants.MaxBuildIdLength}), board id length {boardLength} (max {ProtocolConstants.MaxBoardIdLength}) or IRQ count {irqCount} (max {ProtocolConstants.MaxIrqCount}) is too large.");
        }

        byte[] deviceId = r.Bytes(ProtocolConstants.DeviceIdSize).ToArray();
        uint cpuid = r.U32(), clock = r.U32(), resume = r.U32();
        byte[] buildId = r.Bytes(buildIdLength).ToArray();
        var board = r.Bytes(boardLength);
        foreach (byte b in board)
        {
            if (b is < 0x20 or > 0x7E)
            {
                throw ProtocolException.Malformed(MessageType.Hello, $"board id contains the non-printable byte 0x{b:X2}");
            }
        }

        string boardId = Encoding.ASCII.GetString(board);
        var regions = new RegionDescriptor[regionCount];
        for (int i = 0; i < regionCount; i++)
        {
            byte kind = r.U8();
            regions[i] = new RegionDescriptor((RegionKind)kind, r.U32(), r.U32());
        }

        r.End();
        var hello = new HelloMessage
        {
            Version = version, Capabilities = capabilities, IrqCount = irqCount, DeviceId = deviceId, BoardId = boardId,
            BuildId = buildId, Cpuid = cpuid, CoreClockHz = clock, ResumeAddress = resume, Regions = regions,
        };
        hello.Validate();
        return hello;
    }

    /// <summary>Checks the rules a host relies on: known kinds and capability bits, non-empty regions that neither wrap nor overlap.</summary>
    /// <exception cref="ProtocolException">A rule is broken.</exception>
    public void Validate()
    {
        const DeviceCapabilities known = DeviceCapabilities.Backchannel | DeviceCapabilities.HasKey | DeviceCapabilities.Lz4 |
                                         DeviceCapabilities.FlashCrc | DeviceCapabilities.PushMove | DeviceCapabilities.CrcTranscript;
        if ((Capabilities & ~known) != 0)
        {
            throw ProtocolException.Malformed(MessageType.Hello, $"unknown capability bits 0x{(byte)(Capabilities & ~known):X2}");
        }

        if ((Capabilities & (DeviceCapabilities.CrcTranscript | DeviceCapabilities.HasKey)) == (DeviceCapabilities.CrcTranscript | DeviceCapabilities.HasKey))
        {
            throw ProtocolException.Malformed(MessageType.Hello, "a CRC-32 transcript cannot carry a MAC: a keyed device digests with SHA-256");
        }

        if (DeviceId.Length != ProtocolConstants.DeviceIdSize)
        {
            throw ProtocolException.Malformed(MessageType.Hello, $"device id has {DeviceId.Length} bytes, must have {ProtocolConstants.DeviceIdSize}");
        }

        if (Regions.Count is 0 or > ProtocolConstants.MaxRegions)
        {
            throw new ProtocolException(ProtocolErrorCode.InvalidRegionTable, $"HELLO has {Regions.Count} regions; 1 to {ProtocolConstants.MaxRegions} are allowed.");
        }

        for (int i = 0; i < Regions.Count; i++)
        {
            var a = Regions[i];
            if (!Enum.IsDefined(a.Kind))
            {
                throw new ProtocolException(ProtocolErrorCode.InvalidRegionTable, $"Region {i} has unknown kind {(byte)a.Kind}.");
            }

            if (a.Size == 0 || a.End > 0x1_0000_0000UL)
            {
                throw new ProtocolException(ProtocolErrorCode.InvalidRegionTable,
                    $"Region {i} (base 0x{a.Base:X8}, size {a.Size}) is empty or runs past the 4 GiB address space.");
            }

            for (int j = 0; j < i; j++)
            {
                var b = Regions[j];
                if (a.Base < b.End && b.Base < a.End)
                {
                    throw new ProtocolException(ProtocolErrorCode.InvalidRegionTable,
                        $"Region {i} (0x{a.Base:X8}+{a.Size}) overlaps region {j} (0x{b.Base:X8}+{b.Size}).");
                }
            }
        }
    }
}
