using Dsm.Protocol;

namespace Dsm.Migration.Tests;

/// <summary>Builds plausible received systems without a device.</summary>
internal static class TestSystems
{
    public const uint ResumeAddress = 0x0000_1234;

    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Dsm.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Dsm.sln not found above the test directory.");
    }

    /// <summary>An FM3 system captured in IRQ 4's handler (exception 20), preempting SysTick (15).</summary>
    public static EmigratedSystem Fm3(uint? pc = null, string board = "mb9bf506n", int activeException = 20, uint sramBase = 0x2000_0000)
    {
        var active = new byte[32];
        active[activeException / 8] |= (byte)(1 << (activeException % 8));
        active[15 / 8] |= 1 << (15 % 8);
        var sram = new byte[0x100];
        for (int i = 0; i < sram.Length; i++)
        {
            sram[i] = (byte)(i * 7);
        }

        var flash = new byte[0x40];
        flash.AsSpan().Fill(0xA5);
        var regions = new List<RegionImage>
        {
            new(new RegionDescriptor(RegionKind.Flash, 0x0000_0000, 0x40), flash),
            new(new RegionDescriptor(RegionKind.Sram, sramBase, 0x100), sram),
            new(new RegionDescriptor(RegionKind.DsmcPrivate, 0x1FFF_8000, 0x1000), ReadOnlyMemory<byte>.Empty),
        };
        var r = Enumerable.Range(0, 13).Select(i => 0x1000u + (uint)i).ToArray();
        return new EmigratedSystem
        {
            Hello = new HelloMessage
            {
                BoardId = board,
                IrqCount = 48,
                Cpuid = 0x412F_C230,
                CoreClockHz = 80_000_000,
                ResumeAddress = ResumeAddress,
                BuildId = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 },
                Regions = regions.Select(x => x.Descriptor).ToList(),
            },
            Regions = regions,
            CpuState = new CpuStateMessage
            {
                IrqCount = 48,
                R = r,
                Msp = 0x2000_0F00,
                Psp = 0x2000_0E00,
                Lr = 0xFFFF_FFF1,
                Pc = pc ?? ResumeAddress,
                Xpsr = (1u << 24) | (uint)activeException,
                ExcReturn = 0xFFFF_FFF1,
                Primask = 1,
                Basepri = 0x40,
                Control = 0,
                ActiveExceptions = active,
                NvicEnabled = new uint[2],
                NvicPending = new uint[2],
                NvicActive = new uint[2],
                NvicPriority = new byte[48],
            },
            SessionNonce = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray(),
            TranscriptDigest = new byte[32],
            IsAuthenticated = true,
            IsPushOnly = false,
        };
    }
}
