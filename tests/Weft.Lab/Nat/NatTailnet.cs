using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Weft.Lab.Tailnet;

namespace Weft.Lab.Nat;

/// <summary>How a node's packets to one peer travel, as `weft status` names it ("direct ADDR:PORT" or "relay REGION").</summary>
public enum PathKind
{
    /// <summary>Straight to the peer over UDP (on the LAN, through NAT mappings, or a mapped port).</summary>
    Direct,

    /// <summary>Through a relay region, over its HTTP upgrade (and so over TCP).</summary>
    Relay,
}

/// <summary>
/// A tailnet spread over a <see cref="NatLab"/>: `weft control` with its embedded relay and STUN responder on one
/// public host of the lab's internet, a second relay region (`weft relay` with its own STUN responder) on another, so
/// nodes get two STUN servers and can tell a hard NAT from an easy one, and `weft daemon`s on hosts of NATed sites.
/// It reads each node's view of its peers from the local API (the JSON `weft status --json` prints) and can break a
/// direct path at a site router and restore it. The lab owns every namespace and process; dispose stops this tailnet's
/// processes and deletes its work directory (keys included).
/// </summary>
public sealed partial class NatTailnet : IAsyncDisposable
{
    /// <summary>Port `weft control` (and so its embedded relay) listens on.</summary>
    public const int ControlPort = 8080;

    /// <summary>Port the second region's `weft relay` listens on.</summary>
    public const int RelayPort = 8443;

    /// <summary>Region code of the relay embedded in `weft control`.</summary>
    public const string ControlRegionCode = "lab-control";

    /// <summary>Region code of the second relay.</summary>
    public const string RelayRegionCode = "lab-relay";

    /// <summary>What `weft relay` prints once it listens, followed by its key.</summary>
    public const string RelayReadyLine = "weft relay listening on";

    /// <summary>Hang guard for a node to reach Running or to see a peer. Our choice: generous, it only bounds a broken run.</summary>
    public static readonly TimeSpan ConvergeGuard = TimeSpan.FromSeconds(60);

    /// <summary>How often <see cref="WaitForPathAsync"/> reads a node's status: fine enough for the benchmark's timings.</summary>
    public static readonly TimeSpan StatusPollInterval = TimeSpan.FromMilliseconds(50);

    // _gate guards _nodes.
    private readonly Lock _gate = new();
    private readonly List<NatNode> _nodes = [];
    private bool _disposed;

    // Numbers the nodes' TUN names; claimed atomically so nodes may start concurrently.
    private int _nodeCount;

    private NatTailnet(NatLab nat, NatHost controlHost, ControlProcess control, NatHost? relayHost, LabProcess? relay, string workDir, string authKey)
    {
        Nat = nat;
        ControlHost = controlHost;
        Control = control;
        RelayHost = relayHost;
        Relay = relay;
        WorkDir = workDir;
        AuthKey = authKey;
    }

    /// <summary>The NAT lab this tailnet lives in.</summary>
    public NatLab Nat { get; }

    /// <summary>The public host `weft control` runs on.</summary>
    public NatHost ControlHost { get; }

    /// <summary>The coordination server, with the embedded relay (region <see cref="ControlRegionCode"/>) and STUN on 3478.</summary>
    public ControlProcess Control { get; }

    /// <summary>The public host of the second relay region; null when started without it.</summary>
    public NatHost? RelayHost { get; }

    /// <summary>The second region's `weft relay` (region <see cref="RelayRegionCode"/>, STUN on 3478); null when started without it.</summary>
    public LabProcess? Relay { get; }

    /// <summary>Where the control data, relay key and node state directories live; deleted on dispose.</summary>
    public string WorkDir { get; }

    /// <summary>A reusable, preauthorized auth key every node joins with.</summary>
    public string AuthKey { get; }

    /// <summary>The addresses of every relay and STUN host: never to be cut when a direct path is broken.</summary>
    public IReadOnlyList<string> RelayAddresses => RelayHost is null ? [ControlHost.Address] : [ControlHost.Address, RelayHost.Address];

