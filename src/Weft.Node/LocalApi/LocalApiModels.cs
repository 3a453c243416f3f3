using System.Text.Json.Serialization;

namespace Weft.Node.LocalApi;

/// <summary>The daemon's backend states as the local API spells them (after Tailscale's ipn.State).</summary>
public static class BackendState
{
    /// <summary>Nothing configured yet.</summary>
    public const string NoState = "NoState";

    /// <summary>No valid node key: `weft up` (with an auth key or the login URL) is needed.</summary>
    public const string NeedsLogin = "NeedsLogin";

    /// <summary>Registered, but an admin has not authorised the machine yet.</summary>
    public const string NeedsMachineAuth = "NeedsMachineAuth";

    /// <summary>Logged in, waiting for the first netmap.</summary>
    public const string Starting = "Starting";

    /// <summary>The tunnel is up with a netmap.</summary>
    public const string Running = "Running";

    /// <summary>Logged in, but the user ran `weft down`.</summary>
    public const string Stopped = "Stopped";
}

/// <summary>One node (self or a peer) as `weft status` shows it.</summary>
public sealed record PeerStatus
{
    /// <summary>The control server's stable id of the node.</summary>
    public required string Id { get; init; }

    /// <summary>The short MagicDNS name ("laptop").</summary>
    public required string Name { get; init; }

    /// <summary>The fully qualified MagicDNS name ("laptop.example.weft.internal").</summary>
    public string Fqdn { get; init; } = "";

    /// <summary>Tailnet addresses, IPv4 first, without prefix lengths.</summary>
    public IReadOnlyList<string> Addresses { get; init; } = [];

    /// <summary>The owner's login, or "tagged-devices" for a tagged node.</summary>
    public string User { get; init; } = "";

    /// <summary>ACL tags the node carries ("tag:server").</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The node's operating system as it reported it.</summary>
    public string Os { get; init; } = "";

    /// <summary>Whether control sees the node connected.</summary>
    public bool Online { get; init; }

    /// <summary>Whether traffic flowed recently (the tunnel to it is in use).</summary>
    public bool Active { get; init; }

    /// <summary>"direct 10.1.2.3:41641", "relay &lt;region&gt;", or "" when idle.</summary>
    public string Path { get; init; } = "";

    /// <summary>The last completed WireGuard handshake, if any.</summary>
    public DateTimeOffset? LastHandshake { get; init; }

    /// <summary>Bytes received from the node.</summary>
    public long RxBytes { get; init; }

    /// <summary>Bytes sent to the node.</summary>
    public long TxBytes { get; init; }

    /// <summary>When the node's key expires; null when expiry is disabled.</summary>
    public DateTimeOffset? KeyExpiry { get; init; }
}

/// <summary>GET /localapi/v0/status.</summary>
public sealed record StatusResponse
{
    /// <summary>One of <see cref="LocalApi.BackendState"/>.</summary>
    public required string BackendState { get; init; }

    /// <summary>The interactive login URL while <see cref="BackendState"/> is NeedsLogin.</summary>
    public string? AuthUrl { get; init; }

    /// <summary>This node, once registered.</summary>
    public PeerStatus? Self { get; init; }

    /// <summary>The peers in the current netmap.</summary>
    public IReadOnlyList<PeerStatus> Peers { get; init; } = [];

    /// <summary>The tailnet's MagicDNS domain.</summary>
    public string? TailnetDomain { get; init; }

    /// <summary>The logged-in user's login.</summary>
    public string? User { get; init; }

    /// <summary>Human-readable problems the daemon knows about (control unreachable, DNS not applied, ...).</summary>
    public IReadOnlyList<string> Health { get; init; } = [];
}

/// <summary>POST /localapi/v0/up: log in if needed and bring the tunnel up.</summary>
public sealed record UpRequest
{
    /// <summary>The coordination server's URL; null keeps the current one.</summary>
    public string? LoginServer { get; init; }

    /// <summary>A pre-authentication key; null means interactive login (or none needed).</summary>
    public string? AuthKey { get; init; }

