using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Weft.Node.LocalApi;

namespace Weft.Node.Web;

/// <summary>
/// `weft web`: the device's own client UI. A small Kestrel server on loopback serves one page (HTML, CSS and
/// script compiled into the assembly, nothing from the internet) and a JSON API that forwards to the daemon
/// through <see cref="LocalApiClient"/> only; it never touches the tunnel itself.
/// </summary>
public sealed partial class WebServer : IAsyncDisposable
{
    /// <summary>Our choice: the page's requests are a few dozen bytes.</summary>
    private const long MaxRequestBody = 16 * 1024;

    private readonly WebApplication _app;
    private readonly LocalApiClient _api;

    private WebServer(WebApplication app, LocalApiClient api)
    {
        _app = app;
        _api = api;
    }

    /// <summary>The page's URL ("http://127.0.0.1:8088/"), with the port actually bound.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>Requests refused by the Host, Origin or token checks.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    private long _refused;

    /// <summary>Starts serving on <paramref name="listen"/> (loopback only) for the daemon on <paramref name="socketPath"/>.</summary>
    public static async Task<WebServer> StartAsync(IPEndPoint listen, string socketPath, ILoggerFactory loggers, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(loggers);
        if (!IPAddress.IsLoopback(listen.Address))
        {
            throw new ArgumentException($"the web UI listens on loopback only, not {listen}", nameof(listen));
        }

        var logger = loggers.CreateLogger("Weft.Web");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = MaxRequestBody;
            kestrel.AddServerHeader = false;
            kestrel.Listen(listen);
        });
        var app = builder.Build();
        // Status every few seconds from the page: a short timeout keeps a hung daemon from piling up requests.
        var api = new LocalApiClient(socketPath, TimeSpan.FromSeconds(10));
        var guard = new WebGuard();
        var server = new WebServer(app, api);
        app.Use(async (context, next) =>
        {
            var response = context.Response;
            response.Headers.CacheControl = "no-store";
            response.Headers.XContentTypeOptions = "nosniff";
            response.Headers["Referrer-Policy"] = "no-referrer";
            // No framing (clickjacking) and nothing loaded from anywhere but this server.
            response.Headers.XFrameOptions = "DENY";
            response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

            var request = context.Request;
            if (!WebGuard.IsLoopbackHost(request.Host.Value, context.Connection.LocalPort))
            {
                server.Refuse(logger, "foreign Host", request);
                await WriteErrorAsync(context, StatusCodes.Status403Forbidden,
                    $"this page is served for localhost only; Host '{request.Host.Value}' refused (DNS rebinding guard)").ConfigureAwait(false);
                return;
            }

            var isApi = request.Path.StartsWithSegments("/api", StringComparison.Ordinal);
            if (isApi && (!WebGuard.IsSameOrigin(request) || !guard.HasToken(request)))
            {
                server.Refuse(logger, "missing or wrong token", request);
                await WriteErrorAsync(context, StatusCodes.Status403Forbidden,
                    "missing or wrong token: reload the page (the token changes each time `weft web` starts)").ConfigureAwait(false);
                return;
            }

            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (LocalApiException ex)
            {
                Log.DaemonError(logger, request.Method, request.Path, ex.Message);
                // The daemon's 4xx are the user's to fix and keep their status; unreachable or 5xx is a bad gateway.
                var status = ex.Status is >= 400 and < 500 ? ex.Status : StatusCodes.Status502BadGateway;
                await WriteErrorAsync(context, status, ex.Message).ConfigureAwait(false);
            }
            catch (JsonException ex)
            {
                await WriteErrorAsync(context, StatusCodes.Status400BadRequest, $"request body is not valid JSON: {ex.Message}").ConfigureAwait(false);
            }
            catch (BadHttpRequestException ex)
            {
                await WriteErrorAsync(context, ex.StatusCode, ex.Message).ConfigureAwait(false);
            }
        });
        MapEndpoints(app, api, guard);
        await app.StartAsync(ct).ConfigureAwait(false);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Address = new Uri(bound.TrimEnd('/') + "/");
        Log.Listening(logger, server.Address);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _api.Dispose();
    }

    private void Refuse(ILogger logger, string reason, HttpRequest request)
    {
        Interlocked.Increment(ref _refused);
        Log.Refused(logger, reason, request.Method, request.Path, request.Host.Value ?? "");
    }

    private static void MapEndpoints(WebApplication app, LocalApiClient api, WebGuard guard)
    {
        var json = WebJsonContext.Default;
        app.MapGet("/", context =>
        {
            // Lax would send the cookie on a top-level navigation from another site; Strict never does.
            context.Response.Cookies.Append(WebGuard.CookieName, guard.Token, new CookieOptions
            {
                SameSite = SameSiteMode.Strict,
                Path = "/",
                // The page's script must read it to echo it; the Host check and CSP keep other origins out.
                HttpOnly = false,
                IsEssential = true,
            });
            return WriteTextAsync(context, WebAssets.Html, "text/html; charset=utf-8");
        });
        app.MapGet("/app.css", context => WriteTextAsync(context, WebAssets.Css, "text/css; charset=utf-8"));
        app.MapGet("/app.js", context => WriteTextAsync(context, WebAssets.Script, "text/javascript; charset=utf-8"));
        app.MapGet("/favicon.ico", context =>
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return Task.CompletedTask;
        });

        app.MapGet("/api/state", async context =>
        {
            var ct = context.RequestAborted;
            var status = api.GetStatusAsync(ct);
            var prefs = api.GetPrefsAsync(ct);
            var profiles = api.GetProfilesAsync(ct);
            await WriteAsync(context, new WebState { Status = await status.ConfigureAwait(false), Prefs = await prefs.ConfigureAwait(false), Profiles = await profiles.ConfigureAwait(false) }, json.WebState)
                .ConfigureAwait(false);
        });
        app.MapPost("/api/up", async context =>
        {
            var request = await ReadAsync(context, json.WebUpRequest).ConfigureAwait(false);
            var answer = await api.UpAsync(new UpRequest { ForceReauth = request.ForceReauth }, context.RequestAborted).ConfigureAwait(false);
            await WriteAsync(context, answer, json.UpResponse).ConfigureAwait(false);
        });
        app.MapPost("/api/down", context => api.DownAsync(context.RequestAborted));
        app.MapPost("/api/logout", context => api.LogoutAsync(context.RequestAborted));
        app.MapPost("/api/switch", async context =>
        {
            var request = await ReadAsync(context, json.SwitchRequest).ConfigureAwait(false);
            if (string.IsNullOrWhiteSpace(request.Profile))
            {
                await WriteErrorAsync(context, StatusCodes.Status400BadRequest, "switch needs a profile").ConfigureAwait(false);
                return;
            }

            await api.SwitchAsync(request.Profile, context.RequestAborted).ConfigureAwait(false);
        });
        app.MapPost("/api/prefs", async context =>
        {
            var request = await ReadAsync(context, json.WebPrefsRequest).ConfigureAwait(false);
            var prefs = await api.PatchPrefsAsync(new PrefsPatch { AcceptDns = request.AcceptDns }, context.RequestAborted).ConfigureAwait(false);
            await WriteAsync(context, prefs, json.Prefs).ConfigureAwait(false);
        });
        app.MapFallback(context => WriteErrorAsync(context, StatusCodes.Status404NotFound, $"no such page: {context.Request.Method} {context.Request.Path}"));
    }

    private static async Task<T> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> type)
    {
        if (context.Request.ContentLength is 0 or null && !context.Request.Headers.TransferEncoding.Any())
        {
            throw new BadHttpRequestException("request body is empty; send JSON");
        }

        return await JsonSerializer.DeserializeAsync(context.Request.Body, type, context.RequestAborted).ConfigureAwait(false)
            ?? throw new BadHttpRequestException("request body is null; send a JSON object");
    }

    private static Task WriteAsync<T>(HttpContext context, T value, JsonTypeInfo<T> type)
    {
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, value, type, context.RequestAborted);
    }

    private static Task WriteTextAsync(HttpContext context, string text, string contentType)
    {
        context.Response.ContentType = contentType;
        return context.Response.WriteAsync(text, context.RequestAborted);
    }

    private static Task WriteErrorAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        return WriteAsync(context, new ErrorResponse { Error = message }, WebJsonContext.Default.ErrorResponse);
    }
}
