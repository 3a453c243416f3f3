using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Weft.Relay.Hosting;

/// <summary>A standalone relay: its own Kestrel app with the relay endpoints, /healthz, /metrics and the STUN responder.</summary>
public sealed class RelayHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RelayHost(WebApplication app, EmbeddedRelay relay)
    {
        _app = app;
        Relay = relay;
    }

    /// <summary>The relay and its STUN responder.</summary>
    public EmbeddedRelay Relay { get; }

    /// <summary>The URL Kestrel listens on (with the real port when port 0 was asked for).</summary>
    public Uri Address => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>Loads the key files, starts listening and dials the mesh.</summary>
    /// <exception cref="InvalidDataException">A key, mesh key or certificate file is unusable; the message names it.</exception>
    public static async Task<RelayHost> StartAsync(RelayHostOptions options, Action<ILoggingBuilder>? logging = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var key = RelayKeyFiles.LoadOrCreatePrivateKey(options.DataDir);
        if (options.MeshKeyFile is { } meshFile)
        {
            options.Server.MeshKey = RelayKeyFiles.LoadMeshKey(meshFile);
        }

        foreach (var url in options.MeshWith)
        {
            options.Server.MeshWith.Add(url);
        }

        if (options.Server.MeshWith.Count > 0 && options.Server.MeshKey is null)
        {
            throw new InvalidDataException("--mesh-with needs --mesh-key: relays prove the shared mesh key to each other");
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(options.Listen);
        if (options.TlsCert is { } certFile)
        {
            var certificate = RelayKeyFiles.LoadCertificate(certFile, options.TlsKey ?? throw new InvalidDataException("--tls-cert needs --tls-key"));
            builder.WebHost.UseKestrelHttpsConfiguration();
            builder.WebHost.ConfigureKestrel(k => k.ConfigureHttpsDefaults(h => h.ServerCertificate = certificate));
        }

        builder.Logging.ClearProviders();
        logging?.Invoke(builder.Logging);
        var app = builder.Build();
        var relay = app.MapWeftRelay(key, options.Server, options.StunPort);
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/metrics", () => Results.Text(relay.Server.Metrics.ToPrometheusText(), "text/plain; version=0.0.4"));
        try
        {
            await app.StartAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            await relay.DisposeAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new RelayHost(app, relay);
    }

    /// <summary>Runs until <paramref name="ct"/> fires or the host is told to stop.</summary>
    public Task WaitForShutdownAsync(CancellationToken ct) => _app.WaitForShutdownAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await Relay.DisposeAsync().ConfigureAwait(false);
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
