using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Weft.Control.Storage;
using Weft.Policy;

namespace Weft.Control.Api;

/// <summary>
/// REST API v2: bearer API keys scoped to one tailnet ("-" in a path means the key's tailnet). Reads need
/// any key; changes need a key of an owner or admin. Errors are problem details; bad input is a 4xx.
/// </summary>
internal static partial class ApiEndpoints
{
    /// <summary>Largest request body read (a policy file is the biggest legitimate one).</summary>
    private const int MaxBody = 1 << 20;

    public static void Map(IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v2");
        api.MapGet("/tailnet/{tailnet}/devices", (HttpContext http, string tailnet, ControlService svc) =>
            WithTailnet(http, svc, tailnet, write: false, async (key, ct) =>
            {
                var nodes = await svc.Store.ListNodesAsync(key.TailnetId, ct).ConfigureAwait(false);
                var users = (await svc.Store.ListUsersAsync(key.TailnetId, ct).ConfigureAwait(false)).ToDictionary(u => u.Id);
                return Json(new ApiDeviceList([.. nodes.Select(n => Device(n, users.GetValueOrDefault(n.UserId)))]), ApiJsonContext.Default.ApiDeviceList);
            }))
            .Returns<ApiDeviceList>();
        api.MapGet("/device/{id}", (HttpContext http, string id, ControlService svc) =>
            WithDevice(http, svc, id, write: false, async (_, node, ct) =>
                Json(Device(node, await svc.Store.GetUserAsync(node.UserId, ct).ConfigureAwait(false)), ApiJsonContext.Default.ApiDevice)))
            .Returns<ApiDevice>();
        api.MapDelete("/device/{id}", (HttpContext http, string id, ControlService svc) =>
            WithDevice(http, svc, id, write: true, async (_, node, ct) =>
            {
                await svc.DeleteNodeAsync(node, ct).ConfigureAwait(false);
                return Results.Ok();
            }))
            .ReturnsNothing();
        api.MapPost("/device/{id}/authorized", (HttpContext http, string id, ControlService svc) =>
            WithDevice(http, svc, id, write: true, async (_, node, ct) =>
            {
                var body = await ReadAsync(http, ApiJsonContext.Default.ApiAuthorize, ct).ConfigureAwait(false);
                if (body is null)
                {
                    return Problem(400, "body must be {\"authorized\": true|false}");
                }

                await svc.UpdateNodeAsync(node with { Authorized = body.Authorized }, ct).ConfigureAwait(false);
                return Results.Ok();
            }))
            .Takes<ApiAuthorize>()
            .ReturnsNothing();
        api.MapPost("/device/{id}/expire", (HttpContext http, string id, ControlService svc) =>
            WithDevice(http, svc, id, write: true, async (_, node, ct) =>
            {
                await svc.UpdateNodeAsync(node with { KeyExpiry = svc.Time.GetUtcNow() }, ct).ConfigureAwait(false);
                return Results.Ok();
            }))
            .ReturnsNothing();
        api.MapPost("/device/{id}/tags", (HttpContext http, string id, ControlService svc) =>
            WithDevice(http, svc, id, write: true, async (key, node, ct) =>
            {
                var body = await ReadAsync(http, ApiJsonContext.Default.ApiTags, ct).ConfigureAwait(false);
                if (body?.Tags is null)
                {
                    return Problem(400, "body must be {\"tags\": [\"tag:name\", ...]}");
                }

                var problem = await CheckTagsAsync(svc, key, body.Tags, ct).ConfigureAwait(false);
                if (problem is not null)
                {
                    return problem;
                }

                await svc.UpdateNodeAsync(node with { Tags = body.Tags }, ct).ConfigureAwait(false);
                return Results.Ok();
            }))
            .Takes<ApiTags>()
            .ReturnsNothing();
        api.MapGet("/tailnet/{tailnet}/keys", (HttpContext http, string tailnet, ControlService svc) =>
            WithTailnet(http, svc, tailnet, write: false, async (key, ct) =>
                Json(new ApiAuthKeyList([.. (await svc.Store.ListAuthKeysAsync(key.TailnetId, ct).ConfigureAwait(false)).Select(k => AuthKey(k, null))]), ApiJsonContext.Default.ApiAuthKeyList)))
            .Returns<ApiAuthKeyList>();
        api.MapPost("/tailnet/{tailnet}/keys", (HttpContext http, string tailnet, ControlService svc) =>
            WithTailnet(http, svc, tailnet, write: true, async (key, ct) =>
            {
                var body = await ReadAsync(http, ApiJsonContext.Default.ApiKeyRequest, ct).ConfigureAwait(false);
                if (body is null)
                {
                    return Problem(400, "body must be a JSON object with reusable, ephemeral, preauthorized, tags, expirySeconds");
                }

                var lifetime = body.ExpirySeconds is { } s ? TimeSpan.FromSeconds(s) : ControlConstants.DefaultAuthKeyLifetime;
                if (lifetime <= TimeSpan.Zero || lifetime > ControlConstants.DefaultAuthKeyLifetime)
                {
                    return Problem(400, "expirySeconds must be between 1 and 7776000 (90 days)");
                }

                var tags = body.Tags ?? [];
                var problem = await CheckTagsAsync(svc, key, tags, ct).ConfigureAwait(false);
                if (problem is not null)
                {
                    return problem;
                }

                var (created, secret) = await svc.Store.CreateAuthKeyAsync(key.TailnetId, key.UserId,
                    new AuthKeyOptions(body.Reusable, body.Ephemeral, body.Preauthorized, tags, lifetime), svc.Time.GetUtcNow(), ct).ConfigureAwait(false);
                return Json(AuthKey(created, secret), ApiJsonContext.Default.ApiAuthKey);
            }))
            .Takes<ApiKeyRequest>()
            .Returns<ApiAuthKey>();
        api.MapGet("/tailnet/{tailnet}/keys/{id}", (HttpContext http, string tailnet, string id, ControlService svc) =>
            WithAuthKey(http, svc, tailnet, id, write: false, (_, k, _) => Task.FromResult(Json(AuthKey(k, null), ApiJsonContext.Default.ApiAuthKey))))
            .Returns<ApiAuthKey>();
        api.MapDelete("/tailnet/{tailnet}/keys/{id}", (HttpContext http, string tailnet, string id, ControlService svc) =>
            WithAuthKey(http, svc, tailnet, id, write: true, async (_, k, ct) =>
            {
                await svc.Store.DeleteAuthKeyAsync(k.Id, ct).ConfigureAwait(false);
                return Results.Ok();
            }))
            .ReturnsNothing();
        api.MapGet("/tailnet/{tailnet}/acl", (HttpContext http, string tailnet, ControlService svc) =>
            WithTailnet(http, svc, tailnet, write: false, async (key, ct) =>
                Results.Text((await svc.Store.GetPolicyAsync(key.TailnetId, ct).ConfigureAwait(false)).Text, "application/hujson")))
            .Returns<string>("application/hujson");
        api.MapPost("/tailnet/{tailnet}/acl", (HttpContext http, string tailnet, ControlService svc) =>
            WithTailnet(http, svc, tailnet, write: true, (key, ct) => SetPolicyAsync(http, svc, key, save: true, ct)))
            .Takes<string>("application/hujson")
            .Returns<string>("application/hujson");
        api.MapPost("/tailnet/{tailnet}/acl/validate", (HttpContext http, string tailnet, ControlService svc) =>
            WithTailnet(http, svc, tailnet, write: false, (key, ct) => SetPolicyAsync(http, svc, key, save: false, ct)))
            .Takes<string>("application/hujson")
            .Returns<ApiPolicyProblems>();
        api.MapPost("/tailnet/{tailnet}/registrations/{id}/approve", (HttpContext http, string tailnet, string id, ControlService svc) =>
            WithTailnet(http, svc, tailnet, write: true, async (key, ct) =>
            {
                var user = await svc.Store.GetUserAsync(key.UserId, ct).ConfigureAwait(false);
                var node = await svc.ApprovePendingAsync(id, user!, ct).ConfigureAwait(false);
                return node is null ? Problem(404, $"no pending registration '{id}'") : Json(Device(node, user), ApiJsonContext.Default.ApiDevice);
            }))
            .Returns<ApiDevice>();
        MapDevices(api);
        MapAdmin(api);
        MapDns(api);
        MapTailnets(api);
        MapRelays(api);
    }

