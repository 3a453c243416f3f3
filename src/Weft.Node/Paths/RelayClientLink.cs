using Weft.Core.Keys;
using Weft.Relay.Client;

namespace Weft.Node.Paths;

/// <summary>The production <see cref="IRelayLink"/>: a <see cref="RelayClient"/> connected to the home relay of <see cref="Region"/>; pass it unstarted (MagicBind starts it) and dispose it after the bind.</summary>
public sealed class RelayClientLink(RelayClient client, string region) : IRelayLink
{
    public string Region { get; } = region;

    public void Start(RelayPacketHandler onPacket) => client.Start(onPacket);

    public bool TrySend(NodePublic destination, ReadOnlySpan<byte> packet) => client.TrySend(destination, packet);
}
