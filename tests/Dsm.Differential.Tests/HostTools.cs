using System.Diagnostics;

namespace Dsm.Differential.Tests;

/// <summary>Host programs the differential tests use (QEMU, the ARM toolchain, make) and the CI switch.</summary>
internal static class HostTools
{
    /// <summary>True when CI=true: then a missing tool fails the test instead of skipping it.</summary>
    public static bool IsContinuousIntegration => Dsm.TestSupport.RequiredTools.IsContinuousIntegration;

    /// <summary>Full path of an executable found on PATH, or null.</summary>
    public static string? FindOnPath(string program) => Dsm.TestSupport.RequiredTools.FindOnPath(program);

    /// <summary>Ignores the test when a program is missing, fails it under CI=true.</summary>
    public static void Require(string consequence, params string[] programs) => Dsm.TestSupport.RequiredTools.Require(consequence, programs);

    /// <summary>Runs a program to completion and returns its exit code and both outputs.</summary>
    public static ProcessOutcome Run(string program, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout)
    {
        var startInfo = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {program}.");
        var standardOutput = process.StandardOutput.ReadToEndAsync();
        var standardError = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return new ProcessOutcome(-1, standardOutput.Result, standardError.Result, TimedOut: true);
        }

        return new ProcessOutcome(process.ExitCode, standardOutput.Result, standardError.Result, TimedOut: false);
    }
}

/// <summary>The result of <see cref="HostTools.Run"/>.</summary>
internal sealed record ProcessOutcome(int ExitCode, string StandardOutput, string StandardError, bool TimedOut);
