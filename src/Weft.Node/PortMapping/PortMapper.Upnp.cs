using System.Security.Cryptography;

namespace Weft.Node.PortMapping;

/// <summary>The UPnP IGD leg of the port mapper: discovery, AddPortMapping with its retries, and what to do on each fault.</summary>
public sealed partial class PortMapper
{
    // AddPortMapping attempts per request: the first port, then other ports or lease terms the gateway's faults ask for.
    private const int UpnpAttempts = 5;

    // Lowest external port to pick after a conflict: gateways (miniupnpd by default) refuse to map privileged ports.
    private const int UpnpLowestPort = 1024;

    /// <summary>The gateway's UPnP port mapping service when discovered, else null.</summary>
    private UpnpService? UpnpServiceFound
    {
        get
        {
            lock (_gate)
            {
                return _upnpService;
            }
        }
        set
        {
            lock (_gate)
            {
                _upnpService = value;
            }
        }
    }

    /// <summary>Runs SSDP discovery and remembers the service found; null when none (failures are logged and counted, never thrown).</summary>
    private async Task<UpnpService?> DiscoverUpnpAsync(CancellationToken cancellationToken)
    {
        try
        {
            var service = await _upnp!.DiscoverAsync(cancellationToken).ConfigureAwait(false);
            if (service is not null)
            {
                UpnpServiceFound = service;
            }
            return service;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // E.g. no route for multicast: no UPnP here.
            Log.UpnpFailed(_logger, "SSDP search: " + e.Message);
            return null;
        }
    }

    /// <summary>
    /// Maps our port through UPnP: GetExternalIPAddress, then AddPortMapping for the previous external port (a renewal)
    /// or our own port number, moving to a random port on 718 ConflictInEntry, to our port on 724 SamePortValuesRequired
    /// and to a permanent lease on 725 OnlyPermanentLeasesSupported. A renewal whose gateway stopped answering (it may
    /// have restarted on another HTTP port) discovers it again once.
    /// </summary>
    private async Task<PortMappingLease?> RequestUpnpAsync(PortMappingLease? previous, Task<UpnpService?>? discovery, CancellationToken cancellationToken)
    {
        var service = UpnpServiceFound
            ?? (discovery is null ? await DiscoverUpnpAsync(cancellationToken).ConfigureAwait(false) : await discovery.ConfigureAwait(false));
        for (var attempt = 0; service is not null; attempt++)
        {
            try
            {
                return await MapUpnpAsync(service, previous, cancellationToken).ConfigureAwait(false);
            }
            catch (UpnpException e)
            {
                _upnp!.Count(e);
                Log.UpnpFailed(_logger, e.Message);
                return null;
            }
            catch (Exception e) when (UpnpClient.IsTransportFailure(e, cancellationToken))
            {
                Log.UpnpFailed(_logger, $"{service.ControlUrl}: {e.Message}");
                UpnpServiceFound = null;
                service = attempt == 0 ? await DiscoverUpnpAsync(cancellationToken).ConfigureAwait(false) : null;
            }
        }
        return null;
    }

    private async Task<PortMappingLease?> MapUpnpAsync(UpnpService service, PortMappingLease? previous, CancellationToken cancellationToken)
    {
        var external = await _upnp!.GetExternalAddressAsync(service, cancellationToken).ConfigureAwait(false);
        // Known after the exchange above: the local end of its connection is our address on the gateway's LAN.
        var client = _options.ClientAddress ?? _upnp.LocalAddress ?? throw new UpnpException("our LAN address is unknown");
        var port = previous is not null ? (ushort)previous.External.Port : _options.InternalPort;
        var lease = _options.LifetimeSeconds;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _upnp.AddPortMappingAsync(service, port, client, lease, cancellationToken).ConfigureAwait(false);
                // A permanent mapping is still refreshed on our usual schedule (it heals a gateway restart) and deleted on dispose.
                return Lease(PortMappingProtocol.Upnp, external, port, lease == 0 ? _options.LifetimeSeconds : lease, 0);
            }
            catch (UpnpException e) when (attempt < UpnpAttempts && e.ErrorCode is { } code && Retry(code, ref port, ref lease))
            {
                _upnp.Count(e);
                Log.UpnpRetry(_logger, code, port, lease);
            }
        }
    }

    /// <summary>Adjusts the request for the fault <paramref name="code"/>; false when the fault leaves nothing to try.</summary>
    private bool Retry(int code, ref ushort port, ref uint lease)
    {
        switch (code)
        {
            case UpnpSoap.ConflictInEntry:
                var taken = port;
                while (port == taken)
                {
                    port = (ushort)RandomNumberGenerator.GetInt32(UpnpLowestPort, ushort.MaxValue + 1);
                }
                return true;
            case UpnpSoap.SamePortValuesRequired when port != _options.InternalPort:
                port = _options.InternalPort;
                return true;
            case UpnpSoap.OnlyPermanentLeasesSupported when lease != 0:
                lease = 0;
                return true;
            default:
                return false;
        }
    }
}
