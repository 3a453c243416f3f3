using System.Data.Common;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Weft.Control.Identity;

namespace Weft.Control.Storage;

/// <summary>
/// <see cref="IControlStore"/> in one SQLite file: WAL journal, foreign keys on every connection, the
/// migrations of <see cref="Schema"/> applied at open, every write in an immediate transaction behind one
/// in-process writer gate (SQLite has one writer anyway; the gate avoids busy retries).
/// </summary>
public sealed partial class SqliteControlStore : IControlStore
{
    private readonly string _connectionString;

    /// <summary>_writeGate serialises every write transaction of this process.</summary>
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    private SqliteControlStore(string connectionString, IPNetwork ula)
    {
        _connectionString = connectionString;
        UlaPrefix = ula;
    }

    public IPNetwork UlaPrefix { get; }

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/> and migrates it.</summary>
    public static async Task<SqliteControlStore> OpenAsync(string path, CancellationToken ct = default)
    {
        var cs = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true }.ToString();
        await using (var c = new SqliteConnection(cs))
        {
            await c.OpenAsync(ct).ConfigureAwait(false);
            await ExecAsync(c, null, "PRAGMA journal_mode=WAL;", ct).ConfigureAwait(false);
            await ExecAsync(c, null, "PRAGMA foreign_keys=ON;", ct).ConfigureAwait(false);
            await MigrateAsync(c, ct).ConfigureAwait(false);
            var ula = await LoadOrCreateUlaAsync(c, ct).ConfigureAwait(false);
            return new SqliteControlStore(cs, ula);
        }
    }

    /// <summary>The migration versions recorded in the database, in order (for tests and diagnostics).</summary>
    public async Task<IReadOnlyList<int>> AppliedMigrationsAsync(CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        var list = new List<int>();
        await using var cmd = Command(c, null, "SELECT version FROM schema_migrations ORDER BY version");
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(r.GetInt32(0));
        }

        return list;
    }

    private static async Task MigrateAsync(SqliteConnection c, CancellationToken ct)
    {
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        await ExecAsync(c, tx, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied BIGINT NOT NULL);", ct).ConfigureAwait(false);
        var current = Convert.ToInt32(await ScalarAsync(c, tx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", ct).ConfigureAwait(false), CultureInfo.InvariantCulture);
        for (var v = current + 1; v <= Schema.Migrations.Length; v++)
        {
            var sql = Schema.Migrations[v - 1].Replace(Schema.IdColumn, "INTEGER PRIMARY KEY AUTOINCREMENT", StringComparison.Ordinal);
            await ExecAsync(c, tx, sql, ct).ConfigureAwait(false);
            await ExecAsync(c, tx, "INSERT INTO schema_migrations (version, applied) VALUES ($v, $t)", ct, ("$v", v), ("$t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())).ConfigureAwait(false);
        }

        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    private static async Task<IPNetwork> LoadOrCreateUlaAsync(SqliteConnection c, CancellationToken ct)
    {
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        var text = await ScalarAsync(c, tx, "SELECT value FROM settings WHERE name = 'ula_prefix'", ct).ConfigureAwait(false) as string;
        if (text is null)
        {
            text = AddressPlan.NewUlaPrefix().ToString();
            await ExecAsync(c, tx, "INSERT INTO settings (name, value) VALUES ('ula_prefix', $v)", ct, ("$v", text)).ConfigureAwait(false);
        }

        await tx.CommitAsync(ct).ConfigureAwait(false);
        return IPNetwork.Parse(text);
    }

    private async Task<SqliteConnection> OpenConnectionAsync(CancellationToken ct)
    {
        var c = new SqliteConnection(_connectionString);
        await c.OpenAsync(ct).ConfigureAwait(false);
        await ExecAsync(c, null, "PRAGMA foreign_keys=ON;", ct).ConfigureAwait(false);
        return c;
    }

    /// <summary>Runs <paramref name="work"/> in one immediate transaction under the writer gate; commits when it returns.</summary>
    private async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var tx = c.BeginTransaction(deferred: false);
            var result = await work(c, tx).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
            return result;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async Task<List<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> map, CancellationToken ct, params (string Name, object? Value)[] args)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        return await QueryAsync(c, null, sql, map, ct, args).ConfigureAwait(false);
    }

    private static async Task<List<T>> QueryAsync<T>(SqliteConnection c, SqliteTransaction? tx, string sql, Func<DbDataReader, T> map, CancellationToken ct, params (string Name, object? Value)[] args)
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

    private static SqliteCommand Command(SqliteConnection c, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in args)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return cmd;
    }

    private static async Task<int> ExecAsync(SqliteConnection c, SqliteTransaction? tx, string sql, CancellationToken ct, params (string Name, object? Value)[] args)
    {
        await using var cmd = Command(c, tx, sql, args);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<object?> ScalarAsync(SqliteConnection c, SqliteTransaction? tx, string sql, CancellationToken ct, params (string Name, object? Value)[] args)
    {
        await using var cmd = Command(c, tx, sql, args);
        var v = await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
        return v is DBNull ? null : v;
    }

    private static long Ms(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    private static DateTimeOffset Time(DbDataReader r, int i) => DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(i));

    private static string Json(IReadOnlyList<string> list) => JsonSerializer.Serialize(list, StoreJsonContext.Default.IReadOnlyListString);

    private static IReadOnlyList<string> List(DbDataReader r, int i) =>
        JsonSerializer.Deserialize(r.GetString(i), StoreJsonContext.Default.IReadOnlyListString) ?? [];

    public ValueTask DisposeAsync()
    {
        _writeGate.Dispose();
        SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
        return ValueTask.CompletedTask;
    }
}

/// <summary>Source-generated JSON for the list columns.</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class StoreJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
