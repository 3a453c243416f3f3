using Weft.Core.Control;
using Weft.Core.Wire;
using Weft.Node.ControlLoop;

namespace Weft.Node.Tests.ControlLoop;

public sealed class NetmapTests
{
    [Fact]
    public void FromFull_IndexesPeersById()
    {
        var map = Netmap.FromFull(TestNodes.Full(TestNodes.Make(1), TestNodes.Make(2), TestNodes.Make(3)));

        Assert.Equal(1, map.Self.Id);
        Assert.Equal([2L, 3L], map.Peers.Keys.Order());
        Assert.Equal("alice@example.com", map.UserProfiles[1].Login);
        Assert.Equal("example.weft.internal", map.Dns?.Domain);
    }

    [Fact]
    public void RelayMap_ComesWithTheFullMap_IsReplacedByADelta_AndSurvivesTheCache()
    {
        var first = new RelayMap { Regions = [new RelayRegion { Id = 1, Code = "lab", Relays = [new RelayNode { Url = "http://192.0.2.1:8080" }] }] };
        var map = Netmap.FromFull(TestNodes.Full(TestNodes.Make(1), TestNodes.Make(2)) with { RelayMap = first });
        Assert.Equal("lab", map.RelayMap?.Regions[0].Code);

        var second = new RelayMap { Regions = [new RelayRegion { Id = 2, Code = "fra" }] };
        var next = map.Apply(new MapResponse { RelayMap = second }, out var changes);

        Assert.Equal(NetmapChanges.Relays, changes);
        Assert.Equal("fra", next.RelayMap?.Regions[0].Code);
        Assert.Equal("fra", Netmap.FromFull(next.ToFullMap()).RelayMap?.Regions[0].Code);
        map.Apply(new MapResponse { Dns = new DnsConfig { Domain = "example.weft.internal" } }, out var dnsOnly);
        Assert.Equal(NetmapChanges.Dns, dnsOnly);
    }

    [Fact]
    public void FromFull_WithoutSelf_IsRefused() =>
        Assert.Throws<NetmapException>(() => Netmap.FromFull(new MapResponse { Peers = [TestNodes.Make(2)] }));

    [Fact]
    public void FromFull_DuplicatePeerIds_IsRefused()
    {
        var peer = TestNodes.Make(2);
        Assert.Throws<NetmapException>(() => Netmap.FromFull(TestNodes.Full(TestNodes.Make(1), peer, peer with { Name = "twin" })));
    }

    [Fact]
    public void Apply_PeersChanged_AddsNewAndReplacesKnown()
    {
        var map = Netmap.FromFull(TestNodes.Full(TestNodes.Make(1), TestNodes.Make(2)));
        var renamed = map.Peers[2] with { Name = "renamed" };

        var next = map.Apply(new MapResponse { PeersChanged = [renamed, TestNodes.Make(3)] }, out var changes);

        Assert.Equal(NetmapChanges.Peers, changes);
        Assert.Equal("renamed", next.Peers[2].Name);
        Assert.True(next.Peers.ContainsKey(3));
        Assert.Equal("node2", map.Peers[2].Name);
    }

    [Fact]
    public void Apply_PeersRemoved_ForgetsThem()
    {
        var map = Netmap.FromFull(TestNodes.Full(TestNodes.Make(1), TestNodes.Make(2), TestNodes.Make(3)));

        var next = map.Apply(new MapResponse { PeersRemoved = [2, 99] }, out var changes);

        Assert.Equal(NetmapChanges.Peers, changes);
        Assert.Equal([3L], next.Peers.Keys);
    }

    [Fact]
    public void Apply_PeersPatched_ChangesOnlyThePatchedFields()
    {
        var map = Netmap.FromFull(TestNodes.Full(TestNodes.Make(1), TestNodes.Make(2, "10.0.0.2:41641")));
        var expiry = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);

        var next = map.Apply(new MapResponse
        {
            PeersPatched = [new PeerPatch { Id = 2, Endpoints = ["10.9.9.9:5555"], Online = false, KeyExpiry = expiry }],
        }, out _);

