using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Weft.Control.Identity;
using Weft.Control.Storage;

namespace Weft.Control.Api;

/// <summary>Device settings: machine name, key expiry on/off, subnet routes.</summary>
internal static partial class ApiEndpoints
{
    private static void MapDevices(RouteGroupBuilder api)
    {
        api.MapPost("/device/{id}/name", (HttpContext http, string id, ControlService svc) =>
            WithDevice(http, svc, id, write: true, async (_, node, ct) =>
            {
                var body = await ReadAsync(http, ApiJsonContext.Default.ApiName, ct).ConfigureAwait(false);
                if (body?.Name is not { } name || !MachineName.IsValid(name))
                {
                    return Problem(400, $"body must be {{\"name\": \"...\"}} with a DNS label: lower-case letters, digits and inner hyphens, at most {ControlConstants.MaxMachineNameLength} characters");
                }

                var renamed = node with { Name = name };
                try
                {
                    await svc.UpdateNodeAsync(renamed, ct).ConfigureAwait(false);
                }
                catch (InvalidOperationException)
                {
                    return Problem(409, $"machine name '{name}' is taken in this tailnet");
                }

                return Json(Device(renamed, await svc.Store.GetUserAsync(node.UserId, ct).ConfigureAwait(false)), ApiJsonContext.Default.ApiDevice);
            }))
            .Takes<ApiName>()
            .Returns<ApiDevice>();
        api.MapPost("/device/{id}/key", (HttpContext http, string id, ControlService svc) =>
            WithDevice(http, svc, id, write: true, async (_, node, ct) =>
            {
                var body = await ReadAsync(http, ApiJsonContext.Default.ApiKeyExpiry, ct).ConfigureAwait(false);
                if (body is null)
                {
                    return Problem(400, "body must be {\"keyExpiryDisabled\": true|false}");
                }

                DateTimeOffset? expiry = null;
                if (!body.KeyExpiryDisabled)
                {
                    // Turning expiry back on starts a fresh key lifetime of the tailnet's length.
                    var tailnet = await svc.Store.GetTailnetAsync(node.TailnetId, ct).ConfigureAwait(false);
                    expiry = node.KeyExpiry ?? (tailnet is { KeyExpiryDays: > 0 } t ? svc.Time.GetUtcNow().AddDays(t.KeyExpiryDays) : null);
                }

                var updated = node with { KeyExpiry = expiry };
                await svc.UpdateNodeAsync(updated, ct).ConfigureAwait(false);
                return Json(Device(updated, await svc.Store.GetUserAsync(node.UserId, ct).ConfigureAwait(false)), ApiJsonContext.Default.ApiDevice);
            }))
            .Takes<ApiKeyExpiry>()
            .Returns<ApiDevice>();
        api.MapGet("/device/{id}/routes", (HttpContext http, string id, ControlService svc) =>
            WithDevice(http, svc, id, write: false, async (_, node, ct) =>
                Json(Routes(await RoutesOfAsync(svc, node, ct).ConfigureAwait(false)), ApiJsonContext.Default.ApiRoutes)))
            .Returns<ApiRoutes>();
        api.MapPost("/device/{id}/routes", (HttpContext http, string id, ControlService svc) =>
            WithDevice(http, svc, id, write: true, async (_, node, ct) =>
            {
                var body = await ReadAsync(http, ApiJsonContext.Default.ApiSetRoutes, ct).ConfigureAwait(false);
                if (body?.Routes is null)
                {
                    return Problem(400, "body must be {\"routes\": [\"10.0.0.0/24\", ...]}");
                }

                var current = await RoutesOfAsync(svc, node, ct).ConfigureAwait(false);
                var enabled = new List<string>(body.Routes.Count);
                foreach (var text in body.Routes)
                {
                    if (!IPNetwork.TryParse(text, out var route))
                    {
                        return Problem(400, $"route '{text}' is not a CIDR prefix");
                    }

                    // Stored in canonical form, the form nodes advertise in.
                    var canonical = route.ToString();
                    if (!current.Advertised.Contains(canonical))
                    {
                        return Problem(400, $"route '{text}' is not advertised by device {id}");
                    }

                    if (!enabled.Contains(canonical))
                    {
                        enabled.Add(canonical);
                    }
                }

                var routes = current with { Approved = enabled };
                await svc.SetRoutesAsync(node, routes, ct).ConfigureAwait(false);
                return Json(Routes(routes), ApiJsonContext.Default.ApiRoutes);
            }))
            .Takes<ApiSetRoutes>()
            .Returns<ApiRoutes>();
    }

    private static async Task<NodeRoutes> RoutesOfAsync(ControlService svc, NodeRecord node, CancellationToken ct) =>
        (await svc.Store.ListRoutesAsync(node.TailnetId, ct).ConfigureAwait(false)).GetValueOrDefault(node.Id) ?? NodeRoutes.None;

    private static ApiRoutes Routes(NodeRoutes r) => new(r.Advertised, r.Approved);
}
