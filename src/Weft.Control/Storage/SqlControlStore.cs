using System.Data.Common;
using System.Net;
using System.Text.Json;
using Weft.Control.Identity;

namespace Weft.Control.Storage;

/// <summary>
/// <see cref="IControlStore"/> in SQL over ADO.NET, written once for every database: the schema of
/// <see cref="Schema"/> and the queries are shared, and a database's class supplies connections, how a write
/// transaction runs (and is retried), and the few dialect hooks below. Parameters are written @name, which
/// both SQLite and PostgreSQL accept.
/// </summary>
public abstract partial class SqlControlStore : IControlStore
{
    private protected SqlControlStore(IPNetwork ula) => UlaPrefix = ula;

    public IPNetwork UlaPrefix { get; }

    /// <summary>A suffix for the SELECT that reads an auth key before counting a use: a row lock where the database has them ("" otherwise).</summary>
    private protected virtual string RowLock => "";

    /// <summary>An open connection (the caller disposes it).</summary>
    private protected abstract Task<DbConnection> OpenConnectionAsync(CancellationToken ct);

    /// <summary>Runs <paramref name="work"/> in one write transaction and commits when it returns.</summary>
    private protected abstract Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct);

    /// <summary>
    /// Makes node registrations take turns for the rest of the transaction, so the highest address and the taken
    /// names each reads are current. Nothing where the write transaction is exclusive already.
    /// </summary>
    private protected virtual Task LockAllocationAsync(DbConnection c, DbTransaction tx, CancellationToken ct) => Task.CompletedTask;

    public abstract ValueTask DisposeAsync();

    /// <summary>The migration versions recorded in the database, in order (for tests and diagnostics).</summary>
    public async Task<IReadOnlyList<int>> AppliedMigrationsAsync(CancellationToken ct = default) =>
        await QueryAsync("SELECT version FROM schema_migrations ORDER BY version", r => r.GetInt32(0), ct).ConfigureAwait(false);

    /// <summary>The ULA prefix recorded in the settings, chosen at random and recorded on first start (inside the caller's transaction).</summary>
    private protected static async Task<IPNetwork> LoadOrCreateUlaAsync(DbConnection c, DbTransaction tx, CancellationToken ct)
    {
        var text = await ScalarAsync(c, tx, "SELECT value FROM settings WHERE name = 'ula_prefix'", ct).ConfigureAwait(false) as string;
        if (text is null)
        {
            text = AddressPlan.NewUlaPrefix().ToString();
            await ExecAsync(c, tx, "INSERT INTO settings (name, value) VALUES ('ula_prefix', @v)", ct, ("v", text)).ConfigureAwait(false);
        }

        return IPNetwork.Parse(text);
    }

    private protected async Task<List<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> map, CancellationToken ct, params (string Name, object? Value)[] args)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        return await QueryAsync(c, null, sql, map, ct, args).ConfigureAwait(false);
    }

    private protected static async Task<List<T>> QueryAsync<T>(DbConnection c, DbTransaction? tx, string sql, Func<DbDataReader, T> map, CancellationToken ct, params (string Name, object? Value)[] args)
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

    /// <summary>A command with parameters named @name (give the names without the @).</summary>
    private protected static DbCommand Command(DbConnection c, DbTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in args)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = "@" + name;
            p.Value = value ?? DBNull.Value;
            cmd.Parameters.Add(p);
        }

        return cmd;
    }

    private protected static async Task<int> ExecAsync(DbConnection c, DbTransaction? tx, string sql, CancellationToken ct, params (string Name, object? Value)[] args)
    {
        await using var cmd = Command(c, tx, sql, args);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private protected static async Task<object?> ScalarAsync(DbConnection c, DbTransaction? tx, string sql, CancellationToken ct, params (string Name, object? Value)[] args)
    {
        await using var cmd = Command(c, tx, sql, args);
        var v = await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
        return v is DBNull ? null : v;
    }

    /// <summary>Integer booleans, as the shared schema stores them.</summary>
    private protected static int Flag(bool value) => value ? 1 : 0;

    private protected static long Ms(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    /// <summary><paramref name="t"/> at the millisecond precision the database keeps, so returned records equal re-read ones.</summary>
    private protected static DateTimeOffset Stored(DateTimeOffset t) => DateTimeOffset.FromUnixTimeMilliseconds(Ms(t));

    private protected static DateTimeOffset Time(DbDataReader r, int i) => DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(i));

    private protected static string Json(IReadOnlyList<string> list) => JsonSerializer.Serialize(list, StoreJsonContext.Default.IReadOnlyListString);

    private protected static IReadOnlyList<string> List(DbDataReader r, int i) =>
        JsonSerializer.Deserialize(r.GetString(i), StoreJsonContext.Default.IReadOnlyListString) ?? [];
}

/// <summary>Source-generated JSON for the list columns.</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class StoreJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
