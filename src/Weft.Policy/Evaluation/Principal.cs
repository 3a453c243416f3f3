using System.Net;

namespace Weft.Policy.Evaluation;

/// <summary>
/// Who or what a rule is checked against: a node, or an identity a policy test imagines. A tagged
/// principal has no user; its tags are its identity.
/// </summary>
internal sealed record Principal(string? UserLogin, string Role, IReadOnlyList<string> Tags, IReadOnlyList<IPAddress> Addresses, IReadOnlyList<IPNetwork> Routes)
{
    public static Principal FromNode(PolicyNode node) => node.IsTagged
        ? new Principal(null, "", node.Tags, [node.IPv4, node.IPv6], node.ApprovedRoutes)
        : new Principal(node.UserLogin, node.UserRole, [], [node.IPv4, node.IPv6], node.ApprovedRoutes);

    public bool HasTag(string tag)
    {
        foreach (var t in Tags)
        {
            if (string.Equals(t, tag, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    public bool IsExitNode
    {
        get
        {
            foreach (var r in Routes)
            {
                if (Prefixes.IsExitRoute(r))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
