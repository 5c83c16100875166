namespace Dsm.Peripherals.FM3.Serial;

/// <summary>Factory for the console serial line: guest output to standard output, optionally host input from standard input.</summary>
public static class ConsoleByteChannel
{
    /// <summary>Creates the console channel.</summary>
    /// <param name="readStandardInput">Whether standard input feeds the guest's receiver.</param>
    /// <returns>The channel.</returns>
    public static IByteChannel Create(bool readStandardInput = true)
        => new StreamByteChannel(readStandardInput ? Console.OpenStandardInput() : null, Console.OpenStandardOutput());
}
