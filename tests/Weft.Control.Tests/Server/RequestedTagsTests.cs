using Weft.Core.Control;

namespace Weft.Control.Tests.Server;

/// <summary>Tags a node asks for in its host info (<c>weft up --advertise-tags</c>), granted or refused by tagOwners.</summary>
public sealed class RequestedTagsTests
{
    private const string WebOwnedByAdmins = """
        {
          "tagOwners": { "tag:web": ["autogroup:admin"] },
          "acls": [ { "action": "accept", "src": ["*"], "dst": ["*:*"] } ],
        }
        """;

    [Fact]
    public async Task Register_PermittedRequestedTag_IsAppliedAndPeersSeeIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestControlServer.StartAsync(ct);
        await SetPolicyAsync(server, ct);
        var key = await server.AuthKeyAsync(ct);
        await using var a = await TestNode.JoinAsync(server, key, "alpha", ct);

        await using var b = await TestNode.ConnectAsync(server, ct);
        var reg = await b.Client.RegisterAsync(Request(b, key, "tag:web"), ct);
        Assert.True(reg.Authorized, reg.Error);
        Assert.Equal("", reg.Login);
        await b.Client.SendMapRequestAsync(new MapRequest { NodeKey = b.NodeKey, Stream = true, DiscoKey = "discokey:" + new string('0', 64) }, ct);
        var full = await b.Client.ReceiveMapAsync(ct);

        Assert.Equal(["tag:web"], full!.Self!.Tags);
        var added = await a.WaitForAsync(m => m.PeersChanged is { Count: > 0 }, ct);
        Assert.Equal(["tag:web"], added.PeersChanged![0].Tags);
        var stored = Assert.Single(await server.Store.ListNodesAsync(null, ct), n => n.Name == "beta");
        Assert.Equal(["tag:web"], stored.Tags);
    }

    [Fact]
    public async Task Register_TagNotInTagOwners_IsRefusedWithoutNode()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestControlServer.StartAsync(ct);
        await SetPolicyAsync(server, ct);
        var key = await server.AuthKeyAsync(ct);

        await using var node = await TestNode.ConnectAsync(server, ct);
        var reg = await node.Client.RegisterAsync(Request(node, key, "tag:web", "tag:x"), ct);

        Assert.False(reg.Authorized);
        Assert.Equal("requested tags [tag:x] are invalid or not permitted", reg.Error);
        Assert.Empty(await server.Store.ListNodesAsync(null, ct));
    }

    [Fact]
    public async Task HostInfoUpdate_PermittedTagIsAppliedAndRefusedOneIgnored()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await TestControlServer.StartAsync(ct);
        await SetPolicyAsync(server, ct);
        var key = await server.AuthKeyAsync(ct);
        await using var a = await TestNode.JoinAsync(server, key, "alpha", ct);
        await using var b = await TestNode.JoinAsync(server, key, "beta", ct);
        Assert.Empty(b.FullMap!.Self!.Tags);

        await b.Client.SendMapRequestAsync(new MapRequest
        {
            NodeKey = b.NodeKey,
            HostInfo = new HostInfo { Hostname = "beta", OS = "linux", RequestTags = ["tag:web", "tag:x"] },
        }, ct);

        var changed = await a.WaitForAsync(m => m.PeersChanged is { Count: > 0 } c && c[0].Tags.Count > 0, ct);
        Assert.Equal(b.Id, changed.PeersChanged![0].Id);
        Assert.Equal(["tag:web"], changed.PeersChanged[0].Tags);
    }

    private static RegisterRequest Request(TestNode node, string key, params string[] tags) => new()
    {
        NodeKey = node.NodeKey,
        AuthKey = key,
        HostInfo = new HostInfo { Hostname = "beta", OS = "linux", RequestTags = tags },
    };

    private static async Task SetPolicyAsync(TestControlServer server, CancellationToken ct)
    {
        using var response = await server.Http.SendAsync(server.Request(HttpMethod.Post, "/api/v2/tailnet/-/acl", server.OwnerApiKey, WebOwnedByAdmins), ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }
}
