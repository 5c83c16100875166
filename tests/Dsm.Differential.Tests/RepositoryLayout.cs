namespace Dsm.Differential.Tests;

/// <summary>Where the firmware images, recordings and scripts are, found from the test assembly's location.</summary>
internal static class RepositoryLayout
{
    private static readonly Lazy<string> Root = new(FindRoot);

    /// <summary>The repository root: the nearest ancestor of the test assembly's directory that holds Dsm.sln.</summary>
    public static string RepositoryRoot => Root.Value;

    /// <summary>tests/firmware.</summary>
    public static string FirmwareDirectory => Path.Combine(RepositoryRoot, "tests", "firmware");

    /// <summary>tests/firmware/bin: the committed images.</summary>
    public static string ImageDirectory => Path.Combine(FirmwareDirectory, "bin");

    /// <summary>tests/firmware/expected: QEMU's recorded stdout and exit code per image.</summary>
    public static string ExpectedDirectory => Path.Combine(FirmwareDirectory, "expected");

    /// <summary>tests/firmware/run-qemu.sh: the one QEMU command line used for recording and live runs.</summary>
    public static string QemuScript => Path.Combine(FirmwareDirectory, "run-qemu.sh");

    public static string ImagePath(string name) => Path.Combine(ImageDirectory, name + ".elf");

    public static string ExpectedOutputPath(string name) => Path.Combine(ExpectedDirectory, name + ".txt");

    public static string ExpectedExitCodePath(string name) => Path.Combine(ExpectedDirectory, name + ".exitcode");

    private static string FindRoot()
    {
        // The assembly runs from tests/Dsm.Differential.Tests/bin/<configuration>/<framework>/.
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Dsm.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Dsm.sln above {AppContext.BaseDirectory}: the differential tests must run from a checkout of the repository.");
    }
}
