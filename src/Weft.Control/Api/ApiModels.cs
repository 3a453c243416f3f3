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

/// <summary>Body of POST device/{id}/name.</summary>
public sealed record ApiName([property: JsonPropertyName("name")] string? Name);

/// <summary>Body of POST device/{id}/key: turn key expiry off (true) or back on (false).</summary>
public sealed record ApiKeyExpiry([property: JsonPropertyName("keyExpiryDisabled")] bool KeyExpiryDisabled);

/// <summary>A device's subnet routes: what it advertises and what is enabled (approved).</summary>
public sealed record ApiRoutes(
    [property: JsonPropertyName("advertisedRoutes")] IReadOnlyList<string> AdvertisedRoutes,
    [property: JsonPropertyName("enabledRoutes")] IReadOnlyList<string> EnabledRoutes);

/// <summary>Body of POST device/{id}/routes: the routes to enable (each must be advertised).</summary>
public sealed record ApiSetRoutes([property: JsonPropertyName("routes")] IReadOnlyList<string>? Routes);

/// <summary>A user of the tailnet.</summary>
public sealed record ApiUser(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("loginName")] string LoginName,
    [property: JsonPropertyName("displayName")] string DisplayName,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("created")] DateTimeOffset Created);

/// <summary>The user list.</summary>
public sealed record ApiUserList([property: JsonPropertyName("users")] IReadOnlyList<ApiUser> Users);

/// <summary>Body of POST users/{id}/role.</summary>
public sealed record ApiRole([property: JsonPropertyName("role")] string? Role);

/// <summary>Body of POST tailnet/{t}/apikeys.</summary>
public sealed record ApiApiKeyRequest([property: JsonPropertyName("expirySeconds")] long? ExpirySeconds);

/// <summary>An API key as listed; <see cref="Key"/> (the secret) only in the answer that created it.</summary>
public sealed record ApiApiKey(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("key")] string? Key,
    [property: JsonPropertyName("user")] string UserId,
    [property: JsonPropertyName("created")] DateTimeOffset Created,
    [property: JsonPropertyName("expires")] DateTimeOffset Expires);

/// <summary>The API key list.</summary>
public sealed record ApiApiKeyList([property: JsonPropertyName("keys")] IReadOnlyList<ApiApiKey> Keys);

/// <summary>One saved policy version.</summary>
public sealed record ApiPolicyVersion(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("created")] DateTimeOffset Created,
    [property: JsonPropertyName("user")] string? UserId,
    [property: JsonPropertyName("policy")] string Policy);

/// <summary>Policy history, newest first.</summary>
public sealed record ApiPolicyHistory([property: JsonPropertyName("versions")] IReadOnlyList<ApiPolicyVersion> Versions);

/// <summary>One device the previewed user or node may reach, with the destinations and ports the filter allows.</summary>
public sealed record ApiReach(
    [property: JsonPropertyName("device")] string DeviceId,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("allow")] IReadOnlyList<string> Allow);

/// <summary>Answer of GET acl/preview.</summary>
public sealed record ApiPreview(
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("reachable")] IReadOnlyList<ApiReach> Reachable);

/// <summary>Tailscale-shaped GET/POST dns/nameservers.</summary>
public sealed record ApiNameservers([property: JsonPropertyName("dns")] IReadOnlyList<string>? Dns);

/// <summary>Tailscale-shaped GET/POST dns/searchpaths.</summary>
public sealed record ApiSearchPaths([property: JsonPropertyName("searchPaths")] IReadOnlyList<string>? SearchPaths);

/// <summary>Tailscale-shaped GET/POST dns/preferences.</summary>
public sealed record ApiDnsPreferences([property: JsonPropertyName("magicDNS")] bool MagicDns);

