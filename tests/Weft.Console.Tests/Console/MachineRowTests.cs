using System.Net;
using Weft.Control.Console;
using Weft.Control.Storage;
using Weft.Core.Control;

namespace Weft.Console.Tests.Console;

/// <summary>What the machine list derives from a node: "update available" when the client is older than the server; its path from its net info.</summary>
public sealed class MachineRowTests
{
    private static MachineRow Row(string clientVersion, NetInfo? net = null, bool online = true) => new(
        new NodeRecord
        {
            Id = 1, TailnetId = 1, UserId = 1, MachineKey = "", NodeKey = "", DiscoKey = "", Name = "n", HostInfo = "{}",
            IPv4 = IPAddress.Loopback, IPv6 = IPAddress.IPv6Loopback, Tags = [], Endpoints = [], Created = DateTimeOffset.UnixEpoch,
            LastSeen = DateTimeOffset.UnixEpoch, KeyExpiry = null, Ephemeral = false, Authorized = true,
        },
        "owner", new HostInfo { ClientVersion = clientVersion, NetInfo = net }, Online: online, Expired: false);

    [Theory]
    [InlineData("0.0.1", true)]
    [InlineData("0.1.0", false)]
    [InlineData("0.1", false)]
    [InlineData("9.0.0", false)]
    [InlineData("", false)]
    [InlineData("not a version", false)]
    public void UpdateAvailable_OnlyForAnOlderClient(string client, bool expected) => Assert.Equal(expected, Row(client).UpdateAvailable);

    [Theory]
    [InlineData(3, 0, "fra", "direct")]
    [InlineData(0, 2, "fra", "relay fra")]
    [InlineData(0, 2, "", "relay")]
    [InlineData(1, 1, "fra", "mixed")]
    [InlineData(0, 0, "fra", null)]
    public void PathSummary_FollowsTheActivePeers(int direct, int relayed, string home, string? expected) =>
        Assert.Equal(expected, Row("0.1.0", new NetInfo { DirectPeers = direct, RelayedPeers = relayed, HomeRelay = home }).PathSummary);

    [Fact]
    public void PathSummary_IsUnknown_WithoutNetInfo_OrWhenOffline()
    {
        Assert.Null(Row("0.1.0").PathSummary);
        Assert.Null(Row("0.1.0", new NetInfo { DirectPeers = 1 }, online: false).PathSummary);
    }

    [Fact]
    public void Stamp_ChangesWithTheNetInfo() =>
        Assert.NotEqual(Row("0.1.0", new NetInfo { DirectPeers = 1 }).Stamp, Row("0.1.0", new NetInfo { RelayedPeers = 1 }).Stamp);
}
