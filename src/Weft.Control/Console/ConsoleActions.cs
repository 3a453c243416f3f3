using Weft.Control.Api;
using Weft.Control.Identity;
using Weft.Control.Map;
using Weft.Control.Storage;
using Weft.Core.Control;
using Weft.Policy;

namespace Weft.Control.Console;

/// <summary>
/// Everything the console does, through the same <see cref="ControlService"/> the REST API uses, with the
/// role checks made here on the server for every call: owners and admins manage the tailnet; a member sees
/// and manages only their own machines. Pages call only this.
/// </summary>
public sealed partial class ConsoleActions(ConsoleSession session, ControlService service)
{
    /// <summary>The machines the user may see (all of the tailnet for admins, their own for members), by name.</summary>
    public async Task<List<MachineRow>> MachinesAsync(CancellationToken ct = default)
    {
        var me = await session.UserAsync(ct).ConfigureAwait(false);
        var users = (await service.Store.ListUsersAsync(me.TailnetId, ct).ConfigureAwait(false)).ToDictionary(u => u.Id);
        var map = await service.MapAsync(me.TailnetId, ct).ConfigureAwait(false);
        var now = service.Time.GetUtcNow();
        var rows = new List<MachineRow>();
        foreach (var n in await service.Store.ListNodesAsync(me.TailnetId, ct).ConfigureAwait(false))
        {
            if (PolicyRoles.IsAdmin(me.Role) || n.UserId == me.Id)
            {
                rows.Add(new MachineRow(n, users.GetValueOrDefault(n.UserId)?.Login ?? "", HostOf(n), map.IsOnline(n.Id), n.IsExpired(now)));
            }
        }

        rows.Sort((a, b) => string.CompareOrdinal(a.Node.Name, b.Node.Name));
        return rows;
    }

    /// <summary>One machine the user may see.</summary>
    /// <exception cref="ConsoleDeniedException">It does not exist, is of another tailnet, or (for a member) is not theirs.</exception>
    public async Task<MachineRow> MachineAsync(long id, CancellationToken ct = default)
    {
        var me = await session.UserAsync(ct).ConfigureAwait(false);
        var node = await VisibleNodeAsync(me, id, ct).ConfigureAwait(false);
        var owner = await service.Store.GetUserAsync(node.UserId, ct).ConfigureAwait(false);
        var map = await service.MapAsync(me.TailnetId, ct).ConfigureAwait(false);
        return new MachineRow(node, owner?.Login ?? "", HostOf(node), map.IsOnline(node.Id), node.IsExpired(service.Time.GetUtcNow()));
    }

    /// <summary>What the machine may reach under the current policy.</summary>
    public async Task<List<ApiReach>> ReachableAsync(long id, CancellationToken ct = default)
    {
        var me = await session.UserAsync(ct).ConfigureAwait(false);
        var node = await VisibleNodeAsync(me, id, ct).ConfigureAwait(false);
        var (policy, nodes) = (await service.MapAsync(me.TailnetId, ct).ConfigureAwait(false)).Snapshot();
        var subject = nodes.Find(n => n.Id == node.Id);
        return subject is null ? [] : PolicyPreview.Reachable(policy, nodes, subject, await NamesAsync(me.TailnetId, ct).ConfigureAwait(false));
    }

    /// <summary>Renames a machine (its MagicDNS name). Returns a problem, or null when done.</summary>
    public async Task<string?> RenameAsync(long id, string name, CancellationToken ct = default)
    {
        var me = await session.UserAsync(ct).ConfigureAwait(false);
        var node = await VisibleNodeAsync(me, id, ct).ConfigureAwait(false);
        name = name.Trim();
        if (!MachineName.IsValid(name))
        {
            return $"'{name}' is not a machine name: lower-case letters, digits and inner hyphens, at most {ControlConstants.MaxMachineNameLength} characters";
        }

        try
        {
            await service.UpdateNodeAsync(node with { Name = name }, ct).ConfigureAwait(false);
            return null;
        }
        catch (InvalidOperationException)
        {
            return $"the name '{name}' is taken in this tailnet";
        }
    }

    /// <summary>Replaces a machine's tags (admins; each tag must be one the policy lets them apply). Returns a problem, or null.</summary>
    public async Task<string?> SetTagsAsync(long id, IReadOnlyList<string> tags, CancellationToken ct = default)
    {
        var me = await session.AdminAsync(ct).ConfigureAwait(false);
        var node = await VisibleNodeAsync(me, id, ct).ConfigureAwait(false);
        var problem = await CheckTagsAsync(me, tags, ct).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        await service.UpdateNodeAsync(node with { Tags = tags }, ct).ConfigureAwait(false);
        return null;
    }

