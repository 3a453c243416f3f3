using System.Text.Json.Serialization;
using Weft.Core.Wire;

namespace Weft.Core.Control;

/// <summary>
/// One message of a map stream. The first carries the full netmap (<see cref="Peers"/> set, with self,
/// filter, DNS and user profiles); later ones carry only what changed: peers added or changed
/// (<see cref="PeersChanged"/>), removed (<see cref="PeersRemoved"/>), small <see cref="PeersPatched"/>,
/// a new filter, or nothing at all (<see cref="KeepAlive"/>). Fields left null did not change.
/// </summary>
public sealed record MapResponse
{
    [JsonPropertyName("keepAlive")]
    public bool KeepAlive { get; init; }

    [JsonPropertyName("self")]
    public Node? Self { get; init; }

    /// <summary>Full map only: every peer. Null in a delta.</summary>
    [JsonPropertyName("peers")]
    public IReadOnlyList<Node>? Peers { get; init; }

    /// <summary>Peers new to this node or whose full description changed.</summary>
    [JsonPropertyName("peersChanged")]
    public IReadOnlyList<Node>? PeersChanged { get; init; }

    /// <summary>Ids of peers this node must forget at once.</summary>
    [JsonPropertyName("peersRemoved")]
    public IReadOnlyList<long>? PeersRemoved { get; init; }

    /// <summary>Small changes to known peers.</summary>
    [JsonPropertyName("peersPatched")]
    public IReadOnlyList<PeerPatch>? PeersPatched { get; init; }

    /// <summary>The node's inbound packet-filter rules, when they changed.</summary>
    [JsonPropertyName("packetFilter")]
    public IReadOnlyList<FilterRule>? PacketFilter { get; init; }

    [JsonPropertyName("dns")]
    public DnsConfig? Dns { get; init; }

    /// <summary>The users owning self and peers, when new ones appear.</summary>
    [JsonPropertyName("userProfiles")]
    public IReadOnlyList<UserProfile>? UserProfiles { get; init; }

    /// <summary>The relays and STUN servers to use, when they changed.</summary>
    [JsonPropertyName("relayMap")]
    public RelayMap? RelayMap { get; init; }

    /// <summary>The newest client version the server's admin announces, in full maps only; null when not configured.</summary>
    [JsonPropertyName("latestClientVersion")]
    public string? LatestClientVersion { get; init; }
}

/// <summary>A small change to one known peer; null fields are unchanged.</summary>
public sealed record PeerPatch
{
    [JsonPropertyName("id")]
    public required long Id { get; init; }

    [JsonPropertyName("endpoints")]
    public IReadOnlyList<string>? Endpoints { get; init; }

    [JsonPropertyName("disco")]
    public string? DiscoKey { get; init; }

    [JsonPropertyName("online")]
    public bool? Online { get; init; }

    [JsonPropertyName("keyExpiry")]
    public DateTimeOffset? KeyExpiry { get; init; }
}

/// <summary>DNS settings the node's resolver applies.</summary>
public sealed record DnsConfig
{
    /// <summary>Whether MagicDNS answers names under <see cref="Domain"/>.</summary>
    [JsonPropertyName("magicDns")]
    public bool MagicDns { get; init; }

    [JsonPropertyName("domain")]
    public required string Domain { get; init; }

    [JsonPropertyName("nameservers")]
    public IReadOnlyList<string> Nameservers { get; init; } = [];

    [JsonPropertyName("searchDomains")]
    public IReadOnlyList<string> SearchDomains { get; init; } = [];

    /// <summary>Per-suffix upstreams ("corp.example.com" → ["10.0.0.53"]).</summary>
    [JsonPropertyName("splitDns")]
    public IReadOnlyDictionary<string, IReadOnlyList<string>> SplitDns { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
}

/// <summary>A user as peers see them.</summary>
public sealed record UserProfile(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("login")] string Login,
    [property: JsonPropertyName("displayName")] string DisplayName);
