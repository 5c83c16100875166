namespace Dsm.Cli;

/// <summary>
/// Process exit codes of <c>dsm</c>. <c>dsm run</c> otherwise exits with the guest's own exit code, so a
/// guest that exits with one of these values looks the same; the message on standard error tells them apart.
/// </summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Success = 0;

    /// <summary>Unknown command or option, missing or malformed argument (as sysexits' EX_USAGE).</summary>
    public const int Usage = 64;

    /// <summary>The ELF file is not a loadable Cortex-M3 image, or it does not fit the board (EX_DATAERR).</summary>
    public const int BadImage = 65;

    /// <summary>An input file cannot be read (EX_NOINPUT).</summary>
    public const int Unreadable = 66;

    /// <summary>An unexpected error inside dsm (EX_SOFTWARE).</summary>
    public const int Internal = 70;

    /// <summary>The instruction limit was reached before the guest exited (as <c>timeout</c>'s 124).</summary>
    public const int InstructionLimit = 124;

    /// <summary>The guest faulted: unmapped memory, undefined instruction, lockup, unhandled BKPT, or asleep forever.</summary>
    public const int GuestFault = 125;

    /// <summary>Interrupted by the user (Ctrl+C), as shells report SIGINT.</summary>
    public const int Interrupted = 130;

    /// <summary>The exit-code table printed by <c>dsm --help</c>.</summary>
    internal static string HelpTable =>
        """
        Exit codes:
          0-255  dsm run: the guest's own exit code (semihosting SYS_EXIT / SYS_EXIT_EXTENDED)
          64     usage error: unknown command or option, missing or malformed argument
          65     the ELF file is not a loadable Cortex-M3 image, or does not fit the board
          66     a file cannot be read
          70     internal error in dsm
          124    the instruction limit was reached before the guest exited
          125    the guest faulted (unmapped memory, undefined instruction, lockup, stray BKPT, asleep forever)
          130    interrupted (Ctrl+C)
        """;
}
