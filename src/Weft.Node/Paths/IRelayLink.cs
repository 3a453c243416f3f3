using Weft.Core.Keys;
using Weft.Relay.Client;

namespace Weft.Node.Paths;

/// <summary>What <see cref="MagicBind"/> needs of the home relay: send to a node key, and receive through a callback.</summary>
public interface IRelayLink
{
    /// <summary>The home relay's region code, shown as the path of relayed peers ("relay fra").</summary>
    string Region { get; }

    /// <summary>The region packets to <paramref name="peer"/> go through (its home when known, else ours).</summary>
    string RegionFor(NodePublic peer) => Region;

    /// <summary>Starts delivering received packets to <paramref name="onPacket"/> (called once).</summary>
    void Start(RelayPacketHandler onPacket);

    /// <summary>Queues a packet for a node; false (and counted by the link) when it cannot.</summary>
    bool TrySend(NodePublic destination, ReadOnlySpan<byte> packet);
}
