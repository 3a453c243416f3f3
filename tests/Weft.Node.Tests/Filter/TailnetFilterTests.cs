using System.Net;
using Microsoft.Extensions.Time.Testing;
using Weft.Core.Wire;
using Weft.Node.Filter;
using static Weft.Node.Tests.Filter.FilterPackets;

namespace Weft.Node.Tests.Filter;

/// <summary>
/// The stateful filter with rules that let peer B (100.64.0.2, fd7a:115c:a1e0::2) reach this node
/// (100.64.0.1, fd7a:115c:a1e0::1) on tcp/22 only; peer C (100.64.0.3) has no rule.
/// </summary>
public sealed class TailnetFilterTests : IDisposable
{
    private const string Self = "100.64.0.1";
    private const string Self6 = "fd7a:115c:a1e0::1";
    private const string B = "100.64.0.2";
    private const string B6 = "fd7a:115c:a1e0::2";
    private const string C = "100.64.0.3";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
    private readonly TailnetFilter _filter;

    public TailnetFilterTests()
    {
        _filter = new TailnetFilter(_time);
        _filter.SetRules(SshFromB, LocalAddresses);
    }

    internal static IReadOnlyList<FilterRule> SshFromB { get; } =
    [
        new FilterRule
        {
            Sources = ["100.64.0.2/32", "fd7a:115c:a1e0::2/128"],
            Destinations = [new FilterDestination("100.64.0.1/32", new PortRange(22, 22)), new FilterDestination("fd7a:115c:a1e0::1/128", new PortRange(22, 22))],
            Protocols = [IpProtocol.Tcp],
        },
    ];

    internal static IReadOnlyList<IPNetwork> LocalAddresses { get; } = [IPNetwork.Parse("100.64.0.1/32"), IPNetwork.Parse("fd7a:115c:a1e0::1/128")];

    [Theory]
    [InlineData(B, Self)]
    [InlineData(B6, Self6)]
    public void Inbound_SynToAllowedPort_PassesAndToOtherPort_IsDroppedByRule(string source, string destination)
    {
        Assert.True(_filter.AllowInbound(Tcp(source, 50000, destination, 22, Syn)));
        Assert.False(_filter.AllowInbound(Tcp(source, 50000, destination, 80, Syn)));
        Assert.Equal(1, _filter.Counters.AcceptedByRule);
        Assert.Equal(1, _filter.Counters.DroppedByRule);
    }

    [Fact]
    public void Inbound_FromPeerWithoutRule_IsDropped()
    {
        Assert.False(_filter.AllowInbound(Tcp(C, 50000, Self, 22, Syn)));
        Assert.Equal(1, _filter.Counters.DroppedByRule);
    }

    [Theory]
    [InlineData(Self, B)]
    [InlineData(Self6, B6)]
    public void Inbound_RepliesToOwnTcpConnection_Pass(string self, string peer)
    {
        Assert.True(_filter.AllowOutbound(Tcp(self, 40000, peer, 80, Syn)));
        Assert.True(_filter.AllowInbound(Tcp(peer, 80, self, 40000, Syn | Ack)));
        Assert.True(_filter.AllowOutbound(Tcp(self, 40000, peer, 80, Ack)));
        Assert.True(_filter.AllowInbound(Tcp(peer, 80, self, 40000, Ack)));
        Assert.Equal(2, _filter.Counters.AcceptedByFlow);
        // Same peer and port, another local port: not the connection this node opened.
        Assert.False(_filter.AllowInbound(Tcp(peer, 80, self, 40001, Ack)));
        // A third party cannot ride on the flow.
        Assert.False(_filter.AllowInbound(Tcp(C, 80, Self, 40000, Ack)));
    }

    [Fact]
    public void Outbound_AckOnConnectionARuleLetIn_OpensNoFlow()
    {
        Assert.True(_filter.AllowInbound(Tcp(B, 50000, Self, 22, Syn)));
        Assert.True(_filter.AllowOutbound(Tcp(Self, 22, B, 50000, Syn | Ack)));
        _filter.SetRules([], LocalAddresses);
        // The rule is gone and the node never opened this connection: it is cut.
        Assert.False(_filter.AllowInbound(Tcp(B, 50000, Self, 22, Ack)));
    }

