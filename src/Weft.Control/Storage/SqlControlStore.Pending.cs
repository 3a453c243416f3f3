using System.Data.Common;

namespace Weft.Control.Storage;

/// <summary>Pending interactive registrations (schema version 3), so login URLs outlive a restart.</summary>
public abstract partial class SqlControlStore
{
    private const string PendingColumns = "id, machine_key, node_key, hostname, hostinfo, ephemeral, created, expires, node_id";

    public Task CreatePendingAsync(PendingRecord pending, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(pending);
        return WriteAsync(async (c, tx) =>
        {
            // Abandoned logins would pile up otherwise; each new one sweeps the expired ones.
            await ExecAsync(c, tx, "DELETE FROM pending_registrations WHERE expires <= @now AND node_id IS NULL", ct, ("now", Ms(pending.Created))).ConfigureAwait(false);
            return await ExecAsync(c, tx, $"INSERT INTO pending_registrations ({PendingColumns}) VALUES (@id, @mk, @nk, @h, @hi, @e, @c, @x, NULL)", ct,
                ("id", pending.Id), ("mk", pending.MachineKey), ("nk", pending.NodeKey), ("h", pending.Hostname), ("hi", pending.HostInfo),
                ("e", Flag(pending.Ephemeral)), ("c", Ms(pending.Created)), ("x", Ms(pending.Expires))).ConfigureAwait(false);
        }, ct);
    }

    public async Task<PendingRecord?> GetPendingAsync(string id, CancellationToken ct = default) =>
        (await QueryAsync($"SELECT {PendingColumns} FROM pending_registrations WHERE id = @id", ReadPending, ct, ("id", id)).ConfigureAwait(false)).FirstOrDefault();

    public Task<bool> CompletePendingAsync(string id, long nodeId, CancellationToken ct = default) =>
        WriteAsync(async (c, tx) => await ExecAsync(c, tx, "UPDATE pending_registrations SET node_id = @n WHERE id = @id AND node_id IS NULL", ct,
            ("n", nodeId), ("id", id)).ConfigureAwait(false) == 1, ct);

    private static PendingRecord ReadPending(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetInt32(5) != 0, Time(r, 6), Time(r, 7), r.IsDBNull(8) ? null : r.GetInt64(8));
}