    /// <summary>The nodes started so far.</summary>
    public IReadOnlyList<NatNode> Nodes
    {
        get
        {
            lock (_gate)
            {
                return [.. _nodes];
            }
        }
    }

    /// <summary>
    /// Adds public hosts to <paramref name="nat"/>, starts `weft relay` on the second (unless <paramref name="secondRelay"/>
    /// is false) and `weft control` on the first (relay map: the embedded relay, then the second relay pinned by its key),
    /// and creates the auth key. Without the second relay every relayed byte crosses `weft control`, as the benchmark's
    /// relay CPU figure wants, but nodes get one STUN server only and cannot tell a hard NAT from an easy one.
    /// </summary>
    public static async Task<NatTailnet> StartAsync(NatLab nat, bool secondRelay = true)
    {
        ArgumentNullException.ThrowIfNull(nat);
        var work = Directory.CreateTempSubdirectory("weft-nat-").FullName;
        try
        {
            var controlHost = await nat.AddPublicHostAsync("ctl").ConfigureAwait(false);
            NatHost? relayHost = null;
            LabProcess? relay = null;
            var regions = "";
            if (secondRelay)
            {
                relayHost = await nat.AddPublicHostAsync("rly").ConfigureAwait(false);
                var relayUrl = string.Create(CultureInfo.InvariantCulture, $"http://{relayHost.Address}:{RelayPort}");
                relay = relayHost.Namespace.Start([WeftExecutable.Find(), "relay", "--listen", relayUrl, "--data-dir", Path.Combine(work, "relay")]);
                await relay.WaitForOutputAsync(RelayReadyLine, LabConstants.StartupTimeout).ConfigureAwait(false);
                var relayKey = RelayKeyPattern().Match(relay.Output);
                if (!relayKey.Success)
                {
                    throw new LabException($"`weft relay` printed no relay key: {relay.Output}");
                }
                regions = string.Create(CultureInfo.InvariantCulture, $$"""
                    { "id": 1, "code": "{{RelayRegionCode}}", "name": "Lab relay",
                      "relays": [ { "url": "{{relayUrl}}", "publicKey": "{{relayKey.Groups[1].Value}}", "stunPort": 3478 } ] }
                    """);
            }

            var config = Path.Combine(work, "control.json");
            await File.WriteAllTextAsync(config, $$"""
                { "relays": { "regionCode": "{{ControlRegionCode}}", "regions": [ {{regions}} ] } }
                """).ConfigureAwait(false);
            // Listening on the public host's own address makes that address the embedded relay's URL in the relay map,
            // which is what nodes behind the NATs can reach.
            var control = await ControlProcess.StartAsync(
                controlHost.Namespace,
                Path.Combine(work, "control"),
                string.Create(CultureInfo.InvariantCulture, $"http://{controlHost.Address}:{ControlPort}"),
                ["--config", config]).ConfigureAwait(false);
            var key = await control.AdminAsync(["keys", "create", "--reusable", "--preauthorized"]).ConfigureAwait(false);
            key.EnsureSuccess();
            var authKey = key.StandardOutput.Trim();
            if (authKey.Length == 0)
            {
                throw new LabException($"`weft control keys create` printed no key: {key.StandardError}");
            }
            nat.Lab.Log($"nat tailnet: control {control.ListenUrl}, second relay {relayHost?.Address ?? "none"}, work {work}");
            return new NatTailnet(nat, controlHost, control, relayHost, relay, work, authKey);
        }
        catch
        {
            Directory.Delete(work, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// Starts `weft daemon` on host <paramref name="hostIndex"/> of <paramref name="site"/> without logging it in
    /// (<see cref="NatNode.UpAsync"/> does), so callers can time "both nodes up" themselves.
    /// </summary>
    public async Task<NatNode> StartNodeAsync(string hostname, NatSite site, int hostIndex = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(hostname);
        ArgumentNullException.ThrowIfNull(site);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var host = site.Hosts[hostIndex];
        var index = Interlocked.Increment(ref _nodeCount) - 1;
        var dir = Path.Combine(WorkDir, hostname);
        Directory.CreateDirectory(dir);
        var daemon = await NodeDaemon.StartAsync(
            host.Namespace,
            Path.Combine(dir, "state"),
            Path.Combine(dir, "weftd.sock"),
            Nat.Lab.InterfaceName("t" + index.ToString(CultureInfo.InvariantCulture))).ConfigureAwait(false);
        var node = new NatNode(this, hostname, site, host, daemon);
        lock (_gate)
        {
            _nodes.Add(node);
        }
        return node;
    }

    /// <summary>Starts a node (see <see cref="StartNodeAsync"/>) and brings it up: `weft up` returns once it is Running.</summary>
    public async Task<NatNode> AddNodeAsync(string hostname, NatSite site, int hostIndex = 0)
    {
        var node = await StartNodeAsync(hostname, site, hostIndex).ConfigureAwait(false);
        await node.UpAsync().ConfigureAwait(false);
        return node;
    }

    /// <summary>Waits until <paramref name="node"/> lists <paramref name="peer"/> as an online peer with a tailnet address.</summary>
    public static Task<NatPeerStatus> WaitForPeerAsync(NatNode node, NatNode peer, TimeSpan? guard = null)
    {
        ArgumentNullException.ThrowIfNull(peer);
        return WaitForPeerStatusAsync(node, peer.Hostname, p => p.Online && p.Addresses.Count > 0, $"{peer.Hostname} online with an address", guard ?? ConvergeGuard);
    }

    /// <summary>
    /// Polls <paramref name="node"/>'s status every <see cref="StatusPollInterval"/> until its path to <paramref name="peer"/>
    /// is of <paramref name="kind"/>; fails with the last path seen and the daemon's log once <paramref name="guard"/> passes.
    /// The path is only known while traffic flows, so callers keep a <see cref="PingStream"/> running.
    /// </summary>
    public static Task<NatPeerStatus> WaitForPathAsync(NatNode node, NatNode peer, PathKind kind, TimeSpan guard)
    {
        ArgumentNullException.ThrowIfNull(peer);
        return WaitForPeerStatusAsync(node, peer.Hostname, p => p.PathKind == kind, $"a {kind.ToString().ToLowerInvariant()} path to {peer.Hostname}", guard);
    }

    /// <summary>
    /// Pings <paramref name="to"/>'s tailnet IPv4 from <paramref name="from"/>'s namespace once a second until a reply
    /// comes back or <paramref name="guard"/> passes: the first packets may wait for a handshake through the relay.
    /// </summary>
    public static async Task<bool> PingEventuallyAsync(NatNode from, NatNode to, TimeSpan guard)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        var target = await to.IPv4Async().ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        do
        {
            if ((await Ping.RunAsync(from.Host.Namespace, target, count: 1, replyWaitSeconds: 1).ConfigureAwait(false)).Received > 0)
            {
                return true;
            }
        }
        while (clock.Elapsed < guard);
        return false;
    }

    /// <summary>Pings <paramref name="to"/>'s tailnet IPv4 <paramref name="count"/> times from <paramref name="from"/>.</summary>
    public static async Task<PingResult> PingAsync(NatNode from, NatNode to, int count, double interval = 0.2)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        return await Ping.RunAsync(from.Host.Namespace, await to.IPv4Async().ConfigureAwait(false), count, interval).ConfigureAwait(false);
    }

    /// <summary>Starts a continuous ping from <paramref name="from"/> to <paramref name="to"/>'s tailnet IPv4 (keeps the peer active).</summary>
    public static async Task<PingStream> StartPingStreamAsync(NatNode from, NatNode to, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        return PingStream.Start(from.Host.Namespace, await to.IPv4Async().ConfigureAwait(false), interval ?? PingStream.DefaultInterval);
    }

    /// <summary>
    /// Breaks the direct path between <paramref name="node"/> and <paramref name="peer"/>: <paramref name="node"/>'s site
    /// router drops UDP to and from <paramref name="peer"/>'s public address. The relay hosts are other addresses, so
    /// relayed traffic and STUN keep flowing. Nodes on one LAN have no router between them to cut.
    /// </summary>
    public Task BreakDirectPathAsync(NatNode node, NatNode peer)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(peer);
        if (node.Site == peer.Site)
        {
            throw new InvalidOperationException($"{node.Hostname} and {peer.Hostname} share site {node.Site.Name}: their direct path never crosses its router");
        }
        if (RelayAddresses.Contains(peer.Site.WanAddress))
        {
            throw new InvalidOperationException($"{peer.Hostname}'s public address {peer.Site.WanAddress} is a relay host's");
        }
        Nat.Lab.Log($"nat tailnet: breaking the direct path {node.Hostname} <-> {peer.Hostname} at {node.Site.Router.Name} (drop UDP with {peer.Site.WanAddress})");
        return node.Site.DropUdpWithAsync([peer.Site.WanAddress]);
    }

