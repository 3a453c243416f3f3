using System.Text.Json;
using System.Text.Json.Serialization;
using Weft.Core.Control;

namespace Weft.Control.Relays;

/// <summary>
/// A relay map set through the API or console, kept in the database for every replica: it replaces the
/// <c>relays.regions</c> of the config file, and <see cref="Embedded"/> says whether the server's own relay stays in
/// the map (its URL and key are each server's, so they are never stored).
/// </summary>
public sealed record RelayMapOverride
{
    /// <summary>Whether the embedded relay's region stays in the map (when the server runs one). Defaults to true.</summary>
    [JsonPropertyName("embedded")]
    // Settable, not init: the source-generated reader sets every init property, so a default would become false.
    public bool Embedded { get; set; } = true;

    /// <summary>The regions of external relays, replacing the config file's.</summary>
    [JsonPropertyName("regions")]
    public IReadOnlyList<RelayRegion>? Regions { get; set; } = [];

    /// <summary>The override as stored: compact JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, RelayJsonContext.Default.RelayMapOverride);

    /// <summary>The override for people to read and edit: indented JSON.</summary>
    public string ToIndentedJson() => JsonSerializer.Serialize(this, RelayJsonIndented.Default.RelayMapOverride);

    /// <summary>Reads an override written by <see cref="ToJson"/> or sent to the API.</summary>
    /// <exception cref="JsonException">Not JSON of this shape (a region without id or code, say).</exception>
    public static RelayMapOverride FromJson(string json) =>
        JsonSerializer.Deserialize(json, RelayJsonContext.Default.RelayMapOverride) ?? throw new JsonException("the relay map is null");
}

/// <summary>Source-generated JSON for stored relay map overrides.</summary>
[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(RelayMapOverride))]
internal sealed partial class RelayJsonContext : JsonSerializerContext;

/// <summary>Indented JSON of relay map overrides, for people to read and edit.</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(RelayMapOverride))]
internal sealed partial class RelayJsonIndented : JsonSerializerContext;
