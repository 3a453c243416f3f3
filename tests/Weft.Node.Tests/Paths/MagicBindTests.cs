using Weft.Core.Keys;
using Weft.Node.Paths;
using Weft.WireGuard.Conn;

namespace Weft.Node.Tests.Paths;

public sealed class MagicBindTests
{
    private static byte[] Datagram(byte marker) => [4, 0, 0, 0, marker, 1, 2, 3, 4, 5, 6, 7];

    [Fact]
    public async Task FirstPacket_GoesThroughTheRelay_AndArrivesFromTheSyntheticEndpoint()
    {
        using var pair = new MagicPair();
        Assert.False(pair.A.PeerPath(pair.NodeB)!.IsDirect);
        var (data, from) = await MagicPair.SendAndReceive(pair.A, pair.B, MagicBind.SyntheticEndpoint(pair.NodeB), Datagram(1));
        Assert.Equal(Datagram(1), data);
        Assert.Equal(MagicBind.SyntheticEndpoint(pair.NodeA), from);
        Assert.Equal(1, pair.Relay.DataPackets);
    }

    [Fact]
    public async Task PathMovesToDirect_OncePingsAnswer_AndTrafficLeavesTheRelay()
    {
        using var pair = new MagicPair();
        await MagicPair.SendAndReceive(pair.A, pair.B, MagicBind.SyntheticEndpoint(pair.NodeB), Datagram(1));
        Assert.True(MagicPair.Eventually(() => pair.A.PeerPath(pair.NodeB)!.IsDirect));
        Assert.Equal($"direct {pair.RawB.LocalEndpoint}", pair.A.PeerPath(pair.NodeB)!.ToString());
        var relayed = pair.Relay.DataPackets;
        var (data, from) = await MagicPair.SendAndReceive(pair.A, pair.B, MagicBind.SyntheticEndpoint(pair.NodeB), Datagram(2));
        Assert.Equal(Datagram(2), data);
        // Direct datagrams come from A's real address but reach the engine as A's synthetic endpoint.
        Assert.Equal(MagicBind.SyntheticEndpoint(pair.NodeA), from);
        Assert.Equal(relayed, pair.Relay.DataPackets);
    }

    [Fact]
    public async Task HolePunching_WithoutNetmapEndpoints_CallMeMaybeThroughTheRelayMakesBothSidesDirect()
    {
        using var pair = new MagicPair(endpointsInNetmap: false);
        await MagicPair.SendAndReceive(pair.A, pair.B, MagicBind.SyntheticEndpoint(pair.NodeB), Datagram(1));
        Assert.True(MagicPair.Eventually(() => pair.A.PeerPath(pair.NodeB)!.IsDirect && pair.B.PeerPath(pair.NodeA)!.IsDirect));
        Assert.Equal(pair.RawA.LocalEndpoint, pair.B.PeerPath(pair.NodeA)!.Direct);
    }

    [Fact]
    public async Task DeadDirectPath_FallsBackToTheRelayWithin3s_AndReturnsWhenRestored()
    {
        using var pair = new MagicPair();
        var toB = MagicBind.SyntheticEndpoint(pair.NodeB);
        await MagicPair.SendAndReceive(pair.A, pair.B, toB, Datagram(1));
        Assert.True(MagicPair.Eventually(() => pair.A.PeerPath(pair.NodeB)!.IsDirect));

        pair.GateA.DropSends = true;
        pair.GateB.DropSends = true;
        var fallback = pair.AdvanceUntil(() => !pair.A.PeerPath(pair.NodeB)!.IsDirect, TimeSpan.FromSeconds(10));
        Assert.NotNull(fallback);
        Assert.True(fallback <= TimeSpan.FromSeconds(3), $"fell back after {fallback}");
        var relayed = pair.Relay.DataPackets;
        var (data, _) = await MagicPair.SendAndReceive(pair.A, pair.B, toB, Datagram(2));
        Assert.Equal(Datagram(2), data);
        Assert.Equal(relayed + 1, pair.Relay.DataPackets);

        pair.GateA.DropSends = false;
        pair.GateB.DropSends = false;
        var upgrade = pair.AdvanceUntil(() => pair.A.PeerPath(pair.NodeB)!.IsDirect, TimeSpan.FromSeconds(20));
        Assert.NotNull(upgrade);
        Assert.True(upgrade <= TimeSpan.FromSeconds(10), $"upgraded after {upgrade}");
        relayed = pair.Relay.DataPackets;
        (data, _) = await MagicPair.SendAndReceive(pair.A, pair.B, toB, Datagram(3));
        Assert.Equal(Datagram(3), data);
        Assert.Equal(relayed, pair.Relay.DataPackets);
    }

    [Fact]
    public async Task HandshakeInitiationLostOnTheRelay_IsResentWhenTheDirectPathAppears()
    {
        using var pair = new MagicPair();
        pair.Relay.DropData = true;
        var initiation = new byte[PathConstants.InitiationLength];
        initiation[0] = 1;
        initiation[^1] = 0x5a;
        var receive = Task.Run(() =>
        {
            var buffers = new[] { new byte[65536] };
            var sizes = new int[1];
            var sources = new UdpEndpoint[1];
            var count = pair.B.Receive(buffers, sizes, sources);
            return count == 0 ? [] : buffers[0].AsSpan(0, sizes[0]).ToArray();
        }, TestContext.Current.CancellationToken);

        // No path yet: the relay loses it, as a relay the peer has not reached yet would.
        pair.A.Send([initiation], [initiation.Length], MagicBind.SyntheticEndpoint(pair.NodeB));
        Assert.True(MagicPair.Eventually(() => pair.A.PeerPath(pair.NodeB)!.IsDirect));

        Assert.Equal(initiation, await receive.WaitAsync(MagicPair.Guard, TestContext.Current.CancellationToken));
        Assert.Equal(1, pair.A.InitiationsResent);
        Assert.Equal(0, pair.Relay.DataPackets);
    }

