using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Dsm.Dsmc.Tests;

/// <summary>
/// One bounded run of the DSMC test firmware (tests/dsmc/bin/dsmc-test-mps2.elf) on QEMU's mps2-an385,
/// on loopback only: UART0 is captured, UART1 (the link) goes nowhere or to a local TCP port,
/// the monitor listens on another local port so the test can read the device's memory.
/// </summary>
internal sealed class QemuDevice : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _console = new();
    private readonly int _monitorPort;

    private QemuDevice(Process process, int monitorPort)
    {
        _process = process;
        _monitorPort = monitorPort;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (_console) { _console.AppendLine(e.Data); } } };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (_console) { _console.AppendLine(e.Data); } } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

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

    public static string FirmwarePath => Path.Combine(RepositoryRoot, "tests", "dsmc", "bin", "dsmc-test-mps2.elf");

    /// <summary>The same firmware with the DSMC's smallest build (push-only, push-move policy).</summary>
    public static string SmallestFirmwarePath => Path.Combine(RepositoryRoot, "tests", "dsmc", "bin", "dsmc-test-mps2-smallest.elf");

    /// <summary>The same firmware with the DSMC's compact build (keyless, duplex, CRC-32 transcript).</summary>
    public static string CompactFirmwarePath => Path.Combine(RepositoryRoot, "tests", "dsmc", "bin", "dsmc-test-mps2-compact.elf");

    /// <summary>Everything the firmware printed on UART0 so far.</summary>
    public string Console
    {
        get
        {
            lock (_console)
            {
                return _console.ToString().Replace("\r", string.Empty, StringComparison.Ordinal);
            }
        }
    }

    /// <summary>Ignores the test when QEMU is missing; fails it instead when CI=true.</summary>
    public static void RequireQemu() => Dsm.TestSupport.RequiredTools.Require("cannot run the DSMC under QEMU", "qemu-system-arm");

    /// <summary>Starts QEMU with <paramref name="firmware"/> (default <see cref="FirmwarePath"/>); linkPort null leaves UART1 unconnected.</summary>
    public static QemuDevice Start(int? linkPort, string? firmware = null)
    {
        int monitorPort = FreeLoopbackPort();
        var info = new ProcessStartInfo("qemu-system-arm")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var arg in new[]
        {
            "-M", "mps2-an385", "-display", "none", "-serial", "stdio",
            "-serial", linkPort is int p ? $"tcp:127.0.0.1:{p}" : "null",
            "-monitor", $"tcp:127.0.0.1:{monitorPort},server=on,wait=off",
            "-semihosting-config", "enable=on,target=native", "-kernel", firmware ?? FirmwarePath,
        })
        {
            info.ArgumentList.Add(arg);
        }

        return new QemuDevice(Process.Start(info)!, monitorPort);
    }

    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return false;
        }

        _process.WaitForExit();
        return true;
    }

    public int ExitCode => _process.ExitCode;

    /// <summary>Waits until the console holds <paramref name="text"/>.</summary>
    public async Task WaitForConsoleAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Console.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline || _process.HasExited)
            {
                Assert.Fail($"\"{text}\" did not appear on the console:\n{Console}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Reads guest physical memory through the monitor's pmemsave.</summary>
    public async Task<byte[]> ReadMemoryAsync(uint address, uint size, CancellationToken ct)
    {
        string file = Path.Combine(Path.GetTempPath(), $"dsmc-pmem-{Environment.ProcessId}-{address:x8}.bin");
        File.Delete(file);
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, _monitorPort, ct);
            using var stream = client.GetStream();
            byte[] command = Encoding.ASCII.GetBytes($"pmemsave 0x{address:x} 0x{size:x} \"{file}\"\n");
            await stream.WriteAsync(command, ct);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (!File.Exists(file) || new FileInfo(file).Length < size)
            {
                Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "pmemsave did not complete");
                await Task.Delay(20, ct);
            }
        }

        byte[] bytes = await File.ReadAllBytesAsync(file, ct);
        File.Delete(file);
        return bytes;
    }

    public static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        finally
        {
            _process.Dispose();
        }
    }
}
