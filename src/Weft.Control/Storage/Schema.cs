namespace Weft.Control.Storage;

/// <summary>
/// The schema as numbered migrations, applied in order at start and recorded in schema_migrations.
/// Written in the SQL that SQLite and PostgreSQL share (BIGINT ids, integer booleans, times as Unix
/// milliseconds, JSON as text); <see cref="IdColumn"/> is the one dialect-specific token.
/// </summary>
internal static class Schema
{
    /// <summary>Placeholder in migrations for an auto-increment primary key.</summary>
    public const string IdColumn = "{ID}";

    /// <summary>Migration N is Migrations[N - 1]; never edit one that shipped, append a new one.</summary>
    public static readonly string[] Migrations =
    [
        """
        CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE tailnets (
            id {ID}, name TEXT NOT NULL UNIQUE, domain TEXT NOT NULL,
            key_expiry_days INTEGER NOT NULL, created BIGINT NOT NULL);
        CREATE TABLE users (
            id {ID}, tailnet_id BIGINT NOT NULL REFERENCES tailnets(id) ON DELETE CASCADE,
            login TEXT NOT NULL, display_name TEXT NOT NULL, role TEXT NOT NULL, created BIGINT NOT NULL,
            UNIQUE (tailnet_id, login));
        CREATE TABLE nodes (
            id {ID}, tailnet_id BIGINT NOT NULL REFERENCES tailnets(id) ON DELETE CASCADE,
            user_id BIGINT NOT NULL REFERENCES users(id),
            machine_key TEXT NOT NULL, node_key TEXT NOT NULL UNIQUE, disco_key TEXT NOT NULL,
            name TEXT NOT NULL, hostinfo TEXT NOT NULL,
            ipv4 TEXT NOT NULL UNIQUE, ipv4_num BIGINT NOT NULL UNIQUE, ipv6 TEXT NOT NULL UNIQUE,
            tags TEXT NOT NULL, endpoints TEXT NOT NULL,
            created BIGINT NOT NULL, last_seen BIGINT NOT NULL, key_expiry BIGINT NULL,
            ephemeral INTEGER NOT NULL, authorized INTEGER NOT NULL,
            UNIQUE (tailnet_id, name));
        CREATE INDEX nodes_machine ON nodes (tailnet_id, machine_key, user_id);
        CREATE TABLE auth_keys (
            id {ID}, tailnet_id BIGINT NOT NULL REFERENCES tailnets(id) ON DELETE CASCADE,
            user_id BIGINT NOT NULL REFERENCES users(id),
            prefix TEXT NOT NULL UNIQUE, hash TEXT NOT NULL,
            reusable INTEGER NOT NULL, ephemeral INTEGER NOT NULL, preauthorized INTEGER NOT NULL,
            tags TEXT NOT NULL, expires BIGINT NOT NULL, created BIGINT NOT NULL, uses INTEGER NOT NULL);
        CREATE TABLE api_keys (
            id {ID}, tailnet_id BIGINT NOT NULL REFERENCES tailnets(id) ON DELETE CASCADE,
            user_id BIGINT NOT NULL REFERENCES users(id),
            prefix TEXT NOT NULL UNIQUE, hash TEXT NOT NULL, expires BIGINT NOT NULL, created BIGINT NOT NULL);
        CREATE TABLE policies (
            id {ID}, tailnet_id BIGINT NOT NULL REFERENCES tailnets(id) ON DELETE CASCADE,
            text TEXT NOT NULL, user_id BIGINT NULL, created BIGINT NOT NULL);
        CREATE INDEX policies_tailnet ON policies (tailnet_id, id);
        """,
        """
        CREATE TABLE dns_settings (
            tailnet_id BIGINT PRIMARY KEY REFERENCES tailnets(id) ON DELETE CASCADE, config TEXT NOT NULL);
        CREATE TABLE node_routes (
            node_id BIGINT PRIMARY KEY REFERENCES nodes(id) ON DELETE CASCADE,
            advertised TEXT NOT NULL, approved TEXT NOT NULL);
        CREATE INDEX api_keys_tailnet ON api_keys (tailnet_id, id);
        """,
        """
        CREATE TABLE pending_registrations (
            id TEXT PRIMARY KEY, machine_key TEXT NOT NULL, node_key TEXT NOT NULL, hostname TEXT NOT NULL,
            hostinfo TEXT NOT NULL, ephemeral INTEGER NOT NULL, created BIGINT NOT NULL, expires BIGINT NOT NULL,
            node_id BIGINT NULL REFERENCES nodes(id) ON DELETE CASCADE);
        CREATE INDEX pending_registrations_expires ON pending_registrations (expires);
        """,
        """
        CREATE TABLE relay_map (
            id INTEGER PRIMARY KEY CHECK (id = 1), config TEXT NOT NULL, updated BIGINT NOT NULL);
        """,
        """
        CREATE TABLE local_accounts (
            login TEXT PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            hash TEXT NOT NULL, updated BIGINT NOT NULL);
        """,
    ];
}
