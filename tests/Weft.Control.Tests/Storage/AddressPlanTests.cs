using System.Net;
using Weft.Control.Identity;

namespace Weft.Control.Tests.Storage;

public sealed class AddressPlanTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(1L << 22)]
    public void IsReserved_NetworkBroadcastAndOutOfRange_AreReserved(long offset) => Assert.True(AddressPlan.IsReserved(offset));

    [Fact]
    public void IsReserved_ServiceSubnet_IsSkipped()
    {
        // 100.100.100.x is offset (36 << 16) + (100 << 8) + x from 100.64.0.0.
        var first = (36L << 16) + (100 << 8);
        Assert.Equal(IPAddress.Parse("100.100.100.100"), AddressPlan.IPv4(first + 100));
        Assert.True(AddressPlan.IsReserved(first + 100));
        Assert.Equal(first + 256 + 1, AddressPlan.NextUsable(first + 1));
    }

    [Fact]
    public void IPv6_EmbedsIPv4InUlaPrefix()
    {
        var ula = IPNetwork.Parse("fd12:3456:789a::/48");
        Assert.Equal(IPAddress.Parse("fd12:3456:789a::6440:1"), AddressPlan.IPv6(ula, 1));
    }

    [Theory]
    [InlineData("Alice's MacBook Pro", "alice-s-macbook-pro")]
    [InlineData("--", "node")]
    [InlineData("", "node")]
    [InlineData("ÄÖÜ-host", "host")]
    [InlineData("a..b", "a-b")]
    public void Sanitize_MakesDnsLabels(string host, string expected) => Assert.Equal(expected, MachineName.Sanitize(host));

    [Fact]
    public void Sanitize_LongName_FitsInOneLabelWithRoomForSuffix()
    {
        var name = MachineName.Sanitize(new string('x', 300));
        Assert.True(name.Length <= 63 - 6);
    }
}
