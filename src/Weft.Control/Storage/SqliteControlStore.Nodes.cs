using System.Data.Common;
using System.Globalization;
using System.Net;
using Microsoft.Data.Sqlite;
using Weft.Control.Identity;

namespace Weft.Control.Storage;

public sealed partial class SqliteControlStore
{
    private const string NodeColumns =
        "id, tailnet_id, user_id, machine_key, node_key, disco_key, name, hostinfo, ipv4, ipv6, tags, endpoints, created, last_seen, key_expiry, ephemeral, authorized";

    public Task<NodeRecord> CreateNodeAsync(NewNode node, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        return WriteAsync(async (c, tx) =>
        {
            var offset = await AllocateIPv4Async(c, tx, ct).ConfigureAwait(false);
            var name = await FreeNameAsync(c, tx, node.TailnetId, MachineName.Sanitize(node.Hostname), ct).ConfigureAwait(false);
            var ipv4 = AddressPlan.IPv4(offset);
            var ipv6 = AddressPlan.IPv6(UlaPrefix, offset);
            var id = (long)(await ScalarAsync(c, tx,
                "INSERT INTO nodes (tailnet_id, user_id, machine_key, node_key, disco_key, name, hostinfo, ipv4, ipv4_num, ipv6, tags, endpoints, created, last_seen, key_expiry, ephemeral, authorized) " +
                "VALUES ($tn, $u, $mk, $nk, $dk, $name, $hi, $v4, $num, $v6, $tags, '[]', $t, $t, $exp, $eph, $auth) RETURNING id", ct,
                ("$tn", node.TailnetId), ("$u", node.UserId), ("$mk", node.MachineKey), ("$nk", node.NodeKey), ("$dk", node.DiscoKey), ("$name", name),
                ("$hi", node.HostInfo), ("$v4", ipv4.ToString()), ("$num", offset), ("$v6", ipv6.ToString()), ("$tags", Json(node.Tags)), ("$t", Ms(now)),
                ("$exp", node.KeyExpiry is { } e ? Ms(e) : null), ("$eph", node.Ephemeral ? 1 : 0), ("$auth", node.Authorized ? 1 : 0)).ConfigureAwait(false))!;
            var at = DateTimeOffset.FromUnixTimeMilliseconds(Ms(now));
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
                Created = at,
                LastSeen = at,
                KeyExpiry = node.KeyExpiry is { } k ? DateTimeOffset.FromUnixTimeMilliseconds(Ms(k)) : null,
                Ephemeral = node.Ephemeral,
                Authorized = node.Authorized,
            };
        }, ct);
    }

    public async Task<NodeRecord?> GetNodeAsync(long id, CancellationToken ct = default) =>
        (await QueryAsync($"SELECT {NodeColumns} FROM nodes WHERE id = $id", ReadNode, ct, ("$id", id)).ConfigureAwait(false)).FirstOrDefault();

    public async Task<NodeRecord?> GetNodeByNodeKeyAsync(string nodeKey, CancellationToken ct = default) =>
        (await QueryAsync($"SELECT {NodeColumns} FROM nodes WHERE node_key = $k", ReadNode, ct, ("$k", nodeKey)).ConfigureAwait(false)).FirstOrDefault();

    public async Task<NodeRecord?> GetNodeByMachineAsync(long tailnetId, string machineKey, long userId, CancellationToken ct = default) =>
        (await QueryAsync($"SELECT {NodeColumns} FROM nodes WHERE tailnet_id = $tn AND machine_key = $mk AND user_id = $u ORDER BY id LIMIT 1", ReadNode, ct,
            ("$tn", tailnetId), ("$mk", machineKey), ("$u", userId)).ConfigureAwait(false)).FirstOrDefault();

    public async Task<IReadOnlyList<NodeRecord>> ListNodesAsync(long? tailnetId, CancellationToken ct = default) =>
        tailnetId is { } tn
            ? await QueryAsync($"SELECT {NodeColumns} FROM nodes WHERE tailnet_id = $tn ORDER BY id", ReadNode, ct, ("$tn", tn)).ConfigureAwait(false)
            : await QueryAsync($"SELECT {NodeColumns} FROM nodes ORDER BY id", ReadNode, ct).ConfigureAwait(false);

    public Task<bool> UpdateNodeAsync(NodeRecord node, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        return WriteAsync(async (c, tx) =>
        {
            var name = node.Name;
            var clash = await ScalarAsync(c, tx, "SELECT id FROM nodes WHERE tailnet_id = $tn AND name = $n AND id <> $id", ct,
                ("$tn", node.TailnetId), ("$n", name), ("$id", node.Id)).ConfigureAwait(false);
            if (clash is not null)
            {
                throw new InvalidOperationException($"machine name '{name}' is taken in this tailnet");
            }

            return await ExecAsync(c, tx,
                "UPDATE nodes SET node_key = $nk, disco_key = $dk, name = $name, hostinfo = $hi, tags = $tags, endpoints = $ep, last_seen = $seen, " +
                "key_expiry = $exp, ephemeral = $eph, authorized = $auth WHERE id = $id", ct,
                ("$nk", node.NodeKey), ("$dk", node.DiscoKey), ("$name", name), ("$hi", node.HostInfo), ("$tags", Json(node.Tags)), ("$ep", Json(node.Endpoints)),
                ("$seen", Ms(node.LastSeen)), ("$exp", node.KeyExpiry is { } e ? Ms(e) : null), ("$eph", node.Ephemeral ? 1 : 0), ("$auth", node.Authorized ? 1 : 0),
                ("$id", node.Id)).ConfigureAwait(false) == 1;
        }, ct);
    }

    public Task<bool> DeleteNodeAsync(long id, CancellationToken ct = default) =>
        WriteAsync(async (c, tx) => await ExecAsync(c, tx, "DELETE FROM nodes WHERE id = $id", ct, ("$id", id)).ConfigureAwait(false) == 1, ct);

    /// <summary>The next offset after the highest in use; on wrap-around, the lowest free one (caller holds the write transaction).</summary>
    private static async Task<long> AllocateIPv4Async(SqliteConnection c, SqliteTransaction tx, CancellationToken ct)
    {
        var max = Convert.ToInt64(await ScalarAsync(c, tx, "SELECT COALESCE(MAX(ipv4_num), 0) FROM nodes", ct).ConfigureAwait(false), CultureInfo.InvariantCulture);
        var next = AddressPlan.NextUsable(max + 1);
        if (next > 0)
        {
            return next;
        }

        // The top of the range is taken: walk the gaps left by deleted nodes, lowest first.
        var gaps = await QueryAsync(c, tx, "SELECT n.ipv4_num + 1 FROM nodes n WHERE NOT EXISTS (SELECT 1 FROM nodes m WHERE m.ipv4_num = n.ipv4_num + 1) ORDER BY 1", r => r.GetInt64(0), ct).ConfigureAwait(false);
        gaps.Insert(0, 1);
        foreach (var g in gaps)
        {
            var o = AddressPlan.NextUsable(g);
            if (o > 0 && await ScalarAsync(c, tx, "SELECT 1 FROM nodes WHERE ipv4_num = $o", ct, ("$o", o)).ConfigureAwait(false) is null)
            {
                return o;
            }
        }

        throw new InvalidOperationException($"no free address left in {ControlConstants.IPv4Range}");
    }

    private static async Task<string> FreeNameAsync(SqliteConnection c, SqliteTransaction tx, long tailnetId, string baseName, CancellationToken ct)
    {
        var taken = await QueryAsync(c, tx, "SELECT name FROM nodes WHERE tailnet_id = $tn AND (name = $b OR name LIKE $p)", r => r.GetString(0), ct,
            ("$tn", tailnetId), ("$b", baseName), ("$p", baseName + "-%")).ConfigureAwait(false);
        return MachineName.FirstFree(baseName, taken.ToHashSet(StringComparer.Ordinal));
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
        Ephemeral = r.GetInt64(15) != 0,
        Authorized = r.GetInt64(16) != 0,
    };
}
