using System.Text.Json.Serialization;

namespace Weft.Core.Control;

/// <summary>A node as the netmap describes it: self, or a peer the node may talk with.</summary>
public sealed record Node
{
    [JsonPropertyName("id")]
    public required long Id { get; init; }

    /// <summary>The machine name; <see cref="Fqdn"/> is it with the MagicDNS suffix.</summary>
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("fqdn")]
    public required string Fqdn { get; init; }

    [JsonPropertyName("user")]
    public long UserId { get; init; }

    [JsonPropertyName("key")]
    public required string NodeKey { get; init; }

    [JsonPropertyName("machine")]
    public required string MachineKey { get; init; }

    [JsonPropertyName("disco")]
    public required string DiscoKey { get; init; }

    /// <summary>The node's tailnet addresses as /32 and /128 prefixes.</summary>
    [JsonPropertyName("addresses")]
    public required IReadOnlyList<string> Addresses { get; init; }

    /// <summary>The prefixes WireGuard should route to this node (its addresses plus approved routes).</summary>
    [JsonPropertyName("allowedIPs")]
    public required IReadOnlyList<string> AllowedIPs { get; init; }

    [JsonPropertyName("endpoints")]
    public IReadOnlyList<string> Endpoints { get; init; } = [];

    [JsonPropertyName("tags")]
    public IReadOnlyList<string> Tags { get; init; } = [];

    [JsonPropertyName("hostinfo")]
    public HostInfo HostInfo { get; init; } = new();

    [JsonPropertyName("keyExpiry")]
    public DateTimeOffset? KeyExpiry { get; init; }

    [JsonPropertyName("online")]
    public bool Online { get; init; }
}
