using System.Diagnostics.CodeAnalysis;

namespace Weft.Policy;

/// <summary>The outcome of <see cref="Policy.Parse"/>: a policy, or every error found (sorted by position).</summary>
public sealed class PolicyParseResult
{
    private PolicyParseResult(Policy? policy, IReadOnlyList<PolicyError> errors)
    {
        Policy = policy;
        Errors = errors;
    }

    /// <summary>True when the file parsed and validated; <see cref="Policy"/> is then set.</summary>
    [MemberNotNullWhen(true, nameof(Policy))]
    public bool Success => Policy is not null;

    public Policy? Policy { get; }

    /// <summary>Empty on success.</summary>
    public IReadOnlyList<PolicyError> Errors { get; }

    internal static PolicyParseResult Succeeded(Policy policy) => new(policy, []);

    internal static PolicyParseResult Failed(IReadOnlyList<PolicyError> errors) => new(null, errors);
}
