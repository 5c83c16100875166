using System.Diagnostics;


namespace Dsm.Tests.Support;

/// <summary>Finds the repository and qemu-system-arm; a missing QEMU ignores the test, except under CI=true where it fails it.</summary>
internal static class QemuTool
{
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

    /// <summary>A committed sample firmware image.</summary>
    public static string SampleFirmware(string name) => Path.Combine(RepositoryRoot, "samples", "firmware", "bin", name);

    public static void Require() => Dsm.TestSupport.RequiredTools.Require("cannot run QEMU", "qemu-system-arm");

    /// <summary>Starts qemu-system-arm with <paramref name="arguments"/>; standard output and error are redirected.</summary>
    public static Process Start(IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo("qemu-system-arm")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info)!;
    }

    /// <summary>Runs QEMU to its exit (killed after <paramref name="timeout"/>) and returns (exit code, standard output).</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(IEnumerable<string> arguments, TimeSpan timeout)
    {
        using var process = Start(arguments);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"QEMU did not finish within {timeout}: {await output}{await error}");
        }

        return (process.ExitCode, (await output).Replace("\r", string.Empty, StringComparison.Ordinal));
    }

}
