namespace Weft.Policy;

/// <summary>One problem found in a policy file, at the 1-based line and column of the offending token.</summary>
public sealed class PolicyError(int line, int column, string message)
{
    /// <summary>1-based line of the offending token.</summary>
    public int Line { get; } = line;

    /// <summary>1-based column (in UTF-16 characters) of the offending token.</summary>
    public int Column { get; } = column;

    /// <summary>What is wrong, without the position.</summary>
    public string Message { get; } = message;

    public override string ToString() => $"line {Line}, column {Column}: {Message}";
}
