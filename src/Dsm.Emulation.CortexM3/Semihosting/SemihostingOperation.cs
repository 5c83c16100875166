namespace Dsm.Emulation.CortexM3.Semihosting;

/// <summary>Arm semihosting operation numbers (passed in r0 with <c>BKPT 0xAB</c>).</summary>
public enum SemihostingOperation : uint
{
    /// <summary>SYS_OPEN: open a file; only <c>:tt</c> (the console) and <c>:semihosting-features</c> exist here.</summary>
    Open = 0x01,

    /// <summary>SYS_CLOSE: close a handle.</summary>
    Close = 0x02,

    /// <summary>SYS_WRITEC: write the character at [r1] to the console.</summary>
    WriteC = 0x03,

    /// <summary>SYS_WRITE0: write the NUL-terminated string at r1 to the console.</summary>
    Write0 = 0x04,

    /// <summary>SYS_WRITE: write a buffer to a handle; returns the number of bytes not written.</summary>
    Write = 0x05,

    /// <summary>SYS_READ: read into a buffer from a handle; returns the number of bytes not read.</summary>
    Read = 0x06,

    /// <summary>SYS_READC: read one character from the console.</summary>
    ReadC = 0x07,

    /// <summary>SYS_ISERROR: whether a status value is an error.</summary>
    IsError = 0x08,

    /// <summary>SYS_ISTTY: whether a handle is an interactive device.</summary>
    IsTty = 0x09,

    /// <summary>SYS_SEEK: set a handle's position.</summary>
    Seek = 0x0A,

    /// <summary>SYS_FLEN: length of the file behind a handle.</summary>
    FileLength = 0x0C,

    /// <summary>SYS_TMPNAM (not supported: no host files).</summary>
    TempName = 0x0D,

    /// <summary>SYS_REMOVE (not supported: no host files).</summary>
    Remove = 0x0E,

    /// <summary>SYS_RENAME (not supported: no host files).</summary>
    Rename = 0x0F,

    /// <summary>SYS_CLOCK: centiseconds since the program started.</summary>
    Clock = 0x10,

    /// <summary>SYS_TIME: seconds since 1970-01-01 UTC.</summary>
    Time = 0x11,

    /// <summary>SYS_SYSTEM (not supported: no host shell).</summary>
    System = 0x12,

    /// <summary>SYS_ERRNO: the errno of the last failed call.</summary>
    Errno = 0x13,

    /// <summary>SYS_GET_CMDLINE: copy the command line into a guest buffer.</summary>
    GetCommandLine = 0x15,

    /// <summary>SYS_HEAPINFO: heap and stack placement.</summary>
    HeapInfo = 0x16,

    /// <summary>SYS_EXIT (angel_SWIreason_ReportException): stop, with r1 the reason code.</summary>
    Exit = 0x18,

    /// <summary>SYS_EXIT_EXTENDED: stop, with r1 pointing to {reason, subcode}.</summary>
    ExitExtended = 0x20,

    /// <summary>SYS_ELAPSED: 64-bit tick count since start.</summary>
    Elapsed = 0x30,

    /// <summary>SYS_TICKFREQ: ticks per second of <see cref="Elapsed"/>.</summary>
    TickFrequency = 0x31,
}
