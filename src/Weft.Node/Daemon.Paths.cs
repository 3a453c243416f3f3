using System.Net;
using Microsoft.Extensions.Logging;
using Weft.Core.Control;
using Weft.Core.Keys;
using Weft.Node.ControlLoop;
using Weft.Node.Engine;
using Weft.Node.LocalApi;
using Weft.Node.Os;
using Weft.Node.Paths;
using Weft.Node.PortMapping;
using Weft.WireGuard.Conn;

namespace Weft.Node;

// Path upkeep: the relay map and peers for MagicBind, netcheck (public address, home relay), port mapping, and
// telling control when any of it changes.
public sealed partial class Daemon
{
    /// <summary>How often netcheck runs while nothing else asks for it: NAT mappings and the nearest relay drift slowly.</summary>
    private static readonly TimeSpan NetcheckInterval = TimeSpan.FromSeconds(30);

    /// <summary>How long `weft netcheck` waits for a just-chosen home relay to connect before reporting.</summary>
    private static readonly TimeSpan HomeSettleTime = TimeSpan.FromSeconds(3);

    /// <summary>The disco key of this daemon run: peers learn it from the netmap and seal path-discovery messages to it.</summary>
    private readonly PrivateKey _discoKey = PrivateKey.Generate();

    /// <summary>Released when the relay map changes, so the upkeep runs a netcheck at once.</summary>
    private readonly SemaphoreSlim _pathsWake = new(0, 1);

    // _lock guards these.
    private NetcheckReport? _lastNetcheck;
    private PortMappingLease? _portMapping;
    private PortMappingServices _portMappingServices;

    /// <summary>Hands the netmap's relay map and peers to the engine's path selection; caller holds <see cref="_opGate"/>.</summary>
    private void ApplyPathsLocked(EngineHost engine, Netmap netmap, NetmapChanges changes)
    {
        if ((changes & NetmapChanges.Relays) != 0)
        {
            engine.Relays.Configure(netmap.RelayMap ?? new RelayMap(), CurrentNodeKey());
            WakePaths();
        }
        if ((changes & NetmapChanges.Peers) == 0)
        {
            return;
        }
        var configs = new List<MagicPeerConfig>(netmap.Peers.Count);
        var regions = new Dictionary<NodePublic, string>();
        foreach (var node in netmap.Peers.Values)
        {
            if (!MagicPeerConfig.TryFromNode(node, out var config))
            {
                // A node key that does not parse (the netmap check refuses those; kept for safety).
                continue;
            }
            configs.Add(config);
            if (node.HostInfo.NetInfo is { HomeRelay.Length: > 0 } info)
            {
                regions[config.NodeKey] = info.HomeRelay;
            }
        }
        engine.Relays.SetPeerRegions(regions);
        engine.Paths.SetPeers(configs);
    }

    /// <summary>Starts the path upkeep of a new engine; it ends when the engine is disposed.</summary>
    private void StartPathUpkeep(EngineHost engine) => _ = Task.Run(() => RunPathUpkeepAsync(engine));

