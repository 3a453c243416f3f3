using System.Data.Common;
using System.Net;
using Weft.Control.Identity;

namespace Weft.Control.Storage;

public abstract partial class SqlControlStore
{
    private const string NodeColumns =
        "id, tailnet_id, user_id, machine_key, node_key, disco_key, name, hostinfo, ipv4, ipv6, tags, endpoints, created, last_seen, key_expiry, ephemeral, authorized";

    public Task<NodeRecord> CreateNodeAsync(NewNode node, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        var baseName = MachineName.Sanitize(node.Hostname);
        return WriteAsync(async (c, tx) =>
        {
            // From here to commit, registrations take turns (see LockAllocationAsync), so MAX(ipv4_num) and the taken names are current.
            await LockAllocationAsync(c, tx, ct).ConfigureAwait(false);
            var offset = await AllocateIPv4Async(c, tx, ct).ConfigureAwait(false);
            var name = await FreeNameAsync(c, tx, node.TailnetId, baseName, ct).ConfigureAwait(false);
            var ipv4 = AddressPlan.IPv4(offset);
            var ipv6 = AddressPlan.IPv6(UlaPrefix, offset);
            var id = (long)(await ScalarAsync(c, tx,
                "INSERT INTO nodes (tailnet_id, user_id, machine_key, node_key, disco_key, name, hostinfo, ipv4, ipv4_num, ipv6, tags, endpoints, created, last_seen, key_expiry, ephemeral, authorized) " +
                "VALUES (@tn, @u, @mk, @nk, @dk, @name, @hi, @v4, @num, @v6, @tags, '[]', @t, @t, @exp, @eph, @auth) RETURNING id", ct,
                ("tn", node.TailnetId), ("u", node.UserId), ("mk", node.MachineKey), ("nk", node.NodeKey), ("dk", node.DiscoKey), ("name", name),
                ("hi", node.HostInfo), ("v4", ipv4.ToString()), ("num", offset), ("v6", ipv6.ToString()), ("tags", Json(node.Tags)), ("t", Ms(now)),
                ("exp", node.KeyExpiry is { } e ? Ms(e) : null), ("eph", Flag(node.Ephemeral)), ("auth", Flag(node.Authorized))).ConfigureAwait(false))!;
            return new NodeRecord
            {
                Id = id,
                TailnetId = node.TailnetId,
                UserId = node.UserId,
                MachineKey = node.MachineKey,
                NodeKey = node.NodeKey,
                DiscoKey = node.DiscoKey,
                Name = name,
                HostInfo = node.HostInfo,
                IPv4 = ipv4,
                IPv6 = ipv6,
                Tags = node.Tags,
                Endpoints = [],
                Created = Stored(now),
                LastSeen = Stored(now),
                KeyExpiry = node.KeyExpiry is { } k ? Stored(k) : null,
                Ephemeral = node.Ephemeral,
                Authorized = node.Authorized,
            };
        }, ct);
    }

    public async Task<NodeRecord?> GetNodeAsync(long id, CancellationToken ct = default) =>
        (await QueryAsync($"SELECT {NodeColumns} FROM nodes WHERE id = @id", ReadNode, ct, ("id", id)).ConfigureAwait(false)).FirstOrDefault();

    public async Task<NodeRecord?> GetNodeByNodeKeyAsync(string nodeKey, CancellationToken ct = default) =>
        (await QueryAsync($"SELECT {NodeColumns} FROM nodes WHERE node_key = @k", ReadNode, ct, ("k", nodeKey)).ConfigureAwait(false)).FirstOrDefault();

    public async Task<NodeRecord?> GetNodeByMachineAsync(long tailnetId, string machineKey, long userId, CancellationToken ct = default) =>
        (await QueryAsync($"SELECT {NodeColumns} FROM nodes WHERE tailnet_id = @tn AND machine_key = @mk AND user_id = @u ORDER BY id LIMIT 1", ReadNode, ct,
            ("tn", tailnetId), ("mk", machineKey), ("u", userId)).ConfigureAwait(false)).FirstOrDefault();

    public async Task<IReadOnlyList<NodeRecord>> ListNodesAsync(long? tailnetId, CancellationToken ct = default) =>
        tailnetId is { } tn
            ? await QueryAsync($"SELECT {NodeColumns} FROM nodes WHERE tailnet_id = @tn ORDER BY id", ReadNode, ct, ("tn", tn)).ConfigureAwait(false)
            : await QueryAsync($"SELECT {NodeColumns} FROM nodes ORDER BY id", ReadNode, ct).ConfigureAwait(false);