    /// <summary>The hostname to register; null keeps the machine's.</summary>
    public string? Hostname { get; init; }

    /// <summary>Tags to request for this node.</summary>
    public IReadOnlyList<string> AdvertiseTags { get; init; } = [];

    /// <summary>Whether to point the OS resolver at MagicDNS; null keeps the current preference.</summary>
    public bool? AcceptDns { get; init; }

    /// <summary>Reset unspecified preferences to their defaults.</summary>
    public bool Reset { get; init; }

    /// <summary>Register again even with a valid node key (re-authentication).</summary>
    public bool ForceReauth { get; init; }
}

/// <summary>The answer to POST /localapi/v0/up (returned at once; the CLI polls status).</summary>
public sealed record UpResponse
{
    /// <summary>One of <see cref="LocalApi.BackendState"/>.</summary>
    public required string BackendState { get; init; }

    /// <summary>The login URL to open when interactive login is needed.</summary>
    public string? AuthUrl { get; init; }
}

/// <summary>One login profile on this device (GET /localapi/v0/profiles).</summary>
public sealed record ProfileInfo
{
    /// <summary>The profile's local id.</summary>
    public required string Id { get; init; }

    /// <summary>The user logged in with this profile.</summary>
    public string User { get; init; } = "";

    /// <summary>The tailnet (or login server) of the profile.</summary>
    public string Tailnet { get; init; } = "";

    /// <summary>Whether this is the profile in use.</summary>
    public bool Current { get; init; }
}

/// <summary>POST /localapi/v0/switch: make another profile current.</summary>
public sealed record SwitchRequest
{
    /// <summary>The profile id, or its user login.</summary>
    public required string Profile { get; init; }
}

/// <summary>The daemon's preferences (GET /localapi/v0/prefs and the answer to PATCH).</summary>
public sealed record Prefs
{
    /// <summary>The coordination server's URL.</summary>
    public string? LoginServer { get; init; }

    /// <summary>The hostname registered with control.</summary>
    public string? Hostname { get; init; }

    /// <summary>Tags requested for this node.</summary>
    public IReadOnlyList<string> AdvertiseTags { get; init; } = [];

    /// <summary>Whether the OS resolver points at MagicDNS.</summary>
    public bool AcceptDns { get; init; }

    /// <summary>Whether the tunnel should be up (false after `weft down`).</summary>
    public bool WantRunning { get; init; }

    /// <summary>A local user besides root allowed to use the local API.</summary>
    public string? OperatorUser { get; init; }
}

/// <summary>PATCH /localapi/v0/prefs: the same fields as <see cref="Prefs"/>, null leaves a field unchanged.</summary>
public sealed record PrefsPatch
{
    /// <summary>New coordination server URL, or null.</summary>
    public string? LoginServer { get; init; }

    /// <summary>New hostname, or null.</summary>
    public string? Hostname { get; init; }

    /// <summary>New tag list, or null.</summary>
    public IReadOnlyList<string>? AdvertiseTags { get; init; }

    /// <summary>New MagicDNS preference, or null.</summary>
    public bool? AcceptDns { get; init; }

    /// <summary>New running preference, or null.</summary>
    public bool? WantRunning { get; init; }

    /// <summary>New operator user, or null.</summary>
    public string? OperatorUser { get; init; }
}

/// <summary>GET /localapi/v0/whois?addr=IP[:port]: which node and user own a tailnet address.</summary>
public sealed record WhoIsResponse
{
    /// <summary>The node holding the address.</summary>
    public required PeerStatus Node { get; init; }

    /// <summary>The node's owner login ("tagged-devices" for a tagged node).</summary>
    public string User { get; init; } = "";
}

/// <summary>POST /localapi/v0/ping: ping a peer through the tunnel.</summary>
public sealed record PingRequest
{
    /// <summary>A peer's name, fqdn or tailnet IP.</summary>
    public required string Target { get; init; }

    /// <summary>How many echoes to send.</summary>
    public int Count { get; init; } = 1;
}

/// <summary>The answer to POST /localapi/v0/ping.</summary>
public sealed record PingResponse
{
    /// <summary>The peer's name.</summary>
    public string Peer { get; init; } = "";

