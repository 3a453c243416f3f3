using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Node.LocalApi;

namespace Weft.Node.Tests.LocalApi;

/// <summary>The daemon's local API server on a real Unix socket, in front of a fake backend.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LocalApiServerTests : IAsyncLifetime
{
    private const uint Nobody = 65534;

    private readonly string _directory = Directory.CreateTempSubdirectory("weft-localapi-").FullName;
    private readonly FakeBackend _backend = new();
    private readonly LocalApiAuthorizer _authorizer = new(OwnUid());
    private LocalApiServer _server = null!;
    private LocalApiClient _client = null!;

    private string SocketPath => Path.Combine(_directory, "weftd.sock");

    public async ValueTask InitializeAsync()
    {
        // Another user must be able to reach the socket at all, or the test would prove nothing about the uid check.
        File.SetUnixFileMode(_directory, (UnixFileMode)0b111_101_101);
        _server = await LocalApiServer.StartAsync(SocketPath, _backend, _authorizer, NullLogger.Instance, TestContext.Current.CancellationToken);
        _client = new LocalApiClient(SocketPath);
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Status_FromTheDaemonsOwnUser_IsAnswered()
    {
        var status = await _client.GetStatusAsync(TestContext.Current.CancellationToken);

        Assert.Equal(BackendState.Running, status.BackendState);
    }

    [Fact]
    public void Socket_IsReachableByAnyone_TheUidCheckIsTheGuard() =>
        Assert.Equal((UnixFileMode)0b110_110_110, File.GetUnixFileMode(SocketPath));

    [Fact]
    public async Task Request_FromAnotherUser_Is403_AndNeverReachesTheBackend()
    {
        var (code, body) = await CurlAsUserAsync(Nobody, "POST", "down");

        Assert.Equal(403, code);
        Assert.Contains("access denied", body, StringComparison.Ordinal);
        Assert.Equal(0, _backend.Downs);
        Assert.Equal(1, _server.Refused);
    }

    [Fact]
    public async Task Request_FromTheOperator_IsAnswered()
    {
        _authorizer.SetOperator(Nobody);

        var (code, _) = await CurlAsUserAsync(Nobody, "POST", "down");

        Assert.Equal(200, code);
        Assert.Equal(1, _backend.Downs);
    }

    [Fact]
    public async Task PeerCredentials_OfAUnixConnection_AreTheConnectingProcess()
    {
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var path = Path.Combine(_directory, "pair.sock");
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await client.ConnectAsync(new UnixDomainSocketEndPoint(path), TestContext.Current.CancellationToken);
        using var accepted = await listener.AcceptAsync(TestContext.Current.CancellationToken);

        var credentials = PeerCredentials.Read(accepted);

        Assert.Equal(Environment.ProcessId, credentials?.Pid);
        Assert.Equal(OwnUid(), credentials?.Uid);
    }

    [Fact]
    public void Authorizer_AllowsRootOwnerAndOperatorOnly()
    {
        var authorizer = new LocalApiAuthorizer(1000, operatorUid: 1001);

        Assert.True(authorizer.IsAllowed(new PeerCredentials(1, 0, 0)));
        Assert.True(authorizer.IsAllowed(new PeerCredentials(1, 1000, 1000)));
        Assert.True(authorizer.IsAllowed(new PeerCredentials(1, 1001, 1001)));
        Assert.False(authorizer.IsAllowed(new PeerCredentials(1, 1002, 0)));
        Assert.False(authorizer.IsAllowed(null));
        authorizer.SetOperator(null);
        Assert.False(authorizer.IsAllowed(new PeerCredentials(1, 1001, 1001)));
    }

    [Fact]
    public void LookupUid_ReadsPasswd()
    {
        var passwd = Path.Combine(_directory, "passwd");
        File.WriteAllLines(passwd, ["root:x:0:0:root:/root:/bin/bash", "alice:x:1000:1000::/home/alice:/bin/sh"]);

        Assert.Equal(1000u, LocalApiAuthorizer.LookupUid("alice", passwd));
        Assert.Equal(42u, LocalApiAuthorizer.LookupUid("42", passwd));
        Assert.Null(LocalApiAuthorizer.LookupUid("mallory", passwd));
    }

    [Fact]
    public async Task SecondServer_OnALiveSocket_IsRefused_ButAStaleSocketFileIsReplaced()
    {
        var error = await Assert.ThrowsAsync<IOException>(() =>
            LocalApiServer.StartAsync(SocketPath, _backend, _authorizer, NullLogger.Instance, TestContext.Current.CancellationToken));
        Assert.Contains("another daemon", error.Message, StringComparison.Ordinal);

        var stale = Path.Combine(_directory, "stale.sock");
        using (var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            dead.Bind(new UnixDomainSocketEndPoint(stale));
        }
        await using var second = await LocalApiServer.StartAsync(stale, _backend, _authorizer, NullLogger.Instance, TestContext.Current.CancellationToken);
        using var client = new LocalApiClient(stale);
        Assert.Equal(BackendState.Running, (await client.GetStatusAsync(TestContext.Current.CancellationToken)).BackendState);
    }

    [Fact]
    public async Task MalformedJson_Is400WithAMessage()
    {
        using var http = Http();
        using var response = await http.PostAsync("localapi/v0/up", new StringContent("{ \"authKey\": ", System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"error\"", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BackendRefusal_IsItsStatusAndMessage()
    {
        var error = await Assert.ThrowsAsync<LocalApiException>(() => _client.LogoutAsync(TestContext.Current.CancellationToken));

        Assert.Equal(400, error.Status);
        Assert.Contains("not logged in", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhoIs_ParsesAddressWithPort_AndUnknownIs404_GarbageIs400()
    {
        var known = await _client.WhoIsAsync("100.64.0.2:22", TestContext.Current.CancellationToken);
        Assert.Equal("peer", known?.Node.Name);
        Assert.Equal(IPAddress.Parse("100.64.0.2"), _backend.LastWhoIs);

        using var http = Http();
        using var unknown = await http.GetAsync("localapi/v0/whois?addr=100.64.0.9", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var garbage = await http.GetAsync("localapi/v0/whois?addr=nonsense", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, garbage.StatusCode);
    }

    [Fact]
    public async Task UnknownEndpoint_Is404()
    {
        using var http = Http();
        using var response = await http.GetAsync("localapi/v0/nope", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Ping_WithAnAbsurdCount_Is400()
    {
        var error = await Assert.ThrowsAsync<LocalApiException>(() => _client.PingAsync(new PingRequest { Target = "peer", Count = 100000 }, TestContext.Current.CancellationToken));

        Assert.Equal(400, error.Status);
    }

    private HttpClient Http()
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri("http://local/") };
    }

    /// <summary>Runs curl as <paramref name="uid"/> (setpriv drops root) against the socket; returns the HTTP status and body.</summary>
    private async Task<(int Code, string Body)> CurlAsUserAsync(uint uid, string method, string endpoint)
    {
        Assert.SkipUnless(OwnUid() == 0 && File.Exists("/usr/bin/setpriv") && File.Exists("/usr/bin/curl"), "needs root, setpriv and curl to connect as another user");
        var start = new System.Diagnostics.ProcessStartInfo("setpriv")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])[
            $"--reuid={uid}", $"--regid={uid}", "--clear-groups", "--",
            "curl", "-s", "-X", method, "-w", "\n%{http_code}", "--unix-socket", SocketPath, $"http://local/localapi/v0/{endpoint}"])
        {
            start.ArgumentList.Add(argument);
        }
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        var lines = output.TrimEnd().Split('\n');
        return (int.Parse(lines[^1], System.Globalization.CultureInfo.InvariantCulture), string.Join('\n', lines[..^1]));
    }

    private static uint OwnUid()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                return uint.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        throw new InvalidOperationException("no Uid line in /proc/self/status");
    }

    /// <summary>Answers like a running daemon with one peer, 100.64.0.2; records what it was asked.</summary>
    private sealed class FakeBackend : ILocalBackend
    {
        public Task<NetcheckResponse> NetcheckAsync(CancellationToken ct) => Task.FromResult(new NetcheckResponse { Udp = true, HomeRelay = "lab" });

        public int Downs { get; private set; }

        public IPAddress? LastWhoIs { get; private set; }

        public StatusResponse Status() => new() { BackendState = BackendState.Running };

        public Task<UpResponse> UpAsync(UpRequest request, CancellationToken ct) => Task.FromResult(new UpResponse { BackendState = BackendState.Starting });

        public Task DownAsync(CancellationToken ct)
        {
            Downs++;
            return Task.CompletedTask;
        }

        public Task LogoutAsync(CancellationToken ct) => throw new LocalApiError(400, "not logged in: nothing to log out of");

        public IReadOnlyList<ProfileInfo> Profiles() => [];

        public Task SwitchAsync(string profile, CancellationToken ct) => Task.CompletedTask;

        public Prefs GetPrefs() => new();

        public Task<Prefs> PatchPrefsAsync(PrefsPatch patch, CancellationToken ct) => Task.FromResult(new Prefs());

        public WhoIsResponse? WhoIs(IPAddress address)
        {
            LastWhoIs = address;
            return address.Equals(IPAddress.Parse("100.64.0.2")) ? new WhoIsResponse { Node = new PeerStatus { Id = "2", Name = "peer" }, User = "bob" } : null;
        }

        public Task<PingResponse> PingAsync(PingRequest request, CancellationToken ct) => Task.FromResult(new PingResponse());

        public VersionResponse Version() => new() { Version = "0.1.0" };
    }
}