    [Fact]
    public void Inbound_UnsolicitedUdp_IsDropped_AndReplyToOwnUdp_Passes()
    {
        Assert.False(_filter.AllowInbound(Udp(B, 53, Self, 40000)));
        Assert.True(_filter.AllowOutbound(Udp(Self, 40000, B, 53)));
        Assert.True(_filter.AllowInbound(Udp(B, 53, Self, 40000)));
        Assert.False(_filter.AllowInbound(Udp(B, 54, Self, 40000)));
        Assert.Equal(1, _filter.Counters.AcceptedByFlow);
        Assert.Equal(2, _filter.Counters.DroppedByRule);
    }

    [Fact]
    public void UdpFlow_ExpiresAfterTwoIdleMinutes_AndTrafficKeepsItAlive()
    {
        _filter.AllowOutbound(Udp(Self, 40000, B, 53));
        _time.Advance(TimeSpan.FromSeconds(90));
        Assert.True(_filter.AllowInbound(Udp(B, 53, Self, 40000)));
        // 90 s more: three minutes after the request but only 90 s after the reply that refreshed it.
        _time.Advance(TimeSpan.FromSeconds(90));
        Assert.True(_filter.AllowInbound(Udp(B, 53, Self, 40000)));
        Assert.Equal(1, _filter.Counters.TrackedFlows);
        _time.Advance(FilterConstants.UdpTimeout + TimeSpan.FromSeconds(1));
        Assert.False(_filter.AllowInbound(Udp(B, 53, Self, 40000)));
        Assert.Equal(0, _filter.Counters.TrackedFlows);
    }

    [Fact]
    public void TcpFlow_OutlivesUdpTimeout_ButEndsSoonAfterFin()
    {
        _filter.AllowOutbound(Tcp(Self, 40000, B, 80, Syn));
        _time.Advance(TimeSpan.FromHours(1));
        Assert.True(_filter.AllowInbound(Tcp(B, 80, Self, 40000, Ack)));
        _filter.AllowOutbound(Tcp(Self, 40000, B, 80, Fin | Ack));
        Assert.True(_filter.AllowInbound(Tcp(B, 80, Self, 40000, Fin | Ack)));
        _time.Advance(FilterConstants.TcpClosingTimeout + TimeSpan.FromSeconds(1));
        Assert.False(_filter.AllowInbound(Tcp(B, 80, Self, 40000, Ack)));
    }

    [Fact]
    public void TcpFlow_ExpiresAfterTcpTimeout()
    {
        _filter.AllowOutbound(Tcp(Self, 40000, B, 80, Syn));
        _time.Advance(FilterConstants.TcpTimeout - TimeSpan.FromSeconds(1));
        Assert.True(_filter.AllowInbound(Tcp(B, 80, Self, 40000, Syn | Ack)));
        _time.Advance(FilterConstants.TcpTimeout + TimeSpan.FromSeconds(1));
        Assert.False(_filter.AllowInbound(Tcp(B, 80, Self, 40000, Ack)));
    }

    [Theory]
    [InlineData(Self, B)]
    [InlineData(Self6, B6)]
    public void Icmp_EchoRequestNeedsRule_EchoReplyToOwnPingPasses_UntilItExpires(string self, string peer)
    {
        Assert.False(_filter.AllowInbound(EchoRequest(peer, self, 7)));
        Assert.False(_filter.AllowInbound(EchoReply(peer, self, 7)));
        _filter.AllowOutbound(EchoRequest(self, peer, 7));
        Assert.True(_filter.AllowInbound(EchoReply(peer, self, 7)));
        Assert.False(_filter.AllowInbound(EchoReply(peer, self, 8)));
        Assert.False(_filter.AllowInbound(EchoRequest(peer, self, 7)));
        _time.Advance(FilterConstants.IcmpTimeout + TimeSpan.FromSeconds(1));
        Assert.False(_filter.AllowInbound(EchoReply(peer, self, 7)));
    }

    [Fact]
    public void Icmp_EchoRequestWithRule_Passes()
    {
        _filter.SetRules(
            [new FilterRule { Sources = ["100.64.0.0/10"], Destinations = [new FilterDestination("100.64.0.1/32", PortRange.All)], Protocols = [IpProtocol.Icmp] }],
            LocalAddresses);
        Assert.True(_filter.AllowInbound(EchoRequest(C, Self, 1)));
    }

