using System.Text.Json.Serialization;

namespace Weft.Node.State;

/// <summary>What the user chose for a profile with `weft up`/`weft set`; kept across restarts.</summary>
public sealed record NodePrefs
{
    /// <summary>The coordination server's URL, or null before the first `weft up --login-server`.</summary>
    [JsonPropertyName("loginServer")]
    public string? LoginServer { get; init; }

    /// <summary>The name to register under; null means the machine's host name.</summary>
    [JsonPropertyName("hostname")]
    public string? Hostname { get; init; }

    [JsonPropertyName("advertiseTags")]
    public IReadOnlyList<string> AdvertiseTags { get; init; } = [];

    /// <summary>Whether the OS resolver is pointed at MagicDNS. Defaults to false: changing the system's DNS is opt-in.</summary>
    [JsonPropertyName("acceptDns")]
    public bool AcceptDns { get; init; }

    /// <summary>True after `up`, false after `down`: whether the tunnel should run.</summary>
    [JsonPropertyName("wantRunning")]
    public bool WantRunning { get; init; }

    /// <summary>A non-root user allowed to use the local API.</summary>
    [JsonPropertyName("operatorUser")]
    public string? OperatorUser { get; init; }
}
