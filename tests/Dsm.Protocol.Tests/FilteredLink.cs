using System.Buffers;
using System.IO.Pipelines;

namespace Dsm.Protocol.Tests;

/// <summary>
/// A C# device (<see cref="Emigrator"/>) and a receiver joined by a link that can damage device bytes and
/// drop whole host frames: what a FIFO-less UART that overruns while the device transmits does to them.
/// </summary>
internal static class FilteredLink
{
    /// <summary>Runs one session.</summary>
    /// <param name="image">The device.</param>
    /// <param name="deviceOptions">The device's timeouts.</param>
    /// <param name="receiver">The host.</param>
    /// <param name="dropHostFrame">Given each host frame (header to CRC) in order, true drops it.</param>
    /// <param name="damageDeviceByte">Given each device byte's offset and value, the byte delivered or null; null keeps all.</param>
    /// <returns>The host's result (or its error) and the device's outcome.</returns>
    public static async Task<(MigrationResult? Result, ProtocolException? Error, EmigrationOutcome Outcome)> RunAsync(
        DeviceImage image, EmigratorOptions deviceOptions, MigrationReceiver receiver, Func<byte[], bool> dropHostFrame, Func<long, byte, byte?>? damageDeviceByte = null)
    {
        var link = new Link(damageDeviceByte);
        var toDevice = new Pipe();
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var filter = Task.Run(async () =>
        {
            var fromHost = link.Device.Input;
            while (true)
            {
                var read = await fromHost.ReadAsync(guard.Token);
                var buffer = read.Buffer;
                while (TakeFrame(ref buffer, out byte[] frame))
                {
                    if (!dropHostFrame(frame))
                    {
                        await toDevice.Writer.WriteAsync(frame, guard.Token);
                    }
                }

                fromHost.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted)
                {
                    await toDevice.Writer.CompleteAsync();
                    return;
                }
            }
        });
        var device = Task.Run(() => new Emigrator(image, deviceOptions).RunAsync(new Duplex(toDevice.Reader, link.Device.Output), guard.Token));
        MigrationResult? result = null;
        ProtocolException? error = null;
        try
        {
            result = await receiver.ReceiveAsync(link.Host, guard.Token);
        }
        catch (ProtocolException ex)
        {
            error = ex;
        }

        var outcome = await device;
        link.Close();
        await filter;
        return (result, error, outcome);
    }

    /// <summary>The frame's type.</summary>
    public static MessageType Type(byte[] frame) => (MessageType)frame[2];

    /// <summary>The frame's sequence number.</summary>
    public static ushort Sequence(byte[] frame) => (ushort)(frame[6] | (frame[7] << 8));

    // Host frames are well formed here: header, payload, CRC.
    private static bool TakeFrame(ref ReadOnlySequence<byte> buffer, out byte[] frame)
    {
        frame = [];
        if (buffer.Length < ProtocolConstants.HeaderSize)
        {
            return false;
        }

        var header = buffer.Slice(0, ProtocolConstants.HeaderSize).ToArray();
        int total = ProtocolConstants.HeaderSize + (header[4] | (header[5] << 8)) + ProtocolConstants.TrailerSize;
        if (buffer.Length < total)
        {
            return false;
        }

        frame = buffer.Slice(0, total).ToArray();
        buffer = buffer.Slice(total);
        return true;
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
