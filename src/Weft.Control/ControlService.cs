using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Control.Map;
using Weft.Control.Storage;
using Weft.Core.Control;

namespace Weft.Control;

/// <summary>
/// The server's state changes in one place: each writes to the store first, then tells the tailnet's live
/// map, so map streams never show what is not committed. Used by the control protocol and the REST API.
/// </summary>
/// <param name="ephemeralTimeout">How long an ephemeral node may be offline before it is deleted; defaults to 30 minutes.</param>
/// <param name="changes">The feed replicas sharing the store exchange changes on; null for a single server.</param>
public sealed partial class ControlService(IControlStore store, TimeProvider time, TimeSpan? ephemeralTimeout = null, ILogger? logger = null, IChangeFeed? changes = null) : IDisposable, IAsyncDisposable
{
    private readonly IChangeFeed? _changes = changes;

    private readonly TimeSpan _ephemeralTimeout = ephemeralTimeout ?? ControlConstants.DefaultEphemeralTimeout;
    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    /// <summary>_loadGate serialises loading a tailnet's map; _maps holds the loaded ones.</summary>
    private readonly SemaphoreSlim _loadGate = new(1, 1);
    private readonly ConcurrentDictionary<long, TailnetMap> _maps = new();

    /// <summary>_approvals wakes follow-ups waiting for a login; _approving holds the ids being approved right now, so two approvals make one node.</summary>
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _approvals = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _approving = new(StringComparer.Ordinal);

    public IControlStore Store { get; } = store;

    public TimeProvider Time { get; } = time;

    /// <summary>Stops every map's timers, so no expiry or ephemeral deletion runs against a closed store.</summary>
    public void Dispose()
    {
        foreach (var map in _maps.Values)
        {
            map.Dispose();
        }

        _loadGate.Dispose();
        _relayGate.Dispose();
    }

    /// <summary>Stops listening to the other replicas first, so no change is applied to a stopped map, then stops the maps.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_changes is not null)
        {
            await _changes.DisposeAsync().ConfigureAwait(false);
        }

