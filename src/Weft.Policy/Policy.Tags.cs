using System.Net;
using Weft.Policy.Evaluation;
using Weft.Policy.Model;

namespace Weft.Policy;

public sealed partial class Policy
{
    /// <summary>
    /// True when the requester may put <paramref name="tag"/> on a node: the tag is defined and the requester
    /// is one of its owners (a listed user, a member of a listed group, a node already carrying a listed
    /// tag, autogroup:admin, autogroup:member). Owners and admins may apply any defined tag.
    /// </summary>
    /// <param name="userLogin">The requesting user, or null for a tagged requester (an auth key owned by tags).</param>
    /// <param name="requesterTags">Tags the requester already holds.</param>
    public bool MayApplyTag(string tag, string? userLogin, string userRole, IReadOnlyList<string>? requesterTags = null)
    {
        if (!_tagOwners.TryGetValue(tag, out var owners))
        {
            return false;
        }

        if (userLogin is not null && PolicyRoles.IsAdmin(userRole))
        {
            return true;
        }

        var requester = new Principal(userLogin, userRole, requesterTags ?? [], [], []);
        foreach (var owner in owners)
        {
            if (_matcher.MatchesIdentity(owner, requester))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when autoApprovers lets <paramref name="node"/>'s advertised <paramref name="route"/> be approved without an admin. Exit routes go through <see cref="MayAutoApproveExitNode"/>.</summary>
    public bool MayAutoApproveRoute(IPNetwork route, PolicyNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (Prefixes.IsExitRoute(route))
        {
            return MayAutoApproveExitNode(node);
        }

        var p = Principal.FromNode(node);
        foreach (var (prefix, approvers) in _autoApprovers.Routes)
        {
            if (Prefixes.Contains(prefix, route) && AnyIdentity(approvers, p))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when autoApprovers lets <paramref name="node"/> serve as an exit node without an admin.</summary>
    public bool MayAutoApproveExitNode(PolicyNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return AnyIdentity(_autoApprovers.ExitNode, Principal.FromNode(node));
    }

    private bool AnyIdentity(IReadOnlyList<Target> targets, Principal p)
    {
        foreach (var t in targets)
        {
            if (_matcher.MatchesIdentity(t, p))
            {
                return true;
            }
        }

        return false;
    }
}
