using System.Text.Json.Serialization;

namespace Weft.Core.Control;

/// <summary>The server's answer to a <see cref="RegisterRequest"/>.</summary>
public sealed record RegisterResponse
{
    /// <summary>True when the node may fetch its map now.</summary>
    [JsonPropertyName("authorized")]
    public bool Authorized { get; init; }

    /// <summary>Where an admin approves this node (interactive login), or null.</summary>
    [JsonPropertyName("authUrl")]
    public string? AuthUrl { get; init; }

    /// <summary>Why registration failed ("auth key expired"), or null.</summary>
    [JsonPropertyName("error")]
    public string? Error { get; init; }

    /// <summary>The login the node now belongs to (empty for a tagged node).</summary>
    [JsonPropertyName("login")]
    public string? Login { get; init; }

    /// <summary>When the node key expires, or null if it does not.</summary>
    [JsonPropertyName("keyExpiry")]
    public DateTimeOffset? KeyExpiry { get; init; }
}