    /// <summary>Expires the machine's key now: it must log in again (its own user or an admin).</summary>
    public async Task ExpireKeyAsync(long id, CancellationToken ct = default)
    {
        var me = await session.UserAsync(ct).ConfigureAwait(false);
        var node = await VisibleNodeAsync(me, id, ct).ConfigureAwait(false);
        await service.UpdateNodeAsync(node with { KeyExpiry = service.Time.GetUtcNow() }, ct).ConfigureAwait(false);
    }

    /// <summary>Turns key expiry off, or back on with a fresh lifetime of the tailnet's length (admins).</summary>
    public async Task SetKeyExpiryDisabledAsync(long id, bool disabled, CancellationToken ct = default)
    {
        var me = await session.AdminAsync(ct).ConfigureAwait(false);
        var node = await VisibleNodeAsync(me, id, ct).ConfigureAwait(false);
        DateTimeOffset? expiry = null;
        if (!disabled)
        {
            var tailnet = await service.Store.GetTailnetAsync(node.TailnetId, ct).ConfigureAwait(false);
            expiry = node.KeyExpiry ?? (tailnet is { KeyExpiryDays: > 0 } t ? service.Time.GetUtcNow().AddDays(t.KeyExpiryDays) : null);
        }

        await service.UpdateNodeAsync(node with { KeyExpiry = expiry }, ct).ConfigureAwait(false);
    }

    /// <summary>Approves (or revokes approval of) a machine (admins).</summary>
    public async Task SetAuthorizedAsync(long id, bool authorized, CancellationToken ct = default)
    {
        var me = await session.AdminAsync(ct).ConfigureAwait(false);
        var node = await VisibleNodeAsync(me, id, ct).ConfigureAwait(false);
        await service.UpdateNodeAsync(node with { Authorized = authorized }, ct).ConfigureAwait(false);
    }

    /// <summary>Removes a machine from the tailnet (its own user or an admin).</summary>
    public async Task RemoveAsync(long id, CancellationToken ct = default)
    {
        var me = await session.UserAsync(ct).ConfigureAwait(false);
        var node = await VisibleNodeAsync(me, id, ct).ConfigureAwait(false);
        await service.DeleteNodeAsync(node, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The node's host info with every text present: the source-generated reader leaves a field the node left out
    /// null despite its "" default, and a page must not fail on a node that reports less.
    /// </summary>
    internal static HostInfo HostOf(NodeRecord node)
    {
        var h = NetmapBuilder.ParseHostInfo(node.HostInfo);
        return h with
        {
            Hostname = h.Hostname ?? "",
            OS = h.OS ?? "",
            ClientVersion = h.ClientVersion ?? "",
            RoutableIPs = h.RoutableIPs ?? [],
            RequestTags = h.RequestTags ?? [],
            NetInfo = h.NetInfo is { } net ? net with { HomeRelay = net.HomeRelay ?? "", PortMapping = net.PortMapping ?? "" } : null,
        };
    }

    /// <summary>The node when <paramref name="me"/> may see it; anything else reads as "not found", so ids do not leak.</summary>
    private async Task<NodeRecord> VisibleNodeAsync(UserRecord me, long id, CancellationToken ct)
    {
        var node = await service.Store.GetNodeAsync(id, ct).ConfigureAwait(false);
        return node is not null && node.TailnetId == me.TailnetId && (PolicyRoles.IsAdmin(me.Role) || node.UserId == me.Id)
            ? node
            : throw new ConsoleDeniedException($"machine {id} not found");
    }

    private async Task<string?> CheckTagsAsync(UserRecord me, IReadOnlyList<string> tags, CancellationToken ct)
    {
        if (tags.Count == 0)
        {
            return null;
        }

        var policy = Weft.Policy.Policy.Parse((await service.Store.GetPolicyAsync(me.TailnetId, ct).ConfigureAwait(false)).Text).Policy;
        foreach (var tag in tags)
        {
            if (policy is null || !policy.MayApplyTag(tag, me.Login, me.Role))
            {
                return $"tag '{tag}' is not defined in tagOwners or you do not own it";
            }
        }

        return null;
    }

    private async Task<Func<long, string>> NamesAsync(long tailnetId, CancellationToken ct)
    {
        var names = new Dictionary<long, string>();
        foreach (var n in await service.Store.ListNodesAsync(tailnetId, ct).ConfigureAwait(false))
        {
            names[n.Id] = n.Name;
        }

        return id => names.GetValueOrDefault(id) ?? "";
    }
}
