using System.Data;
using System.Data.Common;
using System.Net;
using Npgsql;

namespace Weft.Control.Storage;

/// <summary>
/// <see cref="IControlStore"/> in a PostgreSQL database shared by any number of server replicas: the
/// migrations of <see cref="Schema"/> applied at open under an advisory lock, every write in its own
/// transaction, retried when PostgreSQL reports a serialization failure, a deadlock or a clash on an
/// allocated address or name, so concurrent registrations on several replicas each get unique ones.
/// </summary>
public sealed class PostgresControlStore : SqlControlStore
{
    /// <summary>Unique constraints on allocated values: a clash there means another replica won a race, so the write is retried.</summary>
    internal static readonly HashSet<string> AllocationConstraints =
        new(["nodes_ipv4_key", "nodes_ipv4_num_key", "nodes_ipv6_key", "nodes_tailnet_id_name_key"], StringComparer.Ordinal);

    private readonly NpgsqlDataSource _dataSource;

    private PostgresControlStore(NpgsqlDataSource dataSource, IPNetwork ula)
        : base(ula) => _dataSource = dataSource;

    /// <summary>FOR UPDATE: a second replica presenting the same one-off key waits for the first's commit.</summary>
    private protected override string RowLock => " FOR UPDATE";

    /// <summary>
    /// Connects with <paramref name="connectionString"/> (an Npgsql connection string), applies missing
    /// migrations and loads or chooses the ULA prefix. Safe to call from several replicas at once.
    /// </summary>
    public static async Task<PostgresControlStore> OpenAsync(string connectionString, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var dataSource = NpgsqlDataSource.Create(connectionString);
        try
        {
            await using var c = await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            var ula = await MigrateAsync(c, ct).ConfigureAwait(false);
            return new PostgresControlStore(dataSource, ula);
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Applies the migrations not yet recorded and returns the ULA prefix, choosing it on first start. The
    /// transaction-scoped advisory lock makes replicas that start together take turns; PostgreSQL's DDL is
    /// transactional, so a failed migration leaves nothing behind.
    /// </summary>
    private static async Task<IPNetwork> MigrateAsync(NpgsqlConnection c, CancellationToken ct)
    {
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct).ConfigureAwait(false);
        await ExecAsync(c, tx, "SELECT pg_advisory_xact_lock(@k)", ct, ("k", PostgresConstants.MigrationLockKey)).ConfigureAwait(false);
        await ExecAsync(c, tx, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied BIGINT NOT NULL)", ct).ConfigureAwait(false);
        var current = (int)(await ScalarAsync(c, tx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", ct).ConfigureAwait(false))!;
        if (current > Schema.Migrations.Length)
        {
            throw new InvalidOperationException($"the database is at schema version {current}, newer than this server's {Schema.Migrations.Length}; upgrade the server");
        }

        for (var v = current + 1; v <= Schema.Migrations.Length; v++)
        {
            var sql = Schema.Migrations[v - 1].Replace(Schema.IdColumn, PostgresConstants.IdColumnType, StringComparison.Ordinal);
            await ExecAsync(c, tx, sql, ct).ConfigureAwait(false);
            await ExecAsync(c, tx, "INSERT INTO schema_migrations (version, applied) VALUES (@v, @t)", ct,
                ("v", v), ("t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())).ConfigureAwait(false);
        }

        var ula = await LoadOrCreateUlaAsync(c, tx, ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return ula;
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one read-committed transaction and commits when it returns. A
    /// serialization failure, deadlock or allocation clash rolls back and runs <paramref name="work"/>
    /// again in a fresh transaction, which sees what the winner committed.
    /// </summary>
    private protected override async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var c = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct).ConfigureAwait(false);
            try
            {
                var result = await work(c, tx).ConfigureAwait(false);
                await tx.CommitAsync(ct).ConfigureAwait(false);
                return result;
            }
            catch (PostgresException e) when (attempt < PostgresConstants.MaxWriteAttempts && IsTransient(e))
            {
                // Disposing the transaction rolls it back; the loop starts over.
            }
        }
    }

    /// <summary>True for failures a fresh transaction can get past: serialization failures, deadlocks and clashes on allocated values.</summary>
    internal static bool IsTransient(PostgresException e) =>
        e.SqlState is PostgresConstants.SerializationFailure or PostgresConstants.DeadlockDetected
        || (e.SqlState == PostgresConstants.UniqueViolation && e.ConstraintName is { } name && AllocationConstraints.Contains(name));

    private protected override async Task<DbConnection> OpenConnectionAsync(CancellationToken ct) =>
        await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);

    /// <summary>
    /// Registrations of every replica take turns from here to commit: under read committed each later statement
    /// sees the previous holder's node. A transaction-scoped advisory lock, released by commit or rollback.
    /// </summary>
    private protected override async Task LockAllocationAsync(DbConnection c, DbTransaction tx, CancellationToken ct) =>
        await ExecAsync(c, tx, "SELECT pg_advisory_xact_lock(@k)", ct, ("k", PostgresConstants.AllocationLockKey)).ConfigureAwait(false);

    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
