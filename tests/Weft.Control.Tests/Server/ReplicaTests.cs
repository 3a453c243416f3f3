using System.Net;
using Npgsql;
using Weft.Control.Storage;
using Weft.Control.Tests.Fixtures;
using Weft.Core.Control;

namespace Weft.Control.Tests.Server;

/// <summary>Two `weft control` replicas on one PostgreSQL database: a node on one sees what happens on the other, through LISTEN/NOTIFY.</summary>
public sealed class ReplicaTests(PostgresServer postgres) : IAsyncLifetime
{
    private const string ForbidAll = """
        {
          "tagOwners": { "tag:nobody": ["autogroup:admin"] },
          "acls": [ { "action": "accept", "src": ["tag:nobody"], "dst": ["tag:nobody:*"] } ],
        }
        """;

    private string? _database;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_database is not null)
        {
            await postgres.DropDatabaseAsync(_database);
        }
    }

    private async Task<(TestControlServer One, TestControlServer Two)> StartReplicasAsync(CancellationToken ct)
    {
        _database = await postgres.CreateDatabaseAsync(ct);
        var one = await TestControlServer.StartAsync(ct, o => o.Postgres = _database);
        var two = await TestControlServer.StartAsync(ct, o => o.Postgres = _database);
        return (one, two);
    }

    [Fact]
    public async Task NodeOnOneReplica_SeesJoinPatchPolicyAndDeletionMadeOnTheOther()
    {
        var ct = TestContext.Current.CancellationToken;
        var (one, two) = await StartReplicasAsync(ct);
        await using var r1 = one;
        await using var r2 = two;
        var key = await r1.AuthKeyAsync(ct);
        await using var a = await TestNode.JoinAsync(r1, key, "a", ct);
        Assert.Empty(a.FullMap!.Peers ?? []);

        await using var b = await TestNode.JoinAsync(r2, key, "b", ct);
        var joined = await a.WaitForAsync(m => m.PeersChanged?.Any(p => p.Id == b.Id) == true, ct);
        Assert.Equal(b.FullMap!.Self!.Addresses, joined.PeersChanged!.Single(p => p.Id == b.Id).Addresses);

        await b.Client.SendMapRequestAsync(new MapRequest { NodeKey = b.NodeKey, Endpoints = ["192.0.2.7:41641"] }, ct);
        var patch = await a.WaitForAsync(m => m.PeersPatched?.Any(p => p.Id == b.Id && p.Endpoints is { Count: > 0 }) == true, ct);
        Assert.Equal(["192.0.2.7:41641"], patch.PeersPatched!.Single(p => p.Id == b.Id).Endpoints);

        using (var policy = await r2.Http.SendAsync(r2.Request(HttpMethod.Post, "/api/v2/tailnet/-/acl", r2.OwnerApiKey, ForbidAll), ct))
        {
            Assert.Equal(HttpStatusCode.OK, policy.StatusCode);
        }

        Assert.Contains(b.Id, (await a.WaitForAsync(m => m.PeersRemoved is not null, ct)).PeersRemoved!);
        using (var policy = await r2.Http.SendAsync(r2.Request(HttpMethod.Post, "/api/v2/tailnet/-/acl", r2.OwnerApiKey, ControlConstants.DefaultPolicyText), ct))
        {
            Assert.Equal(HttpStatusCode.OK, policy.StatusCode);
        }

        await a.WaitForAsync(m => m.PeersChanged?.Any(p => p.Id == b.Id) == true, ct);

        using (var delete = await r2.Http.SendAsync(r2.Request(HttpMethod.Delete, $"/api/v2/device/{b.Id}", r2.OwnerApiKey), ct))
        {
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        }

        Assert.Equal([b.Id], (await a.WaitForAsync(m => m.PeersRemoved is not null, ct)).PeersRemoved!);
    }

    [Fact]
    public async Task UserRemovedOnOneReplica_TheirMachineLeavesPeersOnTheOther()
    {
        var ct = TestContext.Current.CancellationToken;
        var (one, two) = await StartReplicasAsync(ct);
        await using var r1 = one;
        await using var r2 = two;
        var (tailnet, _) = await r1.FirstAsync(ct);
        var member = await r1.Store.CreateUserAsync(tailnet.Id, "m@example.com", "M", "member", DateTimeOffset.UtcNow, ct);
        var (_, memberKey) = await r1.Store.CreateAuthKeyAsync(tailnet.Id, member.Id, new AuthKeyOptions(true, false, false, [], TimeSpan.FromDays(1)), DateTimeOffset.UtcNow, ct);
        await using var a = await TestNode.JoinAsync(r1, await r1.AuthKeyAsync(ct), "a", ct);
        await using var m = await TestNode.JoinAsync(r1, memberKey, "m", ct);
        await a.WaitForAsync(r => r.PeersChanged?.Any(p => p.Id == m.Id) == true, ct);

        using (var remove = await r2.Http.SendAsync(r2.Request(HttpMethod.Delete, $"/api/v2/users/{member.Id}", r2.OwnerApiKey), ct))
        {
            Assert.Equal(HttpStatusCode.OK, remove.StatusCode);
        }

        Assert.Equal([m.Id], (await a.WaitForAsync(r => r.PeersRemoved is not null, ct)).PeersRemoved!);
        while (await m.Client.ReceiveMapAsync(ct) is not null)
        {
            // Drain until replica one ends the removed machine's stream.
        }
    }

    [Fact]
    public async Task RelayMapSetOnOneReplica_ReachesNodesOnTheOther()
    {
        var ct = TestContext.Current.CancellationToken;
        var (one, two) = await StartReplicasAsync(ct);
        await using var r1 = one;
        await using var r2 = two;
        await using var a = await TestNode.JoinAsync(r1, await r1.AuthKeyAsync(ct), "a", ct);

        using (var put = await r2.Http.SendAsync(r2.Request(HttpMethod.Put, "/api/v2/relaymap", r2.OwnerApiKey,
            """{"regions":[{"id":1,"code":"fra","relays":[{"url":"https://relay-fra.example"}]}]}"""), ct))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        // Replica one keeps its own embedded relay first and takes the shared override's region.
        var delta = await a.WaitForAsync(m => m.RelayMap is not null, ct);
        Assert.Equal([900, 1], delta.RelayMap!.Regions.Select(r => r.Id));
        Assert.Equal(r1.Server.Address.GetLeftPart(UriPartial.Authority), delta.RelayMap.Regions[0].Relays[0].Url);
        Assert.Equal("https://relay-fra.example", delta.RelayMap.Regions[1].Relays[0].Url);
    }

    [Fact]
    public async Task InteractiveLogin_ApprovedOnOtherReplica_AnswersTheWaitingFollowup()
    {
        var ct = TestContext.Current.CancellationToken;
        var (one, two) = await StartReplicasAsync(ct);
        await using var r1 = one;
        await using var r2 = two;
        await using var node = await TestNode.ConnectAsync(r1, ct);
        var url = (await node.RegisterAsync(null, "laptop", ct)).AuthUrl!;
        var followup = node.RegisterAsync(null, "laptop", ct, followup: url);

        var id = url[(url.LastIndexOf('/') + 1)..];
        using (var approve = await r2.Http.SendAsync(r2.Request(HttpMethod.Post, $"/api/v2/tailnet/-/registrations/{id}/approve", r2.OwnerApiKey), ct))
        {
            Assert.Equal(HttpStatusCode.OK, approve.StatusCode);
        }

        var answer = await followup;
        Assert.True(answer.Authorized, answer.Error);
    }

    [Fact]
    public async Task ListenerConnectionLost_Reconnects_AndResyncBringsMissedChanges()
    {
        var ct = TestContext.Current.CancellationToken;
        var (one, two) = await StartReplicasAsync(ct);
        await using var r1 = one;
        await using var r2 = two;
        var key = await r1.AuthKeyAsync(ct);
        await using var a = await TestNode.JoinAsync(r1, key, "a", ct);
        await using var b = await TestNode.JoinAsync(r1, key, "b", ct);
        await a.WaitForAsync(m => m.PeersChanged?.Any(p => p.Id == b.Id) == true || m.Peers?.Any(p => p.Id == b.Id) == true, ct);

        // Deleted behind every feed's back, as if its notification was lost: only a resync can tell replica 1.
        Assert.True(await r2.Store.DeleteNodeAsync(b.Id, ct));
        await TerminateListenersAsync(ct);

        Assert.Contains(b.Id, (await a.WaitForAsync(m => m.PeersRemoved is not null, ct)).PeersRemoved!);
    }

    /// <summary>Ends every replica's listening connection from the server side, as a failover or network cut would.</summary>
    private async Task TerminateListenersAsync(CancellationToken ct)
    {
        await using var c = new NpgsqlConnection(_database);
        await c.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = @a AND datname = current_database()", c);
        cmd.Parameters.AddWithValue("a", "weft-control-changes");
        Assert.Equal(2L, (long)(await cmd.ExecuteScalarAsync(ct))!);
    }
}
