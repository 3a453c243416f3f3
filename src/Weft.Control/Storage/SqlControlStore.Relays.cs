namespace Weft.Control.Storage;

/// <summary>Server-wide settings of schema version 4: the relay map override, one row shared by every replica.</summary>
public abstract partial class SqlControlStore
{
    public async Task<string?> GetRelayMapAsync(CancellationToken ct = default) =>
        (await QueryAsync("SELECT config FROM relay_map WHERE id = 1", r => r.GetString(0), ct).ConfigureAwait(false)).FirstOrDefault();

    public Task SetRelayMapAsync(string? json, DateTimeOffset now, CancellationToken ct = default) =>
        WriteAsync((c, tx) => json is null
            ? ExecAsync(c, tx, "DELETE FROM relay_map WHERE id = 1", ct)
            : ExecAsync(c, tx, "INSERT INTO relay_map (id, config, updated) VALUES (1, @j, @t) ON CONFLICT (id) DO UPDATE SET config = excluded.config, updated = excluded.updated", ct,
                ("j", json), ("t", Ms(now))), ct);
}
