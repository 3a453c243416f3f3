using Microsoft.Extensions.Logging;
using Weft.Control.Storage;

namespace Weft.Control;

public sealed partial class ControlService
{
    /// <summary>The protocol error for a registration asking for tags its owner may not apply (Tailscale's wording).</summary>
    public static string RequestedTagsError(IEnumerable<string> refused) =>
        $"requested tags [{string.Join(", ", refused)}] are invalid or not permitted";

    /// <summary>
    /// Splits the tags a node asks for into those the tailnet's tagOwners let the requester apply and the rest.
    /// A tagged requester (<paramref name="heldTags"/> non-empty) speaks as its tags, not as the user who registered it.
    /// </summary>
    internal async Task<(IReadOnlyList<string> Granted, IReadOnlyList<string> Refused)> SortRequestedTagsAsync(
        long tailnetId, long userId, IReadOnlyList<string> heldTags, IReadOnlyList<string> requested, CancellationToken ct)
    {
        if (requested.Count == 0)
        {
            return ([], []);
        }

        var policy = Weft.Policy.Policy.Parse((await Store.GetPolicyAsync(tailnetId, ct).ConfigureAwait(false)).Text).Policy;
        var user = heldTags.Count > 0 ? null : await Store.GetUserAsync(userId, ct).ConfigureAwait(false);
        var granted = new List<string>();
        var refused = new List<string>();
        foreach (var tag in requested.Distinct(StringComparer.Ordinal))
        {
            var mayApply = policy is not null && (heldTags.Contains(tag, StringComparer.Ordinal)
                || (heldTags.Count > 0
                    ? policy.MayApplyTag(tag, null, Weft.Policy.PolicyRoles.Member, heldTags)
                    : user is not null && policy.MayApplyTag(tag, user.Login, user.Role)));
            (mayApply ? granted : refused).Add(tag);
        }

        return (granted, refused);
    }

    /// <summary>
    /// Applies the permitted requested tags to <paramref name="node"/> (a tagged node drops its user identity in
    /// policy) and logs the refused ones; returns the node as it should be stored.
    /// </summary>
    internal async Task<NodeRecord> ApplyRequestedTagsAsync(NodeRecord node, IReadOnlyList<string> requested, CancellationToken ct)
    {
        if (requested.Count == 0 || requested.All(t => node.Tags.Contains(t, StringComparer.Ordinal)))
        {
            return node;
        }

        var (granted, refused) = await SortRequestedTagsAsync(node.TailnetId, node.UserId, node.Tags, requested, ct).ConfigureAwait(false);
        if (refused.Count > 0)
        {
            LogRequestedTagsRefused(_logger, node.Name, node.Id, string.Join(",", refused));
        }

        var tags = node.Tags.Union(granted, StringComparer.Ordinal).ToList();
        return tags.Count == node.Tags.Count ? node : node with { Tags = tags };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "node {Name} ({Id}) asked for tags {Tags} that its owner may not apply; ignored")]
    private static partial void LogRequestedTagsRefused(ILogger logger, string name, long id, string tags);
}