    /// <summary>Undoes <see cref="BreakDirectPathAsync"/> for <paramref name="node"/>'s site.</summary>
    public Task RestoreDirectPathAsync(NatNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        Nat.Lab.Log($"nat tailnet: restoring UDP at {node.Site.Router.Name}");
        return node.Site.RestoreUdpAsync();
    }

    /// <summary>Stops the daemons, the control server and the relay, then deletes the work directory.</summary>
    public async ValueTask DisposeAsync()
    {
        NatNode[] nodes;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            nodes = [.. _nodes];
        }
        foreach (var node in nodes)
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }
        await Control.DisposeAsync().ConfigureAwait(false);
        if (Relay is not null)
        {
            await Relay.DisposeAsync().ConfigureAwait(false);
        }
        Directory.Delete(WorkDir, recursive: true);
    }

    private static async Task<NatPeerStatus> WaitForPeerStatusAsync(NatNode node, string peerName, Func<NatPeerStatus, bool> condition, string what, TimeSpan guard)
    {
        ArgumentNullException.ThrowIfNull(node);
        var clock = Stopwatch.StartNew();
        NatPeerStatus? last = null;
        string? error = null;
        while (true)
        {
            try
            {
                var status = await node.StatusAsync().ConfigureAwait(false);
                error = null;
                last = status.Peers.FirstOrDefault(p => p.Name == peerName);
                if (last is not null && condition(last))
                {
                    return last;
                }
            }
            catch (Exception e) when (e is HttpRequestException or SocketException or JsonException or LabException or TaskCanceledException)
            {
                // A daemon restarting or briefly busy; keep polling until the guard.
                error = e.Message;
            }
            if (clock.Elapsed >= guard)
            {
                break;
            }
            await Task.Delay(StatusPollInterval).ConfigureAwait(false);
        }
        var shown = last is null ? "no such peer" : $"online {last.Online}, path \"{last.Path}\"";
        throw new LabException($"{node.Hostname}: gave up after {guard.TotalSeconds:F0} s waiting for {what} (last: {shown}; last error: {error ?? "none"})\n--- daemon ---\n{node.Daemon.Process.Output}");
    }

    [GeneratedRegex(@"relay key ([0-9a-f]{64})")]
    private static partial Regex RelayKeyPattern();
}

