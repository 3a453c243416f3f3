using System.Data.Common;
using Weft.Control.Identity;

namespace Weft.Control.Storage;

public abstract partial class SqlControlStore
{
    private const string AuthKeyColumns = "id, tailnet_id, user_id, prefix, reusable, ephemeral, preauthorized, tags, expires, created, uses";

    public Task<(AuthKeyRecord Key, string Secret)> CreateAuthKeyAsync(long tailnetId, long userId, AuthKeyOptions options, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (token, prefix, hash) = SecretToken.Create(ControlConstants.AuthKeyTag);
        var created = Stored(now);
        var expires = Stored(now + options.Lifetime);
        return WriteAsync(async (c, tx) =>
        {
            var id = (long)(await ScalarAsync(c, tx,
                "INSERT INTO auth_keys (tailnet_id, user_id, prefix, hash, reusable, ephemeral, preauthorized, tags, expires, created, uses) " +
                "VALUES (@tn, @u, @p, @h, @r, @e, @pa, @tags, @x, @t, 0) RETURNING id", ct,
                ("tn", tailnetId), ("u", userId), ("p", prefix), ("h", hash), ("r", Flag(options.Reusable)), ("e", Flag(options.Ephemeral)),
                ("pa", Flag(options.Preauthorized)), ("tags", Json(options.Tags)), ("x", Ms(expires)), ("t", Ms(created))).ConfigureAwait(false))!;
            return (new AuthKeyRecord(id, tailnetId, userId, prefix, options.Reusable, options.Ephemeral, options.Preauthorized, options.Tags, expires, created, 0), token);
        }, ct);
    }

    public async Task<IReadOnlyList<AuthKeyRecord>> ListAuthKeysAsync(long tailnetId, CancellationToken ct = default) =>
        await QueryAsync($"SELECT {AuthKeyColumns} FROM auth_keys WHERE tailnet_id = @tn ORDER BY id", ReadAuthKey, ct, ("tn", tailnetId)).ConfigureAwait(false);

    public async Task<AuthKeyRecord?> GetAuthKeyAsync(long id, CancellationToken ct = default) =>
        (await QueryAsync($"SELECT {AuthKeyColumns} FROM auth_keys WHERE id = @id", ReadAuthKey, ct, ("id", id)).ConfigureAwait(false)).FirstOrDefault();

    public Task<bool> DeleteAuthKeyAsync(long id, CancellationToken ct = default) =>
        WriteAsync(async (c, tx) => await ExecAsync(c, tx, "DELETE FROM auth_keys WHERE id = @id", ct, ("id", id)).ConfigureAwait(false) == 1, ct);

    public async Task<(AuthKeyCheck Result, AuthKeyRecord? Key)> UseAuthKeyAsync(string secret, DateTimeOffset now, CancellationToken ct = default)
    {
        var prefix = SecretToken.PrefixOf(secret, ControlConstants.AuthKeyTag);
        if (prefix is null)
        {
            return (AuthKeyCheck.Unknown, null);
        }

        return await WriteAsync(async (c, tx) =>
        {
            // Locked for the rest of the transaction: a second caller presenting the same one-off key waits here and then reads uses = 1.
            var rows = await QueryAsync(c, tx, $"SELECT {AuthKeyColumns}, hash FROM auth_keys WHERE prefix = @p{RowLock}",
                r => (Key: ReadAuthKey(r), Hash: r.GetString(11)), ct, ("p", prefix)).ConfigureAwait(false);
            if (rows.Count == 0 || !SecretToken.Matches(secret, rows[0].Hash))
            {
                return (AuthKeyCheck.Unknown, (AuthKeyRecord?)null);
            }

            var key = rows[0].Key;
            if (key.Expires <= now)
            {
                return (AuthKeyCheck.Expired, key);
            }

            if (!key.Reusable && key.Uses > 0)
            {
                return (AuthKeyCheck.UsedUp, key);
            }

            await ExecAsync(c, tx, "UPDATE auth_keys SET uses = uses + 1 WHERE id = @id", ct, ("id", key.Id)).ConfigureAwait(false);
            return (AuthKeyCheck.Valid, key with { Uses = key.Uses + 1 });
        }, ct).ConfigureAwait(false);
    }

    public Task<(ApiKeyRecord Key, string Secret)> CreateApiKeyAsync(long tailnetId, long userId, TimeSpan lifetime, DateTimeOffset now, CancellationToken ct = default)
    {
        if (lifetime < ControlConstants.MinApiKeyLifetime || lifetime > ControlConstants.MaxApiKeyLifetime)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), lifetime, "an API key lives between 1 and 90 days");
        }

        var (token, prefix, hash) = SecretToken.Create(ControlConstants.ApiKeyTag);
        var created = Stored(now);
        var expires = Stored(now + lifetime);
        return WriteAsync(async (c, tx) =>
        {
            var id = (long)(await ScalarAsync(c, tx, "INSERT INTO api_keys (tailnet_id, user_id, prefix, hash, expires, created) VALUES (@tn, @u, @p, @h, @x, @t) RETURNING id", ct,
                ("tn", tailnetId), ("u", userId), ("p", prefix), ("h", hash), ("x", Ms(expires)), ("t", Ms(created))).ConfigureAwait(false))!;
            return (new ApiKeyRecord(id, tailnetId, userId, prefix, expires, created), token);
        }, ct);
    }

    public async Task<ApiKeyRecord?> AuthenticateApiKeyAsync(string secret, DateTimeOffset now, CancellationToken ct = default)
    {
        var prefix = SecretToken.PrefixOf(secret, ControlConstants.ApiKeyTag);
        if (prefix is null)
        {
            return null;
        }

        var rows = await QueryAsync("SELECT id, tailnet_id, user_id, prefix, expires, created, hash FROM api_keys WHERE prefix = @p",
            r => (Key: new ApiKeyRecord(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetString(3), Time(r, 4), Time(r, 5)), Hash: r.GetString(6)), ct, ("p", prefix)).ConfigureAwait(false);

        // The hash comparison runs in constant time (SecretToken.Matches) before expiry is looked at.
        return rows.Count == 1 && SecretToken.Matches(secret, rows[0].Hash) && rows[0].Key.Expires > now ? rows[0].Key : null;
    }

    private static AuthKeyRecord ReadAuthKey(DbDataReader r) => new(
        r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetString(3), r.GetInt32(4) != 0, r.GetInt32(5) != 0, r.GetInt32(6) != 0,
        List(r, 7), Time(r, 8), Time(r, 9), r.GetInt32(10));
}
