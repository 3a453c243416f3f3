using System.Net;
using System.Text.Json;
using Weft.Control.Storage;

namespace Weft.Control.Tests.Server;

/// <summary>Tailnet settings (default key lifetime), users added by admins, named tailnets and placement by email domain, through the REST API.</summary>
public sealed class TailnetApiTests
{
    private static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(TestControlServer s, HttpMethod method, string path, string? key, string? body, CancellationToken ct)
    {
        using var response = await s.Http.SendAsync(s.Request(method, path, key, body), ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>An API key of a new user with <paramref name="role"/> in <paramref name="tailnetId"/>.</summary>
    private static async Task<string> KeyOfAsync(TestControlServer s, long tailnetId, string login, string role, CancellationToken ct)
    {
        var user = await s.Store.CreateUserAsync(tailnetId, login, login, role, DateTimeOffset.UtcNow, ct);
        return (await s.Store.CreateApiKeyAsync(tailnetId, user.Id, TimeSpan.FromDays(1), DateTimeOffset.UtcNow, ct)).Secret;
    }

    [Fact]
    public async Task Settings_KeyDuration_AppliesToNewNodes_AndIsGuarded()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        var (tailnet, _) = await s.FirstAsync(ct);
        var member = await KeyOfAsync(s, tailnet.Id, "m@example.com", "member", ct);

        var (status, body) = await SendAsync(s, HttpMethod.Get, "/api/v2/tailnet/-/settings", member, null, ct);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(ControlConstants.DefaultKeyExpiryDays, body.GetProperty("devicesKeyDurationDays").GetInt32());

        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(s, HttpMethod.Get, "/api/v2/tailnet/-/settings", null, null, ct)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(s, HttpMethod.Patch, "/api/v2/tailnet/-/settings", member, """{"devicesKeyDurationDays":30}""", ct)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(s, HttpMethod.Get, "/api/v2/tailnet/elsewhere/settings", s.OwnerApiKey, null, ct)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(s, HttpMethod.Patch, "/api/v2/tailnet/-/settings", s.OwnerApiKey, """{"devicesKeyDurationDays":400}""", ct)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(s, HttpMethod.Patch, "/api/v2/tailnet/-/settings", s.OwnerApiKey, "not json", ct)).Status);

