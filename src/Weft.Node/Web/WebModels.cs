using System.Text.Json.Serialization;
using Weft.Node.LocalApi;

namespace Weft.Node.Web;

/// <summary>GET /api/state: everything the page shows, fetched from the daemon in one go.</summary>
public sealed record WebState
{
    /// <summary>The daemon's status (device, peers, backend state, login URL).</summary>
    public required StatusResponse Status { get; init; }

    /// <summary>The daemon's preferences (accept DNS, want running).</summary>
    public required Prefs Prefs { get; init; }

    /// <summary>The login profiles on this device.</summary>
    public IReadOnlyList<ProfileInfo> Profiles { get; init; } = [];
}

/// <summary>POST /api/up: connect, logging in when needed.</summary>
public sealed record WebUpRequest
{
    /// <summary>Log in again even with a valid node key (the "log in as someone else" button).</summary>
    public bool ForceReauth { get; init; }
}

/// <summary>POST /api/prefs: the settings the page can change.</summary>
public sealed record WebPrefsRequest
{
    /// <summary>Point the OS resolver at MagicDNS; null leaves it.</summary>
    public bool? AcceptDns { get; init; }
}

/// <summary>Source-generated camelCase JSON for the web UI's API (the same shapes as the local API where shared).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(WebState))]
[JsonSerializable(typeof(WebUpRequest))]
[JsonSerializable(typeof(WebPrefsRequest))]
[JsonSerializable(typeof(SwitchRequest))]
[JsonSerializable(typeof(UpResponse))]
[JsonSerializable(typeof(Prefs))]
[JsonSerializable(typeof(ErrorResponse))]
public sealed partial class WebJsonContext : JsonSerializerContext;
