using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Weft.Core.Crypto;
using Weft.Node.Filter;
using Weft.WireGuard;
using Weft.WireGuard.Conn;
using Weft.WireGuard.Tun;
using static Weft.Node.Tests.Filter.FilterPackets;

namespace Weft.Node.Tests.Filter;

/// <summary>
/// The tailnet filter on a running WireGuard device: this node (100.64.0.1) lets its peer (100.64.0.2) in on
/// tcp/22 only; everything else the peer sends is refused before the TUN, except replies to this node's flows.
/// </summary>
public sealed class TailnetFilterDeviceTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
    private readonly ChannelTun _selfTun = new("filtered");
    private readonly ChannelTun _peerTun = new("peer");
    private readonly WireGuard.Device _self;
    private readonly WireGuard.Device _peer;
    private readonly TailnetFilter _filter;

    public TailnetFilterDeviceTests()
    {
        ChannelBind.CreatePair(out var selfBind, out var peerBind);
        _self = new WireGuard.Device(_selfTun, selfBind, new DeviceOptions { Time = _time }, NullLogger.Instance);
        _peer = new WireGuard.Device(_peerTun, peerBind, new DeviceOptions { Time = _time }, NullLogger.Instance);
        _self.SetPrivateKey(Curve25519.GeneratePrivateKey());
        _peer.SetPrivateKey(Curve25519.GeneratePrivateKey());
        _self.Start();
        _peer.Start();
        var peerAtSelf = _self.AddPeer(_peer.PublicKey!.Value)!;
        var selfAtPeer = _peer.AddPeer(_self.PublicKey!.Value)!;
        _self.AddAllowedIp(peerAtSelf, IPNetwork.Parse("100.64.0.2/32"));
        _peer.AddAllowedIp(selfAtPeer, IPNetwork.Parse("100.64.0.1/32"));
        WireGuard.Device.SetEndpoint(peerAtSelf, peerBind.LocalEndpoint);
        WireGuard.Device.SetEndpoint(selfAtPeer, selfBind.LocalEndpoint);
        _filter = new TailnetFilter(_time);
        _filter.SetRules(TailnetFilterTests.SshFromB, TailnetFilterTests.LocalAddresses);
        _self.PacketFilter = _filter;
    }

    private static CancellationToken Guard => new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token;

    [Fact]
    public async Task PeerPacket_ThatNoRuleAllows_NeverReachesTheTun_AndIsCountedTwice()
    {
        await _peerTun.Inject(Tcp("100.64.0.2", 50000, "100.64.0.1", 80, Syn), Guard);
        await _peerTun.Inject(Udp("100.64.0.2", 50000, "100.64.0.1", 53), Guard);
        var ssh = Tcp("100.64.0.2", 50000, "100.64.0.1", 22, Syn);
        await _peerTun.Inject(ssh, Guard);
        // Per-peer order is kept: the refused packets would have been written before this one.
        Assert.Equal(ssh, await _selfTun.Written.ReadAsync(Guard));
        Assert.False(_selfTun.Written.TryRead(out _));
        Assert.Equal(2, _self.Stats.FilteredInbound);
        Assert.Equal(2, _filter.Counters.DroppedByRule);
        Assert.Equal(1, _filter.Counters.AcceptedByRule);
    }

    [Fact]
    public async Task ReplyToThisNodesFlow_GetsBackThroughTheTunnel()
    {
        var query = Udp("100.64.0.1", 40000, "100.64.0.2", 53);
        await _selfTun.Inject(query, Guard);
        Assert.Equal(query, await _peerTun.Written.ReadAsync(Guard));
        await _peerTun.Inject(Udp("100.64.0.2", 53, "100.64.0.1", 40001), Guard);
        var answer = Udp("100.64.0.2", 53, "100.64.0.1", 40000);
        await _peerTun.Inject(answer, Guard);
        Assert.Equal(answer, await _selfTun.Written.ReadAsync(Guard));
        Assert.Equal(1, _self.Stats.FilteredInbound);
        Assert.Equal(1, _filter.Counters.AcceptedByFlow);
    }

    public void Dispose()
    {
        _self.Dispose();
        _peer.Dispose();
        _filter.Dispose();
    }
}
