using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;

namespace Weft.Control.Api;

/// <summary>A device as the REST API shows it (shapes after Tailscale's API v2).</summary>
public sealed record ApiDevice(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("hostname")] string Hostname,
    [property: JsonPropertyName("user")] string? User,
    [property: JsonPropertyName("addresses")] IReadOnlyList<string> Addresses,
    [property: JsonPropertyName("tags")] IReadOnlyList<string> Tags,
    [property: JsonPropertyName("nodeKey")] string NodeKey,
    [property: JsonPropertyName("authorized")] bool Authorized,
    [property: JsonPropertyName("created")] DateTimeOffset Created,
    [property: JsonPropertyName("lastSeen")] DateTimeOffset LastSeen,
    [property: JsonPropertyName("expires")] DateTimeOffset? Expires,
    [property: JsonPropertyName("keyExpiryDisabled")] bool KeyExpiryDisabled,
    [property: JsonPropertyName("ephemeral")] bool Ephemeral);

/// <summary>The device list.</summary>
public sealed record ApiDeviceList([property: JsonPropertyName("devices")] IReadOnlyList<ApiDevice> Devices);

/// <summary>Body of POST device/{id}/authorized.</summary>
public sealed record ApiAuthorize([property: JsonPropertyName("authorized")] bool Authorized);

/// <summary>Body of POST device/{id}/tags.</summary>
public sealed record ApiTags([property: JsonPropertyName("tags")] IReadOnlyList<string>? Tags);

/// <summary>Body of POST tailnet/{t}/keys: what the new auth key allows.</summary>
public sealed record ApiKeyRequest(
    [property: JsonPropertyName("reusable")] bool Reusable,
    [property: JsonPropertyName("ephemeral")] bool Ephemeral,
    [property: JsonPropertyName("preauthorized")] bool Preauthorized,
    [property: JsonPropertyName("tags")] IReadOnlyList<string>? Tags,
    [property: JsonPropertyName("expirySeconds")] long? ExpirySeconds);

/// <summary>An auth key as listed; <see cref="Key"/> (the secret) only in the answer that created it.</summary>
public sealed record ApiAuthKey(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("key")] string? Key,
    [property: JsonPropertyName("reusable")] bool Reusable,
    [property: JsonPropertyName("ephemeral")] bool Ephemeral,
    [property: JsonPropertyName("preauthorized")] bool Preauthorized,
    [property: JsonPropertyName("tags")] IReadOnlyList<string> Tags,
    [property: JsonPropertyName("created")] DateTimeOffset Created,
    [property: JsonPropertyName("expires")] DateTimeOffset Expires,
    [property: JsonPropertyName("uses")] int Uses);

/// <summary>The auth key list.</summary>
public sealed record ApiAuthKeyList([property: JsonPropertyName("keys")] IReadOnlyList<ApiAuthKey> Keys);

/// <summary>Problems found in a policy (validate answers this with an empty list when it is fine).</summary>
public sealed record ApiPolicyProblems([property: JsonPropertyName("problems")] IReadOnlyList<string> Problems);

/// <summary>Source-generated JSON for the REST API.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ApiDevice))]
[JsonSerializable(typeof(ApiDeviceList))]
[JsonSerializable(typeof(ApiAuthorize))]
[JsonSerializable(typeof(ApiTags))]
[JsonSerializable(typeof(ApiKeyRequest))]
[JsonSerializable(typeof(ApiAuthKey))]
[JsonSerializable(typeof(ApiAuthKeyList))]
[JsonSerializable(typeof(ApiPolicyProblems))]
[JsonSerializable(typeof(ProblemDetails))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
