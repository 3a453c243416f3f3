using System.Net;

namespace Weft.Policy.Model;

/// <summary>The "autoApprovers" section: who may have routes inside each prefix, and exit-node use, approved without an admin.</summary>
internal sealed record AutoApproverSet(IReadOnlyList<(IPNetwork Prefix, IReadOnlyList<Target> Approvers)> Routes, IReadOnlyList<Target> ExitNode)
{
    public static AutoApproverSet Empty { get; } = new([], []);
}