    private static async Task<IResult> SetPolicyAsync(HttpContext http, ControlService svc, ApiKeyRecord key, bool save, CancellationToken ct)
    {
        var text = await ReadTextAsync(http, ct).ConfigureAwait(false);
        if (text is null)
        {
            return Problem(413, $"policy larger than {MaxBody} bytes");
        }

        var problems = await svc.SetPolicyAsync(key.TailnetId, text, key.UserId, save, ct).ConfigureAwait(false);
        if (problems.Count > 0)
        {
            return Results.Problem(statusCode: 400, title: "policy rejected", detail: string.Join("; ", problems));
        }

        return save ? Results.Text(text, "application/hujson") : Json(new ApiPolicyProblems([]), ApiJsonContext.Default.ApiPolicyProblems);
    }

    private static async Task<IResult?> CheckTagsAsync(ControlService svc, ApiKeyRecord key, IReadOnlyList<string> tags, CancellationToken ct)
    {
        if (tags.Count == 0)
        {
            return null;
        }

        var policy = Weft.Policy.Policy.Parse((await svc.Store.GetPolicyAsync(key.TailnetId, ct).ConfigureAwait(false)).Text).Policy;
        var user = await svc.Store.GetUserAsync(key.UserId, ct).ConfigureAwait(false);
        foreach (var tag in tags)
        {
            if (policy is null || !policy.MayApplyTag(tag, user?.Login, user?.Role ?? PolicyRoles.Member))
            {
                return Problem(400, $"tag '{tag}' is not defined in tagOwners or you do not own it");
            }
        }

        return null;
    }

