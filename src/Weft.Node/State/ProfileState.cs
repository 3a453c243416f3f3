using System.Text.Json.Serialization;

namespace Weft.Node.State;

/// <summary>One login on this device (a node): its node key, who it belongs to, its preferences.</summary>
public sealed record ProfileState
{
    /// <summary>A short random id, stable for the profile's life.</summary>
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    /// <summary>The node's WireGuard private key, 64 hex digits.</summary>
    [JsonPropertyName("nodePrivate")]
    public required string NodePrivate { get; init; }

    /// <summary>True once the server accepted the node key; false after an expiry or an "unknown node key".</summary>
    [JsonPropertyName("registered")]
    public bool Registered { get; init; }

    /// <summary>The login the node belongs to ("" for tagged nodes), once known.</summary>
    [JsonPropertyName("login")]
    public string? Login { get; init; }

    /// <summary>When the current node key was accepted; with <see cref="KeyExpiry"/> it sets when to rotate.</summary>
    [JsonPropertyName("keyIssued")]
    public DateTimeOffset? KeyIssued { get; init; }

    [JsonPropertyName("keyExpiry")]
    public DateTimeOffset? KeyExpiry { get; init; }

    [JsonPropertyName("prefs")]
    public NodePrefs Prefs { get; init; } = new();
}

/// <summary>Everything the daemon keeps in state.json.</summary>
public sealed record PersistedState
{
    /// <summary>Pinned server public keys (hex) by login server URL: a server presenting another key is refused.</summary>
    [JsonPropertyName("serverKeys")]
    public IReadOnlyDictionary<string, string> ServerKeys { get; init; } = new Dictionary<string, string>();

    [JsonPropertyName("currentProfile")]
    public string? CurrentProfile { get; init; }

    [JsonPropertyName("profiles")]
    public IReadOnlyList<ProfileState> Profiles { get; init; } = [];

    /// <summary>
    /// The UDP port picked when --port 0, reused after a restart so the endpoint peers hold for this node stays
    /// right until the server tells them otherwise.
    /// </summary>
    [JsonPropertyName("listenPort")]
    public ushort? ListenPort { get; init; }
}