        Dispose();
    }

    /// <summary>The live map of a tailnet, loaded from the store on first use.</summary>
    internal async Task<TailnetMap> MapAsync(long tailnetId, CancellationToken ct)
    {
        if (_maps.TryGetValue(tailnetId, out var map))
        {
            return map;
        }

        await _loadGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_maps.TryGetValue(tailnetId, out map))
            {
                return map;
            }

            var tailnet = await Store.GetTailnetAsync(tailnetId, ct).ConfigureAwait(false) ?? throw new KeyNotFoundException($"tailnet {tailnetId} does not exist");
            var policyText = (await Store.GetPolicyAsync(tailnetId, ct).ConfigureAwait(false)).Text;
            var parsed = Weft.Policy.Policy.Parse(policyText);
            var users = await Store.ListUsersAsync(tailnetId, ct).ConfigureAwait(false);
            var nodes = await Store.ListNodesAsync(tailnetId, ct).ConfigureAwait(false);
            var routes = await Store.ListRoutesAsync(tailnetId, ct).ConfigureAwait(false);
            var dns = DnsSettings.FromJson(await Store.GetDnsAsync(tailnetId, ct).ConfigureAwait(false));
            map = new TailnetMap(tailnet, parsed.Policy ?? Weft.Policy.Policy.Default, users, nodes, Time, _ephemeralTimeout,
                id => _ = DeleteEphemeralAsync(id), routes, dns);
            InitRelayMap(map);
            _maps[tailnetId] = map;
            return map;
        }
        finally
        {
            _loadGate.Release();
        }
    }

    /// <summary>Stores a changed node and pushes it to the nodes that see it.</summary>
    public async Task<bool> UpdateNodeAsync(NodeRecord node, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (!await Store.UpdateNodeAsync(node, ct).ConfigureAwait(false))
        {
            return false;
        }

        await UpsertInMapAsync(await MapAsync(node.TailnetId, ct).ConfigureAwait(false), node, ct).ConfigureAwait(false);
        await PublishAsync(new Change(ChangeKind.Node, node.TailnetId, node.Id), ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>Puts a stored node into a live map; a node back in the map (re-authorized, re-authenticated after expiry) gets its approved routes back too.</summary>
    private async Task UpsertInMapAsync(TailnetMap map, NodeRecord node, CancellationToken ct)
    {
        var known = map.Contains(node.Id);
        map.Upsert(node);
        if (!known && map.Contains(node.Id))
        {
            var routes = (await Store.ListRoutesAsync(node.TailnetId, ct).ConfigureAwait(false)).GetValueOrDefault(node.Id);
            if (routes is { Approved.Count: > 0 })
            {
                map.SetRoutes(node.Id, NetmapBuilder.ParseRoutes(routes.Approved));
            }
        }
    }

    /// <summary>Stores a node's routes and gives peers its new allowed IPs and filters.</summary>
    public async Task<bool> SetRoutesAsync(NodeRecord node, NodeRoutes routes, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(routes);
        if (!await Store.SetRoutesAsync(node.Id, routes, ct).ConfigureAwait(false))
        {
            return false;
        }

        (await MapAsync(node.TailnetId, ct).ConfigureAwait(false)).SetRoutes(node.Id, NetmapBuilder.ParseRoutes(routes.Approved));
        await PublishAsync(new Change(ChangeKind.Routes, node.TailnetId, node.Id), ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// A node reported the routes it can serve: approvals of routes it no longer offers lapse, and routes
    /// the policy's autoApprovers cover are approved at once; the rest wait for an admin.
    /// </summary>
    public async Task ReportRoutesAsync(NodeRecord node, IReadOnlyList<string> advertised, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(advertised);
        var offered = NetmapBuilder.ParseRoutes(advertised);
        var current = (await Store.ListRoutesAsync(node.TailnetId, ct).ConfigureAwait(false)).GetValueOrDefault(node.Id) ?? NodeRoutes.None;
        var map = await MapAsync(node.TailnetId, ct).ConfigureAwait(false);
        var approved = new List<string>();
        foreach (var route in offered)
        {
            var text = route.ToString();
            if (current.Approved.Contains(text) || map.AutoApproved(node, [route]).Count > 0)
            {
                approved.Add(text);
            }
        }

        var advertisedText = new List<string>(offered.Count);
        foreach (var route in offered)
        {
            advertisedText.Add(route.ToString());
        }

        if (!advertisedText.SequenceEqual(current.Advertised) || !approved.SequenceEqual(current.Approved))
        {
            await SetRoutesAsync(node, new NodeRoutes(advertisedText, approved), ct).ConfigureAwait(false);
        }
    }

    /// <summary>Changes a user's role; their nodes' policy identity (autogroup:admin) follows at once.</summary>
    public async Task<bool> SetUserRoleAsync(UserRecord user, string role, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (!await Store.SetUserRoleAsync(user.Id, role, ct).ConfigureAwait(false))
        {
            return false;
        }

        var map = await MapAsync(user.TailnetId, ct).ConfigureAwait(false);
        map.UpsertUser(user with { Role = role });
        foreach (var node in await Store.ListNodesAsync(user.TailnetId, ct).ConfigureAwait(false))
        {
            if (node.UserId == user.Id)
            {
                map.Upsert(node);
            }
        }

        await PublishAsync(new Change(ChangeKind.User, user.TailnetId, user.Id), ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>Stores a tailnet's DNS settings and sends them to every connected node.</summary>
    public async Task SetDnsAsync(long tailnetId, DnsSettings dns, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(dns);
        await Store.SetDnsAsync(tailnetId, dns.ToJson(), ct).ConfigureAwait(false);
        (await MapAsync(tailnetId, ct).ConfigureAwait(false)).SetDns(dns);
        await PublishAsync(new Change(ChangeKind.Dns, tailnetId), ct).ConfigureAwait(false);
    }

    /// <summary>Stores a node's new endpoints (and disco key) and patches just its peers.</summary>
    public async Task UpdateEndpointsAsync(NodeRecord node, IReadOnlyList<string>? endpoints, string? discoKey, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        var updated = node with { Endpoints = endpoints ?? node.Endpoints, DiscoKey = discoKey ?? node.DiscoKey, LastSeen = Time.GetUtcNow() };
        await Store.UpdateNodeAsync(updated, ct).ConfigureAwait(false);
        (await MapAsync(node.TailnetId, ct).ConfigureAwait(false)).Patch(node.Id, endpoints, discoKey);
        // Key says which parts changed ("e" endpoints, "d" disco key), so other replicas patch just those.
        await PublishAsync(new Change(ChangeKind.NodePatch, node.TailnetId, node.Id, (endpoints is null ? "" : "e") + (discoKey is null ? "" : "d")), ct).ConfigureAwait(false);
    }

    /// <summary>Deletes a node; peers drop it and its own stream ends at once.</summary>
    public async Task<bool> DeleteNodeAsync(NodeRecord node, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (!await Store.DeleteNodeAsync(node.Id, ct).ConfigureAwait(false))
        {
            return false;
        }

        (await MapAsync(node.TailnetId, ct).ConfigureAwait(false)).Remove(node.Id);
        await PublishAsync(new Change(ChangeKind.NodeRemoved, node.TailnetId, node.Id), ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>Deletes an ephemeral node that stayed offline for the timeout; failures are logged, the node stays until the next start.</summary>
    internal async Task DeleteEphemeralAsync(long nodeId)
    {
        try
        {
            var node = await Store.GetNodeAsync(nodeId).ConfigureAwait(false);
            if (node is { Ephemeral: true } && await DeleteNodeAsync(node).ConfigureAwait(false))
            {
                LogEphemeralDeleted(_logger, node.Name, nodeId);
            }
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or ObjectDisposedException)
        {
            LogEphemeralDeleteFailed(_logger, nodeId, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "ephemeral node {Name} ({Id}) deleted after staying offline")]
    private static partial void LogEphemeralDeleted(ILogger logger, string name, long id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not delete offline ephemeral node {Id}: {Reason}")]
    private static partial void LogEphemeralDeleteFailed(ILogger logger, long id, string reason);

    /// <summary>Creates a node and announces it.</summary>
    public async Task<NodeRecord> CreateNodeAsync(NewNode node, CancellationToken ct = default)
    {
        var created = await Store.CreateNodeAsync(node, Time.GetUtcNow(), ct).ConfigureAwait(false);
        (await MapAsync(created.TailnetId, ct).ConfigureAwait(false)).Upsert(created);
        await PublishAsync(new Change(ChangeKind.Node, created.TailnetId, created.Id), ct).ConfigureAwait(false);
        return created;
    }

    /// <summary>
    /// Validates a policy, runs its tests against the tailnet's nodes and users, and saves it only if both
    /// pass. Returns the problems (with line and column) or an empty list when saved.
    /// </summary>
    public async Task<IReadOnlyList<string>> SetPolicyAsync(long tailnetId, string text, long? userId, bool save, CancellationToken ct = default)
    {
        var parsed = Weft.Policy.Policy.Parse(text);
        if (!parsed.Success)
        {
            return [.. parsed.Errors.Select(e => e.ToString())];
        }

        var users = await Store.ListUsersAsync(tailnetId, ct).ConfigureAwait(false);
        var byId = users.ToDictionary(u => u.Id);
        var nodes = await Store.ListNodesAsync(tailnetId, ct).ConfigureAwait(false);
        var policyNodes = nodes.Select(n => NetmapBuilder.ToPolicy(n, byId.GetValueOrDefault(n.UserId))).ToList();
        var tests = parsed.Policy.RunTests(policyNodes, [.. users.Select(u => new Weft.Policy.PolicyUser(u.Login, u.Role))]);
        if (!tests.Passed)
        {
            return [.. tests.Failures.Select(f => f.ToString())];
        }

        if (save)
        {
            await Store.SetPolicyAsync(tailnetId, text, userId, Time.GetUtcNow(), ct).ConfigureAwait(false);
            (await MapAsync(tailnetId, ct).ConfigureAwait(false)).SetPolicy(parsed.Policy);
            await PublishAsync(new Change(ChangeKind.Policy, tailnetId), ct).ConfigureAwait(false);
        }

        return [];
    }

    /// <summary>
    /// Remembers an interactive registration in the store until an admin approves it (or it expires), so
    /// its login URL works after a restart and on every replica; returns it with the id for the URL.
    /// </summary>
    internal async Task<PendingRecord> AddPendingAsync(string machineKey, RegisterRequest request, CancellationToken ct)
    {
        var now = Time.GetUtcNow();
        var pending = new PendingRecord(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), machineKey, request.NodeKey, request.HostInfo.Hostname,
            NetmapBuilder.HostInfoJson(request.HostInfo), request.Ephemeral, DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds()),
            DateTimeOffset.FromUnixTimeMilliseconds((now + ControlConstants.PendingRegistrationLifetime).ToUnixTimeMilliseconds()), NodeId: null);
        await Store.CreatePendingAsync(pending, ct).ConfigureAwait(false);
        return pending;
    }

    /// <summary>The pending registration with this id while it is usable (approved, or unexpired), or null.</summary>
    internal async Task<PendingRecord?> GetPendingAsync(string id, CancellationToken ct)
    {
        var pending = await Store.GetPendingAsync(id, ct).ConfigureAwait(false);
        return pending is null || (pending.NodeId is null && pending.Expires <= Time.GetUtcNow()) ? null : pending;
    }

    /// <summary>
    /// Waits until the registration <paramref name="id"/> is approved here (or, with replicas, announced by
    /// another server), or <paramref name="ct"/> ends. Callers check the store after subscribing, so an
    /// approval between their check and this wait is not missed.
    /// </summary>
    internal Task WaitForApprovalAsync(string id, CancellationToken ct)
    {
        var signal = _approvals.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        return signal.Task.WaitAsync(ct);
    }

    /// <summary>Wakes the follow-ups waiting on <paramref name="id"/>.</summary>
    internal void SignalApproval(string id)
    {
        if (_approvals.TryRemove(id, out var signal))
        {
            signal.TrySetResult();
        }
    }

    /// <summary>
    /// An admin approves an interactive registration as <paramref name="user"/>: the node is created (or, for a
    /// device that logged in as this user before, renewed) and the waiting client answered. Null when the id
    /// is unknown, expired, approved already, or being approved by a concurrent call.
    /// </summary>
    public async Task<NodeRecord?> ApprovePendingAsync(string id, UserRecord user, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (!_approving.TryAdd(id, 0))
        {
            return null;
        }

        try
        {
            var pending = await GetPendingAsync(id, ct).ConfigureAwait(false);
            if (pending is null || pending.NodeId is not null)
            {
                return null;
            }

            var tailnet = await Store.GetTailnetAsync(user.TailnetId, ct).ConfigureAwait(false);
            var expiry = tailnet!.KeyExpiryDays > 0 ? Time.GetUtcNow().AddDays(tailnet.KeyExpiryDays) : (DateTimeOffset?)null;
            // A device that logged in as this user before (its key expired, or a crash came between creating
            // the node and recording the approval) keeps its node: identity, name and addresses.
            var existing = await Store.GetNodeByMachineAsync(user.TailnetId, pending.MachineKey, user.Id, ct).ConfigureAwait(false);
            NodeRecord node;
            if (existing is not null)
            {
                node = existing with
                {
                    NodeKey = pending.NodeKey,
                    HostInfo = pending.HostInfo,
                    KeyExpiry = expiry,
                    Authorized = true,
                    LastSeen = Time.GetUtcNow(),
                };
                await UpdateNodeAsync(node, ct).ConfigureAwait(false);
            }
            else
            {
                node = await CreateNodeAsync(new NewNode(user.TailnetId, user.Id, pending.MachineKey, pending.NodeKey, "", pending.Hostname,
                    pending.HostInfo, [], expiry, pending.Ephemeral, Authorized: true), ct).ConfigureAwait(false);
            }

            // The approving user is the owner the requested tags are checked against; refused ones are logged.
            var tagged = await ApplyRequestedTagsAsync(node, NetmapBuilder.ParseHostInfo(pending.HostInfo).RequestTags, ct).ConfigureAwait(false);
            if (!ReferenceEquals(tagged, node))
            {
                node = tagged;
                await UpdateNodeAsync(node, ct).ConfigureAwait(false);
            }

            if (!await Store.CompletePendingAsync(id, node.Id, ct).ConfigureAwait(false))
            {
                return null;
            }

            SignalApproval(id);
            await PublishAsync(new Change(ChangeKind.Registration, node.TailnetId, Key: id), ct).ConfigureAwait(false);
            return node;
        }
        finally
        {
            _approving.TryRemove(id, out _);
        }
    }
}
