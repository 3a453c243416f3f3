using System.Net;
using System.Text.Json;
using Weft.Control.Storage;
using Weft.Core.Control;

namespace Weft.Control.Tests.Server;

/// <summary>REST API administration: device name, key expiry, routes, DNS, users and roles, API keys, policy history and preview, OpenAPI.</summary>
public sealed class AdminApiTests
{
    private const string ForbidAll = """
        {
          "tagOwners": { "tag:nobody": ["autogroup:admin"] },
          "acls": [ { "action": "accept", "src": ["tag:nobody"], "dst": ["tag:nobody:*"] } ],
        }
        """;

    private static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(TestControlServer s, HttpMethod method, string path, string? key, string? body = null)
    {
        var ct = TestContext.Current.CancellationToken;
        using var r = await s.Http.SendAsync(s.Request(method, path, key, body), ct);
        var text = await r.Content.ReadAsStringAsync(ct);
        Assert.NotEqual(HttpStatusCode.InternalServerError, r.StatusCode);
        var json = r.Content.Headers.ContentType?.MediaType is "application/json" or "application/problem+json";
        return (r.StatusCode, json ? JsonDocument.Parse(text).RootElement.Clone() : default);
    }

    /// <summary>An API key of a new user with <paramref name="role"/>.</summary>
    private static async Task<(UserRecord User, string Key)> UserKeyAsync(TestControlServer s, string login, string role)
    {
        var ct = TestContext.Current.CancellationToken;
        var (tailnet, _) = await s.FirstAsync(ct);
        var user = await s.Store.CreateUserAsync(tailnet.Id, login, login, role, DateTimeOffset.UtcNow, ct);
        var (_, key) = await s.Store.CreateApiKeyAsync(tailnet.Id, user.Id, TimeSpan.FromDays(1), DateTimeOffset.UtcNow, ct);
        return (user, key);
    }

    [Fact]
    public async Task SetName_Valid_RenamesAndPeersSeeIt_InvalidTakenOrMemberRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        var key = await s.AuthKeyAsync(ct);
        await using var a = await TestNode.JoinAsync(s, key, "alpha", ct);
        await using var b = await TestNode.JoinAsync(s, key, "beta", ct);
        await a.WaitForAsync(m => m.PeersChanged is { Count: > 0 }, ct);