/// <summary>
/// Tailscale-shaped tailnet settings: the key lifetime, in days, that new logins and renewals get (0: keys never expire),
/// the tailnet's name and its MagicDNS domain. In a PATCH, fields left out (or null) stay as they are.
/// </summary>
public sealed record ApiTailnetSettings(
    [property: JsonPropertyName("devicesKeyDurationDays")] int? DevicesKeyDurationDays,
    [property: JsonPropertyName("name"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Name = null,
    [property: JsonPropertyName("domain"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Domain = null);

/// <summary>Body of POST tailnet/{tailnet}/users: a user an admin adds (role defaults to member).</summary>
public sealed record ApiNewUser(
    [property: JsonPropertyName("loginName")] string? LoginName,
    [property: JsonPropertyName("displayName")] string? DisplayName,
    [property: JsonPropertyName("role")] string? Role);

/// <summary>A tailnet as server admins see it.</summary>
public sealed record ApiTailnet(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("domain")] string Domain,
    [property: JsonPropertyName("devicesKeyDurationDays")] int DevicesKeyDurationDays,
    [property: JsonPropertyName("created")] DateTimeOffset Created);

/// <summary>Every tailnet of the server.</summary>
public sealed record ApiTailnetList([property: JsonPropertyName("tailnets")] IReadOnlyList<ApiTailnet> Tailnets);

/// <summary>Body of POST tailnets: a named tailnet to create unless it exists.</summary>
public sealed record ApiNewTailnet([property: JsonPropertyName("name")] string? Name);

/// <summary>Body of POST users: an identity to place in its tailnet by email domain.</summary>
public sealed record ApiPlaceUser(
    [property: JsonPropertyName("loginName")] string? LoginName,
    [property: JsonPropertyName("displayName")] string? DisplayName);

/// <summary>Where an identity was placed: its user, its tailnet, and whether the user is new.</summary>
public sealed record ApiPlacedUser(
    [property: JsonPropertyName("user")] ApiUser User,
    [property: JsonPropertyName("tailnet")] string Tailnet,
    [property: JsonPropertyName("created")] bool Created);

/// <summary>
/// GET relaymap: the editable part (<see cref="Embedded"/> and <see cref="Regions"/>, which PUT takes back as they
/// are), where it comes from, and the whole map nodes get now, with the embedded relay as this server announces it.
/// </summary>
/// <param name="Source">"config" (the config file's relays.regions) or "database" (an override set through the API).</param>
/// <param name="EmbeddedRegionId">The embedded relay's region id, or null when this server runs no embedded relay.</param>
public sealed record ApiRelayMap(
    [property: JsonPropertyName("embedded")] bool Embedded,
    [property: JsonPropertyName("regions")] IReadOnlyList<Weft.Core.Control.RelayRegion> Regions,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("embeddedRegionId")] int? EmbeddedRegionId,
    [property: JsonPropertyName("relayMap")] Weft.Core.Control.RelayMap RelayMap);

/// <summary>Source-generated JSON for the REST API.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ApiRelayMap))]
[JsonSerializable(typeof(Weft.Control.Relays.RelayMapOverride))]
[JsonSerializable(typeof(ApiDevice))]
[JsonSerializable(typeof(ApiTailnetSettings))]
[JsonSerializable(typeof(ApiNewUser))]
[JsonSerializable(typeof(ApiTailnet))]
[JsonSerializable(typeof(ApiTailnetList))]
[JsonSerializable(typeof(ApiNewTailnet))]
[JsonSerializable(typeof(ApiPlaceUser))]
[JsonSerializable(typeof(ApiPlacedUser))]
[JsonSerializable(typeof(ApiDeviceList))]
[JsonSerializable(typeof(ApiAuthorize))]
[JsonSerializable(typeof(ApiTags))]
[JsonSerializable(typeof(ApiKeyRequest))]
[JsonSerializable(typeof(ApiAuthKey))]
[JsonSerializable(typeof(ApiAuthKeyList))]
[JsonSerializable(typeof(ApiPolicyProblems))]
[JsonSerializable(typeof(ApiName))]
[JsonSerializable(typeof(ApiKeyExpiry))]
[JsonSerializable(typeof(ApiRoutes))]
[JsonSerializable(typeof(ApiSetRoutes))]
[JsonSerializable(typeof(ApiUserList))]
[JsonSerializable(typeof(ApiRole))]
[JsonSerializable(typeof(ApiApiKeyRequest))]
[JsonSerializable(typeof(ApiApiKey))]
[JsonSerializable(typeof(ApiApiKeyList))]
[JsonSerializable(typeof(ApiPolicyHistory))]
[JsonSerializable(typeof(ApiPreview))]
[JsonSerializable(typeof(Weft.Control.Storage.DnsSettings))]
[JsonSerializable(typeof(ApiNameservers))]
[JsonSerializable(typeof(ApiSearchPaths))]
[JsonSerializable(typeof(ApiDnsPreferences))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, IReadOnlyList<string>>))]
[JsonSerializable(typeof(ProblemDetails))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