    [Fact]
    public void IcmpErrors_AboutOwnFlows_Pass_AndAboutOthers_AreDropped()
    {
        var query = Udp(Self, 40000, B, 53);
        _filter.AllowOutbound(query);
        Assert.True(_filter.AllowInbound(IcmpError(B, Self, 3, 3, query)));          // port unreachable
        var syn = Tcp(Self, 40001, B, 443, Syn);
        _filter.AllowOutbound(syn);
        Assert.True(_filter.AllowInbound(IcmpError(C, Self, 3, 4, syn)));            // fragmentation needed, from a router
        Assert.False(_filter.AllowInbound(IcmpError(B, Self, 3, 3, Udp(Self, 40002, B, 53))));
        // A quote of someone else's packet is not about this node's flow.
        Assert.False(_filter.AllowInbound(IcmpError(B, Self, 3, 3, Udp(C, 40000, B, 53))));
        var ping = EchoRequest(Self, B, 9);
        _filter.AllowOutbound(ping);
        Assert.True(_filter.AllowInbound(IcmpError(B, Self, 11, 0, ping)));          // time exceeded
        Assert.Equal(3, _filter.Counters.AcceptedByFlow);
    }

    [Fact]
    public void IcmpV6_PacketTooBig_AboutOwnFlow_Passes()
    {
        var big = Udp(Self6, 40000, B6, 443, payload: 200);
        _filter.AllowOutbound(big);
        Assert.True(_filter.AllowInbound(IcmpError(B6, Self6, 2, 0, big)));
        Assert.False(_filter.AllowInbound(IcmpError(B6, Self6, 2, 0, Udp(Self6, 40001, B6, 443))));
    }

    [Fact]
    public void IcmpError_AboutReplyOnRuleAllowedFlow_Passes()
    {
        // This node answers B's SSH session; B says the answer was too big.
        var answer = Tcp(Self, 22, B, 50000, Ack);
        _filter.AllowOutbound(answer);
        Assert.True(_filter.AllowInbound(IcmpError(B, Self, 3, 4, answer)));
        Assert.False(_filter.AllowInbound(IcmpError(B, Self, 3, 4, Tcp(Self, 80, B, 50000, Ack))));
        Assert.Equal(1, _filter.Counters.AcceptedByRule);
    }

    [Theory]
    [InlineData(B, Self)]
    [InlineData(B6, Self6)]
    public void LaterFragments_PassOnlyAfterTheirAcceptedFirstFragment(string source, string destination)
    {
        var segment = TransportOf(Tcp(source, 50000, destination, 22, Ack));
        var payload = new byte[24];
        Assert.False(_filter.AllowInbound(Fragment(source, destination, 6, payload, id: 77, offset: 3, more: false)));
        Assert.True(_filter.AllowInbound(Fragment(source, destination, 6, segment, id: 77, offset: 0, more: true)));
        Assert.True(_filter.AllowInbound(Fragment(source, destination, 6, payload, id: 77, offset: 3, more: false)));
        Assert.False(_filter.AllowInbound(Fragment(source, destination, 6, payload, id: 78, offset: 3, more: false)));
        // A first fragment to a port no rule allows opens nothing.
        var other = TransportOf(Tcp(source, 50000, destination, 80, Ack));
        Assert.False(_filter.AllowInbound(Fragment(source, destination, 6, other, id: 79, offset: 0, more: true)));
        Assert.False(_filter.AllowInbound(Fragment(source, destination, 6, payload, id: 79, offset: 3, more: false)));
        Assert.Equal(3, _filter.Counters.DroppedFragment);
        _time.Advance(FilterConstants.FragmentTimeout + TimeSpan.FromSeconds(1));
        Assert.False(_filter.AllowInbound(Fragment(source, destination, 6, payload, id: 77, offset: 6, more: false)));
    }

    [Fact]
    public void LaterFragments_OfReplyToOwnFlow_Pass()
    {
        _filter.AllowOutbound(Udp(Self, 40000, B, 9000));
        var reply = TransportOf(Udp(B, 9000, Self, 40000, payload: 16));
        Assert.True(_filter.AllowInbound(Fragment(B, Self, 17, reply, id: 5, offset: 0, more: true)));
        Assert.True(_filter.AllowInbound(Fragment(B, Self, 17, new byte[16], id: 5, offset: 3, more: false)));
    }

