namespace Weft.Control.Storage;

/// <summary>
/// Everything the coordination server keeps. Every write is one transaction; implementations (SQLite
/// now, PostgreSQL later) share the schema in <see cref="Schema"/>. Times come from the caller.
/// </summary>
public interface IControlStore : IAsyncDisposable
{
    /// <summary>The ULA /48 this server allocates node IPv6 addresses from, chosen once at first start.</summary>
    System.Net.IPNetwork UlaPrefix { get; }

    /// <summary>Creates a tailnet with the default policy.</summary>
    Task<TailnetRecord> CreateTailnetAsync(string name, string domain, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>Every tailnet, oldest first.</summary>
    Task<IReadOnlyList<TailnetRecord>> ListTailnetsAsync(CancellationToken ct = default);

    /// <summary>One tailnet, or null.</summary>
    Task<TailnetRecord?> GetTailnetAsync(long id, CancellationToken ct = default);

    /// <summary>Adds a user; the login is unique in its tailnet.</summary>
    Task<UserRecord> CreateUserAsync(long tailnetId, string login, string displayName, string role, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>One user, or null.</summary>
    Task<UserRecord?> GetUserAsync(long id, CancellationToken ct = default);

    /// <summary>The users of a tailnet.</summary>
    Task<IReadOnlyList<UserRecord>> ListUsersAsync(long tailnetId, CancellationToken ct = default);

    /// <summary>Registers a node: allocates its IPv4, IPv6 and unique machine name in one transaction.</summary>
    Task<NodeRecord> CreateNodeAsync(NewNode node, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>One node, or null.</summary>
    Task<NodeRecord?> GetNodeAsync(long id, CancellationToken ct = default);

    /// <summary>The node with this node key, or null.</summary>
    Task<NodeRecord?> GetNodeByNodeKeyAsync(string nodeKey, CancellationToken ct = default);

    /// <summary>The node of this machine key and user, or null (a device logged in as that user before).</summary>
    Task<NodeRecord?> GetNodeByMachineAsync(long tailnetId, string machineKey, long userId, CancellationToken ct = default);

    /// <summary>The nodes of a tailnet (or of every tailnet when null), by id.</summary>
    Task<IReadOnlyList<NodeRecord>> ListNodesAsync(long? tailnetId, CancellationToken ct = default);

    /// <summary>Replaces the mutable fields of a node (keys, host info, endpoints, tags, expiry, authorization, last seen); false if it is gone.</summary>
    Task<bool> UpdateNodeAsync(NodeRecord node, CancellationToken ct = default);

    /// <summary>Deletes a node, freeing its addresses and name; false if it did not exist.</summary>
    Task<bool> DeleteNodeAsync(long id, CancellationToken ct = default);

    /// <summary>Creates an auth key; returns the record and the secret, which is never stored and shown once.</summary>
    Task<(AuthKeyRecord Key, string Secret)> CreateAuthKeyAsync(long tailnetId, long userId, AuthKeyOptions options, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>The auth keys of a tailnet.</summary>
    Task<IReadOnlyList<AuthKeyRecord>> ListAuthKeysAsync(long tailnetId, CancellationToken ct = default);

    /// <summary>One auth key, or null.</summary>
    Task<AuthKeyRecord?> GetAuthKeyAsync(long id, CancellationToken ct = default);

    /// <summary>Deletes (revokes) an auth key; false if it did not exist.</summary>
    Task<bool> DeleteAuthKeyAsync(long id, CancellationToken ct = default);

    /// <summary>Checks a presented auth key and, when valid, counts one use, atomically (a one-off key works once even under races).</summary>
    Task<(AuthKeyCheck Result, AuthKeyRecord? Key)> UseAuthKeyAsync(string secret, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>Creates an API key valid for <paramref name="lifetime"/>; the secret is shown once.</summary>
    Task<(ApiKeyRecord Key, string Secret)> CreateApiKeyAsync(long tailnetId, long userId, TimeSpan lifetime, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>The unexpired API key matching a presented bearer secret, or null.</summary>
    Task<ApiKeyRecord?> AuthenticateApiKeyAsync(string secret, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>The current policy of a tailnet.</summary>
    Task<PolicyRecord> GetPolicyAsync(long tailnetId, CancellationToken ct = default);

    /// <summary>Saves a new policy version (the old ones stay as history).</summary>
    Task<PolicyRecord> SetPolicyAsync(long tailnetId, string text, long? userId, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>Every saved policy of a tailnet, newest first.</summary>
    Task<IReadOnlyList<PolicyRecord>> ListPolicyHistoryAsync(long tailnetId, CancellationToken ct = default);

    /// <summary>Changes a user's role; false if the user does not exist.</summary>
    Task<bool> SetUserRoleAsync(long userId, string role, CancellationToken ct = default);

    /// <summary>The API keys of a tailnet (never their secrets), oldest first.</summary>
    Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(long tailnetId, CancellationToken ct = default);

    /// <summary>Deletes (revokes) an API key; false if it did not exist.</summary>
    Task<bool> DeleteApiKeyAsync(long id, CancellationToken ct = default);

    /// <summary>The tailnet's DNS settings as JSON text, or null when never set (defaults apply).</summary>
    Task<string?> GetDnsAsync(long tailnetId, CancellationToken ct = default);

    /// <summary>Replaces the tailnet's DNS settings (JSON text).</summary>
    Task SetDnsAsync(long tailnetId, string json, CancellationToken ct = default);

    /// <summary>The subnet routes of every node of a tailnet that has any, by node id.</summary>
    Task<IReadOnlyDictionary<long, NodeRoutes>> ListRoutesAsync(long tailnetId, CancellationToken ct = default);

    /// <summary>Replaces a node's advertised and approved routes; false if the node does not exist.</summary>
    Task<bool> SetRoutesAsync(long nodeId, NodeRoutes routes, CancellationToken ct = default);

    /// <summary>Remembers an interactive registration; expired ones are dropped in the same transaction.</summary>
    Task CreatePendingAsync(PendingRecord pending, CancellationToken ct = default);

    /// <summary>One pending registration (approved or not, expired or not), or null.</summary>
    Task<PendingRecord?> GetPendingAsync(string id, CancellationToken ct = default);

    /// <summary>Records that a pending registration became <paramref name="nodeId"/>; false if it is gone or was approved already.</summary>
    Task<bool> CompletePendingAsync(string id, long nodeId, CancellationToken ct = default);

    /// <summary>Sets the key lifetime, in days, that new logins and key renewals of a tailnet get (0: no expiry); false if the tailnet does not exist.</summary>
    Task<bool> SetTailnetKeyExpiryAsync(long tailnetId, int days, CancellationToken ct = default);

    /// <summary>
    /// Renames a tailnet and, when <paramref name="domain"/> is given, changes its MagicDNS domain; false if it does not exist.
    /// A name another tailnet has throws the database's unique-constraint error.
    /// </summary>
    Task<bool> RenameTailnetAsync(long tailnetId, string name, string? domain, CancellationToken ct = default);

    /// <summary>The server's relay map override as JSON text (see <see cref="Relays.RelayMapOverride"/>), or null when the config's regions apply.</summary>
    Task<string?> GetRelayMapAsync(CancellationToken ct = default);

    /// <summary>Replaces the relay map override; null removes it, so the config's regions apply again.</summary>
    Task SetRelayMapAsync(string? json, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>The password login of <paramref name="login"/> (compared ignoring case), or null.</summary>
    Task<LocalAccountRecord?> GetLocalAccountAsync(string login, CancellationToken ct = default);

    /// <summary>True when at least one password login exists.</summary>
    Task<bool> AnyLocalAccountAsync(CancellationToken ct = default);

    /// <summary>
    /// Stores the password login of <paramref name="login"/> for user <paramref name="userId"/>; an existing one is replaced
    /// when <paramref name="replace"/>, else kept (and false returned). Deleting the user deletes the login.
    /// </summary>
    Task<bool> SetLocalAccountAsync(string login, long userId, string hash, DateTimeOffset now, bool replace, CancellationToken ct = default);

    /// <summary>The oldest user with this login (compared ignoring case) in any tailnet, or null.</summary>
    Task<UserRecord?> FindUserByLoginAsync(string login, CancellationToken ct = default);

    /// <summary>
    /// Deletes a user in one transaction with everything that acts as them: their nodes (with routes and approvals),
    /// auth keys and API keys. Returns the ids of the deleted nodes, or null when the user did not exist.
    /// </summary>
    Task<IReadOnlyList<long>?> DeleteUserAsync(long userId, CancellationToken ct = default);
}
