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
}
