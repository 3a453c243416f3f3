using System.Text;

namespace Weft.WireGuard.Tests.Device;

/// <summary>The device's packet-filter hook: refused packets never reach the TUN or the wire, and are counted.</summary>
public sealed class PacketFilterHookTests
{
    private static readonly byte[] Allowed = Encoding.ASCII.GetBytes("allowed");
    private static readonly byte[] Blocked = Encoding.ASCII.GetBytes("blocked");

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task Inbound_RefusedPacket_NeverReachesTheTun_AndIsCounted(int cryptoWorkers)
    {
        using var pair = new DevicePair(fakeTime: false, cryptoWorkers: cryptoWorkers);
        var filter = new MarkerFilter(Blocked);
        pair.B.PacketFilter = filter;
        var first = Packets.Udp4("10.0.0.1", "10.0.0.2", Allowed);
        Assert.Equal(first, await pair.SendAToB(first));

        await pair.TunA.Inject(Packets.Udp6("fd00::1", "fd00::2", Blocked), DevicePair.Guard);
        var after = Packets.Udp4("10.0.0.1", "10.0.0.2", Allowed);
        // Order per peer is kept, so had the blocked packet passed it would be read here first.
        Assert.Equal(after, await pair.SendAToB(after));
        await pair.B.Drained();
        Assert.False(pair.TunB.Written.TryRead(out _));
        Assert.Equal(1, pair.B.Stats.FilteredInbound);
        Assert.Equal(0, pair.B.Stats.FilteredOutbound);
        Assert.Equal(3, filter.InboundSeen);
    }

    [Fact]
    public async Task Inbound_FilterSeesThePacketWithoutPadding()
    {
        using var pair = new DevicePair();
        var filter = new MarkerFilter(Blocked);
        pair.B.PacketFilter = filter;
        // 31 bytes: the sender pads it to 32 inside the tunnel; the filter must see the IP packet only.
        var odd = Packets.Udp4("10.0.0.1", "10.0.0.2", new byte[3]);
        Assert.Equal(odd, await pair.SendAToB(odd));
        Assert.Equal(odd.Length, filter.LastInboundLength);
    }

    [Fact]
    public async Task Outbound_RefusedPacket_IsNeverSent_AndIsCounted()
    {
        using var pair = new DevicePair();
        var filter = new MarkerFilter(Blocked);
        pair.A.PacketFilter = filter;
        var first = Packets.Udp4("10.0.0.1", "10.0.0.2", Allowed);
        Assert.Equal(first, await pair.SendAToB(first));
        await pair.A.Drained();
        DevicePair.DrainSent(pair.BindA);

        await pair.TunA.Inject(Packets.Udp4("10.0.0.1", "10.0.0.2", Blocked), DevicePair.Guard);
        var after = Packets.Udp4("10.0.0.1", "10.0.0.2", Allowed);
        Assert.Equal(after, await pair.SendAToB(after));
        await pair.A.Drained();
        // Exactly one transport message left A after the first exchange: the allowed packet.
        var sent = 0;
        while (pair.BindA.Sent.TryRead(out var datagram))
        {
            sent += DevicePair.IsType(datagram, 4) && datagram.Datagram.Length > 32 ? 1 : 0;
        }
        Assert.Equal(1, sent);
        Assert.Equal(1, pair.A.Stats.FilteredOutbound);
        Assert.Equal(3, filter.OutboundSeen);
    }

    [Fact]
    public async Task Outbound_PacketWithoutRoute_NeverReachesTheFilter()
    {
        using var pair = new DevicePair();
        var filter = new MarkerFilter(Blocked);
        pair.A.PacketFilter = filter;
        await pair.TunA.Inject(Packets.Udp4("10.0.0.1", "10.9.9.9", Allowed), DevicePair.Guard);
        var routed = Packets.Udp4("10.0.0.1", "10.0.0.2", Allowed);
        Assert.Equal(routed, await pair.SendAToB(routed));
        Assert.Equal(1, pair.A.Stats.NoRoute);
        Assert.Equal(1, filter.OutboundSeen);
    }

    [Fact]
    public async Task NullFilter_PassesEverything()
    {
        using var pair = new DevicePair();
        pair.B.PacketFilter = new MarkerFilter(Allowed);
        pair.B.PacketFilter = null;
        var packet = Packets.Udp4("10.0.0.1", "10.0.0.2", Allowed);
        Assert.Equal(packet, await pair.SendAToB(packet));
        Assert.Equal(0, pair.B.Stats.FilteredInbound);
    }

    /// <summary>Refuses packets containing a marker; counts what it saw (called from the device's threads).</summary>
    private sealed class MarkerFilter(byte[] marker) : IPacketFilter
    {
        private int _inbound;
        private int _outbound;
        private int _lastInboundLength;

        public int InboundSeen => Volatile.Read(ref _inbound);

        public int OutboundSeen => Volatile.Read(ref _outbound);

        public int LastInboundLength => Volatile.Read(ref _lastInboundLength);

        public bool AllowInbound(ReadOnlySpan<byte> ipPacket)
        {
            Interlocked.Increment(ref _inbound);
            Volatile.Write(ref _lastInboundLength, ipPacket.Length);
            return ipPacket.IndexOf(marker) < 0;
        }

        public bool AllowOutbound(ReadOnlySpan<byte> ipPacket)
        {
            Interlocked.Increment(ref _outbound);
            return ipPacket.IndexOf(marker) < 0;
        }
    }
}
