namespace Weft.Policy;

/// <summary>The outcome of running a policy's "tests" section.</summary>
public sealed class PolicyTestResult(IReadOnlyList<PolicyTestFailure> failures)
{
    public bool Passed => Failures.Count == 0;

    /// <summary>One entry per destination that did not behave as its test said.</summary>
    public IReadOnlyList<PolicyTestFailure> Failures { get; } = failures;
}

/// <summary>One failed assertion: the test at <see cref="Line"/>/<see cref="Column"/> expected <see cref="Source"/> to be accepted or denied at <see cref="Destination"/>.</summary>
public sealed class PolicyTestFailure(int line, int column, string source, string destination, bool expectedAccept)
{
    public int Line { get; } = line;

    public int Column { get; } = column;

    public string Source { get; } = source;

    /// <summary>The destination as written ("tag:server:22").</summary>
    public string Destination { get; } = destination;

    /// <summary>True when the test listed the destination under "accept" (and it was denied).</summary>
    public bool ExpectedAccept { get; } = expectedAccept;

    public override string ToString() =>
        $"test at line {Line}, column {Column}: {Source} -> {Destination} should be {(ExpectedAccept ? "accepted" : "denied")} but is {(ExpectedAccept ? "denied" : "accepted")}";
}
