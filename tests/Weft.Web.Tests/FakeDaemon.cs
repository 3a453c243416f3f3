using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Weft.Node.LocalApi;

namespace Weft.Web.Tests;

/// <summary>
/// A stand-in `weft daemon`: the local API on a Unix socket with a little state (running or stopped, accept
/// DNS, current profile, logged in or not) so the web UI's actions show up in what it reads next, and a log of
/// every request so tests see which daemon calls the UI made. Its backend states follow the real daemon's: logged
/// out is NoState (no node key, not wanting to run) until `up` asks for a login, which is NeedsLogin.
/// </summary>
internal sealed class FakeDaemon : IAsyncDisposable
{
    public const string LoginUrl = "http://control.test/login/abc123";

    public const string LoginServer = "http://control.test";

    private readonly WebApplication _app;
    private readonly string _dir;
    private readonly Lock _gate = new();
    private string _state = BackendState.Running;
    private bool _wantRunning = true;
    private bool _acceptDns;
    private string _profile = "p1";
    private bool _registered = true;
    private string? _loginServer = LoginServer;

    private FakeDaemon(WebApplication app, string dir, string socketPath)
    {
        _app = app;
        _dir = dir;
        SocketPath = socketPath;
    }

    public string SocketPath { get; }

    /// <summary>"METHOD /localapi/v0/x" with the body, in arrival order.</summary>
    public ConcurrentQueue<(string Request, string Body)> Received { get; } = new();

    public bool AcceptDns
    {
        get { lock (_gate) { return _acceptDns; } }
    }

    public static PeerStatus[] Peers { get; } =
    [
        new() { Id = "n2", Name = "nas", Fqdn = "nas.corp.weft.internal.", Addresses = ["100.64.0.2", "fd7a:115c:a1e0::2"], User = "alice@example.com", Os = "linux", Online = true, Active = true, Path = "direct 192.168.1.20:41641" },
        new() { Id = "n3", Name = "phone", Fqdn = "phone.corp.weft.internal.", Addresses = ["100.64.0.3", "fd7a:115c:a1e0::3"], User = "alice@example.com", Os = "android", Online = true, Path = "relay fra" },
        new() { Id = "n4", Name = "build-server", Fqdn = "build-server.corp.weft.internal.", Addresses = ["100.64.0.4", "fd7a:115c:a1e0::4"], User = "tagged-devices", Tags = ["tag:ci"], Os = "linux", Online = false },
    ];

    /// <summary>Starts the fake; <paramref name="configured"/> false is a fresh install: no login server, never logged in.</summary>
    public static async Task<FakeDaemon> StartAsync(bool configured = true)
    {
        var dir = Directory.CreateTempSubdirectory("weft-web-").FullName;
        var socketPath = Path.Combine(dir, "weftd.sock");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.ListenUnixSocket(socketPath));
        var app = builder.Build();
        var fake = new FakeDaemon(app, dir, socketPath);
        if (!configured)
        {
            fake._registered = false;
            fake._wantRunning = false;
            fake._loginServer = null;
            fake._state = BackendState.NoState;
        }

        app.Run(fake.HandleAsync);
        await app.StartAsync();
        return fake;
    }

    /// <summary>Calls made to the daemon, without the status polling, as "METHOD /path".</summary>
    public string[] Actions() =>
        [.. Received.Select(r => r.Request).Where(r => r.StartsWith("POST", StringComparison.Ordinal) || r.StartsWith("PATCH", StringComparison.Ordinal))];

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var key = $"{context.Request.Method} {context.Request.Path}";
        Received.Enqueue((key, body));
        var json = LocalApiJsonContext.Default;
        string answer;
        lock (_gate)
        {
            switch (key)
            {
                case "GET /localapi/v0/status":
                    answer = JsonSerializer.Serialize(Status(), json.StatusResponse);
                    break;
                case "GET /localapi/v0/prefs":
                    answer = JsonSerializer.Serialize(Prefs(), json.Prefs);
                    break;
                case "PATCH /localapi/v0/prefs":
                    var patch = JsonSerializer.Deserialize(body, json.PrefsPatch)!;
                    _acceptDns = patch.AcceptDns ?? _acceptDns;
                    answer = JsonSerializer.Serialize(Prefs(), json.Prefs);
                    break;
                case "GET /localapi/v0/profiles":
                    answer = JsonSerializer.Serialize<IReadOnlyList<ProfileInfo>>(
                        [new() { Id = "p1", User = "alice@example.com", Tailnet = "corp", Current = _profile == "p1" }, new() { Id = "p2", User = "alice@home.example", Tailnet = "home", Current = _profile == "p2" }],
                        json.IReadOnlyListProfileInfo);
                    break;
                case "POST /localapi/v0/down":
                    _wantRunning = false;
                    _state = BackendState.Stopped;
                    answer = "{}";
                    break;
                case "POST /localapi/v0/up":
                    if (_loginServer is null)
                    {
                        context.Response.StatusCode = 400;
                        answer = """{"error":"no coordination server yet: run `weft up --login-server URL`"}""";
                        break;
                    }

                    _wantRunning = true;
                    var needsLogin = !_registered;
                    _state = needsLogin ? BackendState.NeedsLogin : BackendState.Running;
                    answer = JsonSerializer.Serialize(new UpResponse { BackendState = _state, AuthUrl = needsLogin ? LoginUrl : null }, json.UpResponse);
                    break;
                case "POST /localapi/v0/logout":
                    // As the real daemon: the node key is forgotten and it no longer wants to run; the prefs stay.
                    _registered = false;
                    _wantRunning = false;
                    _state = BackendState.NoState;
                    answer = "{}";
                    break;
                case "POST /localapi/v0/switch":
                    var request = JsonSerializer.Deserialize(body, json.SwitchRequest)!;
                    if (request.Profile is not ("p1" or "p2"))
                    {
                        context.Response.StatusCode = 404;
                        answer = """{"error":"no profile 'nope' on this device: see `weft switch --list`"}""";
                        break;
                    }

                    _profile = request.Profile;
                    answer = "{}";
                    break;
                default:
                    context.Response.StatusCode = 404;
                    answer = """{"error":"no such endpoint"}""";
                    break;
            }
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer, context.RequestAborted);
    }

    private StatusResponse Status() => new()
    {
        BackendState = _state,
        AuthUrl = _state == BackendState.NeedsLogin && _wantRunning ? LoginUrl : null,
        Self = !_registered ? null : new PeerStatus
        {
            Id = "n1",
            Name = _profile == "p1" ? "laptop" : "laptop-home",
            Fqdn = _profile == "p1" ? "laptop.corp.weft.internal." : "laptop-home.home.weft.internal.",
            Addresses = ["100.64.0.1", "fd7a:115c:a1e0::1"],
            User = "alice@example.com",
            Os = "linux",
            Online = true,
        },
        Peers = _state is BackendState.Running ? Peers : [],
        TailnetDomain = "corp.weft.internal",
        User = _profile == "p1" ? "alice@example.com" : "alice@home.example",
    };

    private Prefs Prefs() => new() { AcceptDns = _acceptDns, WantRunning = _wantRunning, Hostname = "laptop", LoginServer = _loginServer };
}
