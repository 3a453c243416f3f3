using Weft.Policy.Evaluation;
using Weft.Policy.Model;

namespace Weft.Policy;

public sealed partial class Policy
{
    /// <summary>
    /// True when either node may reach the other (or a subnet or the internet behind it): the peers the
    /// coordination server sends each node. A node always sees itself.
    /// </summary>
    public bool CanSee(PolicyNode a, PolicyNode b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Id == b.Id)
        {
            return true;
        }

        var pa = Principal.FromNode(a);
        var pb = Principal.FromNode(b);
        return Reaches(pa, pb) || Reaches(pb, pa);
    }

    /// <summary>True when some rule lets <paramref name="src"/> send to <paramref name="dst"/> on some port.</summary>
    private bool Reaches(Principal src, Principal dst)
    {
        foreach (var rule in _rules)
        {
            if (!AnySourceMatches(rule, src))
            {
                continue;
            }

            foreach (var e in rule.Entries)
            {
                if (_matcher.MatchesDestination(e.Destination, dst, src))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>True when one of the rule's sources names <paramref name="src"/>.</summary>
    private bool AnySourceMatches(AccessRule rule, Principal src)
    {
        foreach (var s in rule.Sources)
        {
            if (_matcher.MatchesSource(s, src))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>True when some rule lets <paramref name="src"/> reach <paramref name="dst"/> on this protocol and port.</summary>
    private bool Allows(Principal src, Principal dst, int protocol, ushort port)
    {
        foreach (var rule in _rules)
        {
            if (!AnySourceMatches(rule, src))
            {
                continue;
            }

            foreach (var e in rule.Entries)
            {
                if (e.Admits(protocol, port) && _matcher.MatchesDestination(e.Destination, dst, src))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
