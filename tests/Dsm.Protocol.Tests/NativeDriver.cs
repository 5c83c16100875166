using System.Diagnostics;

namespace Dsm.Protocol.Tests;

/// <summary>Builds native/dsm_test_driver.c with the C device half using the host gcc, once per test run and feature set.</summary>
internal static class NativeDriver
{
    /// <summary>The feature switches of the DSMC's compact build (keyless, raw blocks, no flash diff, CRC-32 transcript).</summary>
    public const string CompactFeatures = "-DDSM_NO_LZ4 -DDSM_NO_KEY -DDSM_NO_FLASH_DIFF -DDSM_CRC_TRANSCRIPT -DDSM_TRUSTED_CONFIG -DDSM_SMALL_CRC -DDSM_SMALL_SCAN";

    private static readonly Lazy<(string? Path, string Problem)> Built = new(() => Build(string.Empty));
    private static readonly Lazy<(string? Path, string Problem)> BuiltCompact = new(() => Build(CompactFeatures));

    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Dsm.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("Dsm.sln not found above the test directory.");
        }
    }

    /// <summary>Path of the driver; ignores the test without gcc, fails it when CI=true.</summary>
    public static string RequirePath(bool compact = false)
    {
        var (path, problem) = compact ? BuiltCompact.Value : Built.Value;
        if (path is not null)
        {
            return path;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail($"CI=true and the C device half cannot be built: {problem}");
        }

        Assert.Ignore($"C device half not testable here: {problem}");
        return string.Empty;
    }

    private static (string?, string) Build(string features)
    {
        string root;
        try
        {
            root = RepositoryRoot;
        }
        catch (InvalidOperationException ex)
        {
            return (null, ex.Message);
        }

        string source = Path.Combine(root, "src", "dsmc", "protocol");
        string output = Path.Combine(Path.GetTempPath(), "dsm-protocol-tests-" + Environment.ProcessId);
        Directory.CreateDirectory(output);
        string exe = Path.Combine(output, features.Length == 0 ? "dsm_test_driver" : "dsm_test_driver_compact");
        var args = new List<string> { "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-I", source, "-o", exe };
        args.AddRange(features.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        args.AddRange(Directory.GetFiles(source, "*.c"));
        args.Add(Path.Combine(root, "tests", "Dsm.Protocol.Tests", "native", "dsm_test_driver.c"));
        try
        {
            var (code, _, err) = Run("gcc", args, []);
            return code == 0 ? (exe, string.Empty) : (null, "gcc failed: " + err);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (null, "gcc is not installed (" + ex.Message + ")");
        }
    }

    public static (int ExitCode, byte[] Stdout, string Stderr) Run(string file, IEnumerable<string> args, byte[] stdin)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var err = process.StandardError.ReadToEndAsync();
        process.StandardInput.BaseStream.Write(stdin);
        process.StandardInput.Close();
        if (!process.WaitForExit(60_000))
        {
            process.Kill();
            throw new TimeoutException($"{file} did not finish within 60 s.");
        }

        copy.Wait();
        return (process.ExitCode, stdout.ToArray(), err.Result);
    }

    public static byte[] RunDriver(byte[] stdin, params string[] args)
    {
        var (code, output, err) = Run(RequirePath(), args, stdin);
        Assert.That(code, Is.Zero, $"driver {string.Join(' ', args)} failed: {err}");
        return output;
    }
}
