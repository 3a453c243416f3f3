using System.Text.Json.Serialization;

namespace Weft.Core.Control;

/// <summary>
/// A node asks to join (or rejoin) a tailnet. The machine key is not in the message: the channel's Noise
/// handshake proved it. Without <see cref="AuthKey"/> the server answers with a login URL an admin approves;
/// sending the request again with <see cref="Followup"/> set waits for that approval.
/// </summary>
public sealed record RegisterRequest
{
    /// <summary>The node key to register ("nodekey:" + hex).</summary>
    [JsonPropertyName("nodeKey")]
    public required string NodeKey { get; init; }

    /// <summary>The previous node key when rotating; the node keeps its identity and addresses.</summary>
    [JsonPropertyName("oldNodeKey")]
    public string? OldNodeKey { get; init; }

    /// <summary>A pre-authentication key, or null for interactive login.</summary>
    [JsonPropertyName("authKey")]
    public string? AuthKey { get; init; }

    /// <summary>The login URL of an earlier answer: wait for its approval.</summary>
    [JsonPropertyName("followup")]
    public string? Followup { get; init; }

    [JsonPropertyName("hostinfo")]
    public HostInfo HostInfo { get; init; } = new();

    /// <summary>Ask for the node to be deleted once it goes offline.</summary>
    [JsonPropertyName("ephemeral")]
    public bool Ephemeral { get; init; }
}
