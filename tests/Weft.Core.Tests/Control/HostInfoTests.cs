using System.Text.Json;
using Weft.Core.Control;

namespace Weft.Core.Tests.Control;

/// <summary>Host info comes from nodes: missing or null fields must read as empty, never as null that code downstream trips on.</summary>
public sealed class HostInfoTests
{
    [Theory]
    [InlineData("{}")]
    [InlineData("""{"hostname":null,"os":null,"version":null,"routableIPs":null,"requestTags":null,"netInfo":{"homeRelay":null,"portMapping":null}}""")]
    public void MissingOrNullFields_ReadAsEmpty(string json)
    {
        var info = JsonSerializer.Deserialize(json, ControlJsonContext.Default.HostInfo)!;

        Assert.Equal("", info.Hostname);
        Assert.Equal("", info.OS);
        Assert.Equal("", info.ClientVersion);
        Assert.Empty(info.RoutableIPs);
        Assert.Empty(info.RequestTags);
        Assert.Equal("", info.NetInfo?.HomeRelay ?? "");
        Assert.Equal("", info.NetInfo?.PortMapping ?? "");
    }

    [Fact]
    public void NetInfo_RoundTrips()
    {
        var info = new HostInfo { Hostname = "laptop", NetInfo = new NetInfo { HomeRelay = "fra", UdpWorks = true, MappingVariesByDestination = true, PortMapping = "upnp", DirectPeers = 2, RelayedPeers = 1 } };

        var back = JsonSerializer.Deserialize(JsonSerializer.Serialize(info, ControlJsonContext.Default.HostInfo), ControlJsonContext.Default.HostInfo)!;

        Assert.Equal(info.NetInfo, back.NetInfo);
        Assert.Equal("laptop", back.Hostname);
    }
}
