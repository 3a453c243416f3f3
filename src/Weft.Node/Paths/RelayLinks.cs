using Microsoft.Extensions.Logging;
using Weft.Core.Control;
using Weft.Core.Crypto;
using Weft.Core.Keys;
using Weft.Relay.Client;

namespace Weft.Node.Paths;

/// <summary>
/// The node's relay connections, as one <see cref="IRelayLink"/> for <see cref="MagicBind"/>: a connection to the home
/// region (where peers send to us), and on demand one to each region a peer homes on (where we send to it). Packets to a
/// peer whose home is unknown go through our home region. Each connection reconnects by itself.
/// </summary>
public sealed partial class RelayLinks : IRelayLink, IAsyncDisposable
{
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();

    // _gate guards the fields below; TrySend reads the volatile snapshots without it.
    private readonly Dictionary<string, RelayClient> _clients = new(StringComparer.Ordinal);
    private PrivateKey? _nodeKey;
    private RelayMap _map = new();
    private RelayPacketHandler? _onPacket;
    private volatile string _home = "";
    private volatile Dictionary<NodePublic, string> _peerRegions = [];
    private volatile Dictionary<string, RelayClient> _snapshot = new(StringComparer.Ordinal);
    private int _disposed;

    public RelayLinks(ILoggerFactory loggers, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(loggers);
        _loggers = loggers;
        _logger = loggers.CreateLogger<RelayLinks>();
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The home region's code; empty until one is chosen.</summary>
    public string Region => _home;

    public string RegionFor(NodePublic peer) => PeerRegion(peer) ?? _home;

    /// <summary>The peer's home region when its net info named one that is in our map; null when unknown.</summary>
    private string? PeerRegion(NodePublic peer) =>
        _peerRegions.TryGetValue(peer, out var region) && region.Length > 0 && FindRegion(Volatile.Read(ref _map), region) is not null ? region : null;

    /// <summary>True while the home region's connection is up.</summary>
    public bool HomeConnected => _snapshot.TryGetValue(_home, out var client) && client.IsConnected;

    /// <summary>Packets refused by every connection so far (not connected yet, or a full queue).</summary>
    public long Dropped
    {
        get
        {
            long dropped = 0;
            foreach (var client in _snapshot.Values)
            {
                dropped += client.Dropped;
            }
            return dropped;
        }
    }

    public void Start(RelayPacketHandler onPacket)
    {
        ArgumentNullException.ThrowIfNull(onPacket);
        lock (_gate)
        {
            _onPacket = onPacket;
            EnsureLocked(_home);
            Publish();
        }
    }

    /// <summary>
    /// Sets the relay map and the key to authenticate with. Connections to regions that left the map, or made with
    /// another key, are closed; the home region is kept when it is still in the map, else the map's first region.
    /// </summary>
    public void Configure(RelayMap map, PrivateKey? nodeKey)
    {
        ArgumentNullException.ThrowIfNull(map);
        List<RelayClient> closing = [];
        lock (_gate)
        {
            var keyChanged = !Equals(_nodeKey, nodeKey);
            _map = map;
            _nodeKey = nodeKey;
            foreach (var (code, client) in _clients.ToList())
            {
                if (keyChanged || FindRegion(map, code) is null)
                {
                    _clients.Remove(code);
                    closing.Add(client);
                }
            }
            if (FindRegion(map, _home) is null)
            {
                _home = map.Regions.Count > 0 ? map.Regions[0].Code : "";
            }
            EnsureLocked(_home);
            Publish();
        }
        CloseInBackground(closing);
    }

    /// <summary>Reconnects every region with a new node key (after a rotation or the first registration).</summary>
    public void SetNodeKey(PrivateKey nodeKey)
    {
        RelayMap map;
        lock (_gate)
        {
            map = _map;
        }
        Configure(map, nodeKey);
    }

    /// <summary>Moves the home to <paramref name="code"/> (netcheck's nearest region) and connects there.</summary>
    public void SetHome(string code)
    {
        lock (_gate)
        {
            if (code == _home || FindRegion(_map, code) is null)
            {
                return;
            }
            LogHomeChanged(_logger, _home, code);
            _home = code;
            EnsureLocked(code);
            Publish();
        }
    }

    /// <summary>Where each peer homes (from its net info in the netmap); peers left out are reached through our home.</summary>
    public void SetPeerRegions(IReadOnlyDictionary<NodePublic, string> regions)
    {
        ArgumentNullException.ThrowIfNull(regions);
        _peerRegions = new Dictionary<NodePublic, string>(regions);
    }

    public bool TrySend(NodePublic destination, ReadOnlySpan<byte> packet)
    {
        var clients = _snapshot;
        var region = PeerRegion(destination);
        if (region is not null)
        {
            if (clients.TryGetValue(region, out var theirs) && theirs.IsConnected)
            {
                return theirs.TrySend(destination, packet);
            }
            if (theirs is null)
            {
                Connect(region);
            }
        }
        // The peer's home is unknown, or not connected yet: send through every region we are connected to. Every node
        // first connects to the map's first region and keeps the connections it opens, so one of them reaches the peer;
        // a duplicate that arrives twice is dropped by WireGuard's and disco's replay windows.
        var sent = false;
        foreach (var client in clients.Values)
        {
            if (client.IsConnected)
            {
                sent |= client.TrySend(destination, packet);
            }
        }
        // Nothing connected yet: the home connection holds it until it is.
        return sent || (clients.TryGetValue(_home, out var home) && home.TrySend(destination, packet));
    }

    /// <summary>Waits until the home region's connection is up.</summary>
    public async Task WaitHomeConnectedAsync(CancellationToken ct)
    {
        while (true)
        {
            if (_snapshot.TryGetValue(_home, out var client))
            {
                await client.WaitConnectedAsync(ct).ConfigureAwait(false);
                return;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100), _time, ct).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        List<RelayClient> clients;
        lock (_gate)
        {
            clients = [.. _clients.Values];
            _clients.Clear();
            Publish();
        }
        foreach (var client in clients)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void Connect(string region)
    {
        lock (_gate)
        {
            EnsureLocked(region);
            Publish();
        }
    }

    // Caller holds _gate. Starts a connection to the region unless there is one; false when it cannot (no key, no such region).
    private bool EnsureLocked(string code)
    {
        if (Volatile.Read(ref _disposed) != 0 || _nodeKey is not { } key || _onPacket is not { } onPacket || code.Length == 0)
        {
            return false;
        }
        if (_clients.ContainsKey(code))
        {
            return true;
        }
        if (FindRegion(_map, code) is not { Relays.Count: > 0 } region || !Uri.TryCreate(region.Relays[0].Url, UriKind.Absolute, out var url))
        {
            return false;
        }
        // The region's first relay, then the others in turn when a connection fails: they mesh, so each reaches the same peers.
        var alternates = new List<RelayAddress>();
        foreach (var other in region.Relays.Skip(1))
        {
            if (Uri.TryCreate(other.Url, UriKind.Absolute, out var otherUrl))
            {
                alternates.Add(new RelayAddress(otherUrl, KeyOf(other)));
            }
        }
        var client = new RelayClient(new RelayClientOptions { Url = url, RelayPublic = KeyOf(region.Relays[0]), Alternates = alternates },
            key, _loggers.CreateLogger<RelayClient>(), _time);
        client.Start(onPacket);
        _clients[code] = client;
        LogConnecting(_logger, code, url.ToString());
        return true;
    }

    private static Key32? KeyOf(RelayNode relay) =>
        relay.PublicKey.Length > 0 && Key32.TryParseHex(relay.PublicKey, out var parsed) ? parsed : null;

    // Caller holds _gate.
    private void Publish() => _snapshot = new Dictionary<string, RelayClient>(_clients, StringComparer.Ordinal);

    private static RelayRegion? FindRegion(RelayMap map, string code)
    {
        foreach (var region in map.Regions)
        {
            if (region.Code == code)
            {
                return region;
            }
        }
        return null;
    }

    private static void CloseInBackground(List<RelayClient> clients)
    {
        foreach (var client in clients)
        {
            _ = client.DisposeAsync().AsTask();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "relay: home region {From} -> {To}")]
    private static partial void LogHomeChanged(ILogger logger, string from, string to);

    [LoggerMessage(Level = LogLevel.Information, Message = "relay: connecting to region {Region} at {Url}")]
    private static partial void LogConnecting(ILogger logger, string region, string url);
}
