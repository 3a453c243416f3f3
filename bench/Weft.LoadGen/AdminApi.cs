using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Weft.LoadGen;

/// <summary>The few REST API calls the generator makes as the tailnet's owner.</summary>
internal sealed class AdminApi(HttpClient http, Uri server, string ownerApiKey)
{
    /// <summary>Everyone sees and reaches everyone (the server's default policy, written out).</summary>
    public const string AllowAll = """
        { "acls": [ { "action": "accept", "src": ["*"], "dst": ["*:*"] } ] }
        """;

    /// <summary>Only a tag no node carries may talk: every node loses every peer.</summary>
    public const string ForbidAll = """
        {
          "tagOwners": { "tag:nobody": ["autogroup:admin"] },
          "acls": [ { "action": "accept", "src": ["tag:nobody"], "dst": ["tag:nobody:*"] } ],
        }
        """;

    /// <summary>Creates a reusable, pre-approved auth key valid for a day and returns its secret.</summary>
    public async Task<string> CreateAuthKeyAsync(CancellationToken ct)
    {
        const string body = """{ "reusable": true, "ephemeral": false, "preauthorized": true, "expirySeconds": 86400 }""";
        var text = await SendAsync("/api/v2/tailnet/-/keys", body, "application/json", ct).ConfigureAwait(false);
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.TryGetProperty("key", out var key) && key.GetString() is { } secret
            ? secret
            : throw new InvalidOperationException($"auth key answer has no key: {text}");
    }

    /// <summary>Saves a policy; throws with the server's problem details when it is rejected.</summary>
    public Task SetPolicyAsync(string policy, CancellationToken ct) => SendAsync("/api/v2/tailnet/-/acl", policy, "application/hujson", ct);

    private async Task<string> SendAsync(string path, string body, string mediaType, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server, path))
        {
            Content = new StringContent(body, Encoding.UTF8, mediaType),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ownerApiKey);
        using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        return response.IsSuccessStatusCode ? text : throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {text}");
    }
}