/// <summary>One `weft daemon` of a <see cref="NatTailnet"/>: where it runs, its CLI and its local API status.</summary>
public sealed class NatNode : IAsyncDisposable
{
    private readonly NatTailnet _tailnet;
    private readonly HttpClient _localApi;
    private string? _ipv4;

    internal NatNode(NatTailnet tailnet, string hostname, NatSite site, NatHost host, NodeDaemon daemon)
    {
        _tailnet = tailnet;
        Hostname = hostname;
        Site = site;
        Host = host;
        Daemon = daemon;
        var socketPath = daemon.SocketPath;
        _localApi = new HttpClient(new SocketsHttpHandler
        {
            // The daemon's local API is HTTP on a Unix socket; the host name below only fills the request line.
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            UseProxy = false,
        })
        {
            BaseAddress = new Uri("http://weftd/"),
            Timeout = TimeSpan.FromSeconds(10),
        };
    }

    /// <summary>The hostname the node registers (its MagicDNS name).</summary>
    public string Hostname { get; }

    /// <summary>The site whose router the node sits behind.</summary>
    public NatSite Site { get; }

    /// <summary>The LAN host (namespace and private address) the daemon runs on.</summary>
    public NatHost Host { get; }

    /// <summary>The daemon process and its CLI.</summary>
    public NodeDaemon Daemon { get; }

