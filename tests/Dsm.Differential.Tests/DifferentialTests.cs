namespace Dsm.Differential.Tests;

/// <summary>
/// Runs every firmware image of tests/firmware/bin on the engine and compares stdout, line by line, and the
/// exit code with QEMU's recording in tests/firmware/expected. When qemu-system-arm is installed (always in
/// CI, where its absence fails the run) the same image also runs on QEMU live and the engine must match that
/// too. Nothing is relaxed: an instruction the engine gets wrong shows as the first differing line.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class DifferentialTests
{
    // The largest everyday image (isa_dp_reg) needs about 1e7 instructions; a runaway guest stops here.
    private const long EverydayInstructionBudget = 500_000_000;
    private const long BenchmarkInstructionBudget = 5_000_000_000;
    private static readonly TimeSpan QemuTimeout = TimeSpan.FromSeconds(120);

    private static IEnumerable<TestCaseData> EverydayImages() => FirmwareImages.Everyday();

    private static IEnumerable<TestCaseData> LongBenchmarks() => FirmwareImages.LongBenchmarks();

    [TestCaseSource(nameof(EverydayImages))]
    public void EngineMatchesQemu(string image) => CompareWithQemu(image, EverydayInstructionBudget);

    [Explicit("1e8 to 5e8 guest instructions each: run with --filter TestCategory=Bench")]
    [Category("Bench")]
    [TestCaseSource(nameof(LongBenchmarks))]
    public void BenchmarkMatchesQemu(string image) => CompareWithQemu(image, BenchmarkInstructionBudget);

    [Test]
    public void EveryImageHasARecording()
    {
        var images = FirmwareImages.All();
        Assert.That(images, Is.Not.Empty, $"no firmware images in {RepositoryLayout.ImageDirectory}");
        var recordings = Directory.EnumerateFiles(RepositoryLayout.ExpectedDirectory, "*.txt")
            .Select(path => Path.GetFileNameWithoutExtension(path))
            .Order(StringComparer.Ordinal)
            .ToList();
        var exitCodes = Directory.EnumerateFiles(RepositoryLayout.ExpectedDirectory, "*.exitcode")
            .Select(path => Path.GetFileNameWithoutExtension(path))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Multiple(() =>
        {
            Assert.That(recordings, Is.EqualTo(images), "expected/*.txt must match bin/*.elf one to one (make -C tests/firmware record)");
            Assert.That(exitCodes, Is.EqualTo(images), "expected/*.exitcode must match bin/*.elf one to one");
        });
    }

    private static void CompareWithQemu(string image, long instructionBudget)
    {
        string imagePath = RepositoryLayout.ImagePath(image);
        var recorded = GuestRun.Recorded(image);
        var engine = GuestRun.OnEngine(imagePath, instructionBudget);
        TestContext.Out.WriteLine($"{image}: engine {engine.StopDescription}");

        GuestRun? live = null;
        if (HostTools.IsContinuousIntegration || HostTools.FindOnPath("qemu-system-arm") is not null)
        {
            HostTools.Require("cannot compare with QEMU live", "qemu-system-arm");
            live = GuestRun.OnQemu(imagePath, QemuTimeout);
        }
        else
        {
            TestContext.Out.WriteLine("qemu-system-arm not installed: compared with the recording only.");
        }

        var differences = new List<string>();
        if (OutputComparison.Describe(image, recorded, engine) is { } againstRecording)
        {
            differences.Add(againstRecording);
        }

        if (live is not null && OutputComparison.Describe(image, live, engine) is { } againstLive)
        {
            differences.Add(againstLive);
        }

        if (differences.Count > 0)
        {
            Assert.Fail(string.Join(Environment.NewLine, differences));
        }
    }
}
