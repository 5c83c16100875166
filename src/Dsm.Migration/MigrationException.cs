namespace Dsm.Migration;

/// <summary>A migrated system cannot be hosted: it does not fit the board, or its state is inconsistent.</summary>
public sealed class MigrationException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, for an operator.</param>
    public MigrationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    /// <param name="message">What is wrong, for an operator.</param>
    /// <param name="innerException">The cause.</param>
    public MigrationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
