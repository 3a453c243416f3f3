namespace Weft.Control.Storage;

/// <summary>Admin-facing storage of schema version 2: user roles, API key listing, DNS settings, subnet routes.</summary>
public abstract partial class SqlControlStore
{
    public Task<bool> SetUserRoleAsync(long userId, string role, CancellationToken ct = default) =>
        WriteAsync(async (c, tx) => await ExecAsync(c, tx, "UPDATE users SET role = @r WHERE id = @id", ct, ("r", role), ("id", userId)).ConfigureAwait(false) == 1, ct);

    public async Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(long tailnetId, CancellationToken ct = default) =>
        await QueryAsync("SELECT id, tailnet_id, user_id, prefix, expires, created FROM api_keys WHERE tailnet_id = @tn ORDER BY id",
            r => new ApiKeyRecord(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetString(3), Time(r, 4), Time(r, 5)), ct, ("tn", tailnetId)).ConfigureAwait(false);

    public Task<bool> DeleteApiKeyAsync(long id, CancellationToken ct = default) =>
        WriteAsync(async (c, tx) => await ExecAsync(c, tx, "DELETE FROM api_keys WHERE id = @id", ct, ("id", id)).ConfigureAwait(false) == 1, ct);

    public async Task<string?> GetDnsAsync(long tailnetId, CancellationToken ct = default) =>
        (await QueryAsync("SELECT config FROM dns_settings WHERE tailnet_id = @tn", r => r.GetString(0), ct, ("tn", tailnetId)).ConfigureAwait(false)).FirstOrDefault();

    public Task SetDnsAsync(long tailnetId, string json, CancellationToken ct = default) =>
        WriteAsync((c, tx) => ExecAsync(c, tx, "INSERT INTO dns_settings (tailnet_id, config) VALUES (@tn, @j) ON CONFLICT (tailnet_id) DO UPDATE SET config = excluded.config", ct,
            ("tn", tailnetId), ("j", json)), ct);

    public async Task<IReadOnlyDictionary<long, NodeRoutes>> ListRoutesAsync(long tailnetId, CancellationToken ct = default)
    {
        var rows = await QueryAsync("SELECT r.node_id, r.advertised, r.approved FROM node_routes r JOIN nodes n ON n.id = r.node_id WHERE n.tailnet_id = @tn",
            r => (Id: r.GetInt64(0), Routes: new NodeRoutes(List(r, 1), List(r, 2))), ct, ("tn", tailnetId)).ConfigureAwait(false);
        var map = new Dictionary<long, NodeRoutes>(rows.Count);
        foreach (var (id, routes) in rows)
        {
            map[id] = routes;
        }

        return map;
    }

    public Task<bool> SetRoutesAsync(long nodeId, NodeRoutes routes, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(routes);
        return WriteAsync(async (c, tx) =>
        {
            if (await ScalarAsync(c, tx, "SELECT 1 FROM nodes WHERE id = @id", ct, ("id", nodeId)).ConfigureAwait(false) is null)
            {
                return false;
            }

            await ExecAsync(c, tx, "INSERT INTO node_routes (node_id, advertised, approved) VALUES (@id, @a, @p) " +
                "ON CONFLICT (node_id) DO UPDATE SET advertised = excluded.advertised, approved = excluded.approved", ct,
                ("id", nodeId), ("a", Json(routes.Advertised)), ("p", Json(routes.Approved))).ConfigureAwait(false);
            return true;
        }, ct);
    }
}
