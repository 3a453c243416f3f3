using System.Collections.Concurrent;
using Weft.Core.Keys;
using Weft.Node.Paths;
using Weft.Relay.Client;

namespace Weft.Node.Tests.Paths;

/// <summary>An in-memory relay: links made by <see cref="Link"/> deliver to each other by node key, synchronously, like a relay that never loses.</summary>
internal sealed class FakeRelay
{
    private readonly ConcurrentDictionary<NodePublic, FakeRelayLink> _links = new();

    /// <summary>Non-disco packets carried so far (the data plane through the relay).</summary>
    public long DataPackets => Interlocked.Read(ref _data);

    private long _data;

    /// <summary>While true the relay loses every non-disco packet (a peer not connected there yet).</summary>
    public volatile bool DropData;

    public FakeRelayLink Link(NodePublic node)
    {
        var link = new FakeRelayLink(this, node);
        _links[node] = link;
        return link;
    }

    /// <summary>Delivers as if <paramref name="source"/> had sent it (the relay vouches for the source).</summary>
    public bool Deliver(NodePublic source, NodePublic destination, ReadOnlySpan<byte> packet)
    {
        if (!_links.TryGetValue(destination, out var link) || link.Handler is null)
        {
            return false;
        }
        if (!DiscoCodec.LooksLikeDisco(packet))
        {
            if (DropData)
            {
                return false;
            }
            Interlocked.Increment(ref _data);
        }
        link.Handler(source, packet.ToArray());
        return true;
    }
}

/// <summary>One node's end of a <see cref="FakeRelay"/>.</summary>
internal sealed class FakeRelayLink(FakeRelay relay, NodePublic node) : IRelayLink
{
    public RelayPacketHandler? Handler { get; private set; }

    public string Region => "test";

    public void Start(RelayPacketHandler onPacket) => Handler = onPacket;

    public bool TrySend(NodePublic destination, ReadOnlySpan<byte> packet) => relay.Deliver(node, destination, packet);
}
