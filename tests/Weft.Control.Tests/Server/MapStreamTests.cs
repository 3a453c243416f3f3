using Weft.Core.Control;

namespace Weft.Control.Tests.Server;

/// <summary>Registration and map streaming end to end against a real server on loopback.</summary>
public sealed class MapStreamTests
{
    private const string ForbidAll = """
        {
          "tagOwners": { "tag:nobody": ["autogroup:admin"] },
          "acls": [ { "action": "accept", "src": ["tag:nobody"], "dst": ["tag:nobody:*"] } ],
        }
        """;

    [Fact]
    public async Task TwoNodes_EachGetsTheOtherAndEndpointChangesArriveAsPatches()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestControlServer.StartAsync(ct);
        var key = await server.AuthKeyAsync(ct);
        await using var a = await TestNode.JoinAsync(server, key, "alpha", ct);
        await using var b = await TestNode.JoinAsync(server, key, "beta", ct);

        Assert.Empty(a.FullMap!.Peers!);
        var added = await a.WaitForAsync(m => m.PeersChanged is { Count: > 0 }, ct);
        Assert.Equal(b.Id, added.PeersChanged![0].Id);
        Assert.Equal("beta", added.PeersChanged[0].Name);
        Assert.Equal(a.Id, Assert.Single(b.FullMap!.Peers!).Id);
        Assert.NotNull(b.FullMap.PacketFilter);
        Assert.Equal("default.weft.internal", b.FullMap.Dns!.Domain);

        await b.Client.SendMapRequestAsync(new MapRequest { NodeKey = b.NodeKey, Endpoints = ["192.0.2.7:41641"] }, ct);
        var patch = await a.WaitForAsync(m => m.PeersPatched is { } p && p[0].Endpoints is not null, ct);
        Assert.Equal(b.Id, patch.PeersPatched![0].Id);
        Assert.Equal(["192.0.2.7:41641"], patch.PeersPatched[0].Endpoints);
    }

    [Fact]
    public async Task FullMap_CarriesTheConfiguredLatestClientVersion_OnlyWhenSet()
    {
        var ct = TestContext.Current.CancellationToken;
        await using (var plain = await TestControlServer.StartAsync(ct))
        {
            await using var node = await TestNode.JoinAsync(plain, await plain.AuthKeyAsync(ct), "alpha", ct);
            Assert.Null(node.FullMap!.LatestClientVersion);
        }

        await using var server = await TestControlServer.StartAsync(ct, o => o.LatestClientVersion = "9.9.9");
        await using var a = await TestNode.JoinAsync(server, await server.AuthKeyAsync(ct), "alpha", ct);
        Assert.Equal("9.9.9", a.FullMap!.LatestClientVersion);
    }

    [Fact]
    public async Task PolicyForbiddingThem_RemovesEachFromTheOthersMap()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestControlServer.StartAsync(ct);
        var key = await server.AuthKeyAsync(ct);
        await using var a = await TestNode.JoinAsync(server, key, "alpha", ct);
        await using var b = await TestNode.JoinAsync(server, key, "beta", ct);

        using var response = await server.Http.SendAsync(server.Request(HttpMethod.Post, "/api/v2/tailnet/-/acl", server.OwnerApiKey, ForbidAll), ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(b.Id, (await a.WaitForAsync(m => m.PeersRemoved is not null, ct)).PeersRemoved!);
        Assert.Contains(a.Id, (await b.WaitForAsync(m => m.PeersRemoved is not null, ct)).PeersRemoved!);
    }

    [Fact]
    public async Task DeleteNode_RemovesItFromPeerAndEndsItsStream()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestControlServer.StartAsync(ct);
        var key = await server.AuthKeyAsync(ct);
        await using var a = await TestNode.JoinAsync(server, key, "alpha", ct);
        await using var b = await TestNode.JoinAsync(server, key, "beta", ct);

        using var response = await server.Http.SendAsync(server.Request(HttpMethod.Delete, $"/api/v2/device/{b.Id}", server.OwnerApiKey), ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([b.Id], (await a.WaitForAsync(m => m.PeersRemoved is not null, ct)).PeersRemoved!);
        while (await b.Client.ReceiveMapAsync(ct) is not null)
        {
            // Drain until the server ends the deleted node's stream.
        }
    }

    [Fact]
    public async Task Register_ExpiredUsedUpOrUnknownAuthKey_IsRefusedWithoutNode()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestControlServer.StartAsync(ct);
        var oneOff = await server.AuthKeyAsync(ct, reusable: false);
        await using var first = await TestNode.JoinAsync(server, oneOff, "first", ct);

        await using var second = await TestNode.ConnectAsync(server, ct);
        Assert.Equal("auth key already used", (await second.RegisterAsync(oneOff, "second", ct)).Error);
        Assert.Equal("auth key not found", (await second.RegisterAsync("weft-auth-000000000000-x", "second", ct)).Error);
        var expired = await server.AuthKeyAsync(ct, lifetime: TimeSpan.FromMilliseconds(1));
        // The key was created 1 ms long; by the time it is used (a network round trip later) it has expired.
        await using var third = await TestNode.ConnectAsync(server, ct);
        var r = await third.RegisterAsync(expired, "third", ct);
        Assert.Equal("auth key expired", r.Error);
        Assert.Single(await server.Store.ListNodesAsync(null, ct));
    }

    [Fact]
    public async Task Register_Interactive_WaitsForAdminApproval()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestControlServer.StartAsync(ct);
        await using var node = await TestNode.ConnectAsync(server, ct);
        var first = await node.RegisterAsync(null, "laptop", ct);
        Assert.False(first.Authorized);
        Assert.NotNull(first.AuthUrl);

        var waiting = node.RegisterAsync(null, "laptop", ct, followup: first.AuthUrl);
        var id = first.AuthUrl![(first.AuthUrl.LastIndexOf('/') + 1)..];
        using var approve = await server.Http.SendAsync(server.Request(HttpMethod.Post, $"/api/v2/tailnet/-/registrations/{id}/approve", server.OwnerApiKey), ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, approve.StatusCode);
        var done = await waiting;
        Assert.True(done.Authorized);
        Assert.Equal("admin", done.Login);
    }
}
