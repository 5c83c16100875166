using System.Text;

namespace Dsm.Differential.Tests;

/// <summary>Line-by-line comparison of two runs that names the first differing line with context.</summary>
internal static class OutputComparison
{
    private const int ContextLines = 3;

    /// <summary>Null when both runs printed the same bytes and ended with the same exit code, else a report.</summary>
    public static string? Describe(string image, GuestRun reference, GuestRun actual)
    {
        if (string.Equals(reference.StandardOutput, actual.StandardOutput, StringComparison.Ordinal) && reference.ExitCode == actual.ExitCode)
        {
            return null;
        }

        var report = new StringBuilder();
        report.Append(image).Append(": ").Append(actual.Runner).Append(" differs from ").Append(reference.Runner).AppendLine(".");
        string[] expected = reference.StandardOutput.Split('\n');
        string[] got = actual.StandardOutput.Split('\n');
        int first = FirstDifference(expected, got);
        if (first >= 0)
        {
            report.Append("First difference at line ").Append(first + 1)
                .Append(" (").Append(reference.Runner).Append(": ").Append(LineCount(reference.StandardOutput))
                .Append(" lines, ").Append(actual.Runner).Append(": ").Append(LineCount(actual.StandardOutput)).AppendLine(" lines):");
            for (int line = Math.Max(0, first - ContextLines); line < first; line++)
            {
                report.Append("    ").AppendLine(expected[line]);
            }

            report.Append("  - ").AppendLine(first < expected.Length ? Show(expected[first]) : "<end of output>");
            report.Append("  + ").AppendLine(first < got.Length ? Show(got[first]) : "<end of output>");
        }

        if (reference.ExitCode != actual.ExitCode)
        {
            report.Append("Exit code: ").Append(reference.Runner).Append(' ').Append(Show(reference.ExitCode))
                .Append(", ").Append(actual.Runner).Append(' ').AppendLine(Show(actual.ExitCode));
        }

        report.Append(actual.Runner).Append(": ").AppendLine(actual.StopDescription);
        return report.ToString();
    }

    private static int FirstDifference(string[] expected, string[] got)
    {
        int common = Math.Min(expected.Length, got.Length);
        for (int line = 0; line < common; line++)
        {
            if (!string.Equals(expected[line], got[line], StringComparison.Ordinal))
            {
                return line;
            }
        }

        return expected.Length == got.Length ? -1 : common;
    }

    private static int LineCount(string text) => text.Count(c => c == '\n') + (text.Length > 0 && text[^1] != '\n' ? 1 : 0);

    private static string Show(string line) => line.Length == 0 ? "<empty line>" : line;

    private static string Show(int? exitCode) => exitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "<none: did not exit>";
}
