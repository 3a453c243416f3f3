using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Weft.Control.Storage;

namespace Weft.Control.Api;

/// <summary>
/// Tailscale-shaped DNS endpoints (nameservers, search paths, preferences, split DNS), each changing one
/// part of the settings that GET/POST tailnet/{t}/dns handle whole. Changes reach nodes through the map stream.
/// </summary>
internal static partial class ApiEndpoints
{
    private static void MapDns(RouteGroupBuilder api)
    {
        MapDnsPart(api, "nameservers", ApiJsonContext.Default.ApiNameservers,
            d => new ApiNameservers(d.Nameservers), (d, b) => b.Dns is null ? null : d with { Nameservers = b.Dns });
        MapDnsPart(api, "searchpaths", ApiJsonContext.Default.ApiSearchPaths,
            d => new ApiSearchPaths(d.SearchPaths), (d, b) => b.SearchPaths is null ? null : d with { SearchPaths = b.SearchPaths });
        MapDnsPart(api, "preferences", ApiJsonContext.Default.ApiDnsPreferences,
            d => new ApiDnsPreferences(d.MagicDns), (d, b) => d with { MagicDns = b.MagicDns });
        MapDnsPart(api, "split-dns", ApiJsonContext.Default.IReadOnlyDictionaryStringIReadOnlyListString,
            d => d.SplitDns, (d, b) => d with { SplitDns = b });
    }

    /// <summary>GET and POST tailnet/{t}/dns/<paramref name="part"/>: read one part, or replace it (null from <paramref name="apply"/> means a bad body).</summary>
    private static void MapDnsPart<T>(RouteGroupBuilder api, string part, JsonTypeInfo<T> type, Func<DnsSettings, T> read, Func<DnsSettings, T, DnsSettings?> apply)
        where T : class
    {
        api.MapGet($"/tailnet/{{tailnet}}/dns/{part}", (HttpContext http, string tailnet, ControlService svc) =>
            WithTailnet(http, svc, tailnet, write: false, async (key, ct) =>
                Json(read(DnsSettings.FromJson(await svc.Store.GetDnsAsync(key.TailnetId, ct).ConfigureAwait(false))), type)))
            .Returns<T>();
        api.MapPost($"/tailnet/{{tailnet}}/dns/{part}", (HttpContext http, string tailnet, ControlService svc) =>
            WithTailnet(http, svc, tailnet, write: true, async (key, ct) =>
            {
                var body = await ReadAsync(http, type, ct).ConfigureAwait(false);
                var current = DnsSettings.FromJson(await svc.Store.GetDnsAsync(key.TailnetId, ct).ConfigureAwait(false));
                if (body is null || apply(current, body) is not { } changed)
                {
                    return Problem(400, $"body is not valid JSON for dns/{part}");
                }

                if (CheckDns(changed) is { } problem)
                {
                    return Problem(400, problem);
                }

                await svc.SetDnsAsync(key.TailnetId, changed, ct).ConfigureAwait(false);
                return Json(read(changed), type);
            }))
            .Takes<T>()
            .Returns<T>();
    }
}
