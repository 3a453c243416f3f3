using System.Net;
using Weft.Control.Console;
using Weft.Control.Storage;
using Weft.Core.Control;

namespace Weft.Console.Tests.Console;

/// <summary>What the machine list derives from a node: "update available" when the client is older than the server.</summary>
public sealed class MachineRowTests
{
    private static MachineRow Row(string clientVersion) => new(
        new NodeRecord
        {
            Id = 1, TailnetId = 1, UserId = 1, MachineKey = "", NodeKey = "", DiscoKey = "", Name = "n", HostInfo = "{}",
            IPv4 = IPAddress.Loopback, IPv6 = IPAddress.IPv6Loopback, Tags = [], Endpoints = [], Created = DateTimeOffset.UnixEpoch,
            LastSeen = DateTimeOffset.UnixEpoch, KeyExpiry = null, Ephemeral = false, Authorized = true,
        },
        "owner", new HostInfo { ClientVersion = clientVersion }, Online: true, Expired: false);

    [Theory]
    [InlineData("0.0.1", true)]
    [InlineData("0.1.0", false)]
    [InlineData("0.1", false)]
    [InlineData("9.0.0", false)]
    [InlineData("", false)]
    [InlineData("not a version", false)]
    public void UpdateAvailable_OnlyForAnOlderClient(string client, bool expected) => Assert.Equal(expected, Row(client).UpdateAvailable);
}