    /// <summary>`weft up --login-server URL --auth-key KEY --hostname NAME --accept-dns false`; throws with both logs unless Running.</summary>
    public async Task UpAsync()
    {
        var up = await Daemon.CliAsync(
            ["up", "--login-server", _tailnet.Control.ListenUrl, "--auth-key", _tailnet.AuthKey, "--hostname", Hostname, "--accept-dns", "false", "--timeout", "60s"],
            NatTailnet.ConvergeGuard + TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        if (!up.Succeeded)
        {
            throw new LabException($"`weft up` on {Hostname} failed ({up.ExitCode}): {up.StandardOutput}{up.StandardError}\n--- daemon ---\n{Daemon.Process.Output}\n--- control ---\n{_tailnet.Control.Process.Output}");
        }
    }

    /// <summary>The node's tailnet IPv4 address, from its own status (the same as `weft ip -4`).</summary>
    public async Task<string> IPv4Async()
    {
        if (_ipv4 is null)
        {
            var status = await StatusAsync().ConfigureAwait(false);
            _ipv4 = status.SelfAddresses.FirstOrDefault(a => a.Contains('.', StringComparison.Ordinal))
                ?? throw new LabException($"{Hostname} has no tailnet IPv4 address yet (state {status.BackendState})");
        }
        return _ipv4;
    }

    /// <summary>GET /localapi/v0/status, the document `weft status --json` prints, reduced to what NAT tests look at.</summary>
    public async Task<NatNodeStatus> StatusAsync()
    {
        var json = await _localApi.GetStringAsync(new Uri("localapi/v0/status", UriKind.Relative)).ConfigureAwait(false);
        return NatNodeStatus.Parse(json);
    }

    /// <summary>`weft netcheck --json`, as printed; throws with the CLI's message when it fails.</summary>
    public async Task<JsonDocument> NetcheckAsync()
    {
        var result = (await Daemon.CliAsync(["netcheck", "--json"], TimeSpan.FromSeconds(60)).ConfigureAwait(false)).EnsureSuccess();
        return JsonDocument.Parse(result.StandardOutput);
    }

    /// <summary>Stops the daemon and releases the local API client.</summary>
    public async ValueTask DisposeAsync()
    {
        _localApi.Dispose();
        await Daemon.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Hostname} ({Site.Name}, {Site.Kind}, {Host.Address})";
}

/// <summary>A node's backend state, own tailnet addresses and peers as its local API reports them.</summary>
public sealed record NatNodeStatus(string BackendState, IReadOnlyList<string> SelfAddresses, IReadOnlyList<NatPeerStatus> Peers)
{
    /// <summary>Parses the local API's status JSON (camelCase: backendState, self.addresses, peers[].name/addresses/online/path).</summary>
    public static NatNodeStatus Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var state = root.TryGetProperty("backendState", out var s) ? s.GetString() ?? "" : "";
        var self = root.TryGetProperty("self", out var me) && me.ValueKind == JsonValueKind.Object ? Addresses(me) : [];
        var peers = new List<NatPeerStatus>();
        if (root.TryGetProperty("peers", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var peer in list.EnumerateArray())
            {
                peers.Add(new NatPeerStatus(
                    peer.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "",
                    Addresses(peer),
                    peer.TryGetProperty("online", out var o) && o.ValueKind == JsonValueKind.True,
                    peer.TryGetProperty("path", out var p) ? p.GetString() ?? "" : ""));
            }
        }
        return new NatNodeStatus(state, self, peers);
    }

    private static List<string> Addresses(JsonElement node)
    {
        var addresses = new List<string>();
        if (node.TryGetProperty("addresses", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var address in list.EnumerateArray())
            {
                addresses.Add(address.GetString() ?? "");
            }
        }
        return addresses;
    }
}

