namespace Dsm.Emulation.CortexM3.Elf;

/// <summary>What is wrong with an ELF file that cannot be loaded.</summary>
public enum ElfProblem
{
    /// <summary>The file could not be read (missing, no permission, I/O error).</summary>
    Unreadable,

    /// <summary>The file does not start with the ELF magic number.</summary>
    NotElf,

    /// <summary>The file ends before a header, table or segment it declares.</summary>
    Truncated,

    /// <summary>The file is ELF64 (or an unknown class); a Cortex-M3 image is ELF32.</summary>
    WrongClass,

    /// <summary>The file is big-endian (or of unknown byte order); a Cortex-M3 image is little-endian.</summary>
    WrongEndianness,

    /// <summary>The file is for another processor (e_machine is not EM_ARM).</summary>
    WrongMachine,

    /// <summary>The file is not an executable (a relocatable object, shared object or core dump).</summary>
    NotExecutable,

    /// <summary>A header or table is internally inconsistent.</summary>
    Malformed,

    /// <summary>A loadable segment covers addresses that the board does not back with RAM or ROM.</summary>
    SegmentOutsideMemory,
}

/// <summary>An ELF file cannot be loaded; <see cref="Exception.Message"/> names the problem and the file.</summary>
public sealed class ElfLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="problem">What kind of problem.</param>
    /// <param name="message">A readable description naming the file and the problem.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public ElfLoadException(ElfProblem problem, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Problem = problem;
    }

    /// <summary>What kind of problem.</summary>
    public ElfProblem Problem { get; }
}
