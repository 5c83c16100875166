using System.Diagnostics;

namespace Dsm.EndToEnd.Tests;

/// <summary>Where things are: the built dsm.dll, the repository and its sample firmware, firmware variants built on demand.</summary>
internal static class Repo
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Dsm.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Dsm.sln not found above the test directory");
    });

    private static readonly Dictionary<string, Task<string>> Variants = [];

    public static string Root => RootPath.Value;

    public static string DsmDll
    {
        get
        {
            string path = Path.Combine(TestContext.CurrentContext.TestDirectory, "dsm.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("dsm.dll is not next to the tests (the Dsm.Cli reference copies it)", path);
        }
    }

    public static string FirmwareBin => Path.Combine(Root, "samples", "firmware", "bin");

    /// <summary>The committed sample RTOS with the DSMC (trigger: external interrupt 0).</summary>
    public static string SampleFirmware => Path.Combine(FirmwareBin, "app-mb9bf506n-dsmc.elf");

    /// <summary>The sample with the DSMC on the NMI (committed when present, else built here).</summary>
    public static Task<string> NmiFirmwareAsync()
    {
        string committed = Path.Combine(FirmwareBin, "app-mb9bf506n-dsmc-nmi.elf");
        return File.Exists(committed) ? Task.FromResult(committed) : BuildVariantAsync("nmi", "DSMC_VECTOR=2");
    }

    /// <summary>The sample with the DSMC holding pre-shared key <paramref name="key"/>.</summary>
    public static Task<string> KeyedFirmwareAsync(string key) => BuildVariantAsync("key-" + key, "DSMC_KEY=" + key);

    /// <summary>Fails under CI=true and ignores elsewhere when arm-none-eabi-gcc is missing.</summary>
    public static void RequireArmGcc() => Dsm.TestSupport.RequiredTools.Require("cannot build firmware variants", "arm-none-eabi-gcc", "make");

    // One build per variant per test run, shared by every test that needs it.
    private static Task<string> BuildVariantAsync(string name, string makeVariable)
    {
        RequireArmGcc();
        lock (Variants)
        {
            if (!Variants.TryGetValue(name, out var task))
            {
                task = Task.Run(() => Build(name, makeVariable));
                Variants[name] = task;
            }

            return task;
        }
    }

    private static string Build(string name, string makeVariable)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"dsm-e2e-fw-{Environment.ProcessId}", name);
        var info = new ProcessStartInfo("make") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "-s", "-C", Path.Combine(Root, "samples", "firmware"), "DSMC=1", makeVariable, $"OUT={dir}/bin", $"BUILD={dir}/build" })
        {
            info.ArgumentList.Add(a);
        }

        using var make = Process.Start(info)!;
        string output = make.StandardOutput.ReadToEnd() + make.StandardError.ReadToEnd();
        make.WaitForExit();
        string elf = Path.Combine(dir, "bin", "app-mb9bf506n-dsmc.elf");
        return make.ExitCode == 0 && File.Exists(elf) ? elf : throw new InvalidOperationException($"building the {name} firmware failed:\n{output}");
    }
}
