namespace Dsm.TestSupport;

/// <summary>
/// Host programs some tests need (QEMU, the ARM toolchain, make). Linked into every test project: a missing
/// program ignores the test on a developer machine, but fails it under CI=true, where nothing may skip silently.
/// </summary>
internal static class RequiredTools
{
    /// <summary>True when CI=true: then a missing tool fails the test instead of skipping it.</summary>
    public static bool IsContinuousIntegration =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Full path of an executable found on PATH, or null.</summary>
    public static string? FindOnPath(string program)
    {
        string path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (string directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>
    /// Makes sure <paramref name="programs"/> are installed: in CI a missing one fails the test, elsewhere
    /// it is reported as ignored with <paramref name="consequence"/>.
    /// </summary>
    public static void Require(string consequence, params string[] programs)
    {
        var missing = programs.Where(program => FindOnPath(program) is null).ToList();
        if (missing.Count == 0)
        {
            return;
        }

        string message = $"{string.Join(", ", missing)} not found on PATH: {consequence}";
        if (IsContinuousIntegration)
        {
            Assert.Fail(message + " (CI=true requires it)");
        }

        Assert.Ignore(message);
    }
}
