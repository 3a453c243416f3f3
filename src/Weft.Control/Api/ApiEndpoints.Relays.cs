using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Weft.Control.Relays;

namespace Weft.Control.Api;

/// <summary>
/// The server's relay map, for server admins (owners and admins of the first tailnet): read it, replace it with an
/// override kept in the database (every replica uses it, every connected node gets it at once), or go back to the config's.
/// </summary>
internal static partial class ApiEndpoints
{
    private static void MapRelays(RouteGroupBuilder api)
    {
        api.MapGet("/relaymap", (HttpContext http, ControlService svc) =>
            WithServerAdmin(http, svc, _ => Task.FromResult(Json(RelayMapOf(svc), ApiJsonContext.Default.ApiRelayMap))))
            .Returns<ApiRelayMap>();
        api.MapPut("/relaymap", (HttpContext http, ControlService svc) =>
            WithServerAdmin(http, svc, async ct =>
            {
                var text = await ReadTextAsync(http, ct).ConfigureAwait(false);
                if (text is null)
                {
                    return Problem(413, $"relay map larger than {MaxBody} bytes");
                }

                if (string.IsNullOrWhiteSpace(text))
                {
                    return Problem(400, "body must be {\"embedded\": true|false, \"regions\": [{\"id\": 1, \"code\": \"...\", \"relays\": [{\"url\": \"https://...\"}]}]}");
                }

                var problems = await svc.SetRelayMapJsonAsync(text, ct).ConfigureAwait(false);
                return problems.Count > 0
                    ? Results.Problem(statusCode: 400, title: "relay map rejected", detail: string.Join("; ", problems))
                    : Json(RelayMapOf(svc), ApiJsonContext.Default.ApiRelayMap);
            }))
            .Takes<RelayMapOverride>()
            .Returns<ApiRelayMap>();
        api.MapDelete("/relaymap", (HttpContext http, ControlService svc) =>
            WithServerAdmin(http, svc, async ct =>
            {
                await svc.SetRelayMapAsync(null, ct).ConfigureAwait(false);
                return Json(RelayMapOf(svc), ApiJsonContext.Default.ApiRelayMap);
            }))
            .Returns<ApiRelayMap>();
    }

    private static ApiRelayMap RelayMapOf(ControlService svc)
    {
        var editable = svc.EditableRelayMap();
        return new ApiRelayMap(editable.Embedded, editable.Regions ?? [], svc.RelayMapOverride is null ? "config" : "database",
            svc.EmbeddedRelayRegionId, svc.RelayMap ?? new Weft.Core.Control.RelayMap());
    }
}
