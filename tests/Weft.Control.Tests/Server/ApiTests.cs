using System.Net;
using Weft.Control.Storage;

namespace Weft.Control.Tests.Server;

/// <summary>REST API answers, including every authorization failure.</summary>
public sealed class ApiTests
{
    [Fact]
    public async Task Devices_WithoutKey_Is401()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        using var r = await s.Http.SendAsync(s.Request(HttpMethod.Get, "/api/v2/tailnet/-/devices", null), ct);
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Devices_WithWrongKey_Is401()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        using var r = await s.Http.SendAsync(s.Request(HttpMethod.Get, "/api/v2/tailnet/-/devices", s.OwnerApiKey + "x"), ct);
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
    }

    [Fact]
    public async Task Devices_OfAnotherTailnet_Is403()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        using var r = await s.Http.SendAsync(s.Request(HttpMethod.Get, "/api/v2/tailnet/someone-else/devices", s.OwnerApiKey), ct);
        Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
    }

    [Fact]
    public async Task CreateKey_AsMember_Is403ButListingWorks()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        var (tailnet, _) = await s.FirstAsync(ct);
        var member = await s.Store.CreateUserAsync(tailnet.Id, "bob", "Bob", "member", DateTimeOffset.UtcNow, ct);
        var (_, memberKey) = await s.Store.CreateApiKeyAsync(tailnet.Id, member.Id, TimeSpan.FromDays(1), DateTimeOffset.UtcNow, ct);
        using var create = await s.Http.SendAsync(s.Request(HttpMethod.Post, "/api/v2/tailnet/-/keys", memberKey, "{}"), ct);
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        using var list = await s.Http.SendAsync(s.Request(HttpMethod.Get, "/api/v2/tailnet/default/keys", memberKey), ct);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
    }

    [Theory]
    [InlineData("GET", "/api/v2/device/12345")]
    [InlineData("DELETE", "/api/v2/device/12345")]
    [InlineData("GET", "/api/v2/tailnet/-/keys/999")]
    public async Task UnknownIds_Are404(string method, string path)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        using var r = await s.Http.SendAsync(s.Request(new HttpMethod(method), path, s.OwnerApiKey), ct);
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
    }

    [Theory]
    [InlineData("/api/v2/device/abc", "GET", null)]
    [InlineData("/api/v2/tailnet/-/keys", "POST", "{not json")]
    [InlineData("/api/v2/tailnet/-/keys", "POST", "{\"expirySeconds\": -5}")]
    [InlineData("/api/v2/tailnet/-/keys", "POST", "{\"tags\": [\"tag:undefined\"]}")]
    public async Task BadInput_Is400(string path, string method, string? body)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        using var r = await s.Http.SendAsync(s.Request(new HttpMethod(method), path, s.OwnerApiKey, body), ct);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
    }

    [Fact]
    public async Task SetPolicy_Invalid_Is400WithLineAndColumnAndKeepsOld()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        using var r = await s.Http.SendAsync(s.Request(HttpMethod.Post, "/api/v2/tailnet/-/acl", s.OwnerApiKey, "{\n  \"acls\": [ { \"action\": \"maybe\" } ]\n}"), ct);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("line 2", await r.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        var (tailnet, _) = await s.FirstAsync(ct);
        Assert.Single(await s.Store.ListPolicyHistoryAsync(tailnet.Id, ct));
    }

    [Fact]
    public async Task SetPolicy_FailingTests_Is400()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        const string policy = """
            {
              "acls": [ { "action": "accept", "src": ["*"], "dst": ["*:22"] } ],
              "tests": [ { "src": "alice@example.com", "accept": ["100.64.0.1:80"] } ],
            }
            """;
        using var r = await s.Http.SendAsync(s.Request(HttpMethod.Post, "/api/v2/tailnet/-/acl", s.OwnerApiKey, policy), ct);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        var text = await r.Content.ReadAsStringAsync(ct);
        Assert.True(text.Contains("should be accepted", StringComparison.Ordinal), text);
    }

    [Fact]
    public async Task CreateKey_ThenListShowsItWithoutSecret()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        using var create = await s.Http.SendAsync(s.Request(HttpMethod.Post, "/api/v2/tailnet/-/keys", s.OwnerApiKey, "{\"reusable\": true}"), ct);
        Assert.Equal(HttpStatusCode.OK, create.StatusCode);
        Assert.Contains("weft-auth-", await create.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        using var list = await s.Http.SendAsync(s.Request(HttpMethod.Get, "/api/v2/tailnet/-/keys", s.OwnerApiKey), ct);
        var text = await list.Content.ReadAsStringAsync(ct);
        Assert.Contains("\"reusable\":true", text, StringComparison.Ordinal);
        Assert.DoesNotContain("weft-auth-", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_And_Readiness_Answer()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        Assert.Equal("ok", await s.Http.GetStringAsync(new Uri("/healthz", UriKind.Relative), ct));
        Assert.Equal("ready", await s.Http.GetStringAsync(new Uri("/readyz", UriKind.Relative), ct));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task FirstStart_WritesServerKeyAndOwnerKeyWithMode0600()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        await using (var server = await Weft.Control.Hosting.ControlServer.StartAsync(new() { DataDir = dir.Path, Listen = "http://127.0.0.1:0" }, ct: ct))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dir.File("server.key")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dir.File("owner-api-key")));
        }
    }
}
