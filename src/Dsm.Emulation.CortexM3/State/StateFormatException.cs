namespace Dsm.Emulation.CortexM3.State;

/// <summary>A machine state image is truncated, corrupted, of an unknown version, or does not fit the machine.</summary>
public sealed class StateFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StateFormatException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is wrong, and where.</param>
    public StateFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What is wrong, and where.</param>
    /// <param name="innerException">The underlying error.</param>
    public StateFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
