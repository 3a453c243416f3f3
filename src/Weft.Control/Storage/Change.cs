using System.Text.Json.Serialization;

namespace Weft.Control.Storage;

/// <summary>What changed in the store, so other server replicas re-read it and update their live maps.</summary>
public enum ChangeKind
{
    /// <summary>A node was created or its record changed.</summary>
    Node,

    /// <summary>Only a node's endpoints or disco key changed (peers get a small patch).</summary>
    NodePatch,

    /// <summary>A node was deleted.</summary>
    NodeRemoved,

    /// <summary>A node's approved subnet routes changed.</summary>
    Routes,

    /// <summary>The tailnet's policy was replaced.</summary>
    Policy,

    /// <summary>The tailnet's DNS settings were replaced.</summary>
    Dns,

    /// <summary>The tailnet's own settings (domain, default key expiry) changed.</summary>
    Tailnet,

    /// <summary>A user was added or its role changed.</summary>
    User,

    /// <summary>An interactive registration was approved; <see cref="Change.Key"/> is its id.</summary>
    Registration,

    /// <summary>The server's relay map override changed (server-wide: the tailnet id is 0).</summary>
    RelayMap,
}

/// <summary>One committed change, named by ids only: receivers read the current state from the store, which stays the truth.</summary>
/// <param name="Id">The node or user id, when the kind has one.</param>
/// <param name="Key">The pending registration id of <see cref="ChangeKind.Registration"/>; for <see cref="ChangeKind.NodePatch"/>, which parts changed ("e" endpoints, "d" disco key).</param>
public sealed record Change(
    [property: JsonPropertyName("k")] ChangeKind Kind,
    [property: JsonPropertyName("t")] long TailnetId,
    [property: JsonPropertyName("i")] long Id = 0,
    [property: JsonPropertyName("s")] string? Key = null);

/// <summary>
/// Tells the other replicas sharing a database what this one committed, and this one what they did. A feed
/// may lose messages (a dropped connection); it then asks for a resync, after which the store is re-read.
/// </summary>
public interface IChangeFeed : IAsyncDisposable
{
    /// <summary>Announces a committed change to the other replicas (not to this one).</summary>
    Task PublishAsync(Change change, CancellationToken ct = default);

    /// <summary>
    /// Starts delivering the other replicas' changes, in the order they were published, to <paramref name="apply"/>,
    /// and calls <paramref name="resync"/> after any gap (a reconnect), ordered with the changes. Returns once listening.
    /// </summary>
    Task StartAsync(Func<Change, CancellationToken, Task> apply, Func<CancellationToken, Task> resync, CancellationToken ct = default);
}
