using System.Net;

namespace Weft.Control.Storage;

/// <summary>A tailnet: one private network with its users, nodes, keys and policy.</summary>
/// <param name="Domain">The MagicDNS suffix of its nodes' names.</param>
/// <param name="KeyExpiryDays">Node key lifetime for new logins; 0 disables expiry.</param>
public sealed record TailnetRecord(long Id, string Name, string Domain, int KeyExpiryDays, DateTimeOffset Created);

/// <summary>A user of one tailnet with a role (see <see cref="Weft.Policy.PolicyRoles"/>).</summary>
public sealed record UserRecord(long Id, long TailnetId, string Login, string DisplayName, string Role, DateTimeOffset Created);

/// <summary>
/// A node: one login (user or tags) on one device. Its addresses are allocated once and kept for its
/// whole life; <see cref="KeyExpiry"/> null means expiry is disabled.
/// </summary>
public sealed record NodeRecord
{
    public required long Id { get; init; }
    public required long TailnetId { get; init; }

    /// <summary>The user who registered the node; tagged nodes keep it only for audit.</summary>
    public required long UserId { get; init; }
    public required string MachineKey { get; init; }
    public required string NodeKey { get; init; }
    public required string DiscoKey { get; init; }

    /// <summary>DNS-safe machine name, unique in the tailnet.</summary>
    public required string Name { get; init; }

    /// <summary>Host info as the node reported it (JSON text of <see cref="Weft.Core.Control.HostInfo"/>).</summary>
    public required string HostInfo { get; init; }
    public required IPAddress IPv4 { get; init; }
    public required IPAddress IPv6 { get; init; }
    public required IReadOnlyList<string> Tags { get; init; }
    public required IReadOnlyList<string> Endpoints { get; init; }
    public required DateTimeOffset Created { get; init; }
    public required DateTimeOffset LastSeen { get; init; }
    public required DateTimeOffset? KeyExpiry { get; init; }
    public required bool Ephemeral { get; init; }

    /// <summary>False while an interactive registration waits for an admin.</summary>
    public required bool Authorized { get; init; }

    /// <summary>True when the key expired at <paramref name="now"/>.</summary>
    public bool IsExpired(DateTimeOffset now) => KeyExpiry is { } e && e <= now;
}

/// <summary>What a new node brings; the store allocates addresses and the name.</summary>
public sealed record NewNode(
    long TailnetId,
    long UserId,
    string MachineKey,
    string NodeKey,
    string DiscoKey,
    string Hostname,
    string HostInfo,
    IReadOnlyList<string> Tags,
    DateTimeOffset? KeyExpiry,
    bool Ephemeral,
    bool Authorized);

/// <summary>A pre-authentication key. Only the SHA-256 of its secret is stored.</summary>
public sealed record AuthKeyRecord(
    long Id,
    long TailnetId,
    long UserId,
    string Prefix,
    bool Reusable,
    bool Ephemeral,
    bool Preauthorized,
    IReadOnlyList<string> Tags,
    DateTimeOffset Expires,
    DateTimeOffset Created,
    int Uses);

/// <summary>What a new auth key should allow.</summary>
public sealed record AuthKeyOptions(bool Reusable, bool Ephemeral, bool Preauthorized, IReadOnlyList<string> Tags, TimeSpan Lifetime);

/// <summary>A REST API bearer key scoped to one tailnet. Only the SHA-256 of its secret is stored.</summary>
public sealed record ApiKeyRecord(long Id, long TailnetId, long UserId, string Prefix, DateTimeOffset Expires, DateTimeOffset Created);

/// <summary>One saved version of a tailnet's policy.</summary>
public sealed record PolicyRecord(long Id, long TailnetId, string Text, long? UserId, DateTimeOffset Created);

/// <summary>Why an auth key was not accepted.</summary>
public enum AuthKeyCheck
{
    Valid,
    Unknown,
    Expired,
    UsedUp,
}

/// <summary>Subnet routes of a node in CIDR form: what it advertises, and what an admin or autoApprovers approved (only those are used).</summary>
public sealed record NodeRoutes(IReadOnlyList<string> Advertised, IReadOnlyList<string> Approved)
{
    public static NodeRoutes None { get; } = new([], []);
}

/// <summary>
/// An interactive registration waiting for an admin, kept in the store so its login URL survives a restart
/// and any replica can approve it. <see cref="NodeId"/> is set once approved.
/// </summary>
/// <param name="Id">The random id in the login URL.</param>
/// <param name="HostInfo">Host info as the node reported it (JSON text).</param>
public sealed record PendingRecord(
    string Id,
    string MachineKey,
    string NodeKey,
    string Hostname,
    string HostInfo,
    bool Ephemeral,
    DateTimeOffset Created,
    DateTimeOffset Expires,
    long? NodeId);

/// <summary>A password login of the console: the user it signs in as and the password's hash (see <see cref="Auth.PasswordHash"/>).</summary>
/// <param name="Login">The login, lower-cased: logins are compared ignoring case.</param>
public sealed record LocalAccountRecord(string Login, long UserId, string Hash, DateTimeOffset Updated);
