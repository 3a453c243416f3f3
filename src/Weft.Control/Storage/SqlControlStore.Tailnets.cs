using System.Data.Common;

namespace Weft.Control.Storage;

public abstract partial class SqlControlStore
{
    private const string TailnetColumns = "id, name, domain, key_expiry_days, created";
    private const string UserColumns = "id, tailnet_id, login, display_name, role, created";
    private const string PolicyColumns = "id, tailnet_id, text, user_id, created";

    public Task<TailnetRecord> CreateTailnetAsync(string name, string domain, DateTimeOffset now, CancellationToken ct = default) =>
        WriteAsync(async (c, tx) =>
        {
            var id = (long)(await ScalarAsync(c, tx, "INSERT INTO tailnets (name, domain, key_expiry_days, created) VALUES (@n, @d, @k, @t) RETURNING id", ct,
                ("n", name), ("d", domain), ("k", ControlConstants.DefaultKeyExpiryDays), ("t", Ms(now))).ConfigureAwait(false))!;

            // A tailnet never exists without a policy: the default one is written in the same transaction.
            await InsertPolicyAsync(c, tx, id, ControlConstants.DefaultPolicyText, null, now, ct).ConfigureAwait(false);
            return new TailnetRecord(id, name, domain, ControlConstants.DefaultKeyExpiryDays, Stored(now));
        }, ct);

    public async Task<IReadOnlyList<TailnetRecord>> ListTailnetsAsync(CancellationToken ct = default) =>
        await QueryAsync($"SELECT {TailnetColumns} FROM tailnets ORDER BY id", ReadTailnet, ct).ConfigureAwait(false);

    public async Task<TailnetRecord?> GetTailnetAsync(long id, CancellationToken ct = default) =>
        (await QueryAsync($"SELECT {TailnetColumns} FROM tailnets WHERE id = @id", ReadTailnet, ct, ("id", id)).ConfigureAwait(false)).FirstOrDefault();

    public Task<UserRecord> CreateUserAsync(long tailnetId, string login, string displayName, string role, DateTimeOffset now, CancellationToken ct = default) =>
        WriteAsync(async (c, tx) =>
        {
            var id = (long)(await ScalarAsync(c, tx, "INSERT INTO users (tailnet_id, login, display_name, role, created) VALUES (@tn, @l, @d, @r, @t) RETURNING id", ct,
                ("tn", tailnetId), ("l", login), ("d", displayName), ("r", role), ("t", Ms(now))).ConfigureAwait(false))!;
            return new UserRecord(id, tailnetId, login, displayName, role, Stored(now));
        }, ct);

    public async Task<UserRecord?> GetUserAsync(long id, CancellationToken ct = default) =>
        (await QueryAsync($"SELECT {UserColumns} FROM users WHERE id = @id", ReadUser, ct, ("id", id)).ConfigureAwait(false)).FirstOrDefault();

    public async Task<IReadOnlyList<UserRecord>> ListUsersAsync(long tailnetId, CancellationToken ct = default) =>
        await QueryAsync($"SELECT {UserColumns} FROM users WHERE tailnet_id = @tn ORDER BY id", ReadUser, ct, ("tn", tailnetId)).ConfigureAwait(false);

    public Task<bool> SetTailnetKeyExpiryAsync(long tailnetId, int days, CancellationToken ct = default) =>
        WriteAsync(async (c, tx) => await ExecAsync(c, tx, "UPDATE tailnets SET key_expiry_days = @d WHERE id = @id", ct, ("d", days), ("id", tailnetId)).ConfigureAwait(false) == 1, ct);

    public Task<bool> RenameTailnetAsync(long tailnetId, string name, string? domain, CancellationToken ct = default) =>
        WriteAsync(async (c, tx) => await (domain is null
            ? ExecAsync(c, tx, "UPDATE tailnets SET name = @n WHERE id = @id", ct, ("n", name), ("id", tailnetId))
            : ExecAsync(c, tx, "UPDATE tailnets SET name = @n, domain = @d WHERE id = @id", ct, ("n", name), ("d", domain), ("id", tailnetId))).ConfigureAwait(false) == 1, ct);

    public async Task<UserRecord?> FindUserByLoginAsync(string login, CancellationToken ct = default) =>
        (await QueryAsync($"SELECT {UserColumns} FROM users WHERE lower(login) = lower(@l) ORDER BY id LIMIT 1", ReadUser, ct, ("l", login)).ConfigureAwait(false)).FirstOrDefault();

    public Task<IReadOnlyList<long>?> DeleteUserAsync(long userId, CancellationToken ct = default) =>
        WriteAsync<IReadOnlyList<long>?>(async (c, tx) =>
        {
            // Read inside the transaction: a node registered by this user on another replica until now goes too.
            var nodes = await QueryAsync(c, tx, "SELECT id FROM nodes WHERE user_id = @u ORDER BY id", r => r.GetInt64(0), ct, ("u", userId)).ConfigureAwait(false);
            await ExecAsync(c, tx, "DELETE FROM nodes WHERE user_id = @u", ct, ("u", userId)).ConfigureAwait(false);
            await ExecAsync(c, tx, "DELETE FROM auth_keys WHERE user_id = @u", ct, ("u", userId)).ConfigureAwait(false);
            await ExecAsync(c, tx, "DELETE FROM api_keys WHERE user_id = @u", ct, ("u", userId)).ConfigureAwait(false);
            return await ExecAsync(c, tx, "DELETE FROM users WHERE id = @u", ct, ("u", userId)).ConfigureAwait(false) == 1 ? nodes : null;
        }, ct);

    public async Task<PolicyRecord> GetPolicyAsync(long tailnetId, CancellationToken ct = default) =>
        (await QueryAsync($"SELECT {PolicyColumns} FROM policies WHERE tailnet_id = @tn ORDER BY id DESC LIMIT 1", ReadPolicy, ct, ("tn", tailnetId)).ConfigureAwait(false)).FirstOrDefault()
        ?? throw new KeyNotFoundException($"tailnet {tailnetId} has no policy");

    public Task<PolicyRecord> SetPolicyAsync(long tailnetId, string text, long? userId, DateTimeOffset now, CancellationToken ct = default) =>
        WriteAsync((c, tx) => InsertPolicyAsync(c, tx, tailnetId, text, userId, now, ct), ct);

    public async Task<IReadOnlyList<PolicyRecord>> ListPolicyHistoryAsync(long tailnetId, CancellationToken ct = default) =>
        await QueryAsync($"SELECT {PolicyColumns} FROM policies WHERE tailnet_id = @tn ORDER BY id DESC", ReadPolicy, ct, ("tn", tailnetId)).ConfigureAwait(false);

    private static async Task<PolicyRecord> InsertPolicyAsync(DbConnection c, DbTransaction tx, long tailnetId, string text, long? userId, DateTimeOffset now, CancellationToken ct)
    {
        var id = (long)(await ScalarAsync(c, tx, "INSERT INTO policies (tailnet_id, text, user_id, created) VALUES (@tn, @x, @u, @t) RETURNING id", ct,
            ("tn", tailnetId), ("x", text), ("u", userId), ("t", Ms(now))).ConfigureAwait(false))!;
        return new PolicyRecord(id, tailnetId, text, userId, Stored(now));
    }

    private static TailnetRecord ReadTailnet(DbDataReader r) => new(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt32(3), Time(r, 4));

    private static UserRecord ReadUser(DbDataReader r) => new(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.GetString(4), Time(r, 5));

    private static PolicyRecord ReadPolicy(DbDataReader r) => new(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetInt64(3), Time(r, 4));
}
