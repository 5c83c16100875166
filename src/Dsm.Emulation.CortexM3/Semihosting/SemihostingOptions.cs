namespace Dsm.Emulation.CortexM3.Semihosting;

/// <summary>The host side of semihosting: where guest console I/O goes, and what the guest may ask about.</summary>
public sealed class SemihostingOptions
{
    /// <summary>Receives SYS_WRITEC, SYS_WRITE0 and writes to the stdout handle. Default: discarded.</summary>
    public Stream StandardOutput { get; init; } = Stream.Null;

    /// <summary>Receives writes to the stderr handle (<c>:tt</c> opened for append). Default: discarded.</summary>
    public Stream StandardError { get; init; } = Stream.Null;

    /// <summary>Source of SYS_READ on the stdin handle and SYS_READC. Reads may block. Default: empty.</summary>
    public Stream StandardInput { get; init; } = Stream.Null;

    /// <summary>What SYS_GET_CMDLINE returns.</summary>
    public string CommandLine { get; init; } = string.Empty;

    /// <summary>Clock for SYS_CLOCK, SYS_TIME and SYS_ELAPSED.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>What SYS_ISTTY answers for console handles (QEMU passes on the host's isatty).</summary>
    public bool ConsoleIsInteractive { get; init; }
}
