using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Dsm.EndToEnd.Tests;

/// <summary>One <c>dsm</c> process (started from the built dsm.dll with <c>dotnet</c>), its output captured line by line.</summary>
internal sealed class DsmProcess : IDisposable
{
    private static readonly List<Process> Started = [];
    private readonly Process _process;
    private readonly List<string> _out = [];
    private readonly List<string> _err = [];
    private readonly SemaphoreSlim _changed = new(0);
    private readonly TaskCompletionSource _outClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _errClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private DsmProcess(string name, IEnumerable<string> arguments)
    {
        Name = name;
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Repo.DsmDll);
        foreach (string a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        CommandLine = "dsm " + string.Join(' ', arguments);
        _process = new Process { StartInfo = info };
        _process.OutputDataReceived += (_, e) => Add(_out, e.Data, _outClosed);
        _process.ErrorDataReceived += (_, e) => Add(_err, e.Data, _errClosed);
        _process.Start();
        lock (Started)
        {
            Started.Add(_process);
        }

        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    public string CommandLine { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public IReadOnlyList<string> Out
    {
        get
        {
            lock (_out)
            {
                return _out.ToList();
            }
        }
    }

    public IReadOnlyList<string> Err
    {
        get
        {
            lock (_err)
            {
                return _err.ToList();
            }
        }
    }

    public static DsmProcess Start(string name, params string[] arguments) => new(name, arguments);

    /// <summary>Kills every process the tests started that still runs (a failed test must not leave a host running).</summary>
    public static void KillAll()
    {
        lock (Started)
        {
            foreach (var process in Started)
            {
                try
                {
                    if (!process.HasExited)
                    {
                        process.Kill(entireProcessTree: true);
                    }
                }
                catch (InvalidOperationException)
                {
                }
            }

            Started.Clear();
        }
    }

    /// <summary>Waits until a line of standard error matches, and returns the match.</summary>
    public Task<Match> WaitForErrorAsync(string pattern, TimeSpan timeout) => WaitForAsync(_err, new Regex(pattern), timeout);

    /// <summary>Waits until a line of standard output matches, and returns the match.</summary>
    public Task<Match> WaitForOutputAsync(string pattern, TimeSpan timeout) => WaitForAsync(_out, new Regex(pattern), timeout);

    /// <summary>Waits until <paramref name="condition"/> holds for standard output.</summary>
    public async Task WaitUntilAsync(Func<IReadOnlyList<string>, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition(Out))
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || (_process.HasExited && _outClosed.Task.IsCompleted && !condition(Out)))
            {
                throw new TimeoutException($"{Name}: {what} did not happen within {timeout.TotalSeconds:F0} s\n{Transcript()}");
            }

            await _changed.WaitAsync(TimeSpan.FromMilliseconds(Math.Min(200, left.TotalMilliseconds))).ConfigureAwait(false);
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name} did not exit within {timeout.TotalSeconds:F0} s\n{Transcript()}");
        }

        await Task.WhenAll(_outClosed.Task, _errClosed.Task).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        return _process.ExitCode;
    }

    /// <summary>Kills the process at once, as a crash or a pulled plug would.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>Both outputs, for failure messages (warnings about unmodelled registers left out).</summary>
    public string Transcript() =>
        $"--- {CommandLine}\n--- stdout:\n{string.Join('\n', Out.TakeLast(40))}\n--- stderr:\n{string.Join('\n', Err.Where(l => !l.Contains("unmodelled", StringComparison.Ordinal)).TakeLast(40))}";

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private async Task<Match> WaitForAsync(List<string> lines, Regex regex, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        int seen = 0;
        while (true)
        {
            List<string> snapshot;
            lock (lines)
            {
                snapshot = lines.Skip(seen).ToList();
            }

            foreach (var line in snapshot)
            {
                var match = regex.Match(line);
                if (match.Success)
                {
                    return match;
                }
            }

            seen += snapshot.Count;
            var left = deadline - DateTime.UtcNow;
            bool closed = ReferenceEquals(lines, _out) ? _outClosed.Task.IsCompleted : _errClosed.Task.IsCompleted;
            if (left <= TimeSpan.Zero || closed)
            {
                lock (lines)
                {
                    if (lines.Count > seen)
                    {
                        continue;
                    }
                }

                throw new TimeoutException($"{Name}: no line matching '{regex}' within {timeout.TotalSeconds:F0} s{(closed ? " (output closed)" : string.Empty)}\n{Transcript()}");
            }

            await _changed.WaitAsync(TimeSpan.FromMilliseconds(Math.Min(200, left.TotalMilliseconds))).ConfigureAwait(false);
        }
    }

    private void Add(List<string> lines, string? line, TaskCompletionSource closed)
    {
        if (line is null)
        {
            closed.TrySetResult();
        }
        else
        {
            lock (lines)
            {
                lines.Add(line);
            }
        }

        _changed.Release();
    }
}
