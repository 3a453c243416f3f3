using System.Net;
using System.Text;
using System.Text.Json;
using Weft.Node.Web;

namespace Weft.Web.Tests;

/// <summary>
/// `weft web` at the HTTP level against a fake daemon on a Unix socket: the token and Host guards, and that
/// each page action turns into the right local API call.
/// </summary>
public sealed class WebServerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Loads the page like a browser would and returns the token from its cookie.</summary>
    private static async Task<string> LoadPageAsync(HttpClient client)
    {
        using var page = await client.GetAsync(new Uri("/", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var cookie = Assert.Single(page.Headers.GetValues("Set-Cookie"));
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith(WebGuard.CookieName + "=", cookie, StringComparison.Ordinal);
        return cookie[(WebGuard.CookieName.Length + 1)..cookie.IndexOf(';', StringComparison.Ordinal)];
    }

    private static HttpRequestMessage Post(string path, string? json, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative))
        {
            Content = new StringContent(json ?? "{}", Encoding.UTF8, "application/json"),
        };
        if (token is not null)
        {
            request.Headers.Add(WebGuard.HeaderName, token);
        }

        return request;
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone();

    [Fact]
    public async Task State_WithToken_ShowsTheDaemonsDevicePeersAndProfiles()
    {
        await using var host = await WebHost.StartAsync();
        using var client = host.Client();
        var token = await LoadPageAsync(client);

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/state", UriKind.Relative));
        request.Headers.Add(WebGuard.HeaderName, token);
        using var response = await client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var state = await JsonAsync(response);
        Assert.Equal("laptop", state.GetProperty("status").GetProperty("self").GetProperty("name").GetString());
        Assert.Equal(3, state.GetProperty("status").GetProperty("peers").GetArrayLength());
        Assert.Equal(2, state.GetProperty("profiles").GetArrayLength());
        Assert.True(state.GetProperty("prefs").GetProperty("wantRunning").GetBoolean());
    }

    [Fact]
    public async Task Post_WithoutOrWithAWrongToken_Is403_AndNeverReachesTheDaemon()
    {
        await using var host = await WebHost.StartAsync();
        using var client = host.Client();
        var token = await LoadPageAsync(client);

        using (var none = await client.SendAsync(Post("/api/down", null, null), Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, none.StatusCode);
            Assert.Contains("token", (await JsonAsync(none)).GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        // Same length, one character off: still refused.
        var wrong = (token[0] == 'A' ? "B" : "A") + token[1..];
        using (var bad = await client.SendAsync(Post("/api/down", null, wrong), Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, bad.StatusCode);
        }

        // The cookie alone (a cross-site form post would carry no header) is not enough either.
        using (var state = await client.GetAsync(new Uri("/api/state", UriKind.Relative), Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, state.StatusCode);
        }

        Assert.Empty(host.Daemon.Actions());
        Assert.Equal(3, host.Server.Refused);
    }

    [Theory]
    [InlineData("evil.example:{port}")]
    [InlineData("rebind.attacker.test:{port}")]
    [InlineData("localhost:1")]
    [InlineData("127.0.0.1")]
    [InlineData("10.0.0.1:{port}")]
    public async Task ForeignHostHeader_Is403_EvenWithTheToken(string hostHeader)
    {
        await using var host = await WebHost.StartAsync();
        using var client = host.Client();
        var token = await LoadPageAsync(client);
        var foreign = hostHeader.Replace("{port}", host.Server.Address.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

        using var page = new HttpRequestMessage(HttpMethod.Get, new Uri("/", UriKind.Relative));
        page.Headers.Host = foreign;
        using (var response = await client.SendAsync(page, Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.False(response.Headers.Contains("Set-Cookie"));
        }

        using var down = Post("/api/down", null, token);
        down.Headers.Host = foreign;
        using (var response = await client.SendAsync(down, Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains("DNS rebinding", (await JsonAsync(response)).GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        Assert.Empty(host.Daemon.Actions());
    }

    [Fact]
    public async Task ForeignOrigin_Is403_EvenWithTheToken()
    {
        await using var host = await WebHost.StartAsync();
        using var client = host.Client();
        var token = await LoadPageAsync(client);
        using var request = Post("/api/down", null, token);
        request.Headers.Add("Origin", "http://evil.example");
        using var response = await client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(host.Daemon.Actions());
    }

    [Fact]
    public async Task Toggle_CallsDownThenUp_AndTheStateFollows()
    {
        await using var host = await WebHost.StartAsync();
        using var client = host.Client();
        var token = await LoadPageAsync(client);

        using (var down = await client.SendAsync(Post("/api/down", null, token), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, down.StatusCode);
        }

        using (var up = await client.SendAsync(Post("/api/up", """{"forceReauth":false}""", token), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, up.StatusCode);
            Assert.Equal("Running", (await JsonAsync(up)).GetProperty("backendState").GetString());
        }

        Assert.Equal(["POST /localapi/v0/down", "POST /localapi/v0/up"], host.Daemon.Actions());
    }

    [Fact]
    public async Task Login_AfterLogout_ReturnsTheLoginUrl()
    {
        await using var host = await WebHost.StartAsync();
        using var client = host.Client();
        var token = await LoadPageAsync(client);
        using (var logout = await client.SendAsync(Post("/api/logout", null, token), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
        }

        using var up = await client.SendAsync(Post("/api/up", "{}", token), Ct);
        var answer = await JsonAsync(up);
        Assert.Equal("NeedsLogin", answer.GetProperty("backendState").GetString());
        Assert.Equal(FakeDaemon.LoginUrl, answer.GetProperty("authUrl").GetString());
    }

    [Fact]
    public async Task Prefs_PatchesAcceptDnsOnly()
    {
        await using var host = await WebHost.StartAsync();
        using var client = host.Client();
        var token = await LoadPageAsync(client);

        using var response = await client.SendAsync(Post("/api/prefs", """{"acceptDns":true}""", token), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((await JsonAsync(response)).GetProperty("acceptDns").GetBoolean());
        Assert.True(host.Daemon.AcceptDns);
        var patch = Assert.Single(host.Daemon.Received, r => r.Request == "PATCH /localapi/v0/prefs");
        Assert.Equal("""{"acceptDns":true}""", patch.Body);
    }

    [Fact]
    public async Task BadInput_Is400_AndDaemonErrorsKeepTheirMessage()
    {
        await using var host = await WebHost.StartAsync();
        using var client = host.Client();
        var token = await LoadPageAsync(client);

        using (var notJson = await client.SendAsync(Post("/api/prefs", "{acceptDns", token), Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
            Assert.Contains("JSON", (await JsonAsync(notJson)).GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        using var unknown = await client.SendAsync(Post("/api/switch", """{"profile":"nope"}""", token), Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("weft switch --list", (await JsonAsync(unknown)).GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DaemonNotRunning_IsAReadableBadGateway()
    {
        var missing = Path.Combine(Path.GetTempPath(), "weft-web-no-daemon-" + Guid.NewGuid().ToString("N")[..8] + ".sock");
        await using var host = await WebHost.StartAsync(missing);
        using var client = host.Client();
        var token = await LoadPageAsync(client);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/state", UriKind.Relative));
        request.Headers.Add(WebGuard.HeaderName, token);
        using var response = await client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("weft daemon is not running", (await JsonAsync(response)).GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:8088", "127.0.0.1", 8088)]
    [InlineData("localhost:9000", "127.0.0.1", 9000)]
    [InlineData("[::1]:8088", "::1", 8088)]
    [InlineData("127.0.0.2:80", "127.0.0.2", 80)]
    public void Listen_AcceptsLoopback(string text, string address, int port)
    {
        var endpoint = WebListen.Parse(text);
        Assert.Equal(IPAddress.Parse(address), endpoint.Address);
        Assert.Equal(port, endpoint.Port);
    }

    [Theory]
    [InlineData("0.0.0.0:8088")]
    [InlineData("[::]:8088")]
    [InlineData("192.168.1.5:8088")]
    [InlineData("100.64.0.1:8088")]
    public void Listen_RefusesNonLoopback_WithAClearMessage(string text)
    {
        var ex = Assert.Throws<FormatException>(() => WebListen.Parse(text));
        Assert.Contains("only listens on loopback", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("example.com")]
    [InlineData("8088")]
    [InlineData("127.0.0.1")]
    public void Listen_RefusesGarbage(string text) => Assert.Throws<FormatException>(() => WebListen.Parse(text));
}