        var (ok, device) = await SendAsync(s, HttpMethod.Post, $"/api/v2/device/{b.Id}/name", s.OwnerApiKey, """{"name":"build-box"}""");
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal("build-box", device.GetProperty("name").GetString());
        var changed = await a.WaitForAsync(m => m.PeersChanged is { Count: > 0 } p && p[0].Name == "build-box", ct);
        Assert.Equal("build-box.default.weft.internal", changed.PeersChanged![0].Fqdn);

        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(s, HttpMethod.Post, $"/api/v2/device/{b.Id}/name", s.OwnerApiKey, """{"name":"Not Valid!"}""")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(s, HttpMethod.Post, $"/api/v2/device/{b.Id}/name", s.OwnerApiKey, "{not json")).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(s, HttpMethod.Post, $"/api/v2/device/{b.Id}/name", s.OwnerApiKey, """{"name":"alpha"}""")).Status);
        var (_, member) = await UserKeyAsync(s, "bob@example.com", "member");
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(s, HttpMethod.Post, $"/api/v2/device/{b.Id}/name", member, """{"name":"mine"}""")).Status);
        Assert.Equal("build-box", (await s.Store.GetNodeAsync(b.Id, ct))!.Name);
    }

    [Fact]
    public async Task KeyExpiry_DisabledThenEnabled_StoredAndShown()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        await using var a = await TestNode.JoinAsync(s, await s.AuthKeyAsync(ct), "alpha", ct);
        Assert.NotNull((await s.Store.GetNodeAsync(a.Id, ct))!.KeyExpiry);

        var (status, device) = await SendAsync(s, HttpMethod.Post, $"/api/v2/device/{a.Id}/key", s.OwnerApiKey, """{"keyExpiryDisabled":true}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(device.GetProperty("keyExpiryDisabled").GetBoolean());
        Assert.Null((await s.Store.GetNodeAsync(a.Id, ct))!.KeyExpiry);

        (status, _) = await SendAsync(s, HttpMethod.Post, $"/api/v2/device/{a.Id}/key", s.OwnerApiKey, """{"keyExpiryDisabled":false}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True((await s.Store.GetNodeAsync(a.Id, ct))!.KeyExpiry > DateTimeOffset.UtcNow.AddDays(179));
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(s, HttpMethod.Post, $"/api/v2/device/{a.Id}/key", s.OwnerApiKey, "[]")).Status);
    }

    [Fact]
    public async Task Routes_AdvertisedThenEnabled_ReachPeersAsAllowedIPs()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        var key = await s.AuthKeyAsync(ct);
        await using var a = await TestNode.JoinAsync(s, key, "alpha", ct);
        await using var router = await TestNode.JoinAsync(s, key, "router", ct);
        await a.WaitForAsync(m => m.PeersChanged is { Count: > 0 }, ct);

        await router.Client.SendMapRequestAsync(new MapRequest { NodeKey = router.NodeKey, HostInfo = new HostInfo { Hostname = "router", RoutableIPs = ["10.1.0.0/24"] } }, ct);
        await a.WaitForAsync(m => m.PeersChanged is { Count: > 0 } p && p[0].HostInfo.RoutableIPs.Count == 1, ct);
        var (_, routes) = await SendAsync(s, HttpMethod.Get, $"/api/v2/device/{router.Id}/routes", s.OwnerApiKey);
        Assert.Equal("10.1.0.0/24", routes.GetProperty("advertisedRoutes")[0].GetString());
        Assert.Equal(0, routes.GetProperty("enabledRoutes").GetArrayLength());

        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(s, HttpMethod.Post, $"/api/v2/device/{router.Id}/routes", s.OwnerApiKey, """{"routes":["10.9.0.0/24"]}""")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(s, HttpMethod.Post, $"/api/v2/device/{router.Id}/routes", s.OwnerApiKey, """{"routes":["10.1.0.0/99"]}""")).Status);
        var (status, enabled) = await SendAsync(s, HttpMethod.Post, $"/api/v2/device/{router.Id}/routes", s.OwnerApiKey, """{"routes":["10.1.0.0/24"]}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("10.1.0.0/24", enabled.GetProperty("enabledRoutes")[0].GetString());
        var seen = await a.WaitForAsync(m => m.PeersChanged is { Count: > 0 } p && p[0].AllowedIPs.Contains("10.1.0.0/24"), ct);
        Assert.Equal(router.Id, seen.PeersChanged![0].Id);
    }

    [Fact]
    public async Task Routes_CoveredByAutoApprovers_AreEnabledWithoutAnAdmin()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        const string Policy = """
            {
              "tagOwners": { "tag:router": ["autogroup:admin"] },
              "acls": [ { "action": "accept", "src": ["*"], "dst": ["*:*"] } ],
              "autoApprovers": { "routes": { "10.2.0.0/16": ["tag:router"] } },
            }
            """;
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(s, HttpMethod.Post, "/api/v2/tailnet/-/acl", s.OwnerApiKey, Policy)).Status);
        var (tailnet, owner) = await s.FirstAsync(ct);
        var (_, tagged) = await s.Store.CreateAuthKeyAsync(tailnet.Id, owner.Id, new AuthKeyOptions(true, false, true, ["tag:router"], TimeSpan.FromDays(1)), DateTimeOffset.UtcNow, ct);
        await using var router = await TestNode.ConnectAsync(s, ct);
        var reg = await router.Client.RegisterAsync(new RegisterRequest
        {
            NodeKey = router.NodeKey,
            AuthKey = tagged,
            HostInfo = new HostInfo { Hostname = "router", RoutableIPs = ["10.2.3.0/24", "10.3.0.0/24"] },
        }, ct);
        Assert.True(reg.Authorized, reg.Error);

        await router.Client.SendMapRequestAsync(new MapRequest { NodeKey = router.NodeKey, Stream = true }, ct);
        var self = (await router.Client.ReceiveMapAsync(ct))!.Self!;
        Assert.Contains("10.2.3.0/24", self.AllowedIPs);
        Assert.DoesNotContain("10.3.0.0/24", self.AllowedIPs);
        var (_, routes) = await SendAsync(s, HttpMethod.Get, $"/api/v2/device/{self.Id}/routes", s.OwnerApiKey);
        Assert.Equal(2, routes.GetProperty("advertisedRoutes").GetArrayLength());
        Assert.Equal("10.2.3.0/24", Assert.Single(routes.GetProperty("enabledRoutes").EnumerateArray()).GetString());
    }

    [Fact]
    public async Task Dns_Set_ReachesConnectedNodesAndIsValidated()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        await using var a = await TestNode.JoinAsync(s, await s.AuthKeyAsync(ct), "alpha", ct);
        const string Dns = """{"magicDns":false,"nameservers":["192.0.2.53"],"searchPaths":["corp.example.com"],"splitDns":{"lab.example.com":["10.0.0.53"]}}""";

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(s, HttpMethod.Post, "/api/v2/tailnet/-/dns", s.OwnerApiKey, Dns)).Status);
        var dns = (await a.WaitForAsync(m => m.Dns is not null, ct)).Dns!;
        Assert.False(dns.MagicDns);
        Assert.Equal(["192.0.2.53"], dns.Nameservers);
        Assert.Equal(["corp.example.com"], dns.SearchDomains);
        Assert.Equal(["10.0.0.53"], dns.SplitDns["lab.example.com"]);
        Assert.Equal("default.weft.internal", dns.Domain);
        var (_, read) = await SendAsync(s, HttpMethod.Get, "/api/v2/tailnet/-/dns", s.OwnerApiKey);
        Assert.False(read.GetProperty("magicDns").GetBoolean());

        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(s, HttpMethod.Post, "/api/v2/tailnet/-/dns", s.OwnerApiKey, """{"nameservers":["not-an-ip"]}""")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(s, HttpMethod.Post, "/api/v2/tailnet/-/dns", s.OwnerApiKey, """{"splitDns":{"bad name!":["10.0.0.1"]}}""")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(s, HttpMethod.Post, "/api/v2/tailnet/-/dns", s.OwnerApiKey, """{"splitDns":{"x.example":[]}}""")).Status);
        var (_, member) = await UserKeyAsync(s, "bob@example.com", "member");
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(s, HttpMethod.Post, "/api/v2/tailnet/-/dns", member, Dns)).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(s, HttpMethod.Get, "/api/v2/tailnet/-/dns", member)).Status);
    }

    [Fact]
    public async Task DnsParts_TailscaleShapedEndpoints_ChangeOnePartEach()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        await using var a = await TestNode.JoinAsync(s, await s.AuthKeyAsync(ct), "alpha", ct);

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(s, HttpMethod.Post, "/api/v2/tailnet/-/dns/nameservers", s.OwnerApiKey, """{"dns":["192.0.2.53"]}""")).Status);
        Assert.Equal(["192.0.2.53"], (await a.WaitForAsync(m => m.Dns is not null, ct)).Dns!.Nameservers);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(s, HttpMethod.Post, "/api/v2/tailnet/-/dns/preferences", s.OwnerApiKey, """{"magicDNS":false}""")).Status);
        var dns = (await a.WaitForAsync(m => m.Dns is not null, ct)).Dns!;
        Assert.False(dns.MagicDns);
        Assert.Equal(["192.0.2.53"], dns.Nameservers);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(s, HttpMethod.Post, "/api/v2/tailnet/-/dns/split-dns", s.OwnerApiKey, """{"lab.example.com":["10.0.0.53"]}""")).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(s, HttpMethod.Post, "/api/v2/tailnet/-/dns/searchpaths", s.OwnerApiKey, """{"searchPaths":["corp.example.com"]}""")).Status);

        var (_, all) = await SendAsync(s, HttpMethod.Get, "/api/v2/tailnet/-/dns", s.OwnerApiKey);
        Assert.Equal("10.0.0.53", all.GetProperty("splitDns").GetProperty("lab.example.com")[0].GetString());
        Assert.Equal("corp.example.com", all.GetProperty("searchPaths")[0].GetString());
        var (_, ns) = await SendAsync(s, HttpMethod.Get, "/api/v2/tailnet/-/dns/nameservers", s.OwnerApiKey);
        Assert.Equal("192.0.2.53", ns.GetProperty("dns")[0].GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(s, HttpMethod.Post, "/api/v2/tailnet/-/dns/nameservers", s.OwnerApiKey, """{"dns":["nope"]}""")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(s, HttpMethod.Post, "/api/v2/tailnet/-/dns/searchpaths", s.OwnerApiKey, "{}")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(s, HttpMethod.Post, "/api/v2/tailnet/-/dns/split-dns", s.OwnerApiKey, "[1,2]")).Status);
    }

    [Fact]
    public async Task Users_ListAndSetRole_OwnerRulesEnforced()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        var (bob, bobKey) = await UserKeyAsync(s, "bob@example.com", "member");
        var (_, owner) = await s.FirstAsync(ct);

        var (_, list) = await SendAsync(s, HttpMethod.Get, "/api/v2/tailnet/-/users", bobKey);
        Assert.Equal(2, list.GetProperty("users").GetArrayLength());
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(s, HttpMethod.Post, $"/api/v2/users/{bob.Id}/role", bobKey, """{"role":"admin"}""")).Status);

        var (status, changed) = await SendAsync(s, HttpMethod.Post, $"/api/v2/users/{bob.Id}/role", s.OwnerApiKey, """{"role":"admin"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("admin", changed.GetProperty("role").GetString());
        Assert.Equal("admin", (await s.Store.GetUserAsync(bob.Id, ct))!.Role);

        // Now an admin, bob still may not touch owners.
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(s, HttpMethod.Post, $"/api/v2/users/{bob.Id}/role", bobKey, """{"role":"owner"}""")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(s, HttpMethod.Post, $"/api/v2/users/{owner.Id}/role", bobKey, """{"role":"member"}""")).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(s, HttpMethod.Post, $"/api/v2/users/{owner.Id}/role", s.OwnerApiKey, """{"role":"member"}""")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(s, HttpMethod.Post, $"/api/v2/users/{bob.Id}/role", s.OwnerApiKey, """{"role":"root"}""")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(s, HttpMethod.Post, "/api/v2/users/999/role", s.OwnerApiKey, """{"role":"member"}""")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(s, HttpMethod.Post, "/api/v2/users/x/role", s.OwnerApiKey, """{"role":"member"}""")).Status);
    }

    [Fact]
    public async Task ApiKeys_CreatedShownOnce_ListedWithoutSecret_DeletedStopsWorking()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        var (status, created) = await SendAsync(s, HttpMethod.Post, "/api/v2/tailnet/-/apikeys", s.OwnerApiKey, """{"expirySeconds":86400}""");
        Assert.Equal(HttpStatusCode.OK, status);
        var secret = created.GetProperty("key").GetString()!;
        var id = created.GetProperty("id").GetString()!;
        Assert.StartsWith("weft-api-", secret, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(s, HttpMethod.Get, "/api/v2/tailnet/-/devices", secret)).Status);

        var (_, list) = await SendAsync(s, HttpMethod.Get, "/api/v2/tailnet/-/apikeys", s.OwnerApiKey);
        Assert.Equal(2, list.GetProperty("keys").GetArrayLength());
        foreach (var k in list.GetProperty("keys").EnumerateArray())
        {
            Assert.False(k.TryGetProperty("key", out _));
        }

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(s, HttpMethod.Delete, $"/api/v2/tailnet/-/apikeys/{id}", s.OwnerApiKey)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(s, HttpMethod.Get, "/api/v2/tailnet/-/devices", secret)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(s, HttpMethod.Delete, $"/api/v2/tailnet/-/apikeys/{id}", s.OwnerApiKey)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(s, HttpMethod.Post, "/api/v2/tailnet/-/apikeys", s.OwnerApiKey, """{"expirySeconds":60}""")).Status);
        var (_, member) = await UserKeyAsync(s, "bob@example.com", "member");
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(s, HttpMethod.Get, "/api/v2/tailnet/-/apikeys", member)).Status);
    }

    [Fact]
    public async Task PolicyHistory_ListsEverySavedVersionNewestFirst()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(s, HttpMethod.Post, "/api/v2/tailnet/-/acl", s.OwnerApiKey, ForbidAll)).Status);

        var (_, history) = await SendAsync(s, HttpMethod.Get, "/api/v2/tailnet/-/acl/history", s.OwnerApiKey);
        var versions = history.GetProperty("versions");
        Assert.Equal(2, versions.GetArrayLength());
        Assert.Equal(ForbidAll, versions[0].GetProperty("policy").GetString());
        Assert.False(versions[1].TryGetProperty("user", out _));
    }

    [Fact]
    public async Task PolicyPreview_ShowsWhatANodeOrUserMayReach()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        var key = await s.AuthKeyAsync(ct);
        await using var a = await TestNode.JoinAsync(s, key, "alpha", ct);
        await using var b = await TestNode.JoinAsync(s, key, "beta", ct);

        var (_, preview) = await SendAsync(s, HttpMethod.Get, $"/api/v2/tailnet/-/acl/preview?node={a.Id}", s.OwnerApiKey);
        var reach = Assert.Single(preview.GetProperty("reachable").EnumerateArray());
        Assert.Equal("beta", reach.GetProperty("name").GetString());
        var (_, byUser) = await SendAsync(s, HttpMethod.Get, "/api/v2/tailnet/-/acl/preview?user=admin", s.OwnerApiKey);
        Assert.Equal(2, byUser.GetProperty("reachable").GetArrayLength());

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(s, HttpMethod.Post, "/api/v2/tailnet/-/acl", s.OwnerApiKey, ForbidAll)).Status);
        (_, preview) = await SendAsync(s, HttpMethod.Get, $"/api/v2/tailnet/-/acl/preview?node={a.Id}", s.OwnerApiKey);
        Assert.Equal(0, preview.GetProperty("reachable").GetArrayLength());

        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(s, HttpMethod.Get, "/api/v2/tailnet/-/acl/preview", s.OwnerApiKey)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(s, HttpMethod.Get, "/api/v2/tailnet/-/acl/preview?node=abc", s.OwnerApiKey)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(s, HttpMethod.Get, "/api/v2/tailnet/-/acl/preview?user=nobody", s.OwnerApiKey)).Status);
    }

    [Fact]
    public async Task OpenApi_DocumentIsServedAndListsTheEndpoints()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        var (status, doc) = await SendAsync(s, HttpMethod.Get, "/api/v2/openapi.json", null);
        Assert.Equal(HttpStatusCode.OK, status);
        var paths = doc.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/v2/device/{id}/name", out _));
        Assert.True(paths.TryGetProperty("/api/v2/tailnet/{tailnet}/dns", out _));
    }
}
