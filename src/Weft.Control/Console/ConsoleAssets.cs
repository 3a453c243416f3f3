using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Weft.Control.Console;

/// <summary>
/// Serves the console's browser files (Blazor's script, MudBlazor's stylesheet and script) from resources
/// embedded in this assembly, so one `weft` executable is the whole server with no wwwroot to ship.
/// </summary>
internal static class ConsoleAssets
{
    /// <summary>Cached by browsers for a day; the files change only with a new build of the server.</summary>
    private const string CacheControl = "public, max-age=86400";

    private static readonly (string Route, string Resource, string ContentType)[] Files =
    [
        ("/_framework/blazor.web.js", "console/blazor.web.js", "text/javascript"),
        ("/console/MudBlazor.min.css", "console/MudBlazor.min.css", "text/css"),
        ("/console/MudBlazor.min.js", "console/MudBlazor.min.js", "text/javascript"),
    ];

    public static void Map(IEndpointRouteBuilder app)
    {
        var assembly = typeof(ConsoleAssets).Assembly;
        foreach (var (route, resource, contentType) in Files)
        {
            var bytes = Read(assembly, resource);
            app.MapGet(route, (HttpContext http) =>
            {
                http.Response.Headers.CacheControl = CacheControl;
                return Results.Bytes(bytes, contentType + "; charset=utf-8");
            });
        }
    }

    private static byte[] Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"console asset {name} is not embedded in {assembly.GetName().Name}");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
