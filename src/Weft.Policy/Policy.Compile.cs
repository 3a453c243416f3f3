using System.Net;
using Weft.Core.Wire;
using Weft.Policy.Evaluation;
using Weft.Policy.Model;

namespace Weft.Policy;

public sealed partial class Policy
{
    /// <summary>
    /// The packet-filter rules <paramref name="node"/> enforces on inbound traffic: for every rule whose
    /// destinations include the node itself, a subnet it routes, or (as an exit node) the internet, the
    /// sources resolved against <paramref name="all"/>. Rules of one policy rule with the same protocols are merged.
    /// </summary>
    public IReadOnlyList<FilterRule> CompileFor(PolicyNode node, IReadOnlyList<PolicyNode> all)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(all);
        var self = Principal.FromNode(node);
        var principals = new Principal[all.Count];
        for (var i = 0; i < all.Count; i++)
        {
            principals[i] = Principal.FromNode(all[i]);
        }

        var output = new List<FilterRule>();
        foreach (var rule in _rules)
        {
            // Key: protocols plus whether the entry is autogroup:self (whose sources differ).
            var builders = new Dictionary<string, (List<string> Sources, List<FilterDestination> Destinations, IReadOnlyList<int> Protocols)>(StringComparer.Ordinal);
            var order = new List<string>();
            List<string>? commonSources = null;
            foreach (var entry in rule.Entries)
            {
                var dsts = DestinationPrefixes(entry.Destination, node, self);
                if (dsts.Count == 0)
                {
                    continue;
                }

                var isSelf = entry.Destination.Kind == TargetKind.AutogroupSelf;
                var key = string.Join(',', entry.Protocols) + (isSelf ? "|self" : "");
                if (!builders.TryGetValue(key, out var b))
                {
                    var sources = isSelf ? ResolveSources(rule.Sources, principals, node.UserLogin) : commonSources ??= ResolveSources(rule.Sources, principals, null);
                    b = (sources, [], entry.Protocols);
                    builders[key] = b;
                    order.Add(key);
                }

                foreach (var prefix in dsts)
                {
                    foreach (var ports in entry.Ports)
                    {
                        var d = new FilterDestination(prefix.ToString(), ports);
                        if (!b.Destinations.Contains(d))
                        {
                            b.Destinations.Add(d);
                        }
                    }
                }
            }

            foreach (var key in order)
            {
                var b = builders[key];
                if (b.Sources.Count > 0 && b.Destinations.Count > 0)
                {
                    output.Add(new FilterRule { Sources = b.Sources, Destinations = b.Destinations, Protocols = b.Protocols });
                }
            }
        }

        return output;
    }

    /// <summary>Source prefixes of a rule; with <paramref name="sameUser"/> only that user's untagged nodes count (autogroup:self).</summary>
    private List<string> ResolveSources(IReadOnlyList<Target> sources, Principal[] principals, string? sameUser)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var list = new List<string>();
        void Add(IPNetwork n)
        {
            var text = n.ToString();
            if (seen.Add(text))
            {
                list.Add(text);
            }
        }

        foreach (var t in sources)
        {
            if (sameUser is null && t.Kind == TargetKind.Any)
            {
                Add(PolicyConstants.AllV4);
                Add(PolicyConstants.AllV6);
            }
            else if (sameUser is null && t.IsNetwork)
            {
                Add(t.Network);
            }
            else
            {
                foreach (var p in principals)
                {
                    var sameUserOk = sameUser is null
                        || (p.UserLogin is not null && string.Equals(p.UserLogin, sameUser, StringComparison.OrdinalIgnoreCase));
                    if (sameUserOk && (t.Kind == TargetKind.Any || _matcher.MatchesIdentity(t, p)))
                    {
                        foreach (var a in p.Addresses)
                        {
                            Add(Prefixes.Single(a));
                        }
                    }
                }
            }
        }

        return list;
    }

    /// <summary>The part of a destination target that lands on <paramref name="node"/>: its addresses, routed subnets, or the internet.</summary>
    private List<IPNetwork> DestinationPrefixes(Target t, PolicyNode node, Principal self)
    {
        var list = new List<IPNetwork>();
        switch (t.Kind)
        {
            case TargetKind.Any:
                AddAddresses(list, self);
                list.AddRange(node.ApprovedRoutes);
                break;
            case TargetKind.AutogroupSelf:
                if (self.UserLogin is not null)
                {
                    AddAddresses(list, self);
                }

                break;
            case TargetKind.AutogroupInternet:
                foreach (var r in node.ApprovedRoutes)
                {
                    if (r == PolicyConstants.AllV4)
                    {
                        list.AddRange(TargetMatcher.InternetPrefixesV4);
                    }
                    else if (r == PolicyConstants.AllV6)
                    {
                        list.Add(PolicyConstants.InternetV6);
                    }
                }

                break;
            case TargetKind.Host or TargetKind.Prefix:
                foreach (var a in self.Addresses)
                {
                    if (t.Network.Contains(a))
                    {
                        list.Add(Prefixes.Single(a));
                    }
                }

                foreach (var r in node.ApprovedRoutes)
                {
                    if (Prefixes.IsExitRoute(r))
                    {
                        continue; // exit-node use is granted by * or autogroup:internet only
                    }

                    if (Prefixes.Contains(t.Network, r))
                    {
                        list.Add(r);
                    }
                    else if (Prefixes.Contains(r, t.Network))
                    {
                        list.Add(t.Network);
                    }
                }

                break;
            default:
                if (_matcher.MatchesIdentity(t, self))
                {
                    AddAddresses(list, self);
                }

                break;
        }

        return list;
    }

    private static void AddAddresses(List<IPNetwork> list, Principal p)
    {
        foreach (var a in p.Addresses)
        {
            list.Add(Prefixes.Single(a));
        }
    }
}