    /// <summary>The tailnet address that was pinged.</summary>
    public string Ip { get; init; } = "";

    /// <summary>The path that answered ("direct 10.1.2.3:41641", "relay &lt;region&gt;").</summary>
    public string Path { get; init; } = "";

    /// <summary>Round-trip times of the echoes that were answered.</summary>
    public IReadOnlyList<double> LatenciesMs { get; init; } = [];

    /// <summary>Whether at least one echo was answered.</summary>
    public bool Ok { get; init; }
}

/// <summary>GET /localapi/v0/netcheck: a fresh measurement of how this node reaches the internet and the relays.</summary>
public sealed record NetcheckResponse
{
    /// <summary>Some STUN server answered over UDP; false means UDP is blocked and every path is relayed (over TCP).</summary>
    public bool Udp { get; init; }

    public bool IPv4 { get; init; }

    public bool IPv6 { get; init; }

    /// <summary>Our public IPv4 address and port as a STUN server saw them.</summary>
    public string? PublicIPv4 { get; init; }

    public string? PublicIPv6 { get; init; }

    /// <summary>True for a hard NAT (the public port differs per destination); null when fewer than two servers answered.</summary>
    public bool? MappingVariesByDestination { get; init; }

    /// <summary>Port mapping protocols the gateway answers ("pcp", "nat-pmp", "upnp").</summary>
    public IReadOnlyList<string> PortMappingServices { get; init; } = [];

    /// <summary>The mapping in force ("upnp 203.0.113.7:41641"); null when none.</summary>
    public string? PortMapping { get; init; }

    /// <summary>STUN round trip per relay region, in milliseconds.</summary>
    public IReadOnlyDictionary<string, double> RegionLatencyMs { get; init; } = new Dictionary<string, double>();

    /// <summary>The region with the lowest latency.</summary>
    public string? PreferredRegion { get; init; }

    /// <summary>The region this node homes on (peers' relayed packets reach it there).</summary>
    public string HomeRelay { get; init; } = "";

    /// <summary>Whether the connection to the home relay is up.</summary>
    public bool HomeRelayConnected { get; init; }

    /// <summary>The endpoints offered to peers and reported to control.</summary>
    public IReadOnlyList<string> Endpoints { get; init; } = [];

    /// <summary>What path discovery dropped or did since the start: forged, replayed or unknown disco, STUN strangers, birthday probing.</summary>
    public IReadOnlyDictionary<string, long> Counters { get; init; } = new Dictionary<string, long>();
}

/// <summary>GET /localapi/v0/version.</summary>
public sealed record VersionResponse
{
    /// <summary>The daemon's version.</summary>
    public required string Version { get; init; }

    /// <summary>The newest client version control knows of, when it told us one.</summary>
    public string? LatestClientVersion { get; init; }
}

/// <summary>The body of every 4xx/5xx answer: a message that says what to do next.</summary>
public sealed record ErrorResponse
{
    /// <summary>"not logged in: run `weft up`".</summary>
    public required string Error { get; init; }
}

/// <summary>Source-generated camelCase JSON for the local API (server and client share it).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StatusResponse))]
[JsonSerializable(typeof(PeerStatus))]
[JsonSerializable(typeof(UpRequest))]
[JsonSerializable(typeof(UpResponse))]
[JsonSerializable(typeof(ProfileInfo))]
[JsonSerializable(typeof(IReadOnlyList<ProfileInfo>))]
[JsonSerializable(typeof(SwitchRequest))]
[JsonSerializable(typeof(Prefs))]
[JsonSerializable(typeof(PrefsPatch))]
[JsonSerializable(typeof(WhoIsResponse))]
[JsonSerializable(typeof(PingRequest))]
[JsonSerializable(typeof(PingResponse))]
[JsonSerializable(typeof(VersionResponse))]
[JsonSerializable(typeof(NetcheckResponse))]
[JsonSerializable(typeof(ErrorResponse))]
public sealed partial class LocalApiJsonContext : JsonSerializerContext;
