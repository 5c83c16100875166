using System.Globalization;
using System.Net;

namespace Dsm.Peripherals.FM3.Serial;

/// <summary>
/// A command-line description of which host channel serves an MFS UART, as in
/// <c>--uart 0=stdio</c>, <c>--uart 1=tcp:127.0.0.1:5000</c> (connect) or
/// <c>--uart 1=tcp-listen:127.0.0.1:5000</c> (accept one client), or <c>--uart 2=none</c>.
/// </summary>
/// <param name="Channel">MFS channel 0..7.</param>
/// <param name="Kind">"stdio", "tcp", "tcp-listen" or "none".</param>
/// <param name="Host">Host for TCP kinds.</param>
/// <param name="Port">Port for TCP kinds.</param>
public sealed record UartBackendSpec(int Channel, string Kind, string? Host = null, int Port = 0)
{
    /// <summary>Parses <c>CHANNEL=KIND[:HOST:PORT]</c>.</summary>
    /// <param name="text">The option value.</param>
    /// <returns>The specification.</returns>
    /// <exception cref="FormatException">The text is not a valid specification.</exception>
    public static UartBackendSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || !int.TryParse(text.AsSpan(0, eq), NumberStyles.None, CultureInfo.InvariantCulture, out int channel) || channel is < 0 or > 7)
        {
            throw new FormatException($"'{text}': expected CHANNEL=BACKEND with CHANNEL 0..7.");
        }

        string backend = text[(eq + 1)..];
        if (backend is "stdio" or "none")
        {
            return new UartBackendSpec(channel, backend);
        }

        foreach (string kind in new[] { "tcp-listen", "tcp" })
        {
            if (backend.StartsWith(kind + ":", StringComparison.Ordinal))
            {
                string rest = backend[(kind.Length + 1)..];
                int colon = rest.LastIndexOf(':');
                if (colon <= 0 || !int.TryParse(rest.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
                {
                    throw new FormatException($"'{text}': expected {kind}:HOST:PORT.");
                }

                return new UartBackendSpec(channel, kind, rest[..colon], port);
            }
        }

        throw new FormatException($"'{text}': unknown backend; use stdio, none, tcp:HOST:PORT or tcp-listen:HOST:PORT.");
    }

    /// <summary>Opens the host channel this specification describes (null for "none").</summary>
    /// <param name="consoleOutput">Where "stdio" output goes (the machine's console stream, not disposed); null for the process's standard output.</param>
    /// <returns>The channel, owned by the caller.</returns>
    public IByteChannel? Open(Stream? consoleOutput = null) => Kind switch
    {
        "stdio" when consoleOutput is not null => new StreamByteChannel(Console.OpenStandardInput(), consoleOutput, ownsStreams: false),
        "stdio" => ConsoleByteChannel.Create(),
        "tcp" => TcpByteChannel.Connect(Host!, Port),
        "tcp-listen" => TcpByteChannel.Listen(IPAddress.Parse(Host!), Port),
        _ => null,
    };
}
