using System.Text.Json.Serialization;

namespace Weft.Core.Control;

/// <summary>
/// The relays a tailnet's nodes may use, grouped into regions, as the coordination server sends it in the netmap:
/// nodes home on the region with the lowest latency and ask every region's STUN servers for their public address.
/// </summary>
public sealed record RelayMap
{
    [JsonPropertyName("regions")]
    public IReadOnlyList<RelayRegion> Regions { get; init; } = [];
}

/// <summary>One region: relays close to each other that mesh, so a node homed on any of them reaches the others' nodes.</summary>
public sealed record RelayRegion
{
    /// <summary>Stable number of the region (what a node reports as its home).</summary>
    [JsonPropertyName("id")]
    public required int Id { get; init; }

    /// <summary>Short name shown in `weft status` and `weft netcheck` ("fra", "lab").</summary>
    [JsonPropertyName("code")]
    public required string Code { get; init; }

    [JsonPropertyName("name")]
    public string Name { get; init; } = "";

    [JsonPropertyName("relays")]
    public IReadOnlyList<RelayNode> Relays { get; init; } = [];
}

/// <summary>One relay of a region and the STUN responder beside it.</summary>
public sealed record RelayNode
{
    /// <summary>The relay's URL (https://, or http:// in labs).</summary>
    [JsonPropertyName("url")]
    public required string Url { get; init; }

    /// <summary>The relay's public key as 64 hex digits; empty means fetch it from the relay (trust on first use).</summary>
    [JsonPropertyName("publicKey")]
    public string PublicKey { get; init; } = "";

    /// <summary>Host name or address of the STUN responder; empty means the relay URL's host.</summary>
    [JsonPropertyName("stunHost")]
    public string StunHost { get; init; } = "";

    /// <summary>UDP port of the STUN responder; 0 means the relay runs none.</summary>
    [JsonPropertyName("stunPort")]
    public int StunPort { get; init; }
}
