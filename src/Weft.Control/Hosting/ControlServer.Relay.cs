using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Weft.Control.Relays;
using Weft.Core.Control;
using Weft.Relay.Hosting;
using Weft.Relay.Server;
using Weft.Relay.Stun;

namespace Weft.Control.Hosting;

/// <summary>
/// The relay embedded in the coordination server: its endpoints on the server's own listener, a STUN responder
/// beside it, and the relay map built from it and the configured external regions.
/// </summary>
public sealed partial class ControlServer
{
    /// <summary>The embedded relay, null when <see cref="RelaySettings.Embedded"/> is off.</summary>
    public EmbeddedRelay? Relay { get; private init; }

    /// <summary>The embedded STUN responder, null when off or when its port was taken.</summary>
    public StunResponder? Stun { get; private init; }

    /// <summary>The relay map nodes get now: the config's, or an admin's override (see <see cref="ControlService.SetRelayMapAsync"/>).</summary>
    public RelayMap RelayMap => Service.RelayMap ?? new();

    /// <summary>
    /// Maps the relay endpoints into <paramref name="app"/> (same port as the control protocol) and starts the STUN
    /// responder. A STUN port already in use is logged and skipped: relaying works without it, nodes just learn their
    /// public address from other regions' STUN servers only.
    /// </summary>
    private static (EmbeddedRelay? Relay, StunResponder? Stun) StartEmbeddedRelay(WebApplication app, ControlServerOptions options, TimeProvider time, ILogger logger)
    {
        var settings = options.Relays;
        if (!settings.Embedded)
        {
            return (null, null);
        }

        // Created once with mode 0600 beside the server key; a relay key that changed would break pinned clients.
        var key = RelayKeyFiles.LoadOrCreatePrivateKey(options.DataDir);
        StunResponder? stun = null;
        if (settings.StunPort != 0)
        {
            try
            {
                stun = StunResponder.Start(settings.StunPort, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Weft.Relay.Stun"));
            }
            catch (SocketException ex)
            {
                LogStunUnavailable(logger, settings.StunPort, ex.SocketErrorCode);
            }
        }

        // No STUN port here: the responder above is ours, so a port in use does not stop the relay.
        var relay = app.MapWeftRelay(key, new RelayServerOptions(), stunPort: null, time);
        return (relay, stun);
    }

    /// <summary>The embedded relay as nodes reach it: at the public URL, else at the address Kestrel listens on.</summary>
    private static RelayNode? EmbeddedRelayNode(ControlServerOptions options, Uri listening, EmbeddedRelay? relay, StunResponder? stun, ILogger logger)
    {
        if (relay is null)
        {
            return null;
        }

        var url = options.PublicUrl is { } publicUrl ? new Uri(publicUrl) : listening;
        if (options.PublicUrl is null && IPAddress.TryParse(url.Host.Trim('[', ']'), out var host)
            && (host.Equals(IPAddress.Any) || host.Equals(IPAddress.IPv6Any)))
        {
            LogWildcardRelayUrl(logger, url);
        }

        return new RelayNode
        {
            Url = url.GetLeftPart(UriPartial.Authority),
            PublicKey = relay.Server.PublicKey.ToHex(),
            StunPort = stun?.LocalEndPoint.Port ?? 0,
        };
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "STUN port {Port} is not available ({Error}); the embedded relay runs without STUN (choose another with --stun-port, 0 for none)")]
    private static partial void LogStunUnavailable(ILogger logger, int port, SocketError error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "nodes are told to reach the embedded relay at {Url}, a wildcard address; set --public-url")]
    private static partial void LogWildcardRelayUrl(ILogger logger, Uri url);

    [LoggerMessage(Level = LogLevel.Information, Message = "relay map: {Regions} region(s); embedded relay {Url} (key {Key}, STUN port {StunPort})")]
    private static partial void LogRelayMap(ILogger logger, int regions, string url, string key, int stunPort);
}
