using System.Text.Json;
using System.Text.Json.Serialization;

namespace Weft.Core.Control;

/// <summary>What a node sends in one channel frame: exactly one field set.</summary>
public sealed record ClientMessage
{
    [JsonPropertyName("register")]
    public RegisterRequest? Register { get; init; }

    [JsonPropertyName("map")]
    public MapRequest? Map { get; init; }
}

/// <summary>What the server sends in one channel frame: exactly one field set.</summary>
public sealed record ServerMessage
{
    [JsonPropertyName("register")]
    public RegisterResponse? Register { get; init; }

    [JsonPropertyName("map")]
    public MapResponse? Map { get; init; }

    /// <summary>A protocol error that ends the exchange ("unknown node key").</summary>
    [JsonPropertyName("error")]
    public string? Error { get; init; }
}

/// <summary>Source-generated JSON for every control message.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, MaxDepth = 16)]
[JsonSerializable(typeof(ClientMessage))]
[JsonSerializable(typeof(ServerMessage))]
[JsonSerializable(typeof(HostInfo))]
public sealed partial class ControlJsonContext : JsonSerializerContext
{
    /// <summary>Parses a client frame; null when it is not valid JSON of the right shape.</summary>
    public static ClientMessage? TryParseClient(ReadOnlySpan<byte> utf8)
    {
        try
        {
            return JsonSerializer.Deserialize(utf8, Default.ClientMessage);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Parses a server frame; null when it is not valid JSON of the right shape.</summary>
    public static ServerMessage? TryParseServer(ReadOnlySpan<byte> utf8)
    {
        try
        {
            return JsonSerializer.Deserialize(utf8, Default.ServerMessage);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
