namespace Weft.Lab;

/// <summary>A lab operation failed; the message says which command or wait, and what it printed.</summary>
public sealed class LabException : Exception
{
    public LabException()
    {
    }

    public LabException(string message)
        : base(message)
    {
    }

    public LabException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
