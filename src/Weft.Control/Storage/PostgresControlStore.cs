using System.Data;
using System.Data.Common;
using System.Net;
using System.Text.Json;
using Npgsql;
using Weft.Control.Identity;

namespace Weft.Control.Storage;

/// <summary>
/// <see cref="IControlStore"/> in a PostgreSQL database shared by any number of server replicas: the
/// migrations of <see cref="Schema"/> applied at open under an advisory lock, every write in its own
/// transaction, retried when PostgreSQL reports a serialization failure, a deadlock or a clash on an
/// allocated address or name, so concurrent registrations on several replicas each get unique ones.
/// </summary>
public sealed partial class PostgresControlStore : IControlStore
{
    /// <summary>Unique constraints on allocated values: a clash there means another replica won a race, so the write is retried.</summary>
    internal static readonly HashSet<string> AllocationConstraints =
        new(["nodes_ipv4_key", "nodes_ipv4_num_key", "nodes_ipv6_key", "nodes_tailnet_id_name_key"], StringComparer.Ordinal);

    private readonly NpgsqlDataSource _dataSource;

    private PostgresControlStore(NpgsqlDataSource dataSource, IPNetwork ula)
    {
        _dataSource = dataSource;
        UlaPrefix = ula;
    }

    public IPNetwork UlaPrefix { get; }

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

    /// <summary>The migration versions recorded in the database, in order (for tests and diagnostics).</summary>
    public async Task<IReadOnlyList<int>> AppliedMigrationsAsync(CancellationToken ct = default) =>
        await QueryAsync("SELECT version FROM schema_migrations ORDER BY version", r => r.GetInt32(0), ct).ConfigureAwait(false);

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

        var text = await ScalarAsync(c, tx, "SELECT value FROM settings WHERE name = 'ula_prefix'", ct).ConfigureAwait(false) as string;
        if (text is null)
        {
            text = AddressPlan.NewUlaPrefix().ToString();
            await ExecAsync(c, tx, "INSERT INTO settings (name, value) VALUES ('ula_prefix', @v)", ct, ("v", text)).ConfigureAwait(false);
        }

        await tx.CommitAsync(ct).ConfigureAwait(false);
        return IPNetwork.Parse(text);
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one read-committed transaction and commits when it returns. A
    /// serialization failure, deadlock or allocation clash rolls back and runs <paramref name="work"/>
    /// again in a fresh transaction, which sees what the winner committed.
    /// </summary>
    private async Task<T> WriteAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken ct)
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

    private async Task<List<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> map, CancellationToken ct, params (string Name, object? Value)[] args)
    {
        await using var c = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        return await QueryAsync(c, null, sql, map, ct, args).ConfigureAwait(false);
    }

    private static async Task<List<T>> QueryAsync<T>(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, Func<DbDataReader, T> map, CancellationToken ct, params (string Name, object? Value)[] args)
    {
        await using var cmd = Command(c, tx, sql, args);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<T>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(map(r));
        }

        return list;
    }

    private static NpgsqlCommand Command(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        var cmd = new NpgsqlCommand(sql, c, tx);
        foreach (var (name, value) in args)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return cmd;
    }

    private static async Task<int> ExecAsync(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, CancellationToken ct, params (string Name, object? Value)[] args)
    {
        await using var cmd = Command(c, tx, sql, args);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, CancellationToken ct, params (string Name, object? Value)[] args)
    {
        await using var cmd = Command(c, tx, sql, args);
        var v = await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
        return v is DBNull ? null : v;
    }

    /// <summary>Integer booleans, as the shared schema stores them.</summary>
    private static int Flag(bool value) => value ? 1 : 0;

    private static long Ms(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    /// <summary><paramref name="t"/> at the millisecond precision the database keeps, so returned records equal re-read ones.</summary>
    private static DateTimeOffset Stored(DateTimeOffset t) => DateTimeOffset.FromUnixTimeMilliseconds(Ms(t));

    private static DateTimeOffset Time(DbDataReader r, int i) => DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(i));

    private static string Json(IReadOnlyList<string> list) => JsonSerializer.Serialize(list, StoreJsonContext.Default.IReadOnlyListString);

    private static IReadOnlyList<string> List(DbDataReader r, int i) =>
        JsonSerializer.Deserialize(r.GetString(i), StoreJsonContext.Default.IReadOnlyListString) ?? [];

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
