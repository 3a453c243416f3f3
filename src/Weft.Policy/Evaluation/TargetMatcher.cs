using System.Net;
using System.Net.Sockets;
using Weft.Policy.Model;

namespace Weft.Policy.Evaluation;

/// <summary>Decides whether a target names a principal, as a source or as a destination.</summary>
internal sealed class TargetMatcher(IReadOnlyDictionary<string, IReadOnlySet<string>> groups)
{
    private static readonly List<IPNetwork> InternetV4 = Prefixes.Subtract(PolicyConstants.AllV4, PolicyConstants.NonInternetV4);

    /// <summary>autogroup:internet as prefixes: IPv4 outside private, shared, loopback, link-local and multicast ranges.</summary>
    public static IReadOnlyList<IPNetwork> InternetPrefixesV4 => InternetV4;

    /// <summary>True for identity targets (users, groups, tags, identity autogroups) that name <paramref name="p"/>.</summary>
    public bool MatchesIdentity(Target t, Principal p) => t.Kind switch
    {
        TargetKind.User => p.UserLogin is not null && string.Equals(p.UserLogin, t.Name, StringComparison.OrdinalIgnoreCase),
        TargetKind.Group => p.UserLogin is not null && groups.TryGetValue(t.Name, out var members) && members.Contains(p.UserLogin),
        TargetKind.Tag => p.HasTag(t.Name),
        TargetKind.AutogroupMember => p.UserLogin is not null,
        TargetKind.AutogroupTagged => p.Tags.Count > 0,
        TargetKind.AutogroupAdmin => p.UserLogin is not null && PolicyRoles.IsAdmin(p.Role),
        _ => false,
    };

    /// <summary>True when traffic from <paramref name="p"/> (or from a subnet it routes) can carry this source.</summary>
    public bool MatchesSource(Target t, Principal p) => t.Kind switch
    {
        TargetKind.Any => true,
        TargetKind.Host or TargetKind.Prefix => CoversAny(t.Network, p),
        _ => MatchesIdentity(t, p),
    };

    /// <summary>True when <paramref name="dst"/> (or a subnet or the internet behind it) is named by the destination target, for traffic from <paramref name="src"/>.</summary>
    public bool MatchesDestination(Target t, Principal dst, Principal src) => t.Kind switch
    {
        TargetKind.Any => true,
        TargetKind.Host or TargetKind.Prefix => CoversAny(t.Network, dst),
        TargetKind.AutogroupSelf => dst.UserLogin is not null && string.Equals(dst.UserLogin, src.UserLogin, StringComparison.OrdinalIgnoreCase),
        TargetKind.AutogroupInternet => dst.IsExitNode || AnyInternetAddress(dst),
        _ => MatchesIdentity(t, dst),
    };

    /// <summary>True when one of the principal's addresses is in <paramref name="network"/> or one of its subnet routes overlaps it.</summary>
    private static bool CoversAny(IPNetwork network, Principal p)
    {
        foreach (var a in p.Addresses)
        {
            if (network.Contains(a))
            {
                return true;
            }
        }

        // Exit routes only count for * and autogroup:internet: a prefix rule never reaches through an exit node.
        foreach (var r in p.Routes)
        {
            if (!Prefixes.IsExitRoute(r) && Prefixes.Overlaps(network, r))
            {
                return true;
            }
        }

        return false;
    }

    private static bool AnyInternetAddress(Principal p)
    {
        foreach (var a in p.Addresses)
        {
            if (IsInternet(a))
            {
                return true;
            }
        }

        return false;
    }

    public static bool IsInternet(IPAddress a)
    {
        if (a.AddressFamily == AddressFamily.InterNetworkV6)
        {
            return PolicyConstants.InternetV6.Contains(a);
        }

        foreach (var n in InternetV4)
        {
            if (n.Contains(a))
            {
                return true;
            }
        }

        return false;
    }
}
