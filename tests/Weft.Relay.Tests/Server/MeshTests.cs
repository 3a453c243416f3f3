using System.Net.Sockets;
using Weft.Core.Keys;
using Weft.Relay.Server;

namespace Weft.Relay.Tests.Server;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class MeshTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TwoMeshedRelays_CarryPacketsBetweenClientsHomedOnEach()
    {
        using var keys = new TempDir();
        var meshKey = WriteMeshKey(keys, "the region's shared mesh secret");
        var portA = FreePort();
        var portB = FreePort();
        await using var relayA = await TestRelay.StartAsync(o =>
        {
            o.Listen = $"http://127.0.0.1:{portA}";
            o.MeshKeyFile = meshKey;
            o.MeshWith.Add(new Uri($"http://127.0.0.1:{portB}"));
        });
        await using var relayB = await TestRelay.StartAsync(o =>
        {
            o.Listen = $"http://127.0.0.1:{portB}";
            o.MeshKeyFile = meshKey;
            o.MeshWith.Add(new Uri($"http://127.0.0.1:{portA}"));
        });
        await using var a = relayA.Connect();
        await using var b = relayB.Connect();
        await a.Client.WaitConnectedAsync(Ct);
        await b.Client.WaitConnectedAsync(Ct);

        await Eventually.TrueAsync(() => relayA.Server.IsOnMeshPeer(b.Key) && relayB.Server.IsOnMeshPeer(a.Key), "each relay learns where the other's client is");
        await a.DeliverAsync(b, [1, 2, 3]);
        await b.DeliverAsync(a, [4, 5, 6]);
        Assert.True(relayA.Server.Metrics.PacketsForwarded >= 1);
        Assert.True(relayB.Server.Metrics.PacketsForwarded >= 1);

        // When b leaves, relay A forgets the route through B.
        await b.DisposeAsync();
        await Eventually.TrueAsync(() => !relayA.Server.IsOnMeshPeer(b.Key), "relay A hears that b left");
    }

    [Fact]
    public async Task RelayWithAnotherMeshKey_IsRefused_AndLearnsNothing()
    {
        using var keys = new TempDir();
        var portA = FreePort();
        await using var relayA = await TestRelay.StartAsync(o =>
        {
            o.Listen = $"http://127.0.0.1:{portA}";
            o.MeshKeyFile = WriteMeshKey(keys, "the region's shared mesh secret", "a");
        });
        await using var intruder = await TestRelay.StartAsync(o =>
        {
            o.MeshKeyFile = WriteMeshKey(keys, "a guess at the region's secret", "b");
            o.MeshWith.Add(new Uri($"http://127.0.0.1:{portA}"));
        });
        await using var a = relayA.Connect();
        await a.Client.WaitConnectedAsync(Ct);

        await Eventually.TrueAsync(() => relayA.Server.Metrics.Drops(DropReason.AuthFailed) >= 1, "the intruder's mesh handshake is refused");
        Assert.Equal(0, intruder.Server.MeshLinksUp);
        Assert.False(intruder.Server.IsOnMeshPeer(a.Key));
        Assert.Equal(0, relayA.Server.Metrics.MeshPeers);
    }

    [Fact]
    public void MeshKeyFile_ReadableByOthers_IsRefused()
    {
        using var keys = new TempDir();
        var path = keys.File("mesh.key");
        File.WriteAllText(path, "the region's shared mesh secret");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var error = Assert.Throws<InvalidDataException>(() => Weft.Relay.Hosting.RelayKeyFiles.LoadMeshKey(path));
        Assert.Contains("chmod 600", error.Message, StringComparison.Ordinal);
    }

    private static string WriteMeshKey(TempDir dir, string secret, string name = "mesh")
    {
        var path = dir.File(name + ".key");
        File.WriteAllText(path, secret);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