    private async Task RunPathUpkeepAsync(EngineHost engine)
    {
        var ct = engine.Stopping;
        var mapping = RunPortMappingAsync(engine, ct);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                if (CurrentRelayMap() is { Regions.Count: > 0 } map)
                {
                    await NetcheckAsync(engine, map, ct).ConfigureAwait(false);
                }
                await WaitPathsWakeAsync(NetcheckInterval, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The engine stopped.
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogPathUpkeepFailed(_logger, ex.Message);
        }
        await mapping.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>Runs netcheck through the engine's socket, moves the home relay to the nearest region, and tells control.</summary>
    private async Task<NetcheckReport> NetcheckAsync(EngineHost engine, RelayMap map, CancellationToken ct)
    {
        var report = await engine.Paths.NetcheckAsync(map, ct).ConfigureAwait(false);
        if (report.PreferredRegion is { } home)
        {
            engine.Relays.SetHome(home);
        }
        lock (_lock)
        {
            _lastNetcheck = report;
        }
        ReportSoon();
        return report;
    }

    /// <summary>
    /// Asks the LAN gateway for a port mapping of the WireGuard port (PCP, NAT-PMP, UPnP IGD) and keeps its
    /// public endpoint among the ones we offer, for as long as the engine runs.
    /// </summary>
    private async Task RunPortMappingAsync(EngineHost engine, CancellationToken ct)
    {
        if (DefaultGateway.Find() is not { } gateway)
        {
            return;
        }
        var mapper = new PortMapper(new PortMapperOptions
        {
            Gateway = gateway,
            InternalPort = engine.Device.ListenPort,
            ClientAddress = DefaultGateway.LocalAddressTowards(gateway),
        }, _time, _loggers.CreateLogger<PortMapper>());
        await using (mapper.ConfigureAwait(false))
        {
            mapper.Changed += lease => OnPortMappingChanged(engine, lease);
            try
            {
                var services = await mapper.ProbeAsync(ct).ConfigureAwait(false);
                lock (_lock)
                {
                    _portMappingServices = services;
                }
                if (services != PortMappingServices.None)
                {
                    OnPortMappingChanged(engine, await mapper.MapAsync(ct).ConfigureAwait(false));
                }
                // The mapper renews by itself; hold it (and its mapping) until the engine stops.
                await Task.Delay(Timeout.InfiniteTimeSpan, _time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The engine stopped: disposing the mapper deletes the mapping.
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or InvalidOperationException or HttpRequestException)
            {
                LogPortMappingFailed(_logger, ex.Message);
            }
        }
    }

    private void OnPortMappingChanged(EngineHost engine, PortMappingLease? lease)
    {
        engine.Paths.SetMappedEndpoint(lease is null ? null : UdpEndpoint.From(lease.External));
        lock (_lock)
        {
            _portMapping = lease;
        }
        if (lease is not null)
        {
            LogPortMapped(_logger, lease.Protocol.ToString(), lease.External.ToString());
        }
        WakePaths();
    }

    /// <summary>What goes into host info: the last netcheck's findings and how many active peers are direct.</summary>
    private NetInfo? CurrentNetInfo()
    {
        EngineHost? engine;
        NetcheckReport? report;
        PortMappingLease? mapping;
        lock (_lock)
        {
            engine = _engine;
            report = _lastNetcheck;
            mapping = _portMapping;
        }
        if (engine is null || report is null)
        {
            return null;
        }
        var (direct, relayed) = engine.Paths.ActivePaths();
        return new NetInfo
        {
            HomeRelay = engine.Relays.Region,
            UdpWorks = report.UdpWorks,
            MappingVariesByDestination = report.MappingVariesByDestination,
            PortMapping = mapping is null ? "" : ProtocolName(mapping.Protocol),
            DirectPeers = direct,
            RelayedPeers = relayed,
        };
    }

    /// <summary>`weft netcheck`: a fresh netcheck now, with the home relay and port mapping as they stand.</summary>
    public async Task<NetcheckResponse> NetcheckAsync(CancellationToken ct)
    {
        EngineHost? engine;
        RelayMap? map;
        lock (_lock)
        {
            engine = _engine;
            map = _netmap?.RelayMap;
        }
        if (engine is null)
        {
            throw new LocalApi.LocalApiError(Microsoft.AspNetCore.Http.StatusCodes.Status503ServiceUnavailable, "the data plane is not running");
        }
        if (map is not { Regions.Count: > 0 })
        {
            throw new LocalApi.LocalApiError(Microsoft.AspNetCore.Http.StatusCodes.Status409Conflict,
                "no relay map yet: run `weft up` (the coordination server sends the relays and STUN servers netcheck measures)");
        }
        var report = await NetcheckAsync(engine, map, ct).ConfigureAwait(false);
        // The netcheck may just have moved the home to a nearer region: give that connection a moment, so the report
        // says how the node stands rather than how it stood mid-switch.
        using (var settle = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            settle.CancelAfter(HomeSettleTime);
            try
            {
                await engine.Relays.WaitHomeConnectedAsync(settle.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // Not connected within the moment: the report says so.
            }
        }
        PortMappingLease? mapping;
        PortMappingServices services;
        lock (_lock)
        {
            mapping = _portMapping;
            services = _portMappingServices;
        }
        return new NetcheckResponse
        {
            Udp = report.UdpWorks,
            IPv4 = report.IPv4,
            IPv6 = report.IPv6,
            PublicIPv4 = report.PublicIPv4?.ToString(),
            PublicIPv6 = report.PublicIPv6?.ToString(),
            MappingVariesByDestination = report.MappingVariesByDestination,
            PortMappingServices = [.. Enum.GetValues<PortMappingServices>()
                .Where(s => int.PopCount((int)s) == 1 && services.HasFlag(s))
                .Select(ServicesName)],
            PortMapping = mapping is null ? null : $"{ProtocolName(mapping.Protocol)} {mapping.External}",
            RegionLatencyMs = report.RegionLatency.ToDictionary(r => r.Key, r => Math.Round(r.Value.TotalMilliseconds, 2), StringComparer.Ordinal),
            PreferredRegion = report.PreferredRegion,
            HomeRelay = engine.Relays.Region,
            HomeRelayConnected = engine.Relays.HomeConnected,
            Endpoints = [.. engine.Paths.LocalEndpoints.Select(e => e.ToString())],
            Counters = PathCounters(engine),
        };
    }

    private static Dictionary<string, long> PathCounters(EngineHost engine)
    {
        var paths = engine.Paths;
        return new Dictionary<string, long>(StringComparer.Ordinal)
        {
            ["disco_forged"] = paths.DiscoForged,
            ["disco_unknown_key"] = paths.DiscoUnknownKey,
            ["disco_replayed"] = paths.DiscoReplayed,
            ["disco_malformed"] = paths.DiscoMalformed,
            ["stun_strangers"] = paths.StunStrangers,
            ["relay_unknown_source"] = paths.RelayUnknownSource,
            ["relay_send_dropped"] = engine.Relays.Dropped,
            ["inbound_dropped"] = paths.InboundDropped,
            ["birthday_attempts"] = paths.BirthdayAttempts,
            ["birthday_guesses"] = paths.BirthdayGuesses,
            ["birthday_hits"] = paths.BirthdayHits,
            ["initiations_resent"] = paths.InitiationsResent,
        };
    }

    private RelayMap? CurrentRelayMap()
    {
        lock (_lock)
        {
            return _netmap?.RelayMap;
        }
    }

    private PrivateKey? CurrentNodeKey()
    {
        lock (_lock)
        {
            return NodeKeyOf(CurrentProfile(_state));
        }
    }

    private void WakePaths()
    {
        try
        {
            if (_pathsWake.CurrentCount == 0)
            {
                _pathsWake.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // A wake is pending already.
        }
    }

    private async Task WaitPathsWakeAsync(TimeSpan interval, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(interval);
        try
        {
            await _pathsWake.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The interval passed: time for the periodic netcheck.
        }
    }

    /// <summary>Asks the running control loop to report endpoints and net info now.</summary>
    private void ReportSoon()
    {
        LoopRun? run;
        lock (_lock)
        {
            run = _loop;
        }
        run?.Loop?.ReportSoon();
    }

    /// <summary>The endpoints to report: netcheck's (port mapped, STUN, interfaces) once it ran, else the interfaces'.</summary>
    private IReadOnlyList<string> CurrentEndpoints()
    {
        EngineHost? engine;
        lock (_lock)
        {
            engine = _engine;
        }
        if (engine is null)
        {
            return [];
        }
        var found = engine.Paths.LocalEndpoints;
        return found.Count > 0
            ? [.. found.Select(e => e.ToString())]
            : LocalEndpoints.Gather(engine.Device.ListenPort, _options.TunName);
    }

    private static string ProtocolName(PortMappingProtocol protocol) => WireName(protocol.ToString());

    private static string ServicesName(PortMappingServices service) => WireName(service.ToString());

    /// <summary>"Pcp" → "pcp", "NatPmp" → "nat-pmp", "Upnp" → "upnp": how netcheck and host info name the protocols.</summary>
    private static string WireName(string name) => name == "NatPmp" ? "nat-pmp" : name.ToLowerInvariant();

    [LoggerMessage(Level = LogLevel.Warning, Message = "path upkeep stopped: {Reason}")]
    private static partial void LogPathUpkeepFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "port mapping failed: {Reason}")]
    private static partial void LogPortMappingFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "port mapped through {Protocol}: {External}")]
    private static partial void LogPortMapped(ILogger logger, string protocol, string external);
}
