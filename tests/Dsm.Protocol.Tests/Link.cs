using System.Buffers;
using System.IO.Pipelines;

namespace Dsm.Protocol.Tests;

/// <summary>An in-memory duplex link between a device and a host, with optional damage on the device-to-host direction.</summary>
internal sealed class Link
{
    private readonly Pipe _deviceOut = new();
    private readonly Pipe _hostIn = new();
    private readonly Pipe _hostOut = new();

    /// <param name="damage">Gets each device byte and its index; returns the byte to deliver, or null to drop it.</param>
    public Link(Func<long, byte, byte?>? damage = null)
    {
        Device = new Duplex(_hostOut.Reader, _deviceOut.Writer);
        Host = new Duplex(_hostIn.Reader, _hostOut.Writer);
        Pump = PumpAsync(damage ?? ((_, b) => b));
    }

    public IDuplexPipe Device { get; }

    public IDuplexPipe Host { get; }

    public Task Pump { get; }

    public long DeviceBytes { get; private set; }

    public void Close()
    {
        _deviceOut.Writer.Complete();
        _hostOut.Writer.Complete();
    }

    private async Task PumpAsync(Func<long, byte, byte?> damage)
    {
        var output = new byte[1];
        while (true)
        {
            var read = await _deviceOut.Reader.ReadAsync();
            foreach (byte b in read.Buffer.ToArray())
            {
                if (damage(DeviceBytes++, b) is byte delivered)
                {
                    output[0] = delivered;
                    await _hostIn.Writer.WriteAsync(output);
                }
            }

            _deviceOut.Reader.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted)
            {
                await _hostIn.Writer.CompleteAsync();
                return;
            }
        }
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    /// <summary>A host-side link that only delivers <paramref name="bytes"/> and then closes; its output goes nowhere.</summary>
    public static IDuplexPipe ReadOnly(byte[] bytes) =>
        new Duplex(PipeReader.Create(new MemoryStream(bytes)), PipeWriter.Create(Stream.Null));
}