    public Task<bool> UpdateNodeAsync(NodeRecord node, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        return WriteAsync(async (c, tx) =>
        {
            // A rename racing another replica's rename or registration passes this check and then hits the
            // unique constraint; a retrying store comes back here and reports the clash.
            var clash = await ScalarAsync(c, tx, "SELECT id FROM nodes WHERE tailnet_id = @tn AND name = @n AND id <> @id", ct,
                ("tn", node.TailnetId), ("n", node.Name), ("id", node.Id)).ConfigureAwait(false);
            if (clash is not null)
            {
                throw new InvalidOperationException($"machine name '{node.Name}' is taken in this tailnet");
            }

            return await ExecAsync(c, tx,
                "UPDATE nodes SET node_key = @nk, disco_key = @dk, name = @name, hostinfo = @hi, tags = @tags, endpoints = @ep, last_seen = @seen, " +
                "key_expiry = @exp, ephemeral = @eph, authorized = @auth WHERE id = @id", ct,
                ("nk", node.NodeKey), ("dk", node.DiscoKey), ("name", node.Name), ("hi", node.HostInfo), ("tags", Json(node.Tags)), ("ep", Json(node.Endpoints)),
                ("seen", Ms(node.LastSeen)), ("exp", node.KeyExpiry is { } e ? Ms(e) : null), ("eph", Flag(node.Ephemeral)), ("auth", Flag(node.Authorized)),
                ("id", node.Id)).ConfigureAwait(false) == 1;
        }, ct);
    }

    public Task<bool> DeleteNodeAsync(long id, CancellationToken ct = default) =>
        WriteAsync(async (c, tx) => await ExecAsync(c, tx, "DELETE FROM nodes WHERE id = @id", ct, ("id", id)).ConfigureAwait(false) == 1, ct);

    /// <summary>
    /// The next usable offset above the highest in use, so a deleted node's address is not handed out again
    /// soon; once the top of the range is taken, the lowest free gap. Caller holds the allocation lock (LockAllocationAsync).
    /// </summary>
    private static async Task<long> AllocateIPv4Async(DbConnection c, DbTransaction tx, CancellationToken ct)
    {
        var highest = (long)(await ScalarAsync(c, tx, "SELECT COALESCE(MAX(ipv4_num), 0) FROM nodes", ct).ConfigureAwait(false))!;
        var next = AddressPlan.NextUsable(highest + 1);
        if (next > 0)
        {
            return next;
        }

        // Candidates: the first offset, and the offset just above every node whose upper neighbour is free.
        var candidates = await QueryAsync(c, tx,
            "SELECT n.ipv4_num + 1 FROM nodes n WHERE NOT EXISTS (SELECT 1 FROM nodes m WHERE m.ipv4_num = n.ipv4_num + 1) ORDER BY 1",
            r => r.GetInt64(0), ct).ConfigureAwait(false);
        candidates.Insert(0, 1);
        foreach (var candidate in candidates)
        {
            var offset = AddressPlan.NextUsable(candidate);
            if (offset > 0 && await ScalarAsync(c, tx, "SELECT 1 FROM nodes WHERE ipv4_num = @o", ct, ("o", offset)).ConfigureAwait(false) is null)
            {
                return offset;
            }
        }

        throw new InvalidOperationException($"no free address left in {ControlConstants.IPv4Range}");
    }

    /// <summary>The first free variant of <paramref name="baseName"/> in the tailnet. Caller holds the allocation lock (LockAllocationAsync).</summary>
    private static async Task<string> FreeNameAsync(DbConnection c, DbTransaction tx, long tailnetId, string baseName, CancellationToken ct)
    {
        // Sanitized names hold only [a-z0-9-], so the base needs no escaping inside the LIKE pattern.
        var taken = await QueryAsync(c, tx, "SELECT name FROM nodes WHERE tailnet_id = @tn AND (name = @b OR name LIKE @p)", r => r.GetString(0), ct,
            ("tn", tailnetId), ("b", baseName), ("p", baseName + "-%")).ConfigureAwait(false);
        return MachineName.FirstFree(baseName, new HashSet<string>(taken, StringComparer.Ordinal));
    }

    private static NodeRecord ReadNode(DbDataReader r) => new()
    {
        Id = r.GetInt64(0),
        TailnetId = r.GetInt64(1),
        UserId = r.GetInt64(2),
        MachineKey = r.GetString(3),
        NodeKey = r.GetString(4),
        DiscoKey = r.GetString(5),
        Name = r.GetString(6),
        HostInfo = r.GetString(7),
        IPv4 = IPAddress.Parse(r.GetString(8)),
        IPv6 = IPAddress.Parse(r.GetString(9)),
        Tags = List(r, 10),
        Endpoints = List(r, 11),
        Created = Time(r, 12),
        LastSeen = Time(r, 13),
        KeyExpiry = r.IsDBNull(14) ? null : Time(r, 14),
        Ephemeral = r.GetInt32(15) != 0,
        Authorized = r.GetInt32(16) != 0,
    };
}
