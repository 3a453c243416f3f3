using Weft.Core.Keys;
using Weft.WireGuard.Conn;

namespace Weft.Node.Paths;

/// <summary>
/// One peer as <see cref="MagicBind.SetPeers"/> takes it: keys, the endpoints the netmap lists, and whether the peer
/// reported a hard NAT (which makes an easy-NAT node spray it with birthday pings) or holds a router port mapping
/// (reachable from anywhere at that port: no birthday probing needed towards it).
/// </summary>
public sealed record MagicPeerConfig(NodePublic NodeKey, DiscoPublic DiscoKey, IReadOnlyList<UdpEndpoint> Endpoints, bool HardNat = false, bool PortMapped = false)
{
    /// <summary>Builds from a netmap node; endpoints that do not parse are skipped; a missing disco key leaves <see cref="DiscoKey"/> default; false when the node key does not parse.</summary>
    public static bool TryFromNode(Weft.Core.Control.Node node, out MagicPeerConfig config)
    {
        ArgumentNullException.ThrowIfNull(node);
        config = null!;
        if (!NodePublic.TryParse(node.NodeKey, out var nodeKey))
        {
            return false;
        }
        // A peer that has not told control its disco key yet is still reached through the relay (no disco until it does).
        var discoKey = DiscoPublic.TryParse(node.DiscoKey, out var parsed) ? parsed : default;
        var endpoints = new List<UdpEndpoint>(node.Endpoints.Count);
        foreach (var text in node.Endpoints)
        {
            if (UdpEndpoint.TryParse(text, out var endpoint) && endpoint.Port != 0)
            {
                endpoints.Add(endpoint);
            }
        }
        var info = node.HostInfo.NetInfo;
        config = new MagicPeerConfig(nodeKey, discoKey, endpoints, info?.MappingVariesByDestination == true, info is { PortMapping.Length: > 0 });
        return true;
    }
}
