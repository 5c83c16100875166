namespace Dsm.Differential.Tests;

/// <summary>The committed firmware images must be exactly what their sources build to.</summary>
[TestFixture]
public sealed class FirmwareBuildTests
{
    [Test]
    [Category("Firmware")]
    public void CommittedImagesRebuildIdentically()
    {
        HostTools.Require("cannot rebuild the firmware images", "make", "arm-none-eabi-gcc", "python3");
        var outcome = HostTools.Run(
            "make",
            ["-s", "-C", RepositoryLayout.FirmwareDirectory, "check-reproducible"],
            RepositoryLayout.FirmwareDirectory,
            TimeSpan.FromMinutes(15));
        Assert.That(
            outcome.ExitCode,
            Is.Zero,
            $"make check-reproducible failed{(outcome.TimedOut ? " (timed out)" : string.Empty)}:\n{outcome.StandardOutput}\n{outcome.StandardError}");
    }
}
