using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Weft.Control.Api;
using Weft.Lab;
using Weft.Lab.Tailnet;
using Weft.Node.LocalApi;

namespace Weft.Integration.Tests.Tailnet;

/// <summary>
/// A small tailnet of real processes: `weft control` in a hub namespace that routes between one namespace
/// per node, each running `weft daemon` joined with `weft up --auth-key`. Everything (namespaces, processes,
/// state directories, per-namespace resolv.conf) is removed on dispose, even after a failure.
/// </summary>
internal sealed class TailnetLab : IAsyncDisposable
{
    /// <summary>The control server's address, on the hub's loopback so every node routes to it the same way.</summary>
    public const string ControlAddress = "10.199.0.1";

    /// <summary>How long a node may take to reach Running, or a change to reach a peer's map.</summary>
    public static readonly TimeSpan ConvergeGuard = TimeSpan.FromSeconds(60);

    /// <summary>Tags the scenarios use; the policy must own them before keys can carry them.</summary>
    public const string TagOwners = """
        "tagOwners": { "tag:a": ["autogroup:admin"], "tag:b": ["autogroup:admin"], "tag:c": ["autogroup:admin"] },
        """;

    /// <summary>Everyone reaches everyone (the default policy) with the scenario tags owned.</summary>
    public const string AllowAllPolicy = "{ " + TagOwners + """ "acls": [ { "action": "accept", "src": ["*"], "dst": ["*:*"] } ] }""";

    private readonly List<string> _netnsEtcDirectories = [];
    private readonly HttpClient _http;

    private TailnetLab(NetworkLab lab, LabNamespace hub, ControlProcess control, string workDir, HttpClient http)
    {
        Lab = lab;
        Hub = hub;
        Control = control;
        WorkDir = workDir;
        _http = http;
        Admin = ApiClient.FromKeyFile(http, Path.Combine(control.DataDir, "owner-api-key"));
    }

    public NetworkLab Lab { get; }

    public LabNamespace Hub { get; }

    public ControlProcess Control { get; }

    /// <summary>The control server's REST API as its owner, reached through a socket in the hub namespace.</summary>
    public ApiClient Admin { get; }

    public string WorkDir { get; }

    public List<TailnetNode> Nodes { get; } = [];

    /// <summary>Creates the hub, starts `weft control` there (with <paramref name="ephemeralTimeoutSeconds"/> when given) and sets the policy.</summary>
    public static async Task<TailnetLab> StartAsync(string policy = AllowAllPolicy, int? ephemeralTimeoutSeconds = null)
    {
        LabRequirements.EnsureOrSkip();
        var lab = await NetworkLab.CreateAsync(TestContext.Current.TestOutputHelper is { } o ? o.WriteLine : null);
        var work = Directory.CreateTempSubdirectory("weft-tn-").FullName;
        try
        {
            var hub = await lab.AddNamespaceAsync("hub");
            await hub.SetSysctlAsync("net.ipv4.ip_forward", "1");
            await hub.AddAddressAsync("lo", ControlAddress + "/32");
            List<string> extra = [];
            if (ephemeralTimeoutSeconds is { } seconds)
            {
                var config = Path.Combine(work, "control.json");
                await File.WriteAllTextAsync(config, string.Create(CultureInfo.InvariantCulture, $$"""{ "ephemeralTimeoutSeconds": {{seconds}} }"""));
                extra.AddRange(["--config", config]);
            }

            var control = await ControlProcess.StartAsync(hub, Path.Combine(work, "control"), $"http://{ControlAddress}:8080", extra);
            var http = new HttpClient(new SocketsHttpHandler { ConnectCallback = (ctx, ct) => ConnectInAsync(hub, ctx, ct) })
            {
                BaseAddress = new Uri(control.ListenUrl),
                Timeout = TimeSpan.FromSeconds(30),
            };
            var tailnet = new TailnetLab(lab, hub, control, work, http);
            await tailnet.Admin.SetPolicyAsync(policy);
            return tailnet;
        }
        catch
        {
            await lab.DisposeAsync();
            Directory.Delete(work, recursive: true);
            throw;
        }
    }

    /// <summary>A preauthorized, reusable auth key with these tags (and ephemeral when asked).</summary>
    public async Task<string> AuthKeyAsync(IReadOnlyList<string>? tags = null, bool ephemeral = false)
    {
        var key = await Admin.CreateAuthKeyAsync(new ApiKeyRequest(Reusable: true, Ephemeral: ephemeral, Preauthorized: true, tags ?? [], null));
        return key.Key ?? throw new LabException("the control server created an auth key without returning its secret");
    }

    /// <summary>
    /// Adds namespace PREFIX-<paramref name="hostname"/> routed through the hub, starts `weft daemon` there and runs
    /// `weft up --login-server URL --auth-key KEY --hostname NAME`, waiting until the daemon is Running.
    /// </summary>
    public async Task<TailnetNode> AddNodeAsync(string hostname, string authKey, bool acceptDns = false)
    {
        var node = await StartNodeAsync(hostname, authKey);
        var daemon = node.Daemon;
        var up = await node.CliAsync(["up", "--login-server", Control.ListenUrl, "--auth-key", authKey, "--hostname", hostname,
            "--accept-dns", acceptDns ? "true" : "false", "--timeout", "60s"]);
        if (!up.Succeeded)
        {
            throw new LabException($"`weft up` on {hostname} failed ({up.ExitCode}): {up.StandardOutput}{up.StandardError}\n--- daemon ---\n{daemon.Process.Output}\n--- control ---\n{Control.Process.Output}");
        }

        return node;
    }

