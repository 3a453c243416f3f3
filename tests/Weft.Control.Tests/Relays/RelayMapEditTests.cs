using System.Net;
using System.Text.Json;
using Weft.Control.Relays;
using Weft.Control.Tests.Server;
using Weft.Core.Control;

namespace Weft.Control.Tests.Relays;

/// <summary>
/// Editing the relay map through the API: validated with errors naming the region and relay, stored for restarts,
/// sent to every connected node as a delta, and open to server admins only.
/// </summary>
public sealed class RelayMapEditTests
{
    private const string Frankfurt = """{"regions":[{"id":1,"code":"fra","name":"Frankfurt","relays":[{"url":"https://relay-fra.example","stunPort":3478}]}]}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static RelayRegion Region(int id, string code, params string[] urls) =>
        new() { Id = id, Code = code, Relays = [.. urls.Select(u => new RelayNode { Url = u, StunPort = 3478 })] };

    private static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(TestControlServer s, HttpMethod method, string? key, string? body = null)
    {
        using var response = await s.Http.SendAsync(s.Request(method, "/api/v2/relaymap", key, body), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public void Problems_NameTheRegionAndRelay()
    {
        var bad = new RelayMapOverride
        {
            Regions =
            [
                Region(1, "fra", "ftp://relay.example"),
                Region(1, "", "https://ok.example"),
                Region(900, "lab", "https://ok.example"),
                new RelayRegion { Id = 2, Code = "FRA", Relays = [new RelayNode { Url = "relative/path", StunPort = 70000 }] },
                Region(3, "empty"),
            ],
        };
        var problems = RelayMapFactory.Problems(bad, embeddedRegionId: 900);
        Assert.Contains("regions[0] (id 1, code 'fra'): relays[0].url 'ftp://relay.example' is not an absolute http:// or https:// URL", problems);
        Assert.Contains("regions[1] (id 1, code ''): id 1 is used by regions[0] too", problems);
        Assert.Contains("regions[1] (id 1, code ''): code must not be empty", problems);
        Assert.Contains(problems, p => p.StartsWith("regions[2] (id 900, code 'lab'): id 900 is the embedded relay's region", StringComparison.Ordinal));
        Assert.Contains("regions[3] (id 2, code 'FRA'): code 'FRA' is used by regions[0] too", problems);
        Assert.Contains("regions[3] (id 2, code 'FRA'): relays[0].url 'relative/path' is not an absolute http:// or https:// URL", problems);
        Assert.Contains("regions[4] (id 3, code 'empty'): relays must list at least one relay", problems);

        var stun = new RelayMapOverride { Regions = [new RelayRegion { Id = 5, Code = "x", Relays = [new RelayNode { Url = "http://x.example", StunPort = 65536 }] }] };
        Assert.Equal(["regions[0] (id 5, code 'x'): relays[0].stunPort must be between 0 (no STUN) and 65535, not 65536"], RelayMapFactory.Problems(stun, null));

        // Without the embedded relay, its id is free, and an empty map is refused: nodes behind NATs would lose each other.
        Assert.Empty(RelayMapFactory.Problems(new RelayMapOverride { Embedded = false, Regions = [Region(900, "lab", "https://ok.example")] }, 900));
        Assert.Empty(RelayMapFactory.Problems(new RelayMapOverride { Regions = [] }, 900));
        Assert.Single(RelayMapFactory.Problems(new RelayMapOverride { Embedded = false, Regions = [] }, 900));
        Assert.Single(RelayMapFactory.Problems(new RelayMapOverride { Regions = [] }, null));
    }

    [Fact]
    public async Task Put_ReachesConnectedNodesAsADelta_AndNewNodesInTheFullMap_ResetGoesBackToTheConfig()
    {
        await using var s = await TestControlServer.StartAsync(Ct, o => o.Relays.StunPort = 0);
        var key = await s.AuthKeyAsync(Ct);
        await using var a = await TestNode.JoinAsync(s, key, "a", Ct);
        var embedded = Assert.Single(a.FullMap!.RelayMap!.Regions);

        var (status, body) = await SendAsync(s, HttpMethod.Get, s.OwnerApiKey);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("config", body.GetProperty("source").GetString());
        Assert.True(body.GetProperty("embedded").GetBoolean());
        Assert.Equal(RelaySettings.DefaultRegionId, body.GetProperty("embeddedRegionId").GetInt32());

        (status, body) = await SendAsync(s, HttpMethod.Put, s.OwnerApiKey, Frankfurt);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("database", body.GetProperty("source").GetString());

        // The embedded relay stays first; the override's region follows.
        var delta = await a.WaitForAsync(m => m.RelayMap is not null, Ct);
        Assert.Equal([RelaySettings.DefaultRegionId, 1], delta.RelayMap!.Regions.Select(r => r.Id));
        Assert.Equal(embedded.Relays[0].Url, delta.RelayMap.Regions[0].Relays[0].Url);
        Assert.Equal(("fra", "Frankfurt", "https://relay-fra.example", 3478), (delta.RelayMap.Regions[1].Code, delta.RelayMap.Regions[1].Name, delta.RelayMap.Regions[1].Relays[0].Url, delta.RelayMap.Regions[1].Relays[0].StunPort));
        Assert.Null(delta.Peers);

        await using (var b = await TestNode.JoinAsync(s, key, "b", Ct))
        {
            Assert.Equal([RelaySettings.DefaultRegionId, 1], b.FullMap!.RelayMap!.Regions.Select(r => r.Id));
        }

        (status, _) = await SendAsync(s, HttpMethod.Put, s.OwnerApiKey, Frankfurt.Replace("{\"regions\"", "{\"embedded\":false,\"regions\"", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal([1], (await a.WaitForAsync(m => m.RelayMap is not null, Ct)).RelayMap!.Regions.Select(r => r.Id));

        (status, body) = await SendAsync(s, HttpMethod.Delete, s.OwnerApiKey);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("config", body.GetProperty("source").GetString());
        Assert.Equal([RelaySettings.DefaultRegionId], (await a.WaitForAsync(m => m.RelayMap is not null, Ct)).RelayMap!.Regions.Select(r => r.Id));
    }

    [Fact]
    public async Task Put_InvalidMap_Is400NamingTheRegionAndRelay_AndChangesNothing()
    {
        await using var s = await TestControlServer.StartAsync(Ct, o => o.Relays.StunPort = 0);
        var (status, body) = await SendAsync(s, HttpMethod.Put, s.OwnerApiKey, Frankfurt.Replace("https://relay-fra.example", "relay-fra.example", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("regions[0] (id 1, code 'fra'): relays[0].url 'relay-fra.example'", body.GetProperty("detail").GetString(), StringComparison.Ordinal);

        (status, body) = await SendAsync(s, HttpMethod.Put, s.OwnerApiKey, """{"regions":[{"id":900,"code":"x","relays":[{"url":"https://x.example"}]}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("embedded relay's region", body.GetProperty("detail").GetString(), StringComparison.Ordinal);

        (status, body) = await SendAsync(s, HttpMethod.Put, s.OwnerApiKey, "{\"regions\": [");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("not valid JSON", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(s, HttpMethod.Put, s.OwnerApiKey, "")).Status);

        Assert.Null(await s.Store.GetRelayMapAsync(Ct));
        Assert.Null(s.Server.Service.RelayMapOverride);
        Assert.Single(s.Server.RelayMap.Regions);
    }

