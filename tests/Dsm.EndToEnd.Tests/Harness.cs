using System.Globalization;
using System.Text.RegularExpressions;
using Dsm.Cli;

namespace Dsm.EndToEnd.Tests;

/// <summary>A <c>dsm host</c> process listening on a free loopback port.</summary>
internal sealed partial class HostProcess : IDisposable
{
    private HostProcess(DsmProcess process, int port, string stateDirectory)
    {
        Process = process;
        Port = port;
        StateDirectory = stateDirectory;
    }

    public DsmProcess Process { get; }

    public int Port { get; }

    public string StateDirectory { get; }

    public static async Task<HostProcess> StartAsync(string stateDirectory, string? images = null, params string[] extra)
    {
        var process = DsmProcess.Start("host", ["host", "--listen", "127.0.0.1:0", "--state", stateDirectory, "--images", images ?? Repo.FirmwareBin, "--list-every", "0", .. extra]);
        var match = await process.WaitForErrorAsync(@"Listening for emigrating systems on 127\.0\.0\.1:(\d+)", TimeSpan.FromSeconds(60));
        return new HostProcess(process, int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), stateDirectory);
    }

    /// <summary>The hosted systems' console lines, without the id prefix.</summary>
    public IReadOnlyList<string> ConsoleLines => Process.Out.Select(l => ConsoleLine().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();

    public Task WaitForTaskALinesAsync(int count, TimeSpan timeout) =>
        Process.WaitUntilAsync(_ => ConsoleLines.Count(l => l.StartsWith("A seq=", StringComparison.Ordinal)) >= count, timeout, $"{count} task A lines on the host");

    /// <summary>Systems stored in the state directory.</summary>
    public IReadOnlyList<string> StoredSystems => Directory.Exists(StateDirectory) ? Directory.GetFiles(StateDirectory, "*.system") : [];

    public void Dispose() => Process.Dispose();

    [GeneratedRegex(@"^\[[0-9a-f]{8}\] (.*)$")]
    private static partial Regex ConsoleLine();
}

/// <summary>The device's "dsm: timeline:" line: key=value pairs.</summary>
internal sealed class Timeline(IReadOnlyDictionary<string, string> values)
{
    public static Timeline Of(DsmProcess device)
    {
        string line = device.Err.LastOrDefault(l => l.StartsWith("dsm: timeline:", StringComparison.Ordinal))
            ?? throw new AssertionException("the device printed no timeline\n" + device.Transcript());
        return new Timeline(line["dsm: timeline:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]));
    }

    public bool Has(string key) => values.ContainsKey(key);

    public long this[string key] => values.TryGetValue(key, out var v)
        ? v.StartsWith("0x", StringComparison.Ordinal) ? long.Parse(v.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture) : long.Parse(v, CultureInfo.InvariantCulture)
        : throw new AssertionException($"the device's timeline has no {key}");

    public bool Moved => this["moved"] == 1;
}

/// <summary>Scratch directories and common checks.</summary>
internal static class Scenario
{
    public static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    public static string TempDirectory(string name)
    {
        string dir = Path.Combine(Path.GetTempPath(), "dsm-e2e", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static DsmProcess StartDevice(string firmware, int port, string trigger, params string[] extra) =>
        DsmProcess.Start("device", ["device", firmware, "--link", $"tcp:127.0.0.1:{port}", "--trigger", trigger, .. extra]);

    /// <summary>The console of a device that never moved: continuous across the failed attempt (split in two halves for the check).</summary>
    public static ContinuityCheck.Verdict LocalContinuity(IReadOnlyList<string> lines)
    {
        // The test stopped the device: its last line may be cut short by that, not by the migration.
        if (lines.Count > 0 && !ContinuityCheck.ChecksumValid(lines[^1]))
        {
            lines = lines.Take(lines.Count - 1).ToList();
        }

        int half = lines.Count / 2;
        return ContinuityCheck.Evaluate(lines.Take(half).ToList(), lines.Skip(half).ToList());
    }

    /// <summary>Migration attempts the device started (a trigger during a session only pends, so it is not one).</summary>
    public static int Attempts(DsmProcess device) =>
        device.Err.Count(l => l.Contains("DSM trigger", StringComparison.Ordinal) && !l.Contains("during the migration session", StringComparison.Ordinal));

    /// <summary>Whether a device process said the system moved away (a killed device prints no timeline).</summary>
    public static bool SaysMoved(DsmProcess device) => device.Err.Any(l => l.Contains("moved to the host", StringComparison.Ordinal));

    /// <summary>Task A's last sequence number on a console.</summary>
    public static int LastSequence(IEnumerable<string> lines) =>
        lines.Where(l => l.StartsWith("A seq=", StringComparison.Ordinal)).Select(l => int.Parse(l[6..l.IndexOf(' ', 6)], CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Last();

    /// <summary>Waits until the device's console has task A line <paramref name="sequence"/>.</summary>
    public static Task WaitForSequenceAsync(DsmProcess device, int sequence, TimeSpan timeout) =>
        device.WaitUntilAsync(lines => LastSequence(lines) >= sequence, timeout, $"task A line {sequence} on the device");

    /// <summary>A free loopback port with nothing listening on it.</summary>
    public static int UnusedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