    /// <summary>Starts a daemon in a namespace of its own, joined to the hub, without logging it in.</summary>
    public async Task<TailnetNode> StartNodeAsync(string hostname, string authKey = "")
    {
        var ns = await Lab.AddNamespaceAsync(hostname);
        // `ip netns exec` bind-mounts this file over /etc/resolv.conf for everything it runs in the namespace,
        // so the daemon's --accept-dns edits and `getent` see the namespace's own resolver, never the host's.
        var etc = Path.Combine("/etc/netns", ns.Name);
        Directory.CreateDirectory(etc);
        _netnsEtcDirectories.Add(etc);
        await File.WriteAllTextAsync(Path.Combine(etc, "resolv.conf"), "# weft lab namespace resolver (replaced by weft --accept-dns)\nnameserver 127.0.0.1\n");

        var link = await Lab.ConnectAsync(Hub, ns);
        await ns.AddRouteAsync("default", "via", link.AIPv4);
        var dir = Path.Combine(WorkDir, hostname);
        Directory.CreateDirectory(dir);
        var daemon = await NodeDaemon.StartAsync(ns, Path.Combine(dir, "state"), Path.Combine(dir, "weftd.sock"), Lab.InterfaceName("t" + hostname[..1]));
        var node = new TailnetNode(hostname, ns, daemon, authKey);
        Nodes.Add(node);
        return node;
    }

    /// <summary>Waits until every node lists every other node as a peer (the maps have converged).</summary>
    public async Task WaitForFullMeshAsync()
    {
        foreach (var node in Nodes)
        {
            var others = Nodes.Where(n => n != node).Select(n => n.Hostname).ToList();
            await node.WaitForStatusAsync(s => others.All(o => s.Peers.Any(p => p.Name == o)), $"{node.Hostname} sees {string.Join(", ", others)}");
        }
    }

    /// <summary>The control server's device id of a node, by hostname.</summary>
    public async Task<ApiDevice> DeviceAsync(string hostname) =>
        (await Admin.ListDevicesAsync()).Devices.SingleOrDefault(d => d.Hostname == hostname)
        ?? throw new LabException($"control has no device with hostname {hostname}");

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            node.Dispose();
        }

        _http.Dispose();
        await Lab.DisposeAsync();
        foreach (var etc in _netnsEtcDirectories)
        {
            if (Directory.Exists(etc))
            {
                Directory.Delete(etc, recursive: true);
            }
        }

        try
        {
            // Only when empty: other namespaces on this machine may keep their files there.
            Directory.Delete("/etc/netns");
        }
        catch (IOException)
        {
        }

        Directory.Delete(WorkDir, recursive: true);
    }

    /// <summary>Connects an HTTP client's TCP socket from inside <paramref name="ns"/> (the control server listens there).</summary>
    private static async ValueTask<Stream> ConnectInAsync(LabNamespace ns, SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var address = IPAddress.Parse(context.DnsEndPoint.Host);
        var socket = ns.CreateSocket(SocketType.Stream, ProtocolType.Tcp, new IPEndPoint(address.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0));
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>One node of a <see cref="TailnetLab"/>: its namespace, daemon, CLI and local API.</summary>
internal sealed class TailnetNode(string hostname, LabNamespace ns, NodeDaemon daemon, string authKey) : IDisposable
{
    public string Hostname { get; } = hostname;

    public LabNamespace Namespace { get; } = ns;

    public NodeDaemon Daemon { get; } = daemon;

    /// <summary>The auth key the node joined with (re-auth uses it again).</summary>
    public string AuthKey { get; } = authKey;

    /// <summary>The local API from the test process (the socket is a file, reachable from any namespace).</summary>
    public LocalApiClient Api { get; } = new(daemon.SocketPath);

    /// <summary>`weft --socket PATH ARGS` inside the node's namespace.</summary>
    public Task<CommandResult> CliAsync(IReadOnlyList<string> arguments) => Daemon.CliAsync(arguments, TimeSpan.FromSeconds(90));

    /// <summary>`weft status --json` through the CLI, parsed with the local API's own contract.</summary>
    public async Task<StatusResponse> StatusJsonAsync(bool activeOnly = false)
    {
        var result = (await CliAsync(activeOnly ? ["status", "--json", "--active"] : ["status", "--json"])).EnsureSuccess();
        return JsonSerializer.Deserialize(result.StandardOutput, LocalApiJsonContext.Default.StatusResponse)
            ?? throw new LabException($"`weft status --json` on {Hostname} printed nothing");
    }

    /// <summary>This node's tailnet IPv4 address.</summary>
    public async Task<string> IPv4Async()
    {
        var result = (await CliAsync(["ip", "-4"])).EnsureSuccess();
        return result.StandardOutput.Trim();
    }

    /// <summary>Polls the local API until <paramref name="condition"/> holds; fails naming <paramref name="what"/> and the last status.</summary>
    public async Task<StatusResponse> WaitForStatusAsync(Func<StatusResponse, bool> condition, string what, TimeSpan? guard = null)
    {
        var deadline = DateTime.UtcNow + (guard ?? TailnetLab.ConvergeGuard);
        StatusResponse? last = null;
        string? error = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await Api.GetStatusAsync();
                error = null;
                if (condition(last))
                {
                    return last;
                }
            }
            catch (LocalApiException ex)
            {
                // The daemon may be restarting; keep polling until the guard.
                error = ex.Message;
            }

            await Task.Delay(LabConstants.PollInterval * 8);
        }

        var shown = last is null ? "none" : $"{last.BackendState}, peers [{string.Join(", ", last.Peers.Select(p => p.Name + (p.Online ? "" : "(offline)")))}]";
        throw new LabException($"{Hostname}: gave up waiting for: {what} (last status: {shown}; last error: {error ?? "none"})\n--- daemon ---\n{Daemon.Process.Output}");
    }

    public void Dispose() => Api.Dispose();
}
