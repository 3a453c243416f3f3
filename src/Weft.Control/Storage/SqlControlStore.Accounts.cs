namespace Weft.Control.Storage;

/// <summary>Password logins of schema version 5, in the database so that every replica accepts the same ones.</summary>
public abstract partial class SqlControlStore
{
    public async Task<LocalAccountRecord?> GetLocalAccountAsync(string login, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(login);
        return (await QueryAsync("SELECT login, user_id, hash, updated FROM local_accounts WHERE login = @l",
            r => new LocalAccountRecord(r.GetString(0), r.GetInt64(1), r.GetString(2), Time(r, 3)), ct, ("l", login.ToLowerInvariant())).ConfigureAwait(false)).FirstOrDefault();
    }

    public async Task<bool> AnyLocalAccountAsync(CancellationToken ct = default) =>
        (await QueryAsync("SELECT 1 FROM local_accounts LIMIT 1", r => r.GetInt32(0), ct).ConfigureAwait(false)).Count > 0;

    public Task<bool> SetLocalAccountAsync(string login, long userId, string hash, DateTimeOffset now, bool replace, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(login);
        var onConflict = replace
            ? "DO UPDATE SET user_id = excluded.user_id, hash = excluded.hash, updated = excluded.updated"
            : "DO NOTHING";
        return WriteAsync(async (c, tx) => await ExecAsync(c, tx, $"INSERT INTO local_accounts (login, user_id, hash, updated) VALUES (@l, @u, @h, @t) ON CONFLICT (login) {onConflict}", ct,
            ("l", login.ToLowerInvariant()), ("u", userId), ("h", hash), ("t", Ms(now))).ConfigureAwait(false) == 1, ct);
    }
}