    [Fact]
    public async Task PeerWithoutADiscoKeyYet_IsReachedThroughTheRelay_BothWays()
    {
        using var pair = new MagicPair(open: false);
        pair.A.Open(0);
        pair.B.Open(0);
        // Each knows the other only by node key: control has not passed on a disco key yet.
        pair.A.SetPeers([new MagicPeerConfig(pair.NodeB, default, [pair.RawB.LocalEndpoint])]);
        pair.B.SetPeers([new MagicPeerConfig(pair.NodeA, default, [pair.RawA.LocalEndpoint])]);
        Assert.True(pair.A.HasPeer(pair.NodeB));

        var (data, from) = await MagicPair.SendAndReceive(pair.A, pair.B, MagicBind.SyntheticEndpoint(pair.NodeB), Datagram(1));
        Assert.Equal(Datagram(1), data);
        Assert.Equal(MagicBind.SyntheticEndpoint(pair.NodeA), from);
        (data, _) = await MagicPair.SendAndReceive(pair.B, pair.A, MagicBind.SyntheticEndpoint(pair.NodeA), Datagram(2));
        Assert.Equal(Datagram(2), data);
        Assert.Equal("relay test", pair.A.PeerPath(pair.NodeB)!.ToString());
        Assert.Equal(0, pair.A.RelayUnknownSource + pair.B.RelayUnknownSource);
    }

    [Fact]
    public void NonSyntheticEndpoint_IsPlainUdp()
    {
        using var pair = new MagicPair();
        var elsewhere = UdpEndpoint.From(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 9));
        pair.A.Send([Datagram(1)], [12], elsewhere);
        Assert.True(pair.RawA.Sent.TryRead(out var sent));
        Assert.Equal(elsewhere, sent.Destination);
        Assert.Equal(0, pair.Relay.DataPackets);
    }

    [Fact]
    public void RelayedPacket_FromAStranger_IsDroppedAndCounted()
    {
        using var pair = new MagicPair();
        var stranger = new NodePublic(PrivateKey.Generate().PublicKey());
        Assert.True(pair.Relay.Deliver(stranger, pair.NodeB, Datagram(1)));
        Assert.Equal(1, pair.B.RelayUnknownSource);
    }

    [Fact]
    public void SyntheticEndpoint_IsStable_DistinctPerNode_AndInTheDiscardPrefix()
    {
        var a = new NodePublic(PrivateKey.Generate().PublicKey());
        var b = new NodePublic(PrivateKey.Generate().PublicKey());
        Assert.Equal(MagicBind.SyntheticEndpoint(a), MagicBind.SyntheticEndpoint(a));
        Assert.NotEqual(MagicBind.SyntheticEndpoint(a), MagicBind.SyntheticEndpoint(b));
        var address = MagicBind.SyntheticEndpoint(a).ToIPEndPoint().Address.GetAddressBytes();
        Assert.Equal(new byte[] { 1, 0, 0, 0, 0, 0, 0, 0 }, address[..8]);
    }

    [Fact]
    public async Task SetPeers_KeepsThePathOfUnchangedPeers_AndForgetsRemovedOnes()
    {
        using var pair = new MagicPair();
        await MagicPair.SendAndReceive(pair.A, pair.B, MagicBind.SyntheticEndpoint(pair.NodeB), Datagram(1));
        Assert.True(MagicPair.Eventually(() => pair.A.PeerPath(pair.NodeB)!.IsDirect));
        pair.A.SetPeers([new MagicPeerConfig(pair.NodeB, pair.B.DiscoPublic, [pair.RawB.LocalEndpoint])]);
        Assert.True(pair.A.PeerPath(pair.NodeB)!.IsDirect);
        pair.A.SetPeers([]);
        Assert.Null(pair.A.PeerPath(pair.NodeB));
    }

    [Fact]
    public async Task Roaming_PeerComesBackOnAnotherPort_PathFollowsIt()
    {
        using var pair = new MagicPair();
        var toA = MagicBind.SyntheticEndpoint(pair.NodeA);
        await MagicPair.SendAndReceive(pair.A, pair.B, MagicBind.SyntheticEndpoint(pair.NodeB), Datagram(1));
        Assert.True(MagicPair.Eventually(() => pair.A.PeerPath(pair.NodeB)!.IsDirect));
        var oldEndpoint = pair.RawB.LocalEndpoint;

        // Like a NAT rebinding: B's socket now has another port; the netmap still lists the old one.
        pair.B.Open(0);
        Assert.NotEqual(oldEndpoint, pair.RawB.LocalEndpoint);
        var moved = pair.AdvanceUntil(() =>
        {
            pair.B.Send([Datagram(2)], [12], toA);
            return pair.A.PeerPath(pair.NodeB)!.Direct == pair.RawB.LocalEndpoint;
        }, TimeSpan.FromSeconds(10));
        Assert.NotNull(moved);
        var (data, from) = await MagicPair.SendAndReceive(pair.A, pair.B, MagicBind.SyntheticEndpoint(pair.NodeB), Datagram(3));
        Assert.Equal(Datagram(3), data);
        Assert.Equal(toA, from);
    }
}
