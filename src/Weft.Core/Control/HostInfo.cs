using System.Text.Json.Serialization;

namespace Weft.Core.Control;

/// <summary>What a node says about the device it runs on. A JSON null for any field reads as its empty default.</summary>
public sealed record HostInfo
{
    [JsonPropertyName("hostname")]
    public string Hostname { get; init => field = value ?? ""; } = "";

    [JsonPropertyName("os")]
    public string OS { get; init => field = value ?? ""; } = "";

    [JsonPropertyName("version")]
    public string ClientVersion { get; init => field = value ?? ""; } = "";

    /// <summary>Subnet routes (CIDR) the node offers to serve; the server uses those an admin or autoApprovers approved.</summary>
    [JsonPropertyName("routableIPs")]
    public IReadOnlyList<string> RoutableIPs { get; init => field = value ?? []; } = [];

    /// <summary>Tags (tag:x) the node asks to carry; the server grants those the policy's tagOwners let its owner apply.</summary>
    [JsonPropertyName("requestTags")]
    public IReadOnlyList<string> RequestTags { get; init => field = value ?? []; } = [];

    /// <summary>How the node reaches the internet (from its last netcheck); null until it ran one.</summary>
    [JsonPropertyName("netInfo")]
    public NetInfo? NetInfo { get; init; }
}

/// <summary>A node's view of its own connectivity, reported so admins see why a machine is relayed.</summary>
public sealed record NetInfo
{
    /// <summary>The relay region code the node homes on (its relayed packets arrive there); empty when none.</summary>
    [JsonPropertyName("homeRelay")]
    public string HomeRelay { get; init => field = value ?? ""; } = "";

    /// <summary>Whether any STUN server answered over UDP (false: UDP is blocked, every path is relayed).</summary>
    [JsonPropertyName("udp")]
    public bool UdpWorks { get; init; }

    /// <summary>Whether the NAT maps differently per destination (a hard NAT); null when not known.</summary>
    [JsonPropertyName("hardNat")]
    public bool? MappingVariesByDestination { get; init; }

    /// <summary>The router port mapping protocol in use ("pcp", "nat-pmp", "upnp"); empty when none.</summary>
    [JsonPropertyName("portMapping")]
    public string PortMapping { get; init => field = value ?? ""; } = "";

    /// <summary>Active peers reached over a direct path right now.</summary>
    [JsonPropertyName("directPeers")]
    public int DirectPeers { get; init; }

    /// <summary>Active peers reached through a relay right now.</summary>
    [JsonPropertyName("relayedPeers")]
    public int RelayedPeers { get; init; }
}
