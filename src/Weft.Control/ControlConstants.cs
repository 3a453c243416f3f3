namespace Weft.Control;

/// <summary>The coordination server's constants, all our choice unless a line says otherwise.</summary>
internal static class ControlConstants
{
    /// <summary>The shared address space (RFC 6598) nodes get IPv4 addresses from.</summary>
    public const string IPv4Range = "100.64.0.0/10";

    /// <summary>Size of the IPv4 range: 2^22 addresses.</summary>
    public const long IPv4RangeSize = 1L << 22;

    /// <summary>100.100.100.0/24 stays free for the MagicDNS resolver and other in-tailnet services, as Tailscale keeps it.</summary>
    public const string ServiceIPv4Range = "100.100.100.0/24";

    /// <summary>Node key lifetime of a new tailnet, as Tailscale's default.</summary>
    public const int DefaultKeyExpiryDays = 180;

    /// <summary>API keys live between one and ninety days.</summary>
    public static readonly TimeSpan MinApiKeyLifetime = TimeSpan.FromDays(1);

    /// <inheritdoc cref="MinApiKeyLifetime"/>
    public static readonly TimeSpan MaxApiKeyLifetime = TimeSpan.FromDays(90);

    /// <summary>Auth keys default to 90 days, the longest Tailscale allows.</summary>
    public static readonly TimeSpan DefaultAuthKeyLifetime = TimeSpan.FromDays(90);

    /// <summary>A DNS label holds at most 63 octets (RFC 1035); suffixes like "-12" need room.</summary>
    public const int MaxMachineNameLength = 63;

    /// <summary>Longest tailnet name: one DNS label, so a name can always become a MagicDNS label too.</summary>
    public const int MaxTailnetNameLength = 63;

    /// <summary>Longest DNS name (RFC 1035), the bound of a MagicDNS domain.</summary>
    public const int MaxDnsNameLength = 253;

    /// <summary>Text before the lookup prefix of an auth key secret.</summary>
    public const string AuthKeyTag = "weft-auth-";

    /// <summary>Text before the lookup prefix of an API key secret.</summary>
    public const string ApiKeyTag = "weft-api-";

    /// <summary>The policy of a new tailnet (Weft.Policy's default): everyone reaches everyone.</summary>
    public const string DefaultPolicyText = """
        {
          // Every node in the tailnet may reach every other node on every port.
          "acls": [ { "action": "accept", "src": ["*"], "dst": ["*:*"] } ],
        }
        """;

    /// <summary>Name of the SQLite database file in the data directory.</summary>
    public const string DatabaseFile = "control.db";

    /// <summary>Name of the server's private key file in the data directory (mode 0600).</summary>
    public const string ServerKeyFile = "server.key";

    /// <summary>File in the data directory holding the first owner's API key (mode 0600), written once on first start.</summary>
    public const string FirstApiKeyFile = "owner-api-key";

    /// <summary>How often an idle map stream carries a keepalive, so proxies keep it open.</summary>
    public static readonly TimeSpan MapKeepAlive = TimeSpan.FromSeconds(50);

    /// <summary>How long a follow-up registration waits for an admin's approval before answering "still pending".</summary>
    public static readonly TimeSpan RegisterFollowupWait = TimeSpan.FromMinutes(2);

    /// <summary>How long a login URL of an interactive registration waits for an admin; the node asks again after that.</summary>
    public static readonly TimeSpan PendingRegistrationLifetime = TimeSpan.FromHours(1);

    /// <summary>An ephemeral node offline this long is deleted; 30 minutes, Headscale's default.</summary>
    public static readonly TimeSpan DefaultEphemeralTimeout = TimeSpan.FromMinutes(30);

    /// <summary>Registration attempts a source may burst: enough for a NAT with a few devices starting at once.</summary>
    public const int DefaultRegisterBurst = 20;

    /// <summary>Registration attempts a source regains per minute: a slow steady rate that stops key guessing and floods.</summary>
    public const int DefaultRegisterPerMinute = 60;

    /// <summary>Rate-limit buckets kept before full ones are dropped, bounding memory under a flood of sources.</summary>
    public const int MaxRateLimitSources = 65536;

    /// <summary>Prefix of the environment variables that configure `weft control` (WEFT_CONTROL_LISTEN, ...).</summary>
    public const string EnvironmentPrefix = "WEFT_CONTROL_";

    /// <summary>Longest single wait of the key-expiry timer; timers reject more than about 49 days and key lifetimes are longer.</summary>
    public static readonly TimeSpan MaxTimerDelay = TimeSpan.FromDays(1);

    /// <summary>Parent domain of every tailnet's MagicDNS suffix (a special-use name that never resolves on the internet).</summary>
    public const string TailnetDomainSuffix = "weft.internal";

    /// <summary>Longest default key lifetime a tailnet may set, in days, as Tailscale's limit.</summary>
    public const int MaxKeyExpiryDays = 180;

    /// <summary>
    /// Webmail domains shared by unrelated people: an identity there gets a personal tailnet rather than joining
    /// one tailnet of the whole domain. Replaced by the sharedEmailDomains setting.
    /// </summary>
    public static readonly IReadOnlySet<string> DefaultSharedEmailDomains = new HashSet<string>(
    [
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com", "icloud.com", "me.com",
        "aol.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de", "gmx.net", "web.de", "yandex.ru", "mail.ru", "qq.com", "163.com",
    ], StringComparer.OrdinalIgnoreCase);
}