    [Fact]
    public void Inbound_ForAddressNotOurs_IsDroppedAsNotLocal_UnlessARuleRoutesIt()
    {
        Assert.False(_filter.AllowInbound(Tcp(B, 50000, "100.64.0.9", 22, Syn)));
        Assert.Equal(1, _filter.Counters.DroppedNotLocal);
        _filter.SetRules(
            [new FilterRule { Sources = ["100.64.0.2/32"], Destinations = [new FilterDestination("192.168.1.0/24", PortRange.All)] }],
            LocalAddresses);
        Assert.True(_filter.AllowInbound(Tcp(B, 50000, "192.168.1.5", 22, Syn)));
        Assert.False(_filter.AllowInbound(Tcp(B, 50000, "192.168.2.5", 22, Syn)));
        Assert.Equal(2, _filter.Counters.DroppedNotLocal);
    }

    [Fact]
    public void SetRules_KeepsTrackedFlows()
    {
        _filter.AllowOutbound(Udp(Self, 40000, B, 53));
        _filter.SetRules([], LocalAddresses);
        Assert.True(_filter.AllowInbound(Udp(B, 53, Self, 40000)));
        Assert.False(_filter.AllowInbound(Tcp(B, 50000, Self, 22, Syn)));
    }

    [Fact]
    public void SetRules_LeavesOutInvalidRules_AndKeepsTheValidOnes()
    {
        FilterRule bad = new() { Sources = ["not-a-prefix"], Destinations = [new FilterDestination("100.64.0.1/32", PortRange.All)] };
        _filter.SetRules([bad, .. SshFromB], LocalAddresses);
        Assert.Equal(1, _filter.Counters.InvalidRules);
        Assert.Contains("filter rule 0", _filter.RuleErrors[0], StringComparison.Ordinal);
        Assert.Contains("not-a-prefix", _filter.RuleErrors[0], StringComparison.Ordinal);
        Assert.True(_filter.AllowInbound(Tcp(B, 50000, Self, 22, Syn)));
    }

    public static TheoryData<byte[]> MalformedPackets => new()
    {
        Array.Empty<byte>(),
        new byte[] { 0x45, 0, 0 },                                  // truncated IPv4 header
        Header(0x55, 20),                                           // version 5
        Header(0x44, 20),                                           // IHL below 5
        Header(0x4F, 20),                                           // IHL beyond the packet
        Truncate(Udp(B, 53, Self, 40000), 24),                      // total length beyond the buffer
        Ip(B, Self, 6, new byte[8]),                                // TCP header cut at 8 bytes (tiny first fragment)
        Ip(B, Self, 17, new byte[4]),                               // UDP header cut
        Ip(B, Self, 1, new byte[4]),                                // ICMP header cut
        Truncate(Udp(B6, 53, Self6, 40000), 44),                    // IPv6 payload length beyond the buffer
        Ip(B6, Self6, 0, new byte[1]),                              // hop-by-hop header cut
        Fragment(B, Self, 6, new byte[16], id: 1, offset: 1, more: false),   // rewrites the TCP header (RFC 1858)
        Fragment(B6, Self6, 6, new byte[16], id: 1, offset: 2, more: false), // the same, IPv6
    };

    [Theory]
    [MemberData(nameof(MalformedPackets))]
    public void Inbound_Malformed_IsDroppedAndCounted(byte[] packet)
    {
        Assert.False(_filter.AllowInbound(packet));
        Assert.Equal(1, _filter.Counters.DroppedMalformed);
        Assert.True(_filter.AllowOutbound(packet));
    }

    [Fact]
    public void FlowTable_WhenFull_EvictsAndKeepsWorking()
    {
        using var small = new TailnetFilter(_time, flowCapacity: 16);
        small.SetRules(SshFromB, LocalAddresses);
        for (ushort port = 1000; port < 1200; port++)
        {
            small.AllowOutbound(Udp(Self, port, B, 53));
            Assert.True(small.AllowInbound(Udp(B, 53, Self, port)));
        }
        Assert.Equal(16, small.Counters.TrackedFlows);
        Assert.Equal(200 - 16, small.Counters.FlowsEvicted);
        Assert.Equal(200, small.Counters.FlowsCreated);
    }

    [Fact]
    public void ConcurrentReadersAndWriters_SeeEveryOwnFlow()
    {
        using var filter = new TailnetFilter(_time, flowCapacity: 1 << 16);
        var failures = 0;
        Parallel.For(0, 4, thread =>
        {
            for (var i = 0; i < 3000; i++)
            {
                var port = (ushort)(10000 + (thread * 3000) + i);
                filter.AllowOutbound(Udp(Self, port, B, 53));
                if (!filter.AllowInbound(Udp(B, 53, Self, port)) || filter.AllowInbound(Udp(B, 53, Self, (ushort)(port + 20000))))
                {
                    Interlocked.Increment(ref failures);
                }
            }
        });
        Assert.Equal(0, failures);
        Assert.Equal(12000, filter.Counters.AcceptedByFlow);
        Assert.Equal(12000, filter.Counters.TrackedFlows);
    }

