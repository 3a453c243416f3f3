using System.Data.Common;
using System.Globalization;
using System.Net;
using Microsoft.Data.Sqlite;

namespace Weft.Control.Storage;

/// <summary>
/// <see cref="IControlStore"/> in one SQLite file: WAL journal, foreign keys on every connection, the
/// migrations of <see cref="Schema"/> applied at open, every write in an immediate transaction behind one
/// in-process writer gate (SQLite has one writer anyway; the gate avoids busy retries).
/// </summary>
public sealed class SqliteControlStore : SqlControlStore
{
    private readonly string _connectionString;

    /// <summary>_writeGate serialises every write transaction of this process.</summary>
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    private SqliteControlStore(string connectionString, IPNetwork ula)
        : base(ula) => _connectionString = connectionString;

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

    private static async Task MigrateAsync(SqliteConnection c, CancellationToken ct)
    {
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        await ExecAsync(c, tx, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied BIGINT NOT NULL);", ct).ConfigureAwait(false);
        var current = Convert.ToInt32(await ScalarAsync(c, tx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", ct).ConfigureAwait(false), CultureInfo.InvariantCulture);
        for (var v = current + 1; v <= Schema.Migrations.Length; v++)
        {
            var sql = Schema.Migrations[v - 1].Replace(Schema.IdColumn, "INTEGER PRIMARY KEY AUTOINCREMENT", StringComparison.Ordinal);
            await ExecAsync(c, tx, sql, ct).ConfigureAwait(false);
            await ExecAsync(c, tx, "INSERT INTO schema_migrations (version, applied) VALUES (@v, @t)", ct, ("v", v), ("t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())).ConfigureAwait(false);
        }

        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    private static async Task<IPNetwork> LoadOrCreateUlaAsync(SqliteConnection c, CancellationToken ct)
    {
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        var ula = await LoadOrCreateUlaAsync(c, tx, ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return ula;
    }

    private protected override async Task<DbConnection> OpenConnectionAsync(CancellationToken ct)
    {
        var c = new SqliteConnection(_connectionString);
        await c.OpenAsync(ct).ConfigureAwait(false);
        await ExecAsync(c, null, "PRAGMA foreign_keys=ON;", ct).ConfigureAwait(false);
        return c;
    }

    /// <summary>Runs <paramref name="work"/> in one immediate transaction under the writer gate; commits when it returns.</summary>
    private protected override async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await using var c = (SqliteConnection)await OpenConnectionAsync(ct).ConfigureAwait(false);
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

    public override ValueTask DisposeAsync()
    {
        _writeGate.Dispose();
        SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
        return ValueTask.CompletedTask;
    }
}
