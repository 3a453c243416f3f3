using Microsoft.Extensions.Logging.Abstractions;
using Weft.Core.Control;
using Weft.Core.Keys;
using Weft.Node.Paths;
using Weft.Relay.Hosting;
using Weft.WireGuard.Conn;

namespace Weft.Node.Tests.Paths;

/// <summary>MagicBinds whose relays are real Weft relays on loopback, reached through <see cref="RelayLinks"/> as the daemon does.</summary>
public sealed class RealRelayTests
{
    [Fact]
    public async Task ThroughARealRelay_TrafficFlowsWhileUdpIsBlocked_AndGoesDirectWhenItOpens()
    {
        var ct = TestContext.Current.CancellationToken;
        var dataDir = Directory.CreateTempSubdirectory("weft-paths-relay-");
        try
        {
            await using var host = await RelayHost.StartAsync(new RelayHostOptions { Listen = "http://127.0.0.1:0", DataDir = dataDir.FullName, StunPort = null }, ct: ct);
            var keyA = PrivateKey.Generate();
            var keyB = PrivateKey.Generate();
            var nodeA = new NodePublic(keyA.PublicKey());
            var nodeB = new NodePublic(keyB.PublicKey());
            var map = MapOf(("lab", host));
            await using var linksA = new RelayLinks(NullLoggerFactory.Instance);
            await using var linksB = new RelayLinks(NullLoggerFactory.Instance);
            linksA.Configure(map, keyA);
            linksB.Configure(map, keyB);
            ChannelBind.CreatePair(out var rawA, out var rawB);
            var gateA = new GatedBind(rawA) { DropSends = true };
            var gateB = new GatedBind(rawB) { DropSends = true };
            using var a = new MagicBind(gateA, linksA, PrivateKey.Generate(), nodeA, NullLogger.Instance);
            using var b = new MagicBind(gateB, linksB, PrivateKey.Generate(), nodeB, NullLogger.Instance);
            a.Open(0);
            b.Open(0);
            a.SetPeers([new MagicPeerConfig(nodeB, b.DiscoPublic, [rawB.LocalEndpoint])]);
            b.SetPeers([new MagicPeerConfig(nodeA, a.DiscoPublic, [rawA.LocalEndpoint])]);
            await linksA.WaitHomeConnectedAsync(ct);
            await linksB.WaitHomeConnectedAsync(ct);
            Assert.Equal("lab", linksA.Region);

            // UDP blocked both ways: only the relay carries it. Resend until B has registered with the relay too.
            var datagram = new byte[] { 4, 0, 0, 0, 1, 2, 3 };
            var receive = Task.Run(() => ReceiveOne(b), ct);
            while (!receive.IsCompleted)
            {
                a.Send([datagram], [datagram.Length], MagicBind.SyntheticEndpoint(nodeB));
                await Task.WhenAny(receive, Task.Delay(100, ct));
            }
            var (data, from) = await receive;
            Assert.Equal(datagram, data);
            Assert.Equal(MagicBind.SyntheticEndpoint(nodeA), from);
            Assert.Equal("relay lab", a.PeerPath(nodeB)!.ToString());

            gateA.DropSends = false;
            gateB.DropSends = false;
            Assert.True(MagicPair.Eventually(() =>
            {
                a.Send([datagram], [datagram.Length], MagicBind.SyntheticEndpoint(nodeB));
                return a.PeerPath(nodeB)!.IsDirect;
            }));
            Assert.Equal(rawB.LocalEndpoint, a.PeerPath(nodeB)!.Direct);
        }
        finally
        {
            dataDir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task PeersHomedOnDifferentRegions_ReachEachOther_ThroughThePeersHome()
    {
        var ct = TestContext.Current.CancellationToken;
        var dirOne = Directory.CreateTempSubdirectory("weft-paths-relay-");
        var dirTwo = Directory.CreateTempSubdirectory("weft-paths-relay-");
        try
        {
            await using var one = await RelayHost.StartAsync(new RelayHostOptions { Listen = "http://127.0.0.1:0", DataDir = dirOne.FullName, StunPort = null }, ct: ct);
            await using var two = await RelayHost.StartAsync(new RelayHostOptions { Listen = "http://127.0.0.1:0", DataDir = dirTwo.FullName, StunPort = null }, ct: ct);
            var map = MapOf(("one", one), ("two", two));
            var keyA = PrivateKey.Generate();
            var keyB = PrivateKey.Generate();
            var nodeA = new NodePublic(keyA.PublicKey());
            var nodeB = new NodePublic(keyB.PublicKey());
            await using var linksA = new RelayLinks(NullLoggerFactory.Instance);
            await using var linksB = new RelayLinks(NullLoggerFactory.Instance);
            linksA.Configure(map, keyA);
            linksB.Configure(map, keyB);
            linksB.SetHome("two");
            // Each knows where the other homes, as the netmap's net info says.
            linksA.SetPeerRegions(new Dictionary<NodePublic, string> { [nodeB] = "two" });
            linksB.SetPeerRegions(new Dictionary<NodePublic, string> { [nodeA] = "one" });
            ChannelBind.CreatePair(out var rawA, out var rawB);
            using var a = new MagicBind(new GatedBind(rawA) { DropSends = true }, linksA, PrivateKey.Generate(), nodeA, NullLogger.Instance);
            using var b = new MagicBind(new GatedBind(rawB) { DropSends = true }, linksB, PrivateKey.Generate(), nodeB, NullLogger.Instance);
            a.Open(0);
            b.Open(0);
            a.SetPeers([new MagicPeerConfig(nodeB, b.DiscoPublic, [])]);
            b.SetPeers([new MagicPeerConfig(nodeA, a.DiscoPublic, [])]);
            await linksB.WaitHomeConnectedAsync(ct);
            Assert.Equal("two", linksB.Region);
            Assert.Equal("two", linksA.RegionFor(nodeB));

            var datagram = new byte[] { 4, 0, 0, 0, 9, 9 };
            var receive = Task.Run(() => ReceiveOne(b), ct);
            while (!receive.IsCompleted)
            {
                a.Send([datagram], [datagram.Length], MagicBind.SyntheticEndpoint(nodeB));
                await Task.WhenAny(receive, Task.Delay(100, ct));
            }
            var (data, from) = await receive;
            Assert.Equal(datagram, data);
            Assert.Equal(MagicBind.SyntheticEndpoint(nodeA), from);
            Assert.Equal("relay two", a.PeerPath(nodeB)!.ToString());
        }
        finally
        {
            dirOne.Delete(recursive: true);
            dirTwo.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task PeerWhoseHomeIsNotKnownYet_IsReachedThroughEveryConnectedRegion()
    {
        var ct = TestContext.Current.CancellationToken;
        var dirOne = Directory.CreateTempSubdirectory("weft-paths-relay-");
        var dirTwo = Directory.CreateTempSubdirectory("weft-paths-relay-");
        try
        {
            await using var one = await RelayHost.StartAsync(new RelayHostOptions { Listen = "http://127.0.0.1:0", DataDir = dirOne.FullName, StunPort = null }, ct: ct);
            await using var two = await RelayHost.StartAsync(new RelayHostOptions { Listen = "http://127.0.0.1:0", DataDir = dirTwo.FullName, StunPort = null }, ct: ct);
            var map = MapOf(("one", one), ("two", two));
            var keyA = PrivateKey.Generate();
            var keyB = PrivateKey.Generate();
            var nodeA = new NodePublic(keyA.PublicKey());
            var nodeB = new NodePublic(keyB.PublicKey());
            await using var linksA = new RelayLinks(NullLoggerFactory.Instance);
            await using var linksB = new RelayLinks(NullLoggerFactory.Instance);
            linksA.Configure(map, keyA);
            linksB.Configure(map, keyB);
            ChannelBind.CreatePair(out var rawA, out var rawB);
            using var a = new MagicBind(new GatedBind(rawA) { DropSends = true }, linksA, PrivateKey.Generate(), nodeA, NullLogger.Instance);
            using var b = new MagicBind(new GatedBind(rawB) { DropSends = true }, linksB, PrivateKey.Generate(), nodeB, NullLogger.Instance);
            a.Open(0);
            b.Open(0);
            a.SetPeers([new MagicPeerConfig(nodeB, b.DiscoPublic, [])]);
            b.SetPeers([new MagicPeerConfig(nodeA, a.DiscoPublic, [])]);
            // A moved its home to "two" (nearer, say); B is on "one" only, and A has not heard where B homes.
            await linksA.WaitHomeConnectedAsync(ct);
            linksA.SetHome("two");
            await linksA.WaitHomeConnectedAsync(ct);
            await linksB.WaitHomeConnectedAsync(ct);
            Assert.Equal("one", linksB.Region);

            var datagram = new byte[] { 4, 0, 0, 0, 7, 7 };
            var receive = Task.Run(() => ReceiveOne(b), ct);
            a.Send([datagram], [datagram.Length], MagicBind.SyntheticEndpoint(nodeB));
            var (data, from) = await receive.WaitAsync(TimeSpan.FromSeconds(20), ct);
            Assert.Equal(datagram, data);
            Assert.Equal(MagicBind.SyntheticEndpoint(nodeA), from);
        }
        finally
        {
            dirOne.Delete(recursive: true);
            dirTwo.Delete(recursive: true);
        }
    }

    private static RelayMap MapOf(params (string Code, RelayHost Host)[] regions) => new()
    {
        Regions = [.. regions.Select((r, i) => new RelayRegion
        {
            Id = i + 1,
            Code = r.Code,
            Relays = [new RelayNode { Url = r.Host.Address.ToString(), PublicKey = r.Host.Relay.Server.PublicKey.ToHex() }],
        })],
    };

    private static (byte[] Data, UdpEndpoint From) ReceiveOne(MagicBind bind)
    {
        var buffers = new[] { new byte[65536] };
        var sizes = new int[1];
        var sources = new UdpEndpoint[1];
        var count = bind.Receive(buffers, sizes, sources);
        return count == 0 ? ([], default) : (buffers[0].AsSpan(0, sizes[0]).ToArray(), sources[0]);
    }
}
