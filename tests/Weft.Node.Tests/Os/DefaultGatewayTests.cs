using System.Net;
using Weft.Node.Os;

namespace Weft.Node.Tests.Os;

public sealed class DefaultGatewayTests
{
    private const string Header = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT";

    [Fact]
    public void Parse_PicksTheDefaultRouteWithTheLowestMetric()
    {
        string[] table =
        [
            Header,
            "eth0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0",
            "eth1\t00000000\t010A000A\t0003\t0\t0\t100\t00000000\t0\t0\t0",
            "eth0\t0001A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0",
        ];
        Assert.Equal(IPAddress.Parse("10.0.10.1"), DefaultGateway.Parse(table));
    }

    [Fact]
    public void Parse_WithoutADefaultRoute_OrOnGarbage_IsNull()
    {
        Assert.Null(DefaultGateway.Parse([Header, "eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0"]));
        Assert.Null(DefaultGateway.Parse([Header, "eth0\t00000000\tZZZZ\t0003", "", "x"]));
        // A default route that is down does not count.
        Assert.Null(DefaultGateway.Parse([Header, "eth0\t00000000\t0101A8C0\t0002\t0\t0\t0\t00000000\t0\t0\t0"]));
    }
}
