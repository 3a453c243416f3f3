using Weft.Core.Wire;

namespace Weft.Policy.Tests.Wire;

public sealed class PacketFilterTests
{
    private static readonly FilterRule Ssh = new()
    {
        Sources = ["100.64.0.0/24", "fd7a:115c:a1e0::/64"],
        Destinations = [new("100.64.1.1/32", new PortRange(22, 22)), new("fd7a:115c:a1e0::1:1/128", new PortRange(22, 22))],
        Protocols = [IpProtocol.Tcp],
    };

    private static readonly FilterRule Web = new()
    {
        Sources = ["0.0.0.0/0"],
        Destinations = [new("100.64.1.1/32", new PortRange(80, 90))],
    };

    private readonly PacketFilter _filter = new([Ssh, Web]);

    [Theory]
    [InlineData("100.64.0.9", "100.64.1.1", 22, true)]
    [InlineData("100.64.0.9", "100.64.1.1", 23, false)]   // port outside the rule
    [InlineData("100.64.2.9", "100.64.1.1", 22, false)]   // source outside the rule
    [InlineData("100.64.0.9", "100.64.1.2", 22, false)]   // destination outside the rule
    [InlineData("198.51.100.7", "100.64.1.1", 80, true)]
    [InlineData("198.51.100.7", "100.64.1.1", 90, true)]  // range ends are inclusive
    [InlineData("198.51.100.7", "100.64.1.1", 91, false)]
    [InlineData("fd7a:115c:a1e0::5", "fd7a:115c:a1e0::1:1", 22, true)]
    [InlineData("fd7a:115c:a1e0:1::5", "fd7a:115c:a1e0::1:1", 22, false)]
    public void Allows_Tcp_MatchesSourceDestinationAndPort(string src, string dst, int port, bool expected)
    {
        Assert.Equal(expected, _filter.Allows(Packets.Tcp(src, dst, (ushort)port)));
    }

    [Fact]
    public void Allows_ProtocolNotInRule_IsDenied()
    {
        Assert.False(_filter.Allows(Packets.Udp("100.64.0.9", "100.64.1.1", 22)));
    }

    [Fact]
    public void Allows_EmptyProtocols_MeansTcpUdpIcmp()
    {
        Assert.True(_filter.Allows(Packets.Udp("198.51.100.7", "100.64.1.1", 85)));
        Assert.True(_filter.Allows(Packets.Raw("198.51.100.7", "100.64.1.1", IpProtocol.Icmp))); // no ports for ICMP
        Assert.False(_filter.Allows(Packets.Raw("198.51.100.7", "100.64.1.1", IpProtocol.Gre)));
    }

    [Fact]
    public void Allows_IPv6ExtensionHeader_IsWalkedToThePort()
    {
        Assert.True(_filter.Allows(Packets.Build("fd7a:115c:a1e0::5", "fd7a:115c:a1e0::1:1", IpProtocol.Tcp, 22, hopByHop: true)));
        Assert.False(_filter.Allows(Packets.Build("fd7a:115c:a1e0::5", "fd7a:115c:a1e0::1:1", IpProtocol.Tcp, 23, hopByHop: true)));
    }

    [Fact]
    public void Allows_NonFirstFragment_IsCheckedOnAddressesOnly()
    {
        // Later fragments carry no ports; the first fragment was checked with its ports.
        Assert.True(_filter.Allows(Packets.Build("100.64.0.9", "100.64.1.1", IpProtocol.Tcp, 9999, fragmentOffset: 100)));
        Assert.True(_filter.Allows(Packets.Build("fd7a:115c:a1e0::5", "fd7a:115c:a1e0::1:1", IpProtocol.Tcp, 9999, fragmentOffset: 100)));
        Assert.False(_filter.Allows(Packets.Build("100.64.0.9", "100.64.1.2", IpProtocol.Tcp, 22, fragmentOffset: 100)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(19)]
    [InlineData(21)] // header complete, TCP ports cut off
    public void Allows_TruncatedPacket_IsDroppedAndCounted(int length)
    {
        var packet = Packets.Tcp("100.64.0.9", "100.64.1.1", 22).AsSpan(0, length).ToArray();
        var before = _filter.MalformedCount;

        Assert.False(_filter.Allows(packet));
        Assert.Equal(before + 1, _filter.MalformedCount);
    }

    [Fact]
    public void Allows_BadVersionOrHeaderLength_IsDroppedAndCounted()
    {
        var packet = Packets.Tcp("100.64.0.9", "100.64.1.1", 22);
        packet[0] = 0x44; // IHL 4 words < 20 bytes
        Assert.False(_filter.Allows(packet));
        packet[0] = 0x75; // version 7
        Assert.False(_filter.Allows(packet));
        Assert.Equal(2, _filter.MalformedCount);
    }

    [Fact]
    public void Allows_AnyProtocolWildcard_AdmitsEveryProtocol()
    {
        var filter = new PacketFilter([new FilterRule { Sources = ["0.0.0.0/0"], Destinations = [new("0.0.0.0/0", PortRange.All)], Protocols = [IpProtocol.Any] }]);

        Assert.True(filter.Allows(Packets.Raw("10.0.0.1", "10.0.0.2", 253)));
    }

    [Fact]
    public void DenyAll_AllowsNothing()
    {
        Assert.False(PacketFilter.DenyAll.Allows(Packets.Tcp("100.64.0.9", "100.64.1.1", 22)));
    }

    [Fact]
    public void TryCreate_BadPrefix_NamesRuleAndPrefix()
    {
        var bad = new FilterRule { Sources = ["100.64.0.0/99"], Destinations = [] };

        Assert.False(PacketFilter.TryCreate([Web, bad], out var filter, out var error));
        Assert.Null(filter);
        Assert.Equal("filter rule 1: bad source prefix \"100.64.0.0/99\"", error);
    }

    [Fact]
    public void Allows_AfterWarmUp_DoesNotAllocate()
    {
        var allowed = Packets.Tcp("fd7a:115c:a1e0::5", "fd7a:115c:a1e0::1:1", 22);
        var denied = Packets.Tcp("198.51.100.7", "100.64.9.9", 80);
        _filter.Allows(allowed);
        _filter.Allows(denied);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            _filter.Allows(allowed);
            _filter.Allows(denied);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
