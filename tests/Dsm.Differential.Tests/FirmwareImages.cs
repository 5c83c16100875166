namespace Dsm.Differential.Tests;

/// <summary>The firmware images under tests/firmware/bin, split into the everyday set and the long benchmarks.</summary>
internal static class FirmwareImages
{
    /// <summary>Every image name (file name without .elf), sorted ordinally.</summary>
    public static IReadOnlyList<string> All()
    {
        if (!Directory.Exists(RepositoryLayout.ImageDirectory))
        {
            return [];
        }

        return Directory.EnumerateFiles(RepositoryLayout.ImageDirectory, "*.elf")
            .Select(path => Path.GetFileNameWithoutExtension(path))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Full-size throughput kernels (bench_NAME without the _quick suffix): 1e8 instructions and more,
    /// run only on request (category Bench). Their _quick variants belong to the everyday set.
    /// </summary>
    public static bool IsLongBenchmark(string name) =>
        name.StartsWith("bench_", StringComparison.Ordinal) && !name.EndsWith("_quick", StringComparison.Ordinal);

    public static IEnumerable<TestCaseData> Everyday() =>
        All().Where(name => !IsLongBenchmark(name)).Select(name => new TestCaseData(name).SetArgDisplayNames(name));

    public static IEnumerable<TestCaseData> LongBenchmarks() =>
        All().Where(IsLongBenchmark).Select(name => new TestCaseData(name).SetArgDisplayNames(name));
}
