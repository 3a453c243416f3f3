using Microsoft.Extensions.Logging.Abstractions;
using Weft.Core.Control;
using Weft.Node.Tests.ControlLoop;

namespace Weft.Node.Tests.LocalApi;

/// <summary>/localapi/v0/version's latestClientVersion: taken from the server's full maps.</summary>
public sealed class VersionTests
{
    [Fact]
    public void LatestClientVersion_FollowsFullMaps_AndDeltasLeaveIt()
    {
        var daemon = new Daemon(new DaemonOptions { StateDir = "unused-state" }, NullLoggerFactory.Instance);
        Assert.Null(daemon.Version().LatestClientVersion);

        daemon.NoteLatestClientVersion(TestNodes.Full(TestNodes.Make(1)) with { LatestClientVersion = "9.9.9" }, firstOfStream: true);
        Assert.Equal("9.9.9", daemon.Version().LatestClientVersion);
        Assert.Equal(Daemon.DaemonVersion, daemon.Version().Version);

        daemon.NoteLatestClientVersion(new MapResponse { PeersRemoved = [2] }, firstOfStream: false);
        Assert.Equal("9.9.9", daemon.Version().LatestClientVersion);

        daemon.NoteLatestClientVersion(TestNodes.Full(TestNodes.Make(1)), firstOfStream: true);
        Assert.Null(daemon.Version().LatestClientVersion);
    }
}
