using System.Text;
using Dsm.Emulation.CortexM3;
using Dsm.Peripherals.Mps2;

namespace Dsm.Differential.Tests;

/// <summary>What one run of a firmware image printed and how it ended, on the engine or on QEMU.</summary>
internal sealed record GuestRun(string Runner, string StandardOutput, int? ExitCode, string StopDescription)
{
    /// <summary>Runs <paramref name="imagePath"/> on the Dsm engine as an MPS2-AN385, as QEMU's -kernel does.</summary>
    public static GuestRun OnEngine(string imagePath, long maxInstructions)
    {
        using var standardOutput = new MemoryStream();
        using var standardError = new MemoryStream();
        var machine = Machine.Create(Mps2An385.Board, new MachineOptions { StandardOutput = standardOutput, StandardError = standardError });
        machine.LoadElf(imagePath);
        machine.Reset();
        string stop;
        int? exitCode = null;
        try
        {
            var result = machine.Run(maxInstructions);
            exitCode = result.ExitCode;
            stop = result.Exited
                ? $"exited with {result.ExitCode} after {result.Instructions} instructions ({result.Mips:F1} MIPS)"
                : $"stopped without exiting: {result.StopReason} after {result.Instructions} instructions (budget {maxInstructions})\n{result.FaultDescription}";
        }
        catch (Exception exception) when (exception is not AssertionException)
        {
            // An engine bug must show up as this image's failure, with the output up to that point.
            stop = $"the engine threw {exception}";
        }

        return new GuestRun("engine", Encoding.UTF8.GetString(standardOutput.ToArray()), exitCode, stop);
    }

    /// <summary>Runs <paramref name="imagePath"/> on QEMU through tests/firmware/run-qemu.sh.</summary>
    public static GuestRun OnQemu(string imagePath, TimeSpan timeout)
    {
        var outcome = HostTools.Run(
            "/bin/sh",
            [RepositoryLayout.QemuScript, imagePath, ((int)timeout.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture)],
            RepositoryLayout.FirmwareDirectory,
            timeout + TimeSpan.FromSeconds(30));
        string stop = outcome.TimedOut || outcome.ExitCode == 124
            ? $"QEMU did not finish within {timeout.TotalSeconds} s"
            : $"QEMU exited with {outcome.ExitCode}";
        if (outcome.StandardError.Length > 0)
        {
            stop += "; its stderr:\n" + outcome.StandardError;
        }

        return new GuestRun("live QEMU", outcome.StandardOutput, outcome.TimedOut ? null : outcome.ExitCode, stop);
    }

    /// <summary>The recording in tests/firmware/expected.</summary>
    public static GuestRun Recorded(string name)
    {
        string outputPath = RepositoryLayout.ExpectedOutputPath(name);
        string exitCodePath = RepositoryLayout.ExpectedExitCodePath(name);
        if (!File.Exists(outputPath) || !File.Exists(exitCodePath))
        {
            Assert.Fail($"No QEMU recording for {name} ({outputPath}, {exitCodePath}): run 'make -C tests/firmware record' and commit expected/.");
        }

        string exitCodeText = File.ReadAllText(exitCodePath).Trim();
        if (!int.TryParse(exitCodeText, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int exitCode))
        {
            Assert.Fail($"{exitCodePath} does not hold an exit code: '{exitCodeText}'.");
        }

        return new GuestRun("recorded QEMU", File.ReadAllText(outputPath), exitCode, $"recorded exit code {exitCode}");
    }
}
