using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Weft.Core.Crypto;
using Weft.Relay.Server;
using Weft.Relay.Stun;

namespace Weft.Relay.Hosting;

/// <summary>
/// Puts a relay into an ASP.NET Core application: the upgrade endpoint, the key endpoint and metrics, plus the
/// STUN responder beside it. `weft relay` uses it for its own app; `weft control` can embed one relay the same way.
/// </summary>
public static class RelayEndpoints
{
    /// <summary>Where an embedded relay serves its metrics (a standalone relay also serves them at /metrics).</summary>
    public const string MetricsPath = "/relay/v1/metrics";

    // The reason phrase of the answer to a version 1 client: the status line is what such a client logs.
    private const string LegacyRefusal = "Weft relay protocol v1 is no longer served; upgrade weft";

    /// <summary>
    /// Maps the relay protocol (<see cref="RelayConstants.Path"/>), its key (<see cref="RelayConstants.KeyPath"/>) and
    /// <see cref="MetricsPath"/> into <paramref name="app"/>; starts the STUN responder on <paramref name="stunPort"/>
    /// (none when null) and mesh links; stops them all when the application stops.
    /// </summary>
    /// <returns>The relay and its STUN responder; disposing it stops both early.</returns>
    public static EmbeddedRelay MapWeftRelay(this WebApplication app, Key32 relayPrivate, RelayServerOptions options, int? stunPort = RelayConstants.StunPort, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();
        var server = new RelayServer(relayPrivate, options, loggers.CreateLogger("Weft.Relay"), time);
        var stun = stunPort is { } port ? StunResponder.Start(port, loggers.CreateLogger("Weft.Relay.Stun")) : null;
        MapRelay(app, server);
        server.StartMesh();
        var embedded = new EmbeddedRelay(server, stun);
        app.Lifetime.ApplicationStopping.Register(() => embedded.DisposeAsync().AsTask().GetAwaiter().GetResult());
        return embedded;
    }

    /// <summary>Maps the endpoints of an existing <paramref name="server"/> (no STUN, no lifetime hook).</summary>
    public static void MapRelay(IEndpointRouteBuilder endpoints, RelayServer server)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(server);
        var keyText = server.PublicKey.ToHex();
        endpoints.MapGet(RelayConstants.KeyPath, () => Results.Text(keyText));
        endpoints.MapGet(RelayConstants.LegacyKeyPath, () => Results.Text(keyText));
        endpoints.MapGet(MetricsPath, () => Results.Text(server.Metrics.ToPrometheusText(), "text/plain; version=0.0.4"));
        endpoints.Map(RelayConstants.Path, (RequestDelegate)(http => AcceptAsync(http, server)));
        endpoints.Map(RelayConstants.LegacyPath, (RequestDelegate)RefuseLegacyAsync);
    }

    /// <summary>
    /// A version 1 client (frames in the clear after the handshake) gets a 426 whose status line says why: that line
    /// is what such a client logs, so its operator learns to upgrade rather than to debug the network.
    /// </summary>
    private static async Task RefuseLegacyAsync(HttpContext http)
    {
        http.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
        if (http.Features.Get<IHttpResponseFeature>() is { } response)
        {
            response.ReasonPhrase = LegacyRefusal;
        }

        http.Response.Headers.Upgrade = RelayConstants.UpgradeToken;
        http.Response.Headers.Connection = "Upgrade";
        await http.Response.WriteAsync($"{LegacyRefusal}: this relay speaks {RelayConstants.UpgradeToken} at {RelayConstants.Path}\n").ConfigureAwait(false);
    }

    private static async Task AcceptAsync(HttpContext http, RelayServer server)
    {
        var upgrade = http.Features.Get<IHttpUpgradeFeature>();
        if (upgrade is not { IsUpgradableRequest: true }
            || !string.Equals(http.Request.Headers.Upgrade, RelayConstants.UpgradeToken, StringComparison.OrdinalIgnoreCase))
        {
            http.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            http.Response.Headers.Upgrade = RelayConstants.UpgradeToken;
            http.Response.Headers.Connection = "Upgrade";
            await http.Response.WriteAsync($"the relay protocol needs an HTTP/1.1 Upgrade to {RelayConstants.UpgradeToken}\n").ConfigureAwait(false);
            return;
        }

        var source = http.Connection.RemoteIpAddress ?? System.Net.IPAddress.None;
        if (!server.TryAdmit(source))
        {
            http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            await http.Response.WriteAsync("too many relay handshakes from this address; retry later\n").ConfigureAwait(false);
            return;
        }

        http.Response.Headers.Upgrade = RelayConstants.UpgradeToken;
        var stream = await upgrade.UpgradeAsync().ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            await server.RunConnectionAsync(stream, source, http.RequestAborted).ConfigureAwait(false);
        }
    }
}

/// <summary>A relay and its STUN responder running inside an application.</summary>
public sealed class EmbeddedRelay(RelayServer server, StunResponder? stun) : IAsyncDisposable
{
    private int _disposed;

    /// <summary>The relay (key, metrics, presence).</summary>
    public RelayServer Server { get; } = server;

    /// <summary>The STUN responder, null when none was started.</summary>
    public StunResponder? Stun { get; } = stun;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await Server.DisposeAsync().ConfigureAwait(false);
        if (Stun is not null)
        {
            await Stun.DisposeAsync().ConfigureAwait(false);
        }
    }
}
