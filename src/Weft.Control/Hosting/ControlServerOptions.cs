using System.Text.Json.Serialization;

namespace Weft.Control.Hosting;

/// <summary>How `weft control` runs. Loaded by <see cref="ControlConfiguration"/> from a JSON file, WEFT_CONTROL_* variables and flags.</summary>
public sealed class ControlServerOptions
{
    /// <summary>Where the database and the server key live. Defaults to "./weft-control".</summary>
    [JsonPropertyName("dataDir")]
    public string DataDir { get; set; } = "weft-control";

    /// <summary>Kestrel listen URL ("http://0.0.0.0:8080"; port 0 picks a free one). Defaults to http://127.0.0.1:8080.</summary>
    [JsonPropertyName("listen")]
    public string Listen { get; set; } = "http://127.0.0.1:8080";

    /// <summary>The URL nodes and admins reach this server at, for login links. Defaults to the listen URL.</summary>
    [JsonPropertyName("publicUrl")]
    public string? PublicUrl { get; set; }

    /// <summary>Name of the tailnet created on first start. Defaults to "default".</summary>
    [JsonPropertyName("firstTailnet")]
    public string FirstTailnet { get; set; } = "default";

    /// <summary>Login of the owner created on first start. Defaults to "admin".</summary>
    [JsonPropertyName("firstAdmin")]
    public string FirstAdmin { get; set; } = "admin";

    /// <summary>PostgreSQL connection string; when set it replaces the SQLite file (for replicas). Defaults to null (SQLite).</summary>
    [JsonPropertyName("postgres")]
    public string? Postgres { get; set; }

    /// <summary>PEM certificate file for HTTPS; needs <see cref="TlsKey"/>. Defaults to null (plain HTTP; the control channel is encrypted anyway).</summary>
    [JsonPropertyName("tlsCert")]
    public string? TlsCert { get; set; }

    /// <summary>PEM private key file of <see cref="TlsCert"/>. Defaults to null.</summary>
    [JsonPropertyName("tlsKey")]
    public string? TlsKey { get; set; }

    /// <summary>How long an ephemeral node may stay offline before it is deleted, in seconds. Defaults to 1800 (30 minutes, as Headscale).</summary>
    [JsonPropertyName("ephemeralTimeoutSeconds")]
    public int EphemeralTimeoutSeconds { get; set; } = (int)ControlConstants.DefaultEphemeralTimeout.TotalSeconds;

    /// <summary>Registration attempts one source address may make in a burst. Defaults to 20.</summary>
    [JsonPropertyName("registerBurst")]
    public int RegisterBurst { get; set; } = ControlConstants.DefaultRegisterBurst;

    /// <summary>Registration attempts per minute one source address regains after a burst. Defaults to 60.</summary>
    [JsonPropertyName("registerPerMinute")]
    public int RegisterPerMinute { get; set; } = ControlConstants.DefaultRegisterPerMinute;

    /// <summary>The newest client version, sent in full maps so `weft version` can say an upgrade exists. Defaults to null (not announced).</summary>
    [JsonPropertyName("latestClientVersion")]
    public string? LatestClientVersion { get; set; }

    /// <summary>
    /// Email domains shared by unrelated people (webmail): a new identity there gets a personal tailnet, any other
    /// domain an organization tailnet. Defaults to a list of common webmail domains (gmail.com, outlook.com, ...).
    /// </summary>
    [JsonPropertyName("sharedEmailDomains")]
    public IReadOnlyList<string>? SharedEmailDomains { get; set; }

    /// <summary>Single sign-on for the admin console and node logins. Defaults to null (local accounts only).</summary>
    [JsonPropertyName("oidc")]
    public Weft.Control.Auth.OidcSettings? Oidc { get; set; }

    /// <summary>The embedded relay and STUN responder, and external relay regions: the relay map nodes get. Defaults to the embedded relay alone.</summary>
    [JsonPropertyName("relays")]
    public Weft.Control.Relays.RelaySettings Relays { get; set; } = new();
}
