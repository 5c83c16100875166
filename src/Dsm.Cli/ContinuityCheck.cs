using System.Globalization;
using System.Text;

namespace Dsm.Cli;

/// <summary>
/// Checks that the sample application's console continues across a migration: every line carries a valid
/// checksum, task A's sequence numbers go on without a gap or a repeat, and task C saw no lost timer event.
/// </summary>
internal static class ContinuityCheck
{
    public sealed record Verdict(bool Ok, int LastDeviceSequence, int FirstHostSequence, int HostLines, string Detail);

    public static Verdict Evaluate(IReadOnlyList<string> deviceLines, IReadOnlyList<string> hostLines)
    {
        // A move in the middle of a line: the device printed its start, the host prints the rest. The rest may be the
        // line end alone (the move fell between the text and its end): the host's first line is then empty.
        if (deviceLines.Count > 0 && hostLines.Count > 0 && (hostLines[0].Length == 0 || !ChecksumValid(deviceLines[^1]))
            && ChecksumValid(deviceLines[^1] + hostLines[0]))
        {
            deviceLines = [.. deviceLines.Take(deviceLines.Count - 1), deviceLines[^1] + hostLines[0]];
            hostLines = hostLines.Skip(1).ToList();
        }

        var problems = new List<string>();
        foreach (var line in deviceLines.Concat(hostLines))
        {
            if (!ChecksumValid(line))
            {
                problems.Add($"corrupted line: '{line}'");
            }

            if (line.StartsWith("C GAP", StringComparison.Ordinal) || line.StartsWith("fatal", StringComparison.Ordinal))
            {
                problems.Add($"application reported: '{line}'");
            }
        }

        var deviceSeq = Sequences(deviceLines);
        var hostSeq = Sequences(hostLines);
        var all = deviceSeq.Concat(hostSeq).ToList();
        for (int i = 1; i < all.Count; i++)
        {
            if (all[i] != all[i - 1] + 1)
            {
                problems.Add($"task A sequence jumps from {all[i - 1]} to {all[i]}");
            }
        }

        // The RTOS tick goes on: task A reports every period of ticks, so consecutive lines' ticks differ by one period.
        var ticks = Fields(deviceLines.Concat(hostLines), "A ", "tick");
        for (int i = 2; i < ticks.Count; i++)
        {
            if (ticks[i] - ticks[i - 1] != ticks[1] - ticks[0])
            {
                problems.Add($"RTOS tick jumps from {ticks[i - 1]} to {ticks[i]} (period {ticks[1] - ticks[0]})");
            }
        }

        // Task C's reports (timer interrupts through a queue) keep their numbering and cadence across the move.
        var cSeq = Fields(deviceLines.Concat(hostLines), "C ", "seq");
        var cCount = Fields(deviceLines.Concat(hostLines), "C ", "count");
        for (int i = 1; i < cSeq.Count; i++)
        {
            if (cSeq[i] != cSeq[i - 1] + 1)
            {
                problems.Add($"task C report sequence jumps from {cSeq[i - 1]} to {cSeq[i]}");
            }
        }

        for (int i = 2; i < cCount.Count; i++)
        {
            if (cCount[i] - cCount[i - 1] != cCount[1] - cCount[0])
            {
                problems.Add($"task C timer count jumps from {cCount[i - 1]} to {cCount[i]}");
            }
        }

        if (hostSeq.Count == 0)
        {
            problems.Add("the host printed no task A line");
        }

        int last = deviceSeq.Count > 0 ? deviceSeq[^1] : 0;
        int first = hostSeq.Count > 0 ? hostSeq[0] : 0;
        return new Verdict(problems.Count == 0, last, first, hostLines.Count, problems.Count == 0
            ? $"sequence {(deviceSeq.Count > 0 ? deviceSeq[0] : 0)}..{last} on the device, {first}..{(hostSeq.Count > 0 ? hostSeq[^1] : 0)} on the host: none lost, repeated or altered"
            : string.Join("; ", problems));
    }

    // The decimal field NAME=... of every line starting with PREFIX (checksum-invalid lines are reported above).
    private static List<long> Fields(IEnumerable<string> lines, string prefix, string name)
    {
        var result = new List<long>();
        string key = " " + name + "=";
        foreach (var line in lines)
        {
            int at = line.IndexOf(key, StringComparison.Ordinal);
            if (line.StartsWith(prefix, StringComparison.Ordinal) && !line.StartsWith("C GAP", StringComparison.Ordinal) && at > 0)
            {
                int start = at + key.Length;
                int end = line.IndexOf(' ', start);
                if (long.TryParse(line.AsSpan(start, (end < 0 ? line.Length : end) - start), NumberStyles.None, CultureInfo.InvariantCulture, out long value))
                {
                    result.Add(value);
                }
            }
        }

        return result;
    }

    private static List<int> Sequences(IEnumerable<string> lines)
    {
        var result = new List<int>();
        foreach (var line in lines)
        {
            if (line.StartsWith("A seq=", StringComparison.Ordinal))
            {
                int end = line.IndexOf(' ', 6);
                if (end > 6 && int.TryParse(line.AsSpan(6, end - 6), NumberStyles.None, CultureInfo.InvariantCulture, out int seq))
                {
                    result.Add(seq);
                }
            }
        }

        return result;
    }

    // Each line ends in " sum=XXXXXXXX", the CRC-32 (zlib) of the text before it.
    internal static bool ChecksumValid(string line)
    {
        int at = line.LastIndexOf(" sum=", StringComparison.Ordinal);
        if (at < 0 || line.Length - at - 5 != 8 || !uint.TryParse(line.AsSpan(at + 5), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint sum))
        {
            return false;
        }

        return Protocol.Crc32.Compute(Encoding.ASCII.GetBytes(line[..at])) == sum;
    }
}