    [Fact]
    public void Inbound_IPv6WithExtensionHeaders_IsJudgedOnItsTransportHeader()
    {
        var segment = TransportOf(Tcp(B6, 50000, Self6, 22, Syn));
        var denied = TransportOf(Tcp(B6, 50000, Self6, 80, Syn));
        Assert.True(_filter.AllowInbound(WithHopByHop(B6, Self6, 6, segment)));
        Assert.False(_filter.AllowInbound(WithHopByHop(B6, Self6, 6, denied)));
        Assert.Equal(1, _filter.Counters.DroppedByRule);
    }

    [Fact]
    public void TcpFlow_ResetByPeer_EndsAfterClosingTimeout()
    {
        _filter.AllowOutbound(Tcp(Self, 40000, B, 80, Syn));
        Assert.True(_filter.AllowInbound(Tcp(B, 80, Self, 40000, Rst)));
        _time.Advance(FilterConstants.TcpClosingTimeout - TimeSpan.FromSeconds(2));
        // Closing flows are not extended back to the long timeout by later packets.
        Assert.True(_filter.AllowInbound(Tcp(B, 80, Self, 40000, Ack)));
        _time.Advance(FilterConstants.TcpClosingTimeout + TimeSpan.FromSeconds(2));
        Assert.False(_filter.AllowInbound(Tcp(B, 80, Self, 40000, Ack)));
    }

    [Fact]
    public void TcpFlow_NewSynOnClosedTuple_OpensItAgain()
    {
        _filter.AllowOutbound(Tcp(Self, 40000, B, 80, Syn));
        _filter.AllowOutbound(Tcp(Self, 40000, B, 80, Rst));
        _time.Advance(FilterConstants.TcpClosingTimeout + TimeSpan.FromSeconds(2));
        Assert.False(_filter.AllowInbound(Tcp(B, 80, Self, 40000, Syn | Ack)));
        _filter.AllowOutbound(Tcp(Self, 40000, B, 80, Syn));
        _time.Advance(TimeSpan.FromMinutes(30));
        Assert.True(_filter.AllowInbound(Tcp(B, 80, Self, 40000, Syn | Ack)));
    }

    [Fact]
    public async Task FlowTable_ReadersRacingEvictions_NeverSeeAKeyThatWasNotAdded()
    {
        // A tiny table rewritten constantly by one thread while another looks up replies: only flows that
        // were added may match. B's flows use even ports, C's odd ones; the probes swap them.
        using var filter = new TailnetFilter(_time, flowCapacity: 16);
        var stop = 0;
        var writer = Task.Run(() =>
        {
            for (var i = 0; i < 200_000; i++)
            {
                var port = (ushort)(i % 1024);
                var remote = (port & 1) == 0 ? B : C;
                filter.AllowOutbound(Udp(Self, port, remote, 53));
            }
            Volatile.Write(ref stop, 1);
        }, TestContext.Current.CancellationToken);
        var wrong = 0;
        var checks = 0;
        var probes = new byte[1024][];
        for (var port = 0; port < probes.Length; port++)
        {
            // Replies from the remote that did not use this port.
            probes[port] = Udp((port & 1) == 0 ? C : B, 53, Self, (ushort)port);
        }
        while (Volatile.Read(ref stop) == 0 || checks < 100_000)
        {
            if (filter.AllowInbound(probes[checks % probes.Length]))
            {
                wrong++;
            }
            checks++;
        }
        await writer;
        Assert.Equal(0, wrong);
        Assert.True(filter.Counters.FlowsEvicted > 0);
    }

    public void Dispose() => _filter.Dispose();

    private static byte[] WithHopByHop(string source, string destination, byte protocol, byte[] transport)
    {
        // An 8-byte hop-by-hop options header (PadN) in front of the transport header.
        var body = new byte[8 + transport.Length];
        body[0] = protocol;
        body[2] = 1;
        body[3] = 4;
        transport.CopyTo(body.AsSpan(8));
        return Ip(source, destination, 0, body);
    }

    private static byte[] Header(byte first, int length)
    {
        var packet = new byte[length];
        packet[0] = first;
        packet[3] = (byte)length;
        return packet;
    }

    private static byte[] Truncate(byte[] packet, int length) => packet[..length];
}