        (status, body) = await SendAsync(s, HttpMethod.Patch, "/api/v2/tailnet/-/settings", s.OwnerApiKey, """{"devicesKeyDurationDays":30}""", ct);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(30, body.GetProperty("devicesKeyDurationDays").GetInt32());
        var before = DateTimeOffset.UtcNow;
        await using (var a = await TestNode.JoinAsync(s, await s.AuthKeyAsync(ct), "a", ct))
        {
            var expiry = (await s.Store.GetNodeAsync(a.Id, ct))!.KeyExpiry!.Value;
            Assert.InRange(expiry, before.AddDays(30).AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(30).AddMinutes(1));
        }

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(s, HttpMethod.Patch, "/api/v2/tailnet/-/settings", s.OwnerApiKey, """{"devicesKeyDurationDays":0}""", ct)).Status);
        await using var b = await TestNode.JoinAsync(s, await s.AuthKeyAsync(ct), "b", ct);
        Assert.Null((await s.Store.GetNodeAsync(b.Id, ct))!.KeyExpiry);
    }

    [Fact]
    public async Task Rename_KeepsTheDomain_ValidatesTheName_AndRefusesATakenOne()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        var (tailnet, _) = await s.FirstAsync(ct);
        var member = await KeyOfAsync(s, tailnet.Id, "m@example.com", "member", ct);
        await s.Store.CreateTailnetAsync("Taken", "taken.weft.internal", DateTimeOffset.UtcNow, ct);

        var (status, body) = await SendAsync(s, HttpMethod.Patch, "/api/v2/tailnet/-/settings", s.OwnerApiKey, """{"name":"home-lab.2"}""", ct);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("home-lab.2", body.GetProperty("name").GetString());
        Assert.Equal(tailnet.Domain, body.GetProperty("domain").GetString());
        Assert.Equal(tailnet.KeyExpiryDays, body.GetProperty("devicesKeyDurationDays").GetInt32());
        Assert.Equal(("home-lab.2", tailnet.Domain), await s.Store.GetTailnetAsync(tailnet.Id, ct) is { } t ? (t.Name, t.Domain) : default);

        // Paths name the tailnet by its new name now, and no longer by the old one.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(s, HttpMethod.Get, "/api/v2/tailnet/home-lab.2/settings", member, null, ct)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(s, HttpMethod.Get, $"/api/v2/tailnet/{tailnet.Name}/settings", member, null, ct)).Status);

        foreach (var bad in (string[])["", "-", "has space", "slash/name", new string('a', 64)])
        {
            var (badStatus, problem) = await SendAsync(s, HttpMethod.Patch, "/api/v2/tailnet/-/settings", s.OwnerApiKey, JsonSerializer.Serialize(new { name = bad }), ct);
            Assert.Equal(HttpStatusCode.BadRequest, badStatus);
            Assert.Contains("tailnet", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(s, HttpMethod.Patch, "/api/v2/tailnet/-/settings", s.OwnerApiKey, """{"name":"x"}""", ct)).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(s, HttpMethod.Patch, "/api/v2/tailnet/-/settings", s.OwnerApiKey, JsonSerializer.Serialize(new { name = new string('a', 63) }), ct)).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(s, HttpMethod.Patch, "/api/v2/tailnet/-/settings", s.OwnerApiKey, """{"name":"taken"}""", ct)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(s, HttpMethod.Patch, "/api/v2/tailnet/-/settings", member, """{"name":"mine"}""", ct)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(s, HttpMethod.Patch, "/api/v2/tailnet/-/settings", s.OwnerApiKey, "{}", ct)).Status);
        Assert.Equal(new string('a', 63), (await s.Store.GetTailnetAsync(tailnet.Id, ct))!.Name);
    }

    [Fact]
    public async Task Rename_WithDomain_GivesConnectedNodesTheirNewNamesAndDns()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        var key = await s.AuthKeyAsync(ct);
        await using var a = await TestNode.JoinAsync(s, key, "a", ct);
        await using var b = await TestNode.JoinAsync(s, key, "b", ct);
        await a.WaitForAsync(m => m.PeersChanged?.Any(p => p.Id == b.Id) == true, ct);

        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(s, HttpMethod.Patch, "/api/v2/tailnet/-/settings", s.OwnerApiKey, """{"domain":"bad_domain..x"}""", ct)).Status);
        var (status, body) = await SendAsync(s, HttpMethod.Patch, "/api/v2/tailnet/-/settings", s.OwnerApiKey, """{"name":"home","domain":"Home.Example."}""", ct);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("home.example", body.GetProperty("domain").GetString());

        var delta = await a.WaitForAsync(m => m.Dns is not null, ct);
        Assert.Equal("home.example", delta.Dns!.Domain);
        Assert.EndsWith(".home.example", delta.Self!.Fqdn, StringComparison.Ordinal);
        Assert.EndsWith(".home.example", delta.PeersChanged!.Single(p => p.Id == b.Id).Fqdn, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReauthWithAuthKey_NodeWithExpiryDisabled_StaysWithoutExpiry()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        var key = await s.AuthKeyAsync(ct);
        await using var a = await TestNode.JoinAsync(s, key, "a", ct);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(s, HttpMethod.Post, $"/api/v2/device/{a.Id}/key", s.OwnerApiKey, """{"keyExpiryDisabled":true}""", ct)).Status);

        await using var device = await TestNode.ConnectAsync(s, ct, a.MachinePrivate, a.NodeKey);
        var again = await device.RegisterAsync(key, "a", ct);
        Assert.True(again.Authorized, again.Error);
        Assert.Null((await s.Store.GetNodeAsync(a.Id, ct))!.KeyExpiry);
    }

    [Fact]
    public async Task AddUser_ByAdmin_ConflictsAndRolesAreChecked()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        var (tailnet, _) = await s.FirstAsync(ct);
        var admin = await KeyOfAsync(s, tailnet.Id, "admin@example.com", "admin", ct);
        var member = await KeyOfAsync(s, tailnet.Id, "m@example.com", "member", ct);

        var (status, body) = await SendAsync(s, HttpMethod.Post, "/api/v2/tailnet/-/users", admin, """{"loginName":"new@example.com","role":"admin"}""", ct);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("admin", body.GetProperty("role").GetString());
        Assert.Contains(await s.Store.ListUsersAsync(tailnet.Id, ct), u => u.Login == "new@example.com");

        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(s, HttpMethod.Post, "/api/v2/tailnet/-/users", admin, """{"loginName":"NEW@example.com"}""", ct)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(s, HttpMethod.Post, "/api/v2/tailnet/-/users", admin, """{"loginName":"o@example.com","role":"owner"}""", ct)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(s, HttpMethod.Post, "/api/v2/tailnet/-/users", member, """{"loginName":"x@example.com"}""", ct)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(s, HttpMethod.Post, "/api/v2/tailnet/-/users", null, """{"loginName":"x@example.com"}""", ct)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(s, HttpMethod.Post, "/api/v2/tailnet/-/users", admin, """{"loginName":"x@example.com","role":"root"}""", ct)).Status);
    }

    [Fact]
    public async Task PlaceUser_OrganizationDomainsShareATailnet_WebmailGetsPersonalOnes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);

        async Task<(string Tailnet, string Role, bool Created)> PlaceAsync(string email)
        {
            var (status, body) = await SendAsync(s, HttpMethod.Post, "/api/v2/users", s.OwnerApiKey, $$"""{"loginName":"{{email}}"}""", ct);
            Assert.Equal(HttpStatusCode.OK, status);
            return (body.GetProperty("tailnet").GetString()!, body.GetProperty("user").GetProperty("role").GetString()!, body.GetProperty("created").GetBoolean());
        }

        Assert.Equal(("acme.example", "owner", true), await PlaceAsync("alice@acme.example"));
        Assert.Equal(("acme.example", "member", true), await PlaceAsync("Bob@ACME.example"));
        Assert.Equal(("acme.example", "owner", false), await PlaceAsync("alice@acme.example"));
        Assert.Equal(("carol-gmail-com", "owner", true), await PlaceAsync("carol@gmail.com"));
        Assert.Equal(("dave-gmail-com", "owner", true), await PlaceAsync("dave@gmail.com"));
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(s, HttpMethod.Post, "/api/v2/users", s.OwnerApiKey, """{"loginName":"not-an-address"}""", ct)).Status);

        // Only the server's first tailnet administers others: the owner of acme.example may not place users.
        var acme = (await s.Store.ListTailnetsAsync(ct)).Single(t => t.Name == "acme.example");
        var alice = (await s.Store.ListUsersAsync(acme.Id, ct)).Single(u => u.Login == "alice@acme.example");
        var aliceKey = (await s.Store.CreateApiKeyAsync(acme.Id, alice.Id, TimeSpan.FromDays(1), DateTimeOffset.UtcNow, ct)).Secret;
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(s, HttpMethod.Post, "/api/v2/users", aliceKey, """{"loginName":"eve@acme.example"}""", ct)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(s, HttpMethod.Post, "/api/v2/users", null, """{"loginName":"eve@acme.example"}""", ct)).Status);
    }

    [Fact]
    public async Task PlaceUser_ConfiguredSharedDomains_ReplaceTheDefaultList()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct, o => o.SharedEmailDomains = ["mail.example"]);
        var personal = await s.Server.Service.PlaceUserAsync("ann@mail.example", ct: ct);
        var org = await s.Server.Service.PlaceUserAsync("ann@gmail.com", ct: ct);
        Assert.Equal("ann-mail-example", (await s.Store.GetTailnetAsync(personal!.Value.User.TailnetId, ct))!.Name);
        Assert.Equal("gmail.com", (await s.Store.GetTailnetAsync(org!.Value.User.TailnetId, ct))!.Name);
    }

    [Fact]
    public async Task CreateTailnet_CreatesOnce_ThenReturnsTheExistingOne()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        var (status, created) = await SendAsync(s, HttpMethod.Post, "/api/v2/tailnets", s.OwnerApiKey, """{"name":"lab"}""", ct);
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("lab.weft.internal", created.GetProperty("domain").GetString());
        var (again, existing) = await SendAsync(s, HttpMethod.Post, "/api/v2/tailnets", s.OwnerApiKey, """{"name":"lab"}""", ct);
        Assert.Equal(HttpStatusCode.OK, again);
        Assert.Equal(created.GetProperty("id").GetString(), existing.GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(s, HttpMethod.Post, "/api/v2/tailnets", s.OwnerApiKey, """{"name":"Not Valid!"}""", ct)).Status);

        var (listed, list) = await SendAsync(s, HttpMethod.Get, "/api/v2/tailnets", s.OwnerApiKey, null, ct);
        Assert.Equal(HttpStatusCode.OK, listed);
        Assert.Equal(2, list.GetProperty("tailnets").GetArrayLength());

        var (tailnet, _) = await s.FirstAsync(ct);
        var member = await KeyOfAsync(s, tailnet.Id, "m@example.com", "member", ct);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(s, HttpMethod.Post, "/api/v2/tailnets", member, """{"name":"other"}""", ct)).Status);
    }
}
