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
public sealed partial class ControlService(IControlStore store, TimeProvider time, TimeSpan? ephemeralTimeout = null, ILogger? logger = null) : IDisposable
{
    private readonly TimeSpan _ephemeralTimeout = ephemeralTimeout ?? ControlConstants.DefaultEphemeralTimeout;
    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    /// <summary>_loadGate serialises loading a tailnet's map; _maps holds the loaded ones.</summary>
    private readonly SemaphoreSlim _loadGate = new(1, 1);
    private readonly ConcurrentDictionary<long, TailnetMap> _maps = new();
    private readonly ConcurrentDictionary<string, PendingRegistration> _pending = new(StringComparer.Ordinal);

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

        var map = await MapAsync(node.TailnetId, ct).ConfigureAwait(false);
        var known = map.Contains(node.Id);
        map.Upsert(node);
        if (!known && map.Contains(node.Id))
        {
            // Back in the map (re-authorized or re-authenticated after expiry): its approved routes come back too.
            var routes = (await Store.ListRoutesAsync(node.TailnetId, ct).ConfigureAwait(false)).GetValueOrDefault(node.Id);
            if (routes is { Approved.Count: > 0 })
            {
                map.SetRoutes(node.Id, NetmapBuilder.ParseRoutes(routes.Approved));
            }
        }

        return true;
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

        return true;
    }

    /// <summary>Stores a tailnet's DNS settings and sends them to every connected node.</summary>
    public async Task SetDnsAsync(long tailnetId, DnsSettings dns, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(dns);
        await Store.SetDnsAsync(tailnetId, dns.ToJson(), ct).ConfigureAwait(false);
        (await MapAsync(tailnetId, ct).ConfigureAwait(false)).SetDns(dns);
    }

    /// <summary>Stores a node's new endpoints (and disco key) and patches just its peers.</summary>
    public async Task UpdateEndpointsAsync(NodeRecord node, IReadOnlyList<string>? endpoints, string? discoKey, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        var updated = node with { Endpoints = endpoints ?? node.Endpoints, DiscoKey = discoKey ?? node.DiscoKey, LastSeen = Time.GetUtcNow() };
        await Store.UpdateNodeAsync(updated, ct).ConfigureAwait(false);
        (await MapAsync(node.TailnetId, ct).ConfigureAwait(false)).Patch(node.Id, endpoints, discoKey);
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
        }

        return [];
    }

    /// <summary>Remembers an interactive registration until an admin approves it; returns its id for the login URL.</summary>
    internal PendingRegistration AddPending(string machineKey, RegisterRequest request)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var pending = new PendingRegistration(id, machineKey, request);
        _pending[id] = pending;
        return pending;
    }

    /// <summary>The pending registration with this id, or null.</summary>
    internal PendingRegistration? GetPending(string id) => _pending.GetValueOrDefault(id);

    /// <summary>An admin approves an interactive registration as <paramref name="user"/>: the node is created and the waiting client answered.</summary>
    public async Task<NodeRecord?> ApprovePendingAsync(string id, UserRecord user, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        // The entry stays so a follow-up that arrives after the approval still gets its answer.
        if (!_pending.TryGetValue(id, out var pending) || !pending.TryClaim())
        {
            return null;
        }

        var tailnet = await Store.GetTailnetAsync(user.TailnetId, ct).ConfigureAwait(false);
        var expiry = tailnet!.KeyExpiryDays > 0 ? Time.GetUtcNow().AddDays(tailnet.KeyExpiryDays) : (DateTimeOffset?)null;
        // A device that logged in as this user before (its key expired, say) keeps its node: identity, name and addresses.
        var existing = await Store.GetNodeByMachineAsync(user.TailnetId, pending.MachineKey, user.Id, ct).ConfigureAwait(false);
        NodeRecord node;
        if (existing is not null)
        {
            node = existing with
            {
                NodeKey = pending.Request.NodeKey,
                HostInfo = NetmapBuilder.HostInfoJson(pending.Request.HostInfo),
                KeyExpiry = expiry,
                Authorized = true,
                LastSeen = Time.GetUtcNow(),
            };
            await UpdateNodeAsync(node, ct).ConfigureAwait(false);
        }
        else
        {
            node = await CreateNodeAsync(new NewNode(user.TailnetId, user.Id, pending.MachineKey, pending.Request.NodeKey, "", pending.Request.HostInfo.Hostname,
                NetmapBuilder.HostInfoJson(pending.Request.HostInfo), [], expiry, pending.Request.Ephemeral, Authorized: true), ct).ConfigureAwait(false);
        }

        pending.Approved.TrySetResult((node, user));
        return node;
    }
}

/// <summary>An interactive registration waiting for an admin; <see cref="Approved"/> completes when one approves it.</summary>
internal sealed class PendingRegistration(string id, string machineKey, RegisterRequest request)
{
    public string Id { get; } = id;

    public string MachineKey { get; } = machineKey;

    public RegisterRequest Request { get; } = request;

    public TaskCompletionSource<(NodeRecord Node, UserRecord User)> Approved { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>_claimed is 1 once an admin approved; set with Interlocked so two approvals create one node.</summary>
    private int _claimed;

    /// <summary>True for the first caller only.</summary>
    public bool TryClaim() => Interlocked.Exchange(ref _claimed, 1) == 0;
}
