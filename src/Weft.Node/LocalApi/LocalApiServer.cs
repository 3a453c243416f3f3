using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Weft.Node.LocalApi;

/// <summary>
/// The daemon's local API: HTTP/1.1 + JSON on a Unix socket (Kestrel), each connection checked with
/// SO_PEERCRED against the <see cref="LocalApiAuthorizer"/> before any endpoint runs.
/// </summary>
public sealed partial class LocalApiServer : IAsyncDisposable
{
    /// <summary>Key of the caller's credentials in the connection's items.</summary>
    private const string CredentialsItem = "weft.peercred";

    /// <summary>Our choice: no legitimate request body (up, prefs, ping) comes near this.</summary>
    private const long MaxRequestBody = 64 * 1024;

    private readonly WebApplication _app;
    private readonly string _socketPath;

    private LocalApiServer(WebApplication app, string socketPath)
    {
        _app = app;
        _socketPath = socketPath;
    }

    /// <summary>The socket the server listens on.</summary>
    public string SocketPath => _socketPath;

    /// <summary>Requests refused because the caller was not authorised.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    private long _refused;

    /// <summary>
    /// Starts listening on <paramref name="socketPath"/> (replacing a stale socket file, creating its directory),
    /// mode 0666: every connection is checked by uid, so the file mode is not the guard.
    /// </summary>
    public static async Task<LocalApiServer> StartAsync(string socketPath, ILocalBackend backend, LocalApiAuthorizer authorizer, ILogger logger, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(authorizer);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the local API listens on a Unix socket with SO_PEERCRED");
        }
        var directory = Path.GetDirectoryName(Path.GetFullPath(socketPath))!;
        Directory.CreateDirectory(directory);
        if (File.Exists(socketPath))
        {
            // A socket file left by a daemon killed with -9 would make bind fail: remove it, unless a live
            // daemon still answers on it (then this one must not steal its socket).
            if (await SomeoneListensAsync(socketPath, ct).ConfigureAwait(false))
            {
                throw new IOException($"another daemon is listening on {socketPath}; stop it or pass another --socket");
            }
            File.Delete(socketPath);
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = MaxRequestBody;
            kestrel.AddServerHeader = false;
            kestrel.ListenUnixSocket(socketPath, listen => listen.Use(next => connection =>
            {
                // Read once per connection: the kernel fixed these at connect().
                connection.Items[CredentialsItem] = PeerCredentials.Read(connection.Features.Get<IConnectionSocketFeature>()?.Socket);
                return next(connection);
            }));
        });
        var app = builder.Build();
        var server = new LocalApiServer(app, socketPath);
        app.Use(async (context, next) =>
        {
            var items = context.Features.Get<IConnectionItemsFeature>()?.Items;
            var caller = items is not null && items.TryGetValue(CredentialsItem, out var value) ? value as PeerCredentials? : null;
            if (!authorizer.IsAllowed(caller))
            {
                Interlocked.Increment(ref server._refused);
                LogRefused(logger, caller?.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown", caller?.Pid ?? 0, context.Request.Path);
                await WriteErrorAsync(context, StatusCodes.Status403Forbidden, "access denied: the local API answers root, the daemon's user and the --operator user only").ConfigureAwait(false);
                return;
            }
            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (LocalApiError ex)
            {
                await WriteErrorAsync(context, ex.StatusCode, ex.Message).ConfigureAwait(false);
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
        MapEndpoints(app, backend);
        await app.StartAsync(ct).ConfigureAwait(false);
        File.SetUnixFileMode(socketPath,
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
        return server;
    }

    private static void MapEndpoints(WebApplication app, ILocalBackend backend)
    {
        var json = LocalApiJsonContext.Default;
        const string Prefix = "/localapi/v0/";
        app.MapGet(Prefix + "status", context => WriteAsync(context, backend.Status(), json.StatusResponse));
        app.MapPost(Prefix + "up", async context =>
        {
            var request = await ReadAsync(context, json.UpRequest).ConfigureAwait(false);
            await WriteAsync(context, await backend.UpAsync(request, context.RequestAborted).ConfigureAwait(false), json.UpResponse).ConfigureAwait(false);
        });
        app.MapPost(Prefix + "down", async context =>
        {
            await backend.DownAsync(context.RequestAborted).ConfigureAwait(false);
            context.Response.StatusCode = StatusCodes.Status200OK;
        });
        app.MapPost(Prefix + "logout", async context =>
        {
            await backend.LogoutAsync(context.RequestAborted).ConfigureAwait(false);
            context.Response.StatusCode = StatusCodes.Status200OK;
        });
        app.MapGet(Prefix + "profiles", context => WriteAsync(context, backend.Profiles(), json.IReadOnlyListProfileInfo));
        app.MapPost(Prefix + "switch", async context =>
        {
            var request = await ReadAsync(context, json.SwitchRequest).ConfigureAwait(false);
            if (string.IsNullOrWhiteSpace(request.Profile))
            {
                throw new LocalApiError(StatusCodes.Status400BadRequest, "switch needs a profile id or login");
            }
            await backend.SwitchAsync(request.Profile, context.RequestAborted).ConfigureAwait(false);
            context.Response.StatusCode = StatusCodes.Status200OK;
        });
        app.MapGet(Prefix + "prefs", context => WriteAsync(context, backend.GetPrefs(), json.Prefs));
        app.MapMethods(Prefix + "prefs", ["PATCH"], async context =>
        {
            var patch = await ReadAsync(context, json.PrefsPatch).ConfigureAwait(false);
            await WriteAsync(context, await backend.PatchPrefsAsync(patch, context.RequestAborted).ConfigureAwait(false), json.Prefs).ConfigureAwait(false);
        });
        app.MapGet(Prefix + "whois", context =>
        {
            var text = context.Request.Query["addr"].ToString();
            if (!TryParseAddress(text, out var address))
            {
                throw new LocalApiError(StatusCodes.Status400BadRequest, $"whois needs addr=IP or addr=IP:port, not '{text}'");
            }
            var answer = backend.WhoIs(address) ?? throw new LocalApiError(StatusCodes.Status404NotFound, $"no node in the tailnet has address {address}");
            return WriteAsync(context, answer, json.WhoIsResponse);
        });
        app.MapPost(Prefix + "ping", async context =>
        {
            var request = await ReadAsync(context, json.PingRequest).ConfigureAwait(false);
            if (string.IsNullOrWhiteSpace(request.Target) || request.Count is < 1 or > 100)
            {
                throw new LocalApiError(StatusCodes.Status400BadRequest, "ping needs a target and a count from 1 to 100");
            }
            await WriteAsync(context, await backend.PingAsync(request, context.RequestAborted).ConfigureAwait(false), json.PingResponse).ConfigureAwait(false);
        });
        app.MapGet(Prefix + "version", context => WriteAsync(context, backend.Version(), json.VersionResponse));
        app.MapGet(Prefix + "netcheck", async context =>
            await WriteAsync(context, await backend.NetcheckAsync(context.RequestAborted).ConfigureAwait(false), json.NetcheckResponse).ConfigureAwait(false));
        app.MapFallback(context => WriteErrorAsync(context, StatusCodes.Status404NotFound, $"no local API endpoint {context.Request.Method} {context.Request.Path}"));
    }

    private static async Task<bool> SomeoneListensAsync(string socketPath, CancellationToken ct)
    {
        using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        try
        {
            await probe.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(socketPath), ct).ConfigureAwait(false);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    /// <summary>"100.64.0.1", "100.64.0.1:22", "fd7a::1", "[fd7a::1]:22".</summary>
    internal static bool TryParseAddress(string text, out IPAddress address)
    {
        if (IPAddress.TryParse(text, out address!))
        {
            return true;
        }
        if (IPEndPoint.TryParse(text, out var endpoint))
        {
            address = endpoint.Address;
            return true;
        }
        address = IPAddress.None;
        return false;
    }

    private static async Task<T> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> type)
    {
        if (context.Request.ContentLength is 0)
        {
            throw new LocalApiError(StatusCodes.Status400BadRequest, "request body is empty; send JSON");
        }
        return await JsonSerializer.DeserializeAsync(context.Request.Body, type, context.RequestAborted).ConfigureAwait(false)
            ?? throw new LocalApiError(StatusCodes.Status400BadRequest, "request body is null; send a JSON object");
    }

    private static Task WriteAsync<T>(HttpContext context, T value, JsonTypeInfo<T> type)
    {
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, value, type, context.RequestAborted);
    }

    private static Task WriteErrorAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        return WriteAsync(context, new ErrorResponse { Error = message }, LocalApiJsonContext.Default.ErrorResponse);
    }

    /// <summary>Stops listening and removes the socket file.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            File.Delete(_socketPath);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "local API: refused uid {Uid} (pid {Pid}) for {Path}")]
    private static partial void LogRefused(ILogger logger, string uid, int pid, PathString path);
}
