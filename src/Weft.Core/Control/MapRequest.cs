using System.Text.Json.Serialization;

namespace Weft.Core.Control;

/// <summary>
/// A registered node asks for its netmap and reports its state. With <see cref="Stream"/> the server sends
/// a full map and then deltas until the channel closes; later requests on the same channel
/// (Stream = false) only update endpoints, disco key or host info.
/// </summary>
public sealed record MapRequest
{
    [JsonPropertyName("nodeKey")]
    public required string NodeKey { get; init; }

    [JsonPropertyName("discoKey")]
    public string? DiscoKey { get; init; }

    /// <summary>UDP endpoints the node can be reached at ("192.0.2.1:41641", "[2001:db8::1]:41641").</summary>
    [JsonPropertyName("endpoints")]
    public IReadOnlyList<string>? Endpoints { get; init; }

    [JsonPropertyName("hostinfo")]
    public HostInfo? HostInfo { get; init; }

    [JsonPropertyName("stream")]
    public bool Stream { get; init; }
}
