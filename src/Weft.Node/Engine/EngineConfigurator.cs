using System.Net;
using Microsoft.Extensions.Logging;
using Weft.Core.Crypto;
using Weft.Core.Keys;
using Weft.Node.ControlLoop;
using Weft.Node.Paths;
using Weft.WireGuard;
using Weft.WireGuard.Conn;

namespace Weft.Node.Engine;

using Node = Weft.Core.Control.Node;

/// <summary>
/// Brings a WireGuard <see cref="Device"/>'s peers in line with the netmap, touching only what changed: a
/// peer whose key, allowed IPs and endpoint are the same keeps its session, timers and roamed endpoint.
/// Not thread-safe: the daemon calls it from one place at a time.
/// </summary>
public sealed partial class EngineConfigurator
{
    /// <summary>Our choice, as Tailscale's: a keepalive every 25 s holds NAT mappings open between peers.</summary>
    public const ushort PersistentKeepaliveSeconds = 25;

    private readonly Device _device;
    private readonly MagicBind? _paths;
    private readonly ILogger _logger;

    /// <summary>What we configured per peer key; the diff runs against this, not against the device's live state.</summary>
    private readonly Dictionary<Key32, AppliedPeer> _applied = [];

    /// <summary>With <paramref name="paths"/>, peers it knows get its stable synthetic endpoint, pinned; others their first netmap endpoint.</summary>
    public EngineConfigurator(Device device, MagicBind? paths, ILogger logger)
    {
        _device = device;
        _paths = paths;
        _logger = logger;
    }

    /// <summary>Peers currently configured.</summary>
    public int PeerCount => _applied.Count;

    /// <summary>Adds, updates and removes peers so the device matches <paramref name="peers"/>.</summary>
    public EngineDiff Apply(IEnumerable<Node> peers)
    {
        ArgumentNullException.ThrowIfNull(peers);
        var diff = default(EngineDiff);
        var wanted = new Dictionary<Key32, AppliedPeer>();
        foreach (var node in peers)
        {
            if (!NodePublic.TryParse(node.NodeKey, out var key))
            {
                // The netmap validated it already; a second check costs nothing and keeps this class safe alone.
                continue;
            }
            var allowed = new HashSet<IPNetwork>();
            foreach (var prefix in node.AllowedIPs)
            {
                if (IPNetwork.TryParse(prefix, out var network))
                {
                    allowed.Add(network);
                }
            }
            wanted[key.Key] = _paths is not null && _paths.HasPeer(key)
                ? new AppliedPeer(allowed, MagicBind.SyntheticEndpoint(key), Pinned: true)
                : new AppliedPeer(allowed, ChooseEndpoint(node.Endpoints) is { } chosen ? UdpEndpoint.From(chosen) : null, Pinned: false);
        }

        foreach (var key in _applied.Keys.ToList())
        {
            if (!wanted.ContainsKey(key))
            {
                _device.RemovePeer(key);
                _applied.Remove(key);
                diff.Removed++;
            }
        }

        foreach (var (key, want) in wanted)
        {
            if (_applied.TryGetValue(key, out var have) && _device.FindPeer(key) is { } existing)
            {
                if (Update(existing, have, want))
                {
                    diff.Updated++;
                }
                _applied[key] = want;
                continue;
            }
            var peer = _device.AddPeer(key);
            if (peer is null)
            {
                // Our own key: the server never sends self as a peer, but a stale map during rotation might.
                continue;
            }
            foreach (var prefix in want.AllowedIps)
            {
                _device.AddAllowedIp(peer, prefix);
            }
            SetEndpoint(peer, want);
            Device.SetPersistentKeepalive(peer, PersistentKeepaliveSeconds);
            _applied[key] = want;
            diff.Added++;
        }

        if (diff.Added + diff.Removed + diff.Updated > 0)
        {
            LogApplied(_logger, diff.Added, diff.Updated, diff.Removed, _applied.Count);
        }
        return diff;
    }

    /// <summary>Forgets every peer (down, logout, profile switch).</summary>
    public void Clear()
    {
        foreach (var key in _applied.Keys)
        {
            _device.RemovePeer(key);
        }
        _applied.Clear();
    }

    /// <summary>
    /// The first endpoint that parses. Path discovery (a later part) will pick among them by probing; until
    /// then the server's order (the peer's own report order) decides.
    /// </summary>
    internal static IPEndPoint? ChooseEndpoint(IReadOnlyList<string> endpoints)
    {
        foreach (var text in endpoints)
        {
            if (Netmap.ParseEndpoint(text) is { } endpoint && !endpoint.Address.Equals(IPAddress.Any) && !endpoint.Address.Equals(IPAddress.IPv6Any))
            {
                return endpoint;
            }
        }
        return null;
    }

    /// <summary>Applies the difference to one live peer; true when anything changed.</summary>
    private bool Update(Peer peer, AppliedPeer have, AppliedPeer want)
    {
        var changed = false;
        foreach (var prefix in have.AllowedIps)
        {
            if (!want.AllowedIps.Contains(prefix))
            {
                _device.RemoveAllowedIp(peer, prefix);
                changed = true;
            }
        }
        foreach (var prefix in want.AllowedIps)
        {
            if (!have.AllowedIps.Contains(prefix))
            {
                _device.AddAllowedIp(peer, prefix);
                changed = true;
            }
        }
        // Only a change in the map moves the endpoint: an address the peer roamed to (learned from its
        // authenticated packets) must not be overwritten by the same stale entry on every delta.
        if ((have.Endpoint != want.Endpoint || have.Pinned != want.Pinned) && want.Endpoint is not null)
        {
            SetEndpoint(peer, want);
            changed = true;
        }
        return changed;
    }

    private static void SetEndpoint(Peer peer, AppliedPeer want)
    {
        if (want.Endpoint is not { } endpoint)
        {
            return;
        }
        if (want.Pinned)
        {
            // MagicBind maps every path of the peer to this endpoint and picks the real one per packet.
            Device.PinEndpoint(peer, endpoint);
        }
        else
        {
            Device.SetEndpoint(peer, endpoint);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "engine: {Added} peers added, {Updated} updated, {Removed} removed, {Total} in all")]
    private static partial void LogApplied(ILogger logger, int added, int updated, int removed, int total);

    private sealed record AppliedPeer(HashSet<IPNetwork> AllowedIps, UdpEndpoint? Endpoint, bool Pinned);
}

/// <summary>How many peers one <see cref="EngineConfigurator.Apply"/> added, updated and removed.</summary>
public record struct EngineDiff(int Added, int Updated, int Removed);
