using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Weft.Control.Api;
using Weft.Control.Protocol;
using Weft.Control.Storage;
using Weft.Core.Control;
using Weft.Core.Crypto;
using Weft.Policy;

namespace Weft.Control.Hosting;

/// <summary>
/// The coordination server as one ASP.NET Core application: health and readiness, the control protocol
/// over a WebSocket at /control/v1, the REST API at /api/v2, and (unless turned off) a relay at /relay/v2 with a
/// STUN responder beside it. Its composition root.
/// </summary>
public sealed partial class ControlServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly IControlStore _store;

    private ControlServer(WebApplication app, IControlStore store, ControlService service, Key32 serverPublic)
    {
        _app = app;
        _store = store;
        Service = service;
        ServerPublic = serverPublic;
    }

    /// <summary>State changes shared by the protocol and the API.</summary>
    public ControlService Service { get; }

    /// <summary>The server's static public key (what clients pin).</summary>
    public Key32 ServerPublic { get; }

    /// <summary>The application's services (tests read the endpoint list from them).</summary>
    internal IServiceProvider Services => _app.Services;

    /// <summary>The URL Kestrel listens on (with the real port when the options asked for port 0).</summary>
    public Uri Address => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>
    /// Opens the data directory and the store (PostgreSQL when <see cref="ControlServerOptions.Postgres"/> is set,
    /// else SQLite there), creates the first tailnet and owner if the store is empty, and starts listening
    /// (HTTPS with the PEM files when given).
    /// </summary>
    public static async Task<ControlServer> StartAsync(ControlServerOptions options, Action<ILoggingBuilder>? logging = null, TimeProvider? time = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        Directory.CreateDirectory(options.DataDir);
        time ??= TimeProvider.System;
        var serverKey = ServerKey.LoadOrCreate(options.DataDir);
        IControlStore store = options.Postgres is { } pg
            ? await PostgresControlStore.OpenAsync(pg, ct).ConfigureAwait(false)
            : await SqliteControlStore.OpenAsync(Path.Combine(options.DataDir, ControlConstants.DatabaseFile), ct).ConfigureAwait(false);
        var limiter = new RegistrationRateLimiter(options.RegisterBurst, options.RegisterPerMinute, time);

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(options.Listen);
        if (options.TlsCert is { } certFile)
        {
            // Loaded once at start; Kestrel uses it for every https listen address.
            var certificate = TlsCertificate.Load(certFile, options.TlsKey!);
            builder.WebHost.UseKestrelHttpsConfiguration();
            builder.WebHost.ConfigureKestrel(k => k.ConfigureHttpsDefaults(h => h.ServerCertificate = certificate));
        }

        builder.Logging.ClearProviders();
        logging?.Invoke(builder.Logging);
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi(ApiOpenApi.DocumentName, ApiOpenApi.Configure);
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default));
        builder.Services.AddSingleton(sp =>
        {
            var log = sp.GetRequiredService<ILoggerFactory>().CreateLogger("Weft.Control");
            // Replicas on one PostgreSQL database tell each other their changes; a SQLite server is alone.
            var changes = options.Postgres is { } connection ? new PostgresChangeFeed(connection, log, time) : null;
            return new ControlService(store, time, TimeSpan.FromSeconds(options.EphemeralTimeoutSeconds), log, changes)
            {
                SharedEmailDomains = options.SharedEmailDomains is { } shared
                    ? new HashSet<string>(shared, StringComparer.OrdinalIgnoreCase)
                    : ControlConstants.DefaultSharedEmailDomains,
            };
        });
        AddConsole(builder, options);
        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Weft.Control");
        var service = app.Services.GetRequiredService<ControlService>();
        await EnsureFirstTailnetAsync(service, options, logger, ct).ConfigureAwait(false);
        await Auth.LocalAccounts.ImportFileAsync(store, options.DataDir, time, logger, ct).ConfigureAwait(false);
        await service.StartReplicationAsync(ct).ConfigureAwait(false);

        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseWebSockets();
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", async (CancellationToken c) =>
        {
            // Ready when the database answers.
            await store.ListTailnetsAsync(c).ConfigureAwait(false);
            return Results.Text("ready");
        });
        var serverPublic = Curve25519.PublicKey(serverKey);
        var (relay, stun) = StartEmbeddedRelay(app, options, time, logger);

        app.MapGet(ControlProtocol.KeyPath, () => Results.Text(serverPublic.ToHex()));
        app.MapGet("/register/{id}", async (string id, CancellationToken c) => await service.GetPendingAsync(id, c).ConfigureAwait(false) is not { NodeId: null }
            ? Results.Problem(statusCode: 404, detail: "unknown or already approved login")
            : Results.Text($"An admin approves this device with POST /api/v2/tailnet/-/registrations/{id}/approve\n"));
        app.Map(ControlProtocol.Path, async (HttpContext http) =>
        {
            if (!http.WebSockets.IsWebSocketRequest)
            {
                return Results.Problem(statusCode: 400, detail: "the control protocol needs a WebSocket upgrade");
            }

            using var socket = await http.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
            await using var stream = WebSocketStream.Create(socket, WebSocketMessageType.Binary, ownsWebSocket: false);
            var baseUrl = options.PublicUrl ?? $"{http.Request.Scheme}://{http.Request.Host}";
            var source = http.Connection.RemoteIpAddress ?? System.Net.IPAddress.None;
            var connection = new ControlConnection(service, new Registrar(service, baseUrl, limiter, source), serverKey, logger) { LatestClientVersion = options.LatestClientVersion };
            await connection.RunAsync(stream, () => CloseOutputAsync(socket, http.RequestAborted), http.RequestAborted).ConfigureAwait(false);
            await CloseOutputAsync(socket, http.RequestAborted).ConfigureAwait(false);
            return Results.Empty;
        });
        ApiEndpoints.Map(app);
        UseConsole(app, options, time);
        app.MapOpenApi(ApiOpenApi.Route);
        try
        {
            await app.StartAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            if (stun is not null)
            {
                await stun.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }

        var listening = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var embedded = EmbeddedRelayNode(options, new Uri(listening), relay, stun, logger);
        await service.StartRelayMapAsync(options.Relays, embedded, ct).ConfigureAwait(false);
        if (embedded is not null)
        {
            LogRelayMap(logger, service.RelayMap!.Regions.Count, embedded.Url, embedded.PublicKey, embedded.StunPort);
        }

        return new ControlServer(app, store, service, serverPublic) { Relay = relay, Stun = stun };
    }

    /// <summary>On an empty store: the first tailnet, its owner, and an owner API key written to the data dir (0600), never logged.</summary>
    private static async Task EnsureFirstTailnetAsync(ControlService service, ControlServerOptions options, ILogger logger, CancellationToken ct)
    {
        if ((await service.Store.ListTailnetsAsync(ct).ConfigureAwait(false)).Count > 0)
        {
            return;
        }

        var now = service.Time.GetUtcNow();
        var (tailnet, created) = await CreateTailnetOrLoadAsync(service.Store, options.FirstTailnet, $"{options.FirstTailnet}.weft.internal", now, ct).ConfigureAwait(false);
        if (!created)
        {
            // Another replica sharing the database won the first start; it made the owner and the key.
            LogFirstStartLost(logger, tailnet.Name);
            return;
        }

        var owner = await service.Store.CreateUserAsync(tailnet.Id, options.FirstAdmin, options.FirstAdmin, PolicyRoles.Owner, now, ct).ConfigureAwait(false);
        var (_, secret) = await service.Store.CreateApiKeyAsync(tailnet.Id, owner.Id, ControlConstants.MaxApiKeyLifetime, now, ct).ConfigureAwait(false);
        var path = Path.Combine(options.DataDir, ControlConstants.FirstApiKeyFile);
        SecretFile.Write(path, secret, createNew: false);
        LogFirstStart(logger, tailnet.Name, owner.Login, path);
    }

    /// <summary>
    /// Creates a tailnet, or loads the one of that name when a concurrent replica created it first (the
    /// insert then fails on the unique name). Created is false in that case.
    /// </summary>
    internal static async Task<(TailnetRecord Tailnet, bool Created)> CreateTailnetOrLoadAsync(IControlStore store, string name, string domain, DateTimeOffset now, CancellationToken ct)
    {
        try
        {
            return (await store.CreateTailnetAsync(name, domain, now, ct).ConfigureAwait(false), true);
        }
        catch (System.Data.Common.DbException)
        {
            foreach (var t in await store.ListTailnetsAsync(ct).ConfigureAwait(false))
            {
                if (t.Name == name)
                {
                    return (t, false);
                }
            }

            throw;
        }
    }

    /// <summary>Sends a close frame so the node sees a clean end of stream, not a reset.</summary>
    private static async Task CloseOutputAsync(WebSocket socket, CancellationToken ct)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        try
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // The node is gone already.
        }
    }

    /// <summary>Waits until the server stops (Ctrl+C or SIGTERM).</summary>
    public Task WaitForShutdownAsync(CancellationToken ct = default) => _app.WaitForShutdownAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        if (Stun is not null)
        {
            await Stun.DisposeAsync().ConfigureAwait(false);
        }

        await _store.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "first start: created tailnet {Tailnet} with owner {Owner}; the owner's API key is in {Path}")]
    private static partial void LogFirstStart(ILogger logger, string tailnet, string owner, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "first start: tailnet {Tailnet} was created by another replica at the same time; using it")]
    private static partial void LogFirstStartLost(ILogger logger, string tailnet);
}
