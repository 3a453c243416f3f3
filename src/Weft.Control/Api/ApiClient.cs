using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Mvc;
using Weft.Control.Storage;

namespace Weft.Control.Api;

/// <summary>
/// A typed client of the REST API v2 for admin tools (`weft control users|nodes|keys|policy`), acting
/// with one bearer API key on the key's tailnet. Errors become <see cref="ApiException"/> with the server's detail.
/// </summary>
public sealed class ApiClient(HttpClient http, string apiKey)
{
    /// <summary>Reads the API key from <paramref name="apiKeyFile"/> (first line) and targets <paramref name="server"/>.</summary>
    /// <exception cref="InvalidDataException">The key file is missing or empty.</exception>
    public static ApiClient FromKeyFile(HttpClient http, string apiKeyFile)
    {
        ArgumentNullException.ThrowIfNull(http);
        string key;
        try
        {
            key = File.ReadAllText(apiKeyFile).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"cannot read API key file {apiKeyFile}: {ex.Message}", ex);
        }

        return key.Length == 0 ? throw new InvalidDataException($"API key file {apiKeyFile} is empty") : new ApiClient(http, key);
    }

    public Task<ApiDeviceList> ListDevicesAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "tailnet/-/devices", null, ApiJsonContext.Default.ApiDeviceList, ct);

    public Task DeleteDeviceAsync(string id, CancellationToken ct = default) => SendAsync(HttpMethod.Delete, $"device/{Escape(id)}", null, ct);

    public Task<ApiDevice> RenameDeviceAsync(string id, string name, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, $"device/{Escape(id)}/name", Body(new ApiName(name), ApiJsonContext.Default.ApiName), ApiJsonContext.Default.ApiDevice, ct);

    public Task AuthorizeDeviceAsync(string id, bool authorized, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, $"device/{Escape(id)}/authorized", Body(new ApiAuthorize(authorized), ApiJsonContext.Default.ApiAuthorize), ct);

    public Task ExpireDeviceAsync(string id, CancellationToken ct = default) => SendAsync(HttpMethod.Post, $"device/{Escape(id)}/expire", null, ct);

    /// <summary>Approves a node waiting on an interactive login link (the id is the link's last segment).</summary>
    public Task<ApiDevice> ApproveRegistrationAsync(string id, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, $"tailnet/-/registrations/{Escape(id)}/approve", null, ApiJsonContext.Default.ApiDevice, ct);

    public Task<ApiDevice> SetKeyExpiryDisabledAsync(string id, bool disabled, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, $"device/{Escape(id)}/key", Body(new ApiKeyExpiry(disabled), ApiJsonContext.Default.ApiKeyExpiry), ApiJsonContext.Default.ApiDevice, ct);

    public Task<ApiRoutes> GetRoutesAsync(string id, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, $"device/{Escape(id)}/routes", null, ApiJsonContext.Default.ApiRoutes, ct);

    public Task<ApiRoutes> SetRoutesAsync(string id, IReadOnlyList<string> routes, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, $"device/{Escape(id)}/routes", Body(new ApiSetRoutes(routes), ApiJsonContext.Default.ApiSetRoutes), ApiJsonContext.Default.ApiRoutes, ct);

    public Task<ApiUserList> ListUsersAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "tailnet/-/users", null, ApiJsonContext.Default.ApiUserList, ct);

    public Task<ApiUser> SetRoleAsync(string userId, string role, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, $"users/{Escape(userId)}/role", Body(new ApiRole(role), ApiJsonContext.Default.ApiRole), ApiJsonContext.Default.ApiUser, ct);

    /// <summary>Removes a user (not an owner) with their machines, auth keys and API keys.</summary>
    public Task RemoveUserAsync(string userId, CancellationToken ct = default) => SendAsync(HttpMethod.Delete, $"users/{Escape(userId)}", null, ct);

    public Task<ApiAuthKeyList> ListAuthKeysAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "tailnet/-/keys", null, ApiJsonContext.Default.ApiAuthKeyList, ct);

    public Task<ApiAuthKey> CreateAuthKeyAsync(ApiKeyRequest request, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "tailnet/-/keys", Body(request, ApiJsonContext.Default.ApiKeyRequest), ApiJsonContext.Default.ApiAuthKey, ct);

    public Task DeleteAuthKeyAsync(string id, CancellationToken ct = default) => SendAsync(HttpMethod.Delete, $"tailnet/-/keys/{Escape(id)}", null, ct);

    public Task<ApiApiKeyList> ListApiKeysAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "tailnet/-/apikeys", null, ApiJsonContext.Default.ApiApiKeyList, ct);

    public Task<ApiApiKey> CreateApiKeyAsync(long? expirySeconds, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "tailnet/-/apikeys", Body(new ApiApiKeyRequest(expirySeconds), ApiJsonContext.Default.ApiApiKeyRequest), ApiJsonContext.Default.ApiApiKey, ct);

    public Task DeleteApiKeyAsync(string id, CancellationToken ct = default) => SendAsync(HttpMethod.Delete, $"tailnet/-/apikeys/{Escape(id)}", null, ct);

    public async Task<string> GetPolicyAsync(CancellationToken ct = default)
    {
        using var response = await RawAsync(HttpMethod.Get, "tailnet/-/acl", null, ct).ConfigureAwait(false);
        return await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Saves a policy; rejected ones throw <see cref="ApiException"/> naming the line and column or failing test.</summary>
    public async Task SetPolicyAsync(string hujson, CancellationToken ct = default)
    {
        using var response = await RawAsync(HttpMethod.Post, "tailnet/-/acl", new StringContent(hujson, Encoding.UTF8, "application/hujson"), ct).ConfigureAwait(false);
    }

    /// <summary>Checks a policy without saving it.</summary>
    public async Task ValidatePolicyAsync(string hujson, CancellationToken ct = default)
    {
        using var response = await RawAsync(HttpMethod.Post, "tailnet/-/acl/validate", new StringContent(hujson, Encoding.UTF8, "application/hujson"), ct).ConfigureAwait(false);
    }

    public Task<ApiPolicyHistory> PolicyHistoryAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "tailnet/-/acl/history", null, ApiJsonContext.Default.ApiPolicyHistory, ct);

    /// <summary>What a node (by id) or a user (by login) may reach; give exactly one.</summary>
    public Task<ApiPreview> PreviewAsync(string? nodeId, string? userLogin, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, nodeId is not null ? $"tailnet/-/acl/preview?node={Escape(nodeId)}" : $"tailnet/-/acl/preview?user={Escape(userLogin ?? "")}",
            null, ApiJsonContext.Default.ApiPreview, ct);

    public Task<DnsSettings> GetDnsAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "tailnet/-/dns", null, ApiJsonContext.Default.DnsSettings, ct);

    public Task<DnsSettings> SetDnsAsync(DnsSettings dns, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "tailnet/-/dns", Body(dns, ApiJsonContext.Default.DnsSettings), ApiJsonContext.Default.DnsSettings, ct);

    public Task<ApiTailnetSettings> GetTailnetSettingsAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "tailnet/-/settings", null, ApiJsonContext.Default.ApiTailnetSettings, ct);

    public Task<ApiTailnetSettings> SetTailnetSettingsAsync(ApiTailnetSettings settings, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Patch, "tailnet/-/settings", Body(settings, ApiJsonContext.Default.ApiTailnetSettings), ApiJsonContext.Default.ApiTailnetSettings, ct);

    public Task<ApiUser> CreateUserAsync(ApiNewUser user, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "tailnet/-/users", Body(user, ApiJsonContext.Default.ApiNewUser), ApiJsonContext.Default.ApiUser, ct);

    public Task<ApiPlacedUser> PlaceUserAsync(ApiPlaceUser user, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "users", Body(user, ApiJsonContext.Default.ApiPlaceUser), ApiJsonContext.Default.ApiPlacedUser, ct);

    public Task<ApiTailnetList> ListTailnetsAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "tailnets", null, ApiJsonContext.Default.ApiTailnetList, ct);

    public Task<ApiTailnet> CreateTailnetAsync(string name, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "tailnets", Body(new ApiNewTailnet(name), ApiJsonContext.Default.ApiNewTailnet), ApiJsonContext.Default.ApiTailnet, ct);

    /// <summary>The server's relay map: the editable override (or the config's regions) and the map nodes get (server admins).</summary>
    public Task<ApiRelayMap> GetRelayMapAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "relaymap", null, ApiJsonContext.Default.ApiRelayMap, ct);

    /// <summary>Replaces the relay map with an override (JSON text: {"embedded": bool, "regions": [...]}); every connected node gets it at once.</summary>
    public Task<ApiRelayMap> SetRelayMapAsync(string json, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, "relaymap", new StringContent(json, Encoding.UTF8, "application/json"), ApiJsonContext.Default.ApiRelayMap, ct);

    /// <summary>Drops the relay map override: the config file's regions apply again.</summary>
    public Task<ApiRelayMap> ResetRelayMapAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, "relaymap", null, ApiJsonContext.Default.ApiRelayMap, ct);

    private static string Escape(string s) => Uri.EscapeDataString(s);

    private static StringContent Body<T>(T value, JsonTypeInfo<T> type) =>
        new(JsonSerializer.Serialize(value, type), Encoding.UTF8, "application/json");

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? body, JsonTypeInfo<T> type, CancellationToken ct)
    {
        using var response = await RawAsync(method, path, body, ct).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize(text, type) ?? throw new ApiException((int)response.StatusCode, $"{method} {path}: empty answer");
        }
        catch (JsonException ex)
        {
            throw new ApiException((int)response.StatusCode, $"{method} {path}: answer is not the expected JSON ({ex.Message})");
        }
    }

    private async Task SendAsync(HttpMethod method, string path, HttpContent? body, CancellationToken ct)
    {
        using var response = await RawAsync(method, path, body, ct).ConfigureAwait(false);
    }

    /// <summary>Sends one request; a non-success answer throws with the problem-details detail.</summary>
    private async Task<HttpResponseMessage> RawAsync(HttpMethod method, string path, HttpContent? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, new Uri(http.BaseAddress!, "/api/v2/" + path)) { Content = body };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        var response = await http.SendAsync(request, ct).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            string? detail = null;
            try
            {
                var problem = JsonSerializer.Deserialize(text, ApiJsonContext.Default.ProblemDetails);
                detail = problem?.Detail ?? problem?.Title;
            }
            catch (JsonException)
            {
                // Not problem details (a proxy's page, say): report the status alone.
            }

            throw new ApiException((int)response.StatusCode, $"{method} /api/v2/{path}: {(int)response.StatusCode} {detail ?? response.ReasonPhrase}");
        }
    }
}

/// <summary>A REST API call failed; <see cref="Status"/> is the HTTP status, the message carries the server's detail.</summary>
public sealed class ApiException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
