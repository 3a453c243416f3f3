using System.Net;
using System.Net.Sockets;
using Npgsql;
using Weft.Control.Storage;
using Weft.Control.Tests.Fixtures;

namespace Weft.Control.Tests.Storage;

/// <summary>What only the PostgreSQL store has to get right: replicas sharing one database, retries, no secrets at rest.</summary>
public sealed class PostgresControlStoreTests(PostgresServer server) : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private readonly List<PostgresControlStore> _stores = [];
    private string _connectionString = null!;

    public async ValueTask InitializeAsync() => _connectionString = await server.CreateDatabaseAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        foreach (var s in _stores)
        {
            await s.DisposeAsync();
        }

        if (_connectionString is not null)
        {
            await server.DropDatabaseAsync(_connectionString);
        }
    }

    private async Task<PostgresControlStore> OpenAsync(CancellationToken ct)
    {
        var store = await PostgresControlStore.OpenAsync(_connectionString, ct);
        _stores.Add(store);
        return store;
    }

    private async Task<NpgsqlConnection> RawAsync(CancellationToken ct)
    {
        var c = new NpgsqlConnection(_connectionString);
        await c.OpenAsync(ct);
        return c;
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection c, string sql, CancellationToken ct, NpgsqlTransaction? tx = null)
    {
        await using var cmd = new NpgsqlCommand(sql, c, tx);
        return await cmd.ExecuteScalarAsync(ct);
    }

    /// <summary>Returns once some other session of the test database waits for a lock.</summary>
    private async Task WaitForLockWaiterAsync(CancellationToken ct)
    {
        await using var c = await RawAsync(ct);
        while (Convert.ToInt64(await ScalarAsync(c, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'", ct),
                   System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            // Polling the server's own view of its sessions: there is no notification for "a backend started waiting".
            await Task.Delay(10, ct);
        }
    }

    private static NewNode Node(long tailnetId, long userId, string host, string nodeKey) =>
        new(tailnetId, userId, "mkey:" + nodeKey, nodeKey, "discokey:1", host, "{}", [], null, Ephemeral: false, Authorized: true);

    [Fact]
    public async Task Open_ReplicasStartingTogether_MigrateOnceAndAgreeOnUlaPrefix()
    {
        var ct = TestContext.Current.CancellationToken;
        var opening = new List<Task<PostgresControlStore>>();
        for (var i = 0; i < 4; i++)
        {
            opening.Add(Task.Run(() => OpenAsync(ct), ct));
        }

        var stores = await Task.WhenAll(opening);
        Assert.Single(stores.Select(s => s.UlaPrefix).Distinct());
        Assert.Equal(Enumerable.Range(1, Schema.Migrations.Length), await stores[0].AppliedMigrationsAsync(ct));
        await using var c = await RawAsync(ct);
        Assert.Equal(1L, await ScalarAsync(c, "SELECT count(*) FROM settings WHERE name = 'ula_prefix'", ct));
    }

    [Fact]
    public async Task Open_DatabaseFromNewerServer_IsRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        await OpenAsync(ct);
        await using (var c = await RawAsync(ct))
        {
            await ScalarAsync(c, $"INSERT INTO schema_migrations (version, applied) VALUES ({Schema.Migrations.Length + 1}, 0)", ct);
        }

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => PostgresControlStore.OpenAsync(_connectionString, ct));
        Assert.Contains("newer", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_NothingListening_ThrowsNpgsqlException()
    {
        var ct = TestContext.Current.CancellationToken;
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var cs = new NpgsqlConnectionStringBuilder(_connectionString) { Port = port }.ConnectionString;
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => PostgresControlStore.OpenAsync(cs, ct));
    }

    [Fact]
    public async Task Schema_HasEveryConstraintTheRetryNames()
    {
        var ct = TestContext.Current.CancellationToken;
        await OpenAsync(ct);
        await using var c = await RawAsync(ct);
        foreach (var name in PostgresControlStore.AllocationConstraints)
        {
            Assert.Equal(1L, await ScalarAsync(c, $"SELECT count(*) FROM pg_constraint WHERE conname = '{name}'", ct));
        }
    }

    [Theory]
    [InlineData("40001", null, true)]
    [InlineData("40P01", null, true)]
    [InlineData("23505", "nodes_ipv4_num_key", true)]
    [InlineData("23505", "nodes_tailnet_id_name_key", true)]
    [InlineData("23505", "nodes_node_key_key", false)]
    [InlineData("23505", "users_tailnet_id_login_key", false)]
    [InlineData("23503", "nodes_user_id_fkey", false)]
    public void IsTransient_RetriesOnlyRacesAFreshTransactionCanWin(string sqlState, string? constraint, bool transient)
    {
        var e = new PostgresException("test", "ERROR", "ERROR", sqlState, constraintName: constraint);
        Assert.Equal(transient, PostgresControlStore.IsTransient(e));
    }

    [Fact]
    public async Task CreateNode_NameClashWithUncommittedRow_RetriesAndTakesNextName()
    {
        var ct = TestContext.Current.CancellationToken;
        var store = await OpenAsync(ct);
        var tailnet = await store.CreateTailnetAsync("t", "t.weft.internal", Now, ct);
        var user = await store.CreateUserAsync(tailnet.Id, "a@example.com", "A", "admin", Now, ct);

        // Another writer (as an older replica without the allocation lock would) inserts "laptop" and has not committed.
        await using var other = await RawAsync(ct);
        await using var tx = await other.BeginTransactionAsync(ct);
        await ScalarAsync(other,
            "INSERT INTO nodes (tailnet_id, user_id, machine_key, node_key, disco_key, name, hostinfo, ipv4, ipv4_num, ipv6, tags, endpoints, created, last_seen, key_expiry, ephemeral, authorized) " +
            $"VALUES ({tailnet.Id}, {user.Id}, 'mkey:x', 'kx', 'discokey:x', 'laptop', '{{}}', '100.64.3.232', 1000, 'fd00::100.64.3.232', '[]', '[]', 0, 0, NULL, 0, 1)", ct, tx);

        // The store cannot see that row, picks "laptop" too and blocks on the unique index until the other commits.
        var creating = Task.Run(() => store.CreateNodeAsync(Node(tailnet.Id, user.Id, "laptop", "k1"), Now, ct), ct);
        await WaitForLockWaiterAsync(ct);
        await tx.CommitAsync(ct);

        var node = await creating;
        Assert.Equal("laptop-1", node.Name);
        Assert.NotEqual(IPAddress.Parse("100.64.3.232"), node.IPv4);
        Assert.Equal(2, (await store.ListNodesAsync(tailnet.Id, ct)).Count);
    }

    [Fact]
    public async Task UpdateNode_RenameRacingUncommittedRename_ReportsTheClash()
    {
        var ct = TestContext.Current.CancellationToken;
        var store = await OpenAsync(ct);
        var tailnet = await store.CreateTailnetAsync("t", "t.weft.internal", Now, ct);
        var user = await store.CreateUserAsync(tailnet.Id, "a@example.com", "A", "admin", Now, ct);
        var a = await store.CreateNodeAsync(Node(tailnet.Id, user.Id, "a", "k1"), Now, ct);
        var b = await store.CreateNodeAsync(Node(tailnet.Id, user.Id, "b", "k2"), Now, ct);

        await using var other = await RawAsync(ct);
        await using var tx = await other.BeginTransactionAsync(ct);
        await ScalarAsync(other, $"UPDATE nodes SET name = 'server' WHERE id = {b.Id}", ct, tx);

        // The clash check passes (the rename is not committed), the update then waits on the index entry and
        // fails once the other commits; the retry sees the committed name and reports it as taken.
        var renaming = Task.Run(() => store.UpdateNodeAsync(a with { Name = "server" }, ct), ct);
        await WaitForLockWaiterAsync(ct);
        await tx.CommitAsync(ct);

        await Assert.ThrowsAsync<InvalidOperationException>(() => renaming);
        Assert.Equal("a", (await store.GetNodeAsync(a.Id, ct))!.Name);
    }

    [Fact]
    public async Task Secrets_AreStoredOnlyAsHashes()
    {
        var ct = TestContext.Current.CancellationToken;
        var store = await OpenAsync(ct);
        var tailnet = await store.CreateTailnetAsync("t", "t.weft.internal", Now, ct);
        var user = await store.CreateUserAsync(tailnet.Id, "a@example.com", "A", "admin", Now, ct);
        var (_, authSecret) = await store.CreateAuthKeyAsync(tailnet.Id, user.Id, new AuthKeyOptions(true, false, false, [], TimeSpan.FromDays(1)), Now, ct);
        var (_, apiSecret) = await store.CreateApiKeyAsync(tailnet.Id, user.Id, TimeSpan.FromDays(1), Now, ct);

        await using var c = await RawAsync(ct);
        var rows = (string)(await ScalarAsync(c, "SELECT (SELECT string_agg(a::text, '|') FROM auth_keys a) || (SELECT string_agg(k::text, '|') FROM api_keys k)", ct))!;
        Assert.DoesNotContain(authSecret[^20..], rows, StringComparison.Ordinal);
        Assert.DoesNotContain(apiSecret[^20..], rows, StringComparison.Ordinal);
    }
}