        var peer = next.Peers[2];
        Assert.Equal(["10.9.9.9:5555"], peer.Endpoints);
        Assert.False(peer.Online);
        Assert.Equal(expiry, peer.KeyExpiry);
        Assert.Equal(map.Peers[2].NodeKey, peer.NodeKey);
        Assert.Equal(map.Peers[2].AllowedIPs, peer.AllowedIPs);
    }

    [Fact]
    public void Apply_FilterDnsSelfAndUsers_ReportTheirChanges()
    {
        var map = Netmap.FromFull(TestNodes.Full(TestNodes.Make(1), TestNodes.Make(2)));
        FilterRule rule = new() { Sources = ["100.64.0.2/32"], Destinations = [new FilterDestination("100.64.0.1/32", new PortRange(22, 22))] };

        var next = map.Apply(new MapResponse
        {
            Self = map.Self with { Name = "me" },
            PacketFilter = [rule],
            Dns = new DnsConfig { Domain = "other.internal" },
            UserProfiles = [new UserProfile(2, "bob@example.com", "Bob")],
        }, out var changes);

        Assert.Equal(NetmapChanges.Self | NetmapChanges.Filter | NetmapChanges.Dns | NetmapChanges.Users, changes);
        Assert.Equal("me", next.Self.Name);
        Assert.Equal([rule], next.PacketFilter);
        Assert.Equal("other.internal", next.Dns?.Domain);
        Assert.Equal("bob@example.com", next.UserProfiles[2].Login);
        Assert.Equal("alice@example.com", next.UserProfiles[1].Login);
    }

    [Fact]
    public void Apply_KeepAlive_ChangesNothing()
    {
        var map = Netmap.FromFull(TestNodes.Full(TestNodes.Make(1), TestNodes.Make(2)));

        var next = map.Apply(new MapResponse { KeepAlive = true }, out var changes);

        Assert.Equal(NetmapChanges.None, changes);
        Assert.Same(map, next);
    }

    [Fact]
    public void Apply_FullMap_ReplacesEverything()
    {
        var map = Netmap.FromFull(TestNodes.Full(TestNodes.Make(1), TestNodes.Make(2)));

        var next = map.Apply(TestNodes.Full(TestNodes.Make(1), TestNodes.Make(5)), out var changes);

        Assert.Equal(NetmapChanges.All, changes);
        Assert.Equal([5L], next.Peers.Keys);
    }

    public static TheoryData<string> MalformedDeltas => new()
    {
        "bad node key",
        "bad allowed ip",
        "bad address",
        "bad endpoint",
        "patch of unknown peer",
        "bad patch endpoint",
        "bad filter prefix",
    };

    [Theory]
    [MemberData(nameof(MalformedDeltas))]
    public void Apply_MalformedDelta_IsRefusedWhole_AndTheViewStays(string kind)
    {
        var map = Netmap.FromFull(TestNodes.Full(TestNodes.Make(1), TestNodes.Make(2)));
        var good = TestNodes.Make(3);
        MapResponse delta = kind switch
        {
            "bad node key" => new() { PeersChanged = [good, TestNodes.Make(4) with { NodeKey = "nodekey:zz" }] },
            "bad allowed ip" => new() { PeersChanged = [good, TestNodes.Make(4) with { AllowedIPs = ["100.64.0.4/99"] }] },
            "bad address" => new() { PeersChanged = [good, TestNodes.Make(4) with { Addresses = ["not-an-ip"] }] },
            "bad endpoint" => new() { PeersChanged = [good, TestNodes.Make(4) with { Endpoints = ["10.0.0.4"] }] },
            "patch of unknown peer" => new() { PeersChanged = [good], PeersPatched = [new PeerPatch { Id = 77, Online = true }] },
            "bad patch endpoint" => new() { PeersChanged = [good], PeersPatched = [new PeerPatch { Id = 2, Endpoints = ["::::"] }] },
            "bad filter prefix" => new()
            {
                PeersChanged = [good],
                PacketFilter = [new FilterRule { Sources = ["300.1.1.1/32"], Destinations = [new FilterDestination("*", PortRange.All)] }],
            },
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        Assert.Throws<NetmapException>(() => map.Apply(delta, out _));
        Assert.Equal([2L], map.Peers.Keys);
    }

    [Fact]
    public void ToFullMap_RoundTripsThroughFromFull()
    {
        var map = Netmap.FromFull(TestNodes.Full(TestNodes.Make(1), TestNodes.Make(2), TestNodes.Make(3)));

        var again = Netmap.FromFull(map.ToFullMap());

        Assert.Equal(map.Self, again.Self);
        Assert.Equal(map.Peers.Keys.Order(), again.Peers.Keys.Order());
        Assert.Equal(map.Peers[3], again.Peers[3]);
        Assert.Equal(map.Dns, again.Dns);
    }

    [Fact]
    public void PeerByAddress_FindsOwnAddressesOnly()
    {
        var map = Netmap.FromFull(TestNodes.Full(TestNodes.Make(1), TestNodes.Make(2) with { AllowedIPs = ["100.64.0.2/32", "10.0.0.0/8"] }));

        Assert.Equal(2, map.PeerByAddress(System.Net.IPAddress.Parse("100.64.0.2"))?.Id);
        Assert.Equal(2, map.PeerByAddress(System.Net.IPAddress.Parse("fd7a:115c:a1e0::2"))?.Id);
        Assert.Null(map.PeerByAddress(System.Net.IPAddress.Parse("10.0.0.5")));
    }
}
