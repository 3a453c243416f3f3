using System.Text.Json;
using System.Text.Json.Serialization;

namespace Weft.Control.Storage;

/// <summary>A tailnet's DNS settings as an admin sets them; the MagicDNS suffix is the tailnet's domain.</summary>
public sealed record DnsSettings
{
    /// <summary>Whether nodes answer names under the tailnet domain. Defaults to true.</summary>
    [JsonPropertyName("magicDns")]
    public bool MagicDns { get; init; } = true;

    /// <summary>Upstream resolvers (IP addresses) for every other name.</summary>
    [JsonPropertyName("nameservers")]
    public IReadOnlyList<string> Nameservers { get; init; } = [];

    /// <summary>Search domains appended to short names.</summary>
    [JsonPropertyName("searchPaths")]
    public IReadOnlyList<string> SearchPaths { get; init; } = [];

    /// <summary>Per-suffix resolvers ("corp.example.com" to ["10.0.0.53"]).</summary>
    [JsonPropertyName("splitDns")]
    public IReadOnlyDictionary<string, IReadOnlyList<string>> SplitDns { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>The settings of a tailnet that never set any.</summary>
    public static DnsSettings Default { get; } = new();

    /// <summary>Stored JSON back to settings; null or unreadable text gives the defaults.</summary>
    public static DnsSettings FromJson(string? json)
    {
        if (json is null)
        {
            return Default;
        }

        try
        {
            return JsonSerializer.Deserialize(json, SettingsJsonContext.Default.DnsSettings) ?? Default;
        }
        catch (JsonException)
        {
            return Default;
        }
    }

    public string ToJson() => JsonSerializer.Serialize(this, SettingsJsonContext.Default.DnsSettings);
}

/// <summary>Source-generated JSON for stored settings.</summary>
[JsonSerializable(typeof(DnsSettings))]
internal sealed partial class SettingsJsonContext : JsonSerializerContext;