    private static async Task<IResult> WithTailnet(HttpContext http, ControlService svc, string tailnet, bool write, Func<ApiKeyRecord, CancellationToken, Task<IResult>> work)
    {
        var ct = http.RequestAborted;
        var (key, problem) = await AuthenticateAsync(http, svc, write, ct).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (tailnet != "-")
        {
            var t = await svc.Store.GetTailnetAsync(key!.TailnetId, ct).ConfigureAwait(false);
            if (t is null || !string.Equals(t.Name, tailnet, StringComparison.OrdinalIgnoreCase))
            {
                return Problem(403, $"this API key is not valid for tailnet '{tailnet}'");
            }
        }

        return await work(key!, ct).ConfigureAwait(false);
    }

    private static Task<IResult> WithDevice(HttpContext http, ControlService svc, string id, bool write, Func<ApiKeyRecord, NodeRecord, CancellationToken, Task<IResult>> work) =>
        WithTailnet(http, svc, "-", write, async (key, ct) =>
        {
            if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var nodeId))
            {
                return Problem(400, $"device id '{id}' is not a number");
            }

            var node = await svc.Store.GetNodeAsync(nodeId, ct).ConfigureAwait(false);
            // A device of another tailnet is answered like a missing one: ids must not leak across tailnets.
            return node is null || node.TailnetId != key.TailnetId ? Problem(404, $"device {id} not found") : await work(key, node, ct).ConfigureAwait(false);
        });

    private static Task<IResult> WithAuthKey(HttpContext http, ControlService svc, string tailnet, string id, bool write, Func<ApiKeyRecord, AuthKeyRecord, CancellationToken, Task<IResult>> work) =>
        WithTailnet(http, svc, tailnet, write, async (key, ct) =>
        {
            if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var keyId))
            {
                return Problem(400, $"key id '{id}' is not a number");
            }

            var k = await svc.Store.GetAuthKeyAsync(keyId, ct).ConfigureAwait(false);
            return k is null || k.TailnetId != key.TailnetId ? Problem(404, $"key {id} not found") : await work(key, k, ct).ConfigureAwait(false);
        });

    private static async Task<(ApiKeyRecord? Key, IResult? Problem)> AuthenticateAsync(HttpContext http, ControlService svc, bool write, CancellationToken ct)
    {
        var header = http.Request.Headers.Authorization.ToString();
        const string Bearer = "Bearer ";
        if (!header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return (null, Problem(401, "missing bearer API key"));
        }

        var key = await svc.Store.AuthenticateApiKeyAsync(header[Bearer.Length..].Trim(), svc.Time.GetUtcNow(), ct).ConfigureAwait(false);
        if (key is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            return (null, Problem(401, "API key unknown or expired"));
        }

        if (write)
        {
            var user = await svc.Store.GetUserAsync(key.UserId, ct).ConfigureAwait(false);
            if (!PolicyRoles.IsAdmin(user?.Role))
            {
                return (null, Problem(403, "changes need an API key of an owner or admin"));
            }
        }

        return (key, null);
    }

    private static async Task<T?> ReadAsync<T>(HttpContext http, JsonTypeInfo<T> type, CancellationToken ct)
        where T : class
    {
        var text = await ReadTextAsync(http, ct).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(text, type);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The body as text, or null when it is larger than <see cref="MaxBody"/>.</summary>
    private static async Task<string?> ReadTextAsync(HttpContext http, CancellationToken ct)
    {
        using var reader = new StreamReader(http.Request.Body);
        var buffer = new char[MaxBody + 1];
        var total = 0;
        int read;
        while ((read = await reader.ReadAsync(buffer.AsMemory(total), ct).ConfigureAwait(false)) > 0)
        {
            total += read;
            if (total > MaxBody)
            {
                return null;
            }
        }

        return new string(buffer, 0, total);
    }

    private static IResult Json<T>(T value, JsonTypeInfo<T> type) => Results.Json(value, type);

    private static IResult Problem(int status, string detail) => Results.Problem(statusCode: status, detail: detail);

    private static ApiDevice Device(NodeRecord n, UserRecord? user) => new(
        n.Id.ToString(CultureInfo.InvariantCulture), n.Name, Weft.Control.Map.NetmapBuilder.ParseHostInfo(n.HostInfo).Hostname, user?.Login,
        [n.IPv4.ToString(), n.IPv6.ToString()], n.Tags, n.NodeKey, n.Authorized, n.Created, n.LastSeen, n.KeyExpiry, n.KeyExpiry is null, n.Ephemeral);

    private static ApiAuthKey AuthKey(AuthKeyRecord k, string? secret) => new(
        k.Id.ToString(CultureInfo.InvariantCulture), secret, k.Reusable, k.Ephemeral, k.Preauthorized, k.Tags, k.Created, k.Expires, k.Uses);
}
