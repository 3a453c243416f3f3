using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Weft.Control.Identity;
using Weft.Control.Storage;
using Weft.Policy;

namespace Weft.Control.Api;

/// <summary>
/// Tailnet settings and users: the default key lifetime, users added by admins, and, for server admins
/// (owners and admins of the server's first tailnet), named tailnets and placing identities by email domain.
/// </summary>
internal static partial class ApiEndpoints
{
    private static void MapTailnets(RouteGroupBuilder api)
    {
        api.MapGet("/tailnet/{tailnet}/settings", (HttpContext http, string tailnet, ControlService svc) =>
            WithTailnet(http, svc, tailnet, write: false, async (key, ct) =>
                Json(Settings((await svc.Store.GetTailnetAsync(key.TailnetId, ct).ConfigureAwait(false))!), ApiJsonContext.Default.ApiTailnetSettings)))
            .Returns<ApiTailnetSettings>();
        api.MapPatch("/tailnet/{tailnet}/settings", (HttpContext http, string tailnet, ControlService svc) =>
            WithTailnet(http, svc, tailnet, write: true, async (key, ct) =>
            {
                var body = await ReadAsync(http, ApiJsonContext.Default.ApiTailnetSettings, ct).ConfigureAwait(false);
                if (body is null || (body.DevicesKeyDurationDays is null && body.Name is null && body.Domain is null))
                {
                    return Problem(400, $"body must set at least one of {{\"devicesKeyDurationDays\": 0..{ControlConstants.MaxKeyExpiryDays}, \"name\": \"...\", \"domain\": \"...\"}}");
                }

                if (body.DevicesKeyDurationDays is < 0 or > ControlConstants.MaxKeyExpiryDays)
                {
                    return Problem(400, $"devicesKeyDurationDays must be between 0 (keys never expire) and {ControlConstants.MaxKeyExpiryDays}, not {body.DevicesKeyDurationDays}");
                }

                if (body.Name is not null && ControlService.TailnetNameProblem(body.Name) is { } badName)
                {
                    return Problem(400, badName);
                }

                if (body.Domain is not null && ControlService.TailnetDomainProblem(body.Domain) is { } badDomain)
                {
                    return Problem(400, badDomain);
                }

                if (body.Name is not null || body.Domain is not null)
                {
                    var current = (await svc.Store.GetTailnetAsync(key.TailnetId, ct).ConfigureAwait(false))!;
                    if (await svc.RenameTailnetAsync(key.TailnetId, body.Name ?? current.Name, body.Domain, ct).ConfigureAwait(false) == TailnetRename.NameTaken)
                    {
                        return Problem(409, $"another tailnet is named '{body.Name}'");
                    }
                }

                if (body.DevicesKeyDurationDays is { } days)
                {
                    await svc.SetKeyExpiryDaysAsync(key.TailnetId, days, ct).ConfigureAwait(false);
                }

                return Json(Settings((await svc.Store.GetTailnetAsync(key.TailnetId, ct).ConfigureAwait(false))!), ApiJsonContext.Default.ApiTailnetSettings);
            }))
            .Returns<ApiTailnetSettings>()
            .Takes<ApiTailnetSettings>()
            .ProducesProblem(StatusCodes.Status409Conflict);
        api.MapPost("/tailnet/{tailnet}/users", (HttpContext http, string tailnet, ControlService svc) =>
            WithTailnet(http, svc, tailnet, write: true, async (key, ct) =>
            {
                var body = await ReadAsync(http, ApiJsonContext.Default.ApiNewUser, ct).ConfigureAwait(false);
                var role = (body?.Role ?? PolicyRoles.Member).ToLowerInvariant();
                if (body?.LoginName is not { Length: > 0 and <= 254 } login || role is not (PolicyRoles.Owner or PolicyRoles.Admin or PolicyRoles.Member))
                {
                    return Problem(400, "body must be {\"loginName\": \"...\", \"displayName\": \"...\", \"role\": \"owner\"|\"admin\"|\"member\"}");
                }

                var caller = await svc.Store.GetUserAsync(key.UserId, ct).ConfigureAwait(false);
                if (role == PolicyRoles.Owner && caller?.Role != PolicyRoles.Owner)
                {
                    return Problem(403, "only an owner may add an owner");
                }

                var user = await svc.CreateUserAsync(key.TailnetId, login, body.DisplayName ?? login, role, ct).ConfigureAwait(false);
                return user is null ? Problem(409, $"user '{login}' already exists in this tailnet") : Json(User(user), ApiJsonContext.Default.ApiUser);
            }))
            .Returns<ApiUser>()
            .Takes<ApiNewUser>();
        api.MapGet("/tailnets", (HttpContext http, ControlService svc) =>
            WithServerAdmin(http, svc, async ct =>
            {
                var list = new List<ApiTailnet>();
                foreach (var t in await svc.Store.ListTailnetsAsync(ct).ConfigureAwait(false))
                {
                    list.Add(Tailnet(t));
                }

                return Json(new ApiTailnetList(list), ApiJsonContext.Default.ApiTailnetList);
            }))
            .Returns<ApiTailnetList>();
        api.MapPost("/tailnets", (HttpContext http, ControlService svc) =>
            WithServerAdmin(http, svc, async ct =>
            {
                var body = await ReadAsync(http, ApiJsonContext.Default.ApiNewTailnet, ct).ConfigureAwait(false);
                if (body?.Name is not { } name || !MachineName.IsValid(name))
                {
                    return Problem(400, "body must be {\"name\": \"...\"} with a DNS-safe name (lower-case letters, digits, dashes)");
                }

                var (tailnet, created) = await svc.EnsureTailnetAsync(name, ct).ConfigureAwait(false);
                return Results.Json(Tailnet(tailnet), ApiJsonContext.Default.ApiTailnet, statusCode: created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
            }))
            .Returns<ApiTailnet>()
            .Produces<ApiTailnet>(StatusCodes.Status201Created)
            .Takes<ApiNewTailnet>();
        api.MapPost("/users", (HttpContext http, ControlService svc) =>
            WithServerAdmin(http, svc, async ct =>
            {
                var body = await ReadAsync(http, ApiJsonContext.Default.ApiPlaceUser, ct).ConfigureAwait(false);
                if (body?.LoginName is not { } login || await svc.PlaceUserAsync(login, body.DisplayName, ct).ConfigureAwait(false) is not { } placed)
                {
                    return Problem(400, "body must be {\"loginName\": \"user@domain\"} with an email address");
                }

                var tailnet = await svc.Store.GetTailnetAsync(placed.User.TailnetId, ct).ConfigureAwait(false);
                return Json(new ApiPlacedUser(User(placed.User), tailnet!.Name, placed.Created), ApiJsonContext.Default.ApiPlacedUser);
            }))
            .Returns<ApiPlacedUser>()
            .Takes<ApiPlaceUser>();
    }

    /// <summary>Runs <paramref name="work"/> for a server admin: an owner or admin of the server's first tailnet, whose key acts beyond its tailnet.</summary>
    private static Task<IResult> WithServerAdmin(HttpContext http, ControlService svc, Func<CancellationToken, Task<IResult>> work) =>
        WithTailnet(http, svc, "-", write: true, async (key, ct) =>
        {
            var tailnets = await svc.Store.ListTailnetsAsync(ct).ConfigureAwait(false);
            return tailnets.Count == 0 || tailnets[0].Id != key.TailnetId
                ? Problem(403, "this needs an API key of an owner or admin of the server's first tailnet")
                : await work(ct).ConfigureAwait(false);
        });

    private static ApiTailnetSettings Settings(TailnetRecord t) => new(t.KeyExpiryDays, t.Name, t.Domain);

    private static ApiTailnet Tailnet(TailnetRecord t) => new(Id(t.Id), t.Name, t.Domain, t.KeyExpiryDays, t.Created);
}
