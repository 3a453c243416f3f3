using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Weft.Control.Map;
using Weft.Control.Storage;
using Weft.Policy;

namespace Weft.Control.Api;

/// <summary>Tailnet administration: DNS, users and roles, API keys, policy history and preview.</summary>
internal static partial class ApiEndpoints
{
    /// <summary>Longest DNS name (RFC 1035) accepted as a search path or split-DNS suffix.</summary>
    private const int MaxDnsName = 253;

    private static void MapAdmin(RouteGroupBuilder api)
    {
        api.MapGet("/tailnet/{tailnet}/dns", (HttpContext http, string tailnet, ControlService svc) =>
            WithTailnet(http, svc, tailnet, write: false, async (key, ct) =>
                Json(DnsSettings.FromJson(await svc.Store.GetDnsAsync(key.TailnetId, ct).ConfigureAwait(false)), ApiJsonContext.Default.DnsSettings)))
            .Returns<DnsSettings>();
        api.MapPost("/tailnet/{tailnet}/dns", (HttpContext http, string tailnet, ControlService svc) =>
            WithTailnet(http, svc, tailnet, write: true, async (key, ct) =>
            {
                var body = await ReadAsync(http, ApiJsonContext.Default.DnsSettings, ct).ConfigureAwait(false);
                if (body is null)
                {
                    return Problem(400, "body must be {\"magicDns\": bool, \"nameservers\": [ip], \"searchPaths\": [domain], \"splitDns\": {domain: [ip]}}");
                }

                var problem = CheckDns(body);
                if (problem is not null)
                {
                    return Problem(400, problem);
                }

                await svc.SetDnsAsync(key.TailnetId, body, ct).ConfigureAwait(false);
                return Json(body, ApiJsonContext.Default.DnsSettings);
            }))
            .Takes<DnsSettings>()
            .Returns<DnsSettings>();
        api.MapGet("/tailnet/{tailnet}/users", (HttpContext http, string tailnet, ControlService svc) =>
            WithTailnet(http, svc, tailnet, write: false, async (key, ct) =>
            {
                var users = await svc.Store.ListUsersAsync(key.TailnetId, ct).ConfigureAwait(false);
                var list = new List<ApiUser>(users.Count);
                foreach (var u in users)
                {
                    list.Add(User(u));
                }

                return Json(new ApiUserList(list), ApiJsonContext.Default.ApiUserList);
            }))
            .Returns<ApiUserList>();
        api.MapPost("/users/{id}/role", (HttpContext http, string id, ControlService svc) =>
            WithTailnet(http, svc, "-", write: true, async (key, ct) =>
            {
                if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var userId)
                    || await svc.Store.GetUserAsync(userId, ct).ConfigureAwait(false) is not { } user || user.TailnetId != key.TailnetId)
                {
                    return Problem(404, $"user {id} not found");
                }

                var body = await ReadAsync(http, ApiJsonContext.Default.ApiRole, ct).ConfigureAwait(false);
                var role = body?.Role?.ToLowerInvariant();
                if (role is not (PolicyRoles.Owner or PolicyRoles.Admin or PolicyRoles.Member))
                {
                    return Problem(400, "body must be {\"role\": \"owner\"|\"admin\"|\"member\"}");
                }

                var caller = await svc.Store.GetUserAsync(key.UserId, ct).ConfigureAwait(false);
                // Admins manage members and admins; only an owner makes or unmakes owners.
                if ((role == PolicyRoles.Owner || user.Role == PolicyRoles.Owner) && caller?.Role != PolicyRoles.Owner)
                {
                    return Problem(403, "only an owner may grant or remove the owner role");
                }

                if (user.Role == PolicyRoles.Owner && role != PolicyRoles.Owner)
                {
                    var owners = 0;
                    foreach (var u in await svc.Store.ListUsersAsync(key.TailnetId, ct).ConfigureAwait(false))
                    {
                        owners += u.Role == PolicyRoles.Owner ? 1 : 0;
                    }

                    if (owners <= 1)
                    {
                        return Problem(409, "the tailnet's last owner cannot lose the owner role");
                    }
                }

                await svc.SetUserRoleAsync(user, role, ct).ConfigureAwait(false);
                return Json(User(user with { Role = role }), ApiJsonContext.Default.ApiUser);
            }))
            .Takes<ApiRole>()
            .Returns<ApiUser>();
        api.MapDelete("/users/{id}", (HttpContext http, string id, ControlService svc) =>
            WithTailnet(http, svc, "-", write: true, async (key, ct) =>
            {
                // A user of another tailnet is answered like a missing one: ids must not leak across tailnets.
                if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var userId)
                    || await svc.Store.GetUserAsync(userId, ct).ConfigureAwait(false) is not { } user || user.TailnetId != key.TailnetId)
                {
                    return Problem(404, $"user {id} not found");
                }

                return await svc.RemoveUserAsync(user, ct).ConfigureAwait(false) switch
                {
                    UserRemoval.Removed => Results.Ok(),
                    UserRemoval.IsOwner => Problem(409, $"user {user.Login} is an owner; an owner must make them admin or member before they can be removed"),
                    _ => Problem(404, $"user {id} not found"),
                };
            }))
            .ReturnsNothing()
            .ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/tailnet/{tailnet}/apikeys", (HttpContext http, string tailnet, ControlService svc) =>
            WithTailnet(http, svc, tailnet, write: true, async (key, ct) =>
            {
                var keys = await svc.Store.ListApiKeysAsync(key.TailnetId, ct).ConfigureAwait(false);
                var list = new List<ApiApiKey>(keys.Count);
                foreach (var k in keys)
                {
                    list.Add(ApiKey(k, null));
                }

                return Json(new ApiApiKeyList(list), ApiJsonContext.Default.ApiApiKeyList);
            }))
            .Returns<ApiApiKeyList>();
        api.MapPost("/tailnet/{tailnet}/apikeys", (HttpContext http, string tailnet, ControlService svc) =>
            WithTailnet(http, svc, tailnet, write: true, async (key, ct) =>
            {
                var body = await ReadAsync(http, ApiJsonContext.Default.ApiApiKeyRequest, ct).ConfigureAwait(false) ?? new ApiApiKeyRequest(null);
                var max = (long)ControlConstants.MaxApiKeyLifetime.TotalSeconds;
                var min = (long)ControlConstants.MinApiKeyLifetime.TotalSeconds;
                var seconds = body.ExpirySeconds ?? max;
                if (seconds < min || seconds > max)
                {
                    return Problem(400, $"expirySeconds must be between {min} (1 day) and {max} (90 days)");
                }

                // The new key acts as the caller's user, so it can never hold more rights than the caller.
                var (created, secret) = await svc.Store.CreateApiKeyAsync(key.TailnetId, key.UserId, TimeSpan.FromSeconds(seconds), svc.Time.GetUtcNow(), ct).ConfigureAwait(false);
                return Json(ApiKey(created, secret), ApiJsonContext.Default.ApiApiKey);
            }))
            .Takes<ApiApiKeyRequest>()
            .Returns<ApiApiKey>();
        api.MapDelete("/tailnet/{tailnet}/apikeys/{id}", (HttpContext http, string tailnet, string id, ControlService svc) =>
            WithTailnet(http, svc, tailnet, write: true, async (key, ct) =>
            {
                if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var keyId))
                {
                    return Problem(400, $"key id '{id}' is not a number");
                }

                var keys = await svc.Store.ListApiKeysAsync(key.TailnetId, ct).ConfigureAwait(false);
                foreach (var k in keys)
                {
                    if (k.Id == keyId)
                    {
                        await svc.Store.DeleteApiKeyAsync(keyId, ct).ConfigureAwait(false);
                        return Results.Ok();
                    }
                }

                return Problem(404, $"API key {id} not found");
            }))
            .ReturnsNothing();
        api.MapGet("/tailnet/{tailnet}/acl/history", (HttpContext http, string tailnet, ControlService svc) =>
            WithTailnet(http, svc, tailnet, write: false, async (key, ct) =>
            {
                var versions = await svc.Store.ListPolicyHistoryAsync(key.TailnetId, ct).ConfigureAwait(false);
                var list = new List<ApiPolicyVersion>(versions.Count);
                foreach (var v in versions)
                {
                    list.Add(new ApiPolicyVersion(Id(v.Id), v.Created, v.UserId is { } u ? Id(u) : null, v.Text));
                }

                return Json(new ApiPolicyHistory(list), ApiJsonContext.Default.ApiPolicyHistory);
            }))
            .Returns<ApiPolicyHistory>();
        api.MapGet("/tailnet/{tailnet}/acl/preview", (HttpContext http, string tailnet, ControlService svc) =>
            WithTailnet(http, svc, tailnet, write: false, (key, ct) => PreviewAsync(http, svc, key, ct)))
            .Returns<ApiPreview>();
    }

    /// <summary>GET acl/preview?node=ID or ?user=LOGIN: what that node or user may reach under the current policy.</summary>
    private static async Task<IResult> PreviewAsync(HttpContext http, ControlService svc, ApiKeyRecord key, CancellationToken ct)
    {
        var map = await svc.MapAsync(key.TailnetId, ct).ConfigureAwait(false);
        var (policy, nodes) = map.Snapshot();
        var stored = await svc.Store.ListNodesAsync(key.TailnetId, ct).ConfigureAwait(false);
        var names = new Dictionary<long, string>(stored.Count);
        foreach (var n in stored)
        {
            names[n.Id] = n.Name;
        }

        string NameOf(long id) => names.GetValueOrDefault(id) ?? "";
        PolicyNode? subject = null;
        string label;
        if (http.Request.Query["node"].ToString() is { Length: > 0 } nodeText)
        {
            label = "node " + nodeText;
            if (long.TryParse(nodeText, NumberStyles.None, CultureInfo.InvariantCulture, out var nodeId))
            {
                subject = nodes.Find(n => n.Id == nodeId);
            }

            if (subject is null)
            {
                return Problem(404, $"device {nodeText} not found or not in the map (unauthorized or expired)");
            }
        }
        else if (http.Request.Query["user"].ToString() is { Length: > 0 } login)
        {
            label = "user " + login;
            var users = await svc.Store.ListUsersAsync(key.TailnetId, ct).ConfigureAwait(false);
            var user = users.FirstOrDefault(u => string.Equals(u.Login, login, StringComparison.OrdinalIgnoreCase));
            if (user is null)
            {
                return Problem(404, $"user '{login}' not found");
            }

            subject = PolicyPreview.UserPlaceholder(user.Login, user.Role);
        }
        else
        {
            return Problem(400, "give ?node=ID or ?user=LOGIN");
        }

        return Json(new ApiPreview(label, PolicyPreview.Reachable(policy, nodes, subject, NameOf)), ApiJsonContext.Default.ApiPreview);
    }

    /// <summary>A problem with DNS settings, or null when they are valid.</summary>
    private static string? CheckDns(DnsSettings dns)
    {
        foreach (var ns in dns.Nameservers ?? [])
        {
            if (!IPAddress.TryParse(ns, out _))
            {
                return $"nameserver '{ns}' is not an IP address";
            }
        }

        foreach (var path in dns.SearchPaths ?? [])
        {
            if (!IsDnsName(path))
            {
                return $"search path '{path}' is not a DNS name";
            }
        }

        foreach (var (suffix, servers) in dns.SplitDns ?? new Dictionary<string, IReadOnlyList<string>>())
        {
            if (!IsDnsName(suffix))
            {
                return $"split DNS suffix '{suffix}' is not a DNS name";
            }

            if (servers is null || servers.Count == 0)
            {
                return $"split DNS suffix '{suffix}' needs at least one nameserver";
            }

            foreach (var ns in servers)
            {
                if (!IPAddress.TryParse(ns, out _))
                {
                    return $"split DNS nameserver '{ns}' for '{suffix}' is not an IP address";
                }
            }
        }

        return null;
    }

    private static bool IsDnsName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxDnsName)
        {
            return false;
        }

        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-')
            {
                return false;
            }

            foreach (var c in label)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c == '-'))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);

    private static ApiUser User(UserRecord u) => new(Id(u.Id), u.Login, u.DisplayName, u.Role, u.Created);

    private static ApiApiKey ApiKey(ApiKeyRecord k, string? secret) => new(Id(k.Id), secret, Id(k.UserId), k.Created, k.Expires);
}