    [Fact]
    public async Task RelayMap_IsForServerAdminsOnly()
    {
        await using var s = await TestControlServer.StartAsync(Ct, o => o.Relays.StunPort = 0);
        var (tailnet, _) = await s.FirstAsync(Ct);
        var member = await s.Store.CreateUserAsync(tailnet.Id, "m@example.com", "M", "member", DateTimeOffset.UtcNow, Ct);
        var memberKey = (await s.Store.CreateApiKeyAsync(tailnet.Id, member.Id, TimeSpan.FromDays(1), DateTimeOffset.UtcNow, Ct)).Secret;
        var other = await s.Store.CreateTailnetAsync("other", "other.weft.internal", DateTimeOffset.UtcNow, Ct);
        var otherOwner = await s.Store.CreateUserAsync(other.Id, "o@other.example", "O", "owner", DateTimeOffset.UtcNow, Ct);
        var otherKey = (await s.Store.CreateApiKeyAsync(other.Id, otherOwner.Id, TimeSpan.FromDays(1), DateTimeOffset.UtcNow, Ct)).Secret;

        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(s, HttpMethod.Get, null)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(s, HttpMethod.Get, memberKey)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(s, HttpMethod.Put, memberKey, Frankfurt)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(s, HttpMethod.Put, otherKey, Frankfurt)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(s, HttpMethod.Delete, otherKey)).Status);
        Assert.Null(await s.Store.GetRelayMapAsync(Ct));
    }

    [Fact]
    public async Task Override_SurvivesARestart()
    {
        var s = await TestControlServer.StartAsync(Ct, o => o.Relays.StunPort = 0);
        try
        {
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(s, HttpMethod.Put, s.OwnerApiKey, Frankfurt)).Status);
            s = await s.RestartAsync(Ct, o => o.Relays.StunPort = 0);
            await using var a = await TestNode.JoinAsync(s, await s.AuthKeyAsync(Ct), "a", Ct);
            Assert.Equal([RelaySettings.DefaultRegionId, 1], a.FullMap!.RelayMap!.Regions.Select(r => r.Id));
            Assert.Equal(s.Server.Address.GetLeftPart(UriPartial.Authority), a.FullMap.RelayMap.Regions[0].Relays[0].Url);
            Assert.Contains("relay-fra.example", s.Server.Service.RelayMapJson(), StringComparison.Ordinal);
        }
        finally
        {
            await s.DisposeAsync();
        }
    }
}
