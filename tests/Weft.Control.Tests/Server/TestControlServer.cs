using System.Net.Http.Headers;
using Weft.Control.Hosting;
using Weft.Control.Storage;
using Weft.Core.Control;
using Weft.Core.Crypto;
using Weft.Core.Keys;

namespace Weft.Control.Tests.Server;

/// <summary>A real server on 127.0.0.1 with a random port and a temporary data dir, plus helpers to act as nodes and admins.</summary>
internal sealed class TestControlServer : IAsyncDisposable
{
    /// <summary>The data directory; null once handed to the server of a restart.</summary>
    private TempDir? _dir;

    private TestControlServer(TempDir dir, ControlServer server, string ownerKey)
    {
        _dir = dir;
        Server = server;
        OwnerApiKey = ownerKey;
        Http = new HttpClient { BaseAddress = server.Address };
    }

    public ControlServer Server { get; }

    public string OwnerApiKey { get; }

    public HttpClient Http { get; }

    public IControlStore Store => Server.Service.Store;

    public static Task<TestControlServer> StartAsync(CancellationToken ct, Action<ControlServerOptions>? configure = null) =>
        StartAsync(new TempDir(), ct, configure);

    /// <summary>Stops this server and starts a new one on the same data directory; use only the returned one afterwards.</summary>
    public async Task<TestControlServer> RestartAsync(CancellationToken ct, Action<ControlServerOptions>? configure = null)
    {
        var dir = _dir!;
        _dir = null;
        await DisposeAsync();
        return await StartAsync(dir, ct, configure);
    }

    private static async Task<TestControlServer> StartAsync(TempDir dir, CancellationToken ct, Action<ControlServerOptions>? configure)
    {
        var options = new ControlServerOptions { DataDir = dir.Path, Listen = "http://127.0.0.1:0" };
        configure?.Invoke(options);
        var server = await ControlServer.StartAsync(options, ct: ct);
        string key;
        if (File.Exists(dir.File("owner-api-key")))
        {
            key = (await File.ReadAllTextAsync(dir.File("owner-api-key"), ct)).Trim();
        }
        else
        {
            // A replica joining a shared database finds the tailnet made; it gets an owner key of its own.
            var store = server.Service.Store;
            var tailnet = (await store.ListTailnetsAsync(ct))[0];
            var owner = (await store.ListUsersAsync(tailnet.Id, ct))[0];
            key = (await store.CreateApiKeyAsync(tailnet.Id, owner.Id, TimeSpan.FromDays(1), DateTimeOffset.UtcNow, ct)).Secret;
        }

        return new TestControlServer(dir, server, key);
    }

    /// <summary>The first tailnet and its owner.</summary>
    public async Task<(TailnetRecord Tailnet, UserRecord Owner)> FirstAsync(CancellationToken ct)
    {
        var tailnet = (await Store.ListTailnetsAsync(ct))[0];
        return (tailnet, (await Store.ListUsersAsync(tailnet.Id, ct))[0]);
    }

    /// <summary>A reusable auth key of the owner.</summary>
    public async Task<string> AuthKeyAsync(CancellationToken ct, bool reusable = true, TimeSpan? lifetime = null)
    {
        var (tailnet, owner) = await FirstAsync(ct);
        var (_, secret) = await Store.CreateAuthKeyAsync(tailnet.Id, owner.Id, new AuthKeyOptions(reusable, false, false, [], lifetime ?? TimeSpan.FromDays(1)), DateTimeOffset.UtcNow, ct);
        return secret;
    }

    public HttpRequestMessage Request(HttpMethod method, string path, string? apiKey, string? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (apiKey is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body);
        }

        return request;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        _dir?.Dispose();
    }
}

/// <summary>A lightweight node: machine and node keys and one control connection.</summary>
internal sealed class TestNode : IAsyncDisposable
{
    private TestNode(ControlClient client, string nodeKey)
    {
        Client = client;
        NodeKey = nodeKey;
    }

    public ControlClient Client { get; }

    public string NodeKey { get; }

    public MapResponse? FullMap { get; private set; }

    /// <summary>The machine's private key, kept so the same device can connect again (after a restart, say).</summary>
    public Key32 MachinePrivate { get; private init; }

    /// <summary>Connects as a new device, or as the device <paramref name="machine"/> with node key <paramref name="nodeKey"/>.</summary>
    public static async Task<TestNode> ConnectAsync(TestControlServer server, CancellationToken ct, Key32? machine = null, string? nodeKey = null)
    {
        var machinePrivate = machine ?? Curve25519.GeneratePrivateKey();
        var serverKey = await ControlClient.FetchServerKeyAsync(server.Http, server.Server.Address, ct);
        var client = await ControlClient.ConnectAsync(server.Server.Address, machinePrivate, serverKey, ct);
        return new TestNode(client, nodeKey ?? new NodePublic(Curve25519.PublicKey(Curve25519.GeneratePrivateKey())).ToString()) { MachinePrivate = machinePrivate };
    }

    public Task<RegisterResponse> RegisterAsync(string? authKey, string hostname, CancellationToken ct, string? followup = null) =>
        Client.RegisterAsync(new RegisterRequest { NodeKey = NodeKey, AuthKey = authKey, Followup = followup, HostInfo = new HostInfo { Hostname = hostname, OS = "linux" } }, ct);

    /// <summary>Registers with an auth key and starts the map stream; returns the full map.</summary>
    public static async Task<TestNode> JoinAsync(TestControlServer server, string authKey, string hostname, CancellationToken ct)
    {
        var node = await ConnectAsync(server, ct);
        var reg = await node.RegisterAsync(authKey, hostname, ct);
        Assert.True(reg.Authorized, reg.Error);
        await node.Client.SendMapRequestAsync(new MapRequest { NodeKey = node.NodeKey, Stream = true, DiscoKey = "discokey:" + new string('0', 64) }, ct);
        node.FullMap = await node.Client.ReceiveMapAsync(ct);
        Assert.NotNull(node.FullMap?.Self);
        return node;
    }

    public long Id => FullMap!.Self!.Id;

    /// <summary>Reads map messages until one satisfies <paramref name="match"/> (keepalives and other deltas are skipped).</summary>
    public async Task<MapResponse> WaitForAsync(Func<MapResponse, bool> match, CancellationToken ct)
    {
        while (true)
        {
            var m = await Client.ReceiveMapAsync(ct) ?? throw new InvalidOperationException("map stream ended");
            if (match(m))
            {
                return m;
            }
        }
    }

    public ValueTask DisposeAsync() => Client.DisposeAsync();
}
