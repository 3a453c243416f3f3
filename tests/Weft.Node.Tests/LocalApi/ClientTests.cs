using System.Text.Json;
using Weft.Node.LocalApi;

namespace Weft.Node.Tests.LocalApi;

/// <summary>The local API client against an in-process fake daemon on a real Unix socket.</summary>
public sealed class ClientTests : IAsyncLifetime
{
    private FakeLocalApiServer _server = null!;
    private LocalApiClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await FakeLocalApiServer.StartAsync();
        _client = new LocalApiClient(_server.SocketPath);
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Status_ContractJson_IsReadWithEveryField()
    {
        // Written by hand in the contract's camelCase, not produced by our own serializer, so a renamed property fails here.
        _server.Answer("GET /localapi/v0/status", 200, """
            {"backendState":"Running","tailnetDomain":"example.weft.internal","user":"alice@example.com","health":["control unreachable"],
             "self":{"id":"n1","name":"laptop","fqdn":"laptop.example.weft.internal","addresses":["100.64.0.1","fd7a:115c:a1e0::1"],
                     "user":"alice@example.com","tags":[],"os":"linux","online":true,"active":false,"path":"","rxBytes":0,"txBytes":0},
             "peers":[{"id":"n2","name":"server","fqdn":"server.example.weft.internal","addresses":["100.64.0.2"],"user":"tagged-devices",
                       "tags":["tag:server"],"os":"linux","online":true,"active":true,"path":"direct 10.1.2.3:41641",
                       "lastHandshake":"2026-01-02T03:04:05+00:00","rxBytes":1234,"txBytes":5678,"keyExpiry":"2026-07-01T00:00:00+00:00"}]}
            """);

        var status = await _client.GetStatusAsync(TestContext.Current.CancellationToken);

        Assert.Equal(BackendState.Running, status.BackendState);
        Assert.Equal("example.weft.internal", status.TailnetDomain);
        Assert.Equal("alice@example.com", status.User);
        Assert.Equal(["control unreachable"], status.Health);
        Assert.Equal(["100.64.0.1", "fd7a:115c:a1e0::1"], status.Self!.Addresses);
        var peer = Assert.Single(status.Peers);
        Assert.Equal("server.example.weft.internal", peer.Fqdn);
        Assert.Equal("tagged-devices", peer.User);
        Assert.Equal(["tag:server"], peer.Tags);
        Assert.True(peer.Active);
        Assert.Equal("direct 10.1.2.3:41641", peer.Path);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), peer.LastHandshake);
        Assert.Equal(1234, peer.RxBytes);
        Assert.Equal(5678, peer.TxBytes);
        Assert.Equal(new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero), peer.KeyExpiry);
    }

    [Fact]
    public async Task Up_SendsCamelCaseBody_AndReadsAuthUrl()
    {
        _server.Answer("POST /localapi/v0/up", 200, """{"backendState":"NeedsLogin","authUrl":"http://10.0.0.1:8080/register/abc"}""");

        var answer = await _client.UpAsync(new UpRequest
        {
            LoginServer = "http://10.0.0.1:8080",
            AuthKey = "tskey-auth-secret",
            Hostname = "box",
            AdvertiseTags = ["tag:ci"],
            AcceptDns = true,
            ForceReauth = true,
        }, TestContext.Current.CancellationToken);

        Assert.Equal(BackendState.NeedsLogin, answer.BackendState);
        Assert.Equal("http://10.0.0.1:8080/register/abc", answer.AuthUrl);
        var (request, body) = Assert.Single(_server.Received);
        Assert.Equal("POST /localapi/v0/up", request);
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        Assert.Equal("http://10.0.0.1:8080", root.GetProperty("loginServer").GetString());
        Assert.Equal("tskey-auth-secret", root.GetProperty("authKey").GetString());
        Assert.Equal("box", root.GetProperty("hostname").GetString());
        Assert.Equal("tag:ci", root.GetProperty("advertiseTags")[0].GetString());
        Assert.True(root.GetProperty("acceptDns").GetBoolean());
        Assert.False(root.GetProperty("reset").GetBoolean());
        Assert.True(root.GetProperty("forceReauth").GetBoolean());
    }

    [Fact]
    public async Task ErrorAnswer_BecomesLocalApiException_WithTheDaemonsMessage()
    {
        _server.Answer("POST /localapi/v0/ping", 409, """{"error":"not logged in: run `weft up`"}""");

        var ex = await Assert.ThrowsAsync<LocalApiException>(() =>
            _client.PingAsync(new PingRequest { Target = "server", Count = 1 }, TestContext.Current.CancellationToken));

        Assert.Equal(409, ex.Status);
        Assert.False(ex.DaemonUnreachable);
        Assert.Equal("not logged in: run `weft up`", ex.Message);
    }

    [Fact]
    public async Task ErrorAnswer_WithoutJson_StillSaysTheStatus()
    {
        _server.Answer("POST /localapi/v0/down", 403, "forbidden");

        var ex = await Assert.ThrowsAsync<LocalApiException>(() => _client.DownAsync(TestContext.Current.CancellationToken));

        Assert.Equal(403, ex.Status);
        Assert.Contains("403", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SuccessWithGarbage_IsAClearError()
    {
        _server.Answer("GET /localapi/v0/version", 200, "<html>not json</html>");

        var ex = await Assert.ThrowsAsync<LocalApiException>(() => _client.GetVersionAsync(TestContext.Current.CancellationToken));

        Assert.Contains("not the expected JSON", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhoIs_UnknownAddress_IsNull_AndTheAddressIsEscaped()
    {
        var who = await _client.WhoIsAsync("[fd7a:115c:a1e0::9]:22", TestContext.Current.CancellationToken);

        Assert.Null(who);
        var (request, _) = Assert.Single(_server.Received);
        Assert.Equal("GET /localapi/v0/whois?addr=%5Bfd7a%3A115c%3Aa1e0%3A%3A9%5D%3A22", request);
    }

    [Fact]
    public async Task WhoIs_KnownAddress_ReturnsNodeAndUser()
    {
        _server.Answer("GET /localapi/v0/whois", 200, """{"node":{"id":"n2","name":"server","addresses":["100.64.0.2"],"tags":["tag:server"]},"user":"tagged-devices"}""");

        var who = await _client.WhoIsAsync("100.64.0.2:22", TestContext.Current.CancellationToken);

        Assert.NotNull(who);
        Assert.Equal("server", who.Node.Name);
        Assert.Equal("tagged-devices", who.User);
    }

    [Fact]
    public async Task PatchPrefs_SendsOnlyTheGivenFields()
    {
        _server.Answer("PATCH /localapi/v0/prefs", 200, """{"hostname":"new","advertiseTags":[],"acceptDns":true,"wantRunning":true}""");

        var prefs = await _client.PatchPrefsAsync(new PrefsPatch { Hostname = "new", AcceptDns = true }, TestContext.Current.CancellationToken);

        Assert.Equal("new", prefs.Hostname);
        Assert.True(prefs.WantRunning);
        var (request, body) = Assert.Single(_server.Received);
        Assert.Equal("PATCH /localapi/v0/prefs", request);
        using var json = JsonDocument.Parse(body);
        Assert.Equal(["acceptDns", "hostname"], json.RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ProfilesAndSwitch_UseTheirPaths()
    {
        _server.Answer("GET /localapi/v0/profiles", 200, """[{"id":"p1","user":"alice","tailnet":"example","current":true},{"id":"p2","user":"bob","tailnet":"example","current":false}]""");
        _server.Answer("POST /localapi/v0/switch", 200, "{}");

        var profiles = await _client.GetProfilesAsync(TestContext.Current.CancellationToken);
        await _client.SwitchAsync("p2", TestContext.Current.CancellationToken);

        Assert.Equal(["p1", "p2"], profiles.Select(p => p.Id));
        Assert.True(profiles[0].Current);
        Assert.Equal("""{"profile":"p2"}""", _server.Received.Last().Body);
    }

    [Fact]
    public async Task Ping_ReadsPathAndLatencies()
    {
        _server.Answer("POST /localapi/v0/ping", 200, """{"peer":"server","ip":"100.64.0.2","path":"direct 10.0.0.2:41641","latenciesMs":[1.5,0.7],"ok":true}""");

        var pong = await _client.PingAsync(new PingRequest { Target = "server", Count = 2 }, TestContext.Current.CancellationToken);

        Assert.True(pong.Ok);
        Assert.Equal("direct 10.0.0.2:41641", pong.Path);
        Assert.Equal([1.5, 0.7], pong.LatenciesMs);
        Assert.Equal("""{"target":"server","count":2}""", _server.Received.Single().Body);
    }
}
