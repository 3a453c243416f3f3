using Weft.Control.Map;
using Weft.Control.Storage;

namespace Weft.Control;

/// <summary>
/// Replicas sharing one database: each change this server commits is announced on the change feed, and the
/// other replicas' changes are read back from the store into the live maps loaded here. Maps not loaded yet
/// need nothing: they load the current state when first used.
/// </summary>
public sealed partial class ControlService
{
    /// <summary>Starts applying the other replicas' changes; does nothing without a feed.</summary>
    public Task StartReplicationAsync(CancellationToken ct = default) =>
        _changes is null ? Task.CompletedTask : _changes.StartAsync(ApplyChangeAsync, ResyncAsync, ct);

    /// <summary>Announces a committed change; a failure is logged, not thrown, because the change itself is committed.</summary>
    private async Task PublishAsync(Change change, CancellationToken ct)
    {
        OnTailnetChanged(change.TailnetId);
        if (_changes is null)
        {
            return;
        }

        try
        {
            await _changes.PublishAsync(change, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
        {
            LogPublishFailed(_logger, change.Kind, change.TailnetId, e.Message);
        }
    }

    /// <summary>Brings the loaded map of the change's tailnet up to date with what another replica committed.</summary>
    internal async Task ApplyChangeAsync(Change change, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (change.Kind == ChangeKind.Registration)
        {
            SignalApproval(change.Key ?? "");
            return;
        }

        if (change.Kind == ChangeKind.RelayMap)
        {
            await ReloadRelayMapAsync(ct).ConfigureAwait(false);
            return;
        }

        if (!_maps.TryGetValue(change.TailnetId, out var map))
        {
            return;
        }

        switch (change.Kind)
        {
            case ChangeKind.Node:
            case ChangeKind.NodePatch:
                var node = await Store.GetNodeAsync(change.Id, ct).ConfigureAwait(false);
                if (node is null)
                {
                    map.Remove(change.Id);
                }
                else if (change.Kind == ChangeKind.NodePatch && map.Contains(node.Id))
                {
                    var parts = change.Key ?? "ed";
                    map.Patch(node.Id, parts.Contains('e', StringComparison.Ordinal) ? node.Endpoints : null, parts.Contains('d', StringComparison.Ordinal) ? node.DiscoKey : null);
                }
                else
                {
                    if (await Store.GetUserAsync(node.UserId, ct).ConfigureAwait(false) is { } owner)
                    {
                        map.UpsertUser(owner);
                    }

                    await UpsertInMapAsync(map, node, ct).ConfigureAwait(false);
                }

                break;
            case ChangeKind.NodeRemoved:
                map.Remove(change.Id);
                break;
            case ChangeKind.Routes:
                var routes = (await Store.ListRoutesAsync(change.TailnetId, ct).ConfigureAwait(false)).GetValueOrDefault(change.Id) ?? NodeRoutes.None;
                map.SetRoutes(change.Id, NetmapBuilder.ParseRoutes(routes.Approved));
                break;
            case ChangeKind.Policy:
                map.SetPolicy(await LoadPolicyAsync(change.TailnetId, ct).ConfigureAwait(false));
                break;
            case ChangeKind.Dns:
                map.SetDns(DnsSettings.FromJson(await Store.GetDnsAsync(change.TailnetId, ct).ConfigureAwait(false)));
                break;
            case ChangeKind.Tailnet:
                if (await Store.GetTailnetAsync(change.TailnetId, ct).ConfigureAwait(false) is { } tailnet)
                {
                    map.SetTailnet(tailnet);
                }

                break;
            case ChangeKind.User:
                if (await Store.GetUserAsync(change.Id, ct).ConfigureAwait(false) is not { } user)
                {
                    // Removed: its nodes came as removals of their own.
                    map.RemoveUser(change.Id);
                }
                else
                {
                    map.UpsertUser(user);
                    foreach (var n in await Store.ListNodesAsync(user.TailnetId, ct).ConfigureAwait(false))
                    {
                        if (n.UserId == user.Id)
                        {
                            map.Upsert(n);
                        }
                    }
                }

                break;
            default:
                LogUnknownChange(_logger, change.Kind);
                break;
        }

        OnTailnetChanged(change.TailnetId);
    }

    /// <summary>
    /// Re-reads the relay map and every loaded tailnet from the store after the feed may have lost changes: settings,
    /// policy, DNS, users, nodes (dropping those gone) and routes. Costs a full pass, so it runs only after a gap.
    /// </summary>
    internal async Task ResyncAsync(CancellationToken ct)
    {
        await ReloadRelayMapAsync(ct).ConfigureAwait(false);
        foreach (var (tailnetId, map) in _maps)
        {
            if (await Store.GetTailnetAsync(tailnetId, ct).ConfigureAwait(false) is not { } tailnet)
            {
                continue;
            }

            map.SetTailnet(tailnet);
            map.SetPolicy(await LoadPolicyAsync(tailnetId, ct).ConfigureAwait(false));
            map.SetDns(DnsSettings.FromJson(await Store.GetDnsAsync(tailnetId, ct).ConfigureAwait(false)));
            var users = await Store.ListUsersAsync(tailnetId, ct).ConfigureAwait(false);
            foreach (var user in users)
            {
                map.UpsertUser(user);
            }

            var userIds = users.Select(u => u.Id).ToHashSet();
            foreach (var id in map.UserIds())
            {
                if (!userIds.Contains(id))
                {
                    map.RemoveUser(id);
                }
            }

            var nodes = await Store.ListNodesAsync(tailnetId, ct).ConfigureAwait(false);
            var present = nodes.Select(n => n.Id).ToHashSet();
            foreach (var id in map.NodeIds())
            {
                if (!present.Contains(id))
                {
                    map.Remove(id);
                }
            }

            var routes = await Store.ListRoutesAsync(tailnetId, ct).ConfigureAwait(false);
            foreach (var node in nodes)
            {
                map.Upsert(node);
                map.SetRoutes(node.Id, NetmapBuilder.ParseRoutes((routes.GetValueOrDefault(node.Id) ?? NodeRoutes.None).Approved));
            }

            OnTailnetChanged(tailnetId);
        }

        LogResynced(_logger, _maps.Count);
    }

    /// <summary>The tailnet's current policy; a stored policy always parsed when saved, the default stands in if it no longer does.</summary>
    private async Task<Weft.Policy.Policy> LoadPolicyAsync(long tailnetId, CancellationToken ct)
    {
        var parsed = Weft.Policy.Policy.Parse((await Store.GetPolicyAsync(tailnetId, ct).ConfigureAwait(false)).Text);
        return parsed.Policy ?? Weft.Policy.Policy.Default;
    }
}
