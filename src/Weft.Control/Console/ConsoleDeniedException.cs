namespace Weft.Control.Console;

/// <summary>The signed-in user may not do what they asked (their role, or the thing is not theirs). Pages show the message.</summary>
public sealed class ConsoleDeniedException : Exception
{
    public ConsoleDeniedException()
        : base("not allowed")
    {
    }

    public ConsoleDeniedException(string message)
        : base(message)
    {
    }

    public ConsoleDeniedException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
