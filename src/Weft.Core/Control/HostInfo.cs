using System.Text.Json.Serialization;

namespace Weft.Core.Control;

/// <summary>What a node says about the device it runs on.</summary>
public sealed record HostInfo
{
    [JsonPropertyName("hostname")]
    public string Hostname { get; init; } = "";

    [JsonPropertyName("os")]
    public string OS { get; init; } = "";

    [JsonPropertyName("version")]
    public string ClientVersion { get; init; } = "";

    /// <summary>Subnet routes (CIDR) the node offers to serve; the server uses those an admin or autoApprovers approved.</summary>
    [JsonPropertyName("routableIPs")]
    public IReadOnlyList<string> RoutableIPs { get; init; } = [];

    /// <summary>Tags (tag:x) the node asks to carry; the server grants those the policy's tagOwners let its owner apply.</summary>
    [JsonPropertyName("requestTags")]
    public IReadOnlyList<string> RequestTags { get; init; } = [];
}
