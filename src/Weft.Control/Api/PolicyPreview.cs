using System.Globalization;
using System.Net;
using Weft.Policy;

namespace Weft.Control.Api;

/// <summary>
/// What a node or user may reach under a policy: the destinations whose compiled inbound filter admits
/// the subject's addresses. A user without a node is previewed as a placeholder node of that user.
/// </summary>
internal static class PolicyPreview
{
    /// <summary>Placeholder addresses for a user previewed without a node (documentation ranges, never allocated).</summary>
    private static readonly IPAddress PlaceholderV4 = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress PlaceholderV6 = IPAddress.Parse("2001:db8::1");

    /// <summary>A node of <paramref name="login"/> that exists only for the preview.</summary>
    public static PolicyNode UserPlaceholder(string login, string role) => new(-1, login, role, [], PlaceholderV4, PlaceholderV6, []);

    /// <summary>Every node of <paramref name="nodes"/> other than the subject that admits traffic from it, with what it admits.</summary>
    public static List<ApiReach> Reachable(Weft.Policy.Policy policy, IReadOnlyList<PolicyNode> nodes, PolicyNode subject, Func<long, string> nameOf)
    {
        var all = new List<PolicyNode>(nodes.Count + 1);
        all.AddRange(nodes);
        if (subject.Id < 0)
        {
            all.Add(subject);
        }

        var reach = new List<ApiReach>();
        foreach (var dst in nodes)
        {
            if (dst.Id == subject.Id)
            {
                continue;
            }

            var allow = new List<string>();
            foreach (var rule in policy.CompileFor(dst, all))
            {
                if (!AdmitsSubject(rule.Sources, subject))
                {
                    continue;
                }

                var proto = rule.Protocols.Count == 0 ? "" : " proto " + string.Join(',', rule.Protocols);
                foreach (var d in rule.Destinations)
                {
                    allow.Add(d + proto);
                }
            }

            if (allow.Count > 0)
            {
                reach.Add(new ApiReach(dst.Id.ToString(CultureInfo.InvariantCulture), nameOf(dst.Id), allow));
            }
        }

        return reach;
    }

    private static bool AdmitsSubject(IReadOnlyList<string> sources, PolicyNode subject)
    {
        foreach (var s in sources)
        {
            if (IPNetwork.TryParse(s, out var net) && (net.Contains(subject.IPv4) || net.Contains(subject.IPv6)))
            {
                return true;
            }
        }

        return false;
    }
}
