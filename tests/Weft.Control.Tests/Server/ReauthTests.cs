using System.Net;

namespace Weft.Control.Tests.Server;

/// <summary>Logging in again after the key expired keeps the node's identity and addresses.</summary>
public sealed class ReauthTests
{
    private static async Task<long> ApproveAsync(TestControlServer s, string authUrl, CancellationToken ct)
    {
        var id = authUrl[(authUrl.LastIndexOf('/') + 1)..];
        using var r = await s.Http.SendAsync(s.Request(HttpMethod.Post, $"/api/v2/tailnet/-/registrations/{id}/approve", s.OwnerApiKey), ct);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var device = System.Text.Json.JsonDocument.Parse(await r.Content.ReadAsStringAsync(ct)).RootElement;
        return long.Parse(device.GetProperty("id").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task InteractiveLogin_AfterKeyExpired_KeepsNodeIdAndAddresses()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        await using var node = await TestNode.ConnectAsync(s, ct);
        var first = await node.RegisterAsync(null, "laptop", ct);
        var id = await ApproveAsync(s, first.AuthUrl!, ct);
        var before = (await s.Store.GetNodeAsync(id, ct))!;

        using (var expire = await s.Http.SendAsync(s.Request(HttpMethod.Post, $"/api/v2/device/{id}/expire", s.OwnerApiKey), ct))
        {
            Assert.Equal(HttpStatusCode.OK, expire.StatusCode);
        }

        var again = await node.RegisterAsync(null, "laptop", ct);
        Assert.False(again.Authorized);
        Assert.Equal(id, await ApproveAsync(s, again.AuthUrl!, ct));

        var after = Assert.Single(await s.Store.ListNodesAsync(null, ct));
        Assert.Equal(before.IPv4, after.IPv4);
        Assert.Equal(before.Name, after.Name);
        Assert.True(after.KeyExpiry > DateTimeOffset.UtcNow);
    }
}