/// <summary>One peer as a node sees it: name, tailnet addresses, online, and the path ("direct ADDR:PORT", "relay REGION" or "").</summary>
public sealed record NatPeerStatus(string Name, IReadOnlyList<string> Addresses, bool Online, string Path)
{
    /// <summary>The kind of <see cref="Path"/>; null while no traffic has chosen one.</summary>
    public PathKind? PathKind =>
        Path.StartsWith("direct ", StringComparison.Ordinal) ? Nat.PathKind.Direct
        : Path.StartsWith("relay ", StringComparison.Ordinal) ? Nat.PathKind.Relay
        : null;

    /// <summary>The peer's address and port on a direct path; null otherwise.</summary>
    public IPEndPoint? DirectEndpoint =>
        PathKind == Nat.PathKind.Direct && IPEndPoint.TryParse(Path["direct ".Length..], out var endpoint) ? endpoint : null;

    /// <summary>The relay region code on a relayed path; null otherwise.</summary>
    public string? RelayRegion => PathKind == Nat.PathKind.Relay ? Path["relay ".Length..] : null;
}

/// <summary>One reply of a <see cref="PingStream"/>: its sequence number and when it arrived (ping's -D wall-clock stamp).</summary>
public readonly record struct PingReply(int Sequence, DateTimeOffset Time);

/// <summary>
/// A `ping -D` left running in a namespace: keeps a peer active (path discovery probes only active peers) and records
/// when each reply came, so gaps (a path dying) and the first reply after an event can be read off its output.
/// </summary>
public sealed partial class PingStream : IAsyncDisposable
{
    /// <summary>Echo requests every 50 ms: the granularity of the benchmark's "first reply" timings.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(50);

    private readonly LabProcess _process;

    private PingStream(LabProcess process, string target)
    {
        _process = process;
        Target = target;
    }

    /// <summary>The address pinged.</summary>
    public string Target { get; }

    /// <summary>
    /// The replies seen so far, oldest first, parsed from the kept tail of ping's output
    /// (<see cref="LabConstants.OutputTailChars"/>, a good minute of replies at the default interval).
    /// </summary>
    public IReadOnlyList<PingReply> Replies
    {
        get
        {
            var replies = new List<PingReply>();
            foreach (Match match in ReplyLine().Matches(_process.Output))
            {
                var seconds = decimal.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
                var time = DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000));
                replies.Add(new PingReply(int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture), time));
            }
            return replies;
        }
    }

    /// <summary>Starts `ping -n -D -i INTERVAL TARGET` in <paramref name="ns"/> (root may ping faster than 200 ms).</summary>
    public static PingStream Start(LabNamespace ns, string target, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(ns);
        var seconds = interval.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        return new PingStream(ns.Start(["ping", "-n", "-D", "-i", seconds, target]), target);
    }

    /// <summary>
    /// The first reply that arrived after <paramref name="after"/>, waiting for one up to <paramref name="guard"/>;
    /// null when none came (polled every <see cref="LabConstants.PollInterval"/>).
    /// </summary>
    public async Task<PingReply?> WaitForReplyAfterAsync(DateTimeOffset after, TimeSpan guard)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            foreach (var reply in Replies)
            {
                if (reply.Time > after)
                {
                    return reply;
                }
            }
            if (clock.Elapsed >= guard || _process.HasExited)
            {
                return null;
            }
            await Task.Delay(LabConstants.PollInterval).ConfigureAwait(false);
        }
    }

    /// <summary>Stops ping.</summary>
    public ValueTask DisposeAsync() => _process.DisposeAsync();

    // "[1732490000.123456] 64 bytes from 100.64.0.2: icmp_seq=5 ttl=64 time=0.512 ms"
    [GeneratedRegex(@"^\[(\d+\.\d+)\] \d+ bytes from [^:]+: icmp_seq=(\d+)", RegexOptions.Multiline)]
    private static partial Regex ReplyLine();
}
