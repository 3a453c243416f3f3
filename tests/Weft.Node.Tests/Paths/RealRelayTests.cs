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
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ThroughARealRelay_TrafficFlowsWhileUdpIsBlocked_AndGoesDirectWhenItOpens()
    {
        await using var pair = await RelayedPair.StartAsync(["lab"], endpointsInNetmap: true);
        await pair.LinksA.WaitHomeConnectedAsync(Ct);
        await pair.LinksB.WaitHomeConnectedAsync(Ct);
        Assert.Equal("lab", pair.LinksA.Region);

        // UDP blocked both ways: only the relay carries it. Resend until B has registered with the relay too.
        var datagram = new byte[] { 4, 0, 0, 0, 1, 2, 3 };
        var (data, from) = await pair.SendUntilReceivedAsync(datagram);
        Assert.Equal(datagram, data);
        Assert.Equal(MagicBind.SyntheticEndpoint(pair.NodeA), from);
        Assert.Equal("relay lab", pair.A.PeerPath(pair.NodeB)!.ToString());

        pair.GateA.DropSends = false;
        pair.GateB.DropSends = false;
        Assert.True(MagicPair.Eventually(() =>
        {
            pair.A.Send([datagram], [datagram.Length], MagicBind.SyntheticEndpoint(pair.NodeB));
            return pair.A.PeerPath(pair.NodeB)!.IsDirect;
        }));
        Assert.Equal(pair.RawB.LocalEndpoint, pair.A.PeerPath(pair.NodeB)!.Direct);
    }

    [Fact]
    public async Task PeersHomedOnDifferentRegions_ReachEachOther_ThroughThePeersHome()
    {
        await using var pair = await RelayedPair.StartAsync(["one", "two"]);
        pair.LinksB.SetHome("two");
        // Each knows where the other homes, as the netmap's net info says.
        pair.LinksA.SetPeerRegions(new Dictionary<NodePublic, string> { [pair.NodeB] = "two" });
        pair.LinksB.SetPeerRegions(new Dictionary<NodePublic, string> { [pair.NodeA] = "one" });
        await pair.LinksB.WaitHomeConnectedAsync(Ct);
        Assert.Equal("two", pair.LinksB.Region);
        Assert.Equal("two", pair.LinksA.RegionFor(pair.NodeB));

        var datagram = new byte[] { 4, 0, 0, 0, 9, 9 };
        var (data, from) = await pair.SendUntilReceivedAsync(datagram);
        Assert.Equal(datagram, data);
        Assert.Equal(MagicBind.SyntheticEndpoint(pair.NodeA), from);
        Assert.Equal("relay two", pair.A.PeerPath(pair.NodeB)!.ToString());
    }

    [Fact]
    public async Task PeerWhoseHomeIsNotKnownYet_IsReachedThroughEveryConnectedRegion()
    {
        await using var pair = await RelayedPair.StartAsync(["one", "two"]);
        // A moved its home to "two" (nearer, say); B is on "one" only, and A has not heard where B homes.
        await pair.LinksA.WaitHomeConnectedAsync(Ct);
        pair.LinksA.SetHome("two");
        await pair.LinksA.WaitHomeConnectedAsync(Ct);
        await pair.LinksB.WaitHomeConnectedAsync(Ct);
        Assert.Equal("one", pair.LinksB.Region);

        var datagram = new byte[] { 4, 0, 0, 0, 7, 7 };
        var receive = Task.Run(() => ReceiveOne(pair.B), Ct);
        pair.A.Send([datagram], [datagram.Length], MagicBind.SyntheticEndpoint(pair.NodeB));
        var (data, from) = await receive.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.Equal(datagram, data);
        Assert.Equal(MagicBind.SyntheticEndpoint(pair.NodeA), from);
    }

    [Fact]
    public async Task RegionWhoseFirstRelayIsDown_IsReachedThroughItsNextRelay()
    {
        var dir = Directory.CreateTempSubdirectory("weft-paths-relay-");
        try
        {
            await using var host = await RelayHost.StartAsync(new RelayHostOptions { Listen = "http://127.0.0.1:0", DataDir = dir.FullName, StunPort = null }, ct: Ct);
            var map = new RelayMap
            {
                Regions =
                [
                    new RelayRegion
                    {
                        Id = 1,
                        Code = "lab",
                        Relays =
                        [
                            new RelayNode { Url = "http://127.0.0.1:1/" },
                            new RelayNode { Url = host.Address.ToString(), PublicKey = host.Relay.Server.PublicKey.ToHex() },
                        ],
                    },
                ],
            };
            await using var links = new RelayLinks(NullLoggerFactory.Instance);
            links.Start((_, _) => { });
            links.Configure(map, PrivateKey.Generate());

            await links.WaitHomeConnectedAsync(Ct);

            Assert.True(links.HomeConnected);
            Assert.Equal("lab", links.Region);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static (byte[] Data, UdpEndpoint From) ReceiveOne(MagicBind bind)
    {
        var buffers = new[] { new byte[65536] };
        var sizes = new int[1];
        var sources = new UdpEndpoint[1];
        var count = bind.Receive(buffers, sizes, sources);
        return count == 0 ? ([], default) : (buffers[0].AsSpan(0, sizes[0]).ToArray(), sources[0]);
    }

    /// <summary>
    /// Real relays on loopback, one per region code, and nodes A and B: each a MagicBind over a channel bind whose
    /// direct path starts blocked, with <see cref="RelayLinks"/> configured on the relays' map, and each the other's peer.
    /// </summary>
    private sealed class RelayedPair : IAsyncDisposable
    {
        private readonly List<RelayHost> _hosts = [];
        private readonly List<DirectoryInfo> _dirs = [];

        private RelayedPair()
        {
            var keyA = PrivateKey.Generate();
            var keyB = PrivateKey.Generate();
            KeyA = keyA;
            KeyB = keyB;
            NodeA = new NodePublic(keyA.PublicKey());
            NodeB = new NodePublic(keyB.PublicKey());
            ChannelBind.CreatePair(out var rawA, out var rawB);
            RawA = rawA;
            RawB = rawB;
            GateA = new GatedBind(rawA) { DropSends = true };
            GateB = new GatedBind(rawB) { DropSends = true };
            A = new MagicBind(GateA, LinksA, PrivateKey.Generate(), NodeA, NullLogger.Instance);
            B = new MagicBind(GateB, LinksB, PrivateKey.Generate(), NodeB, NullLogger.Instance);
        }

        public PrivateKey KeyA { get; }

        public PrivateKey KeyB { get; }

        public NodePublic NodeA { get; }

        public NodePublic NodeB { get; }

        public ChannelBind RawA { get; }

        public ChannelBind RawB { get; }

        public GatedBind GateA { get; }

        public GatedBind GateB { get; }

        public RelayLinks LinksA { get; } = new(NullLoggerFactory.Instance);

        public RelayLinks LinksB { get; } = new(NullLoggerFactory.Instance);

        public MagicBind A { get; }

        public MagicBind B { get; }

        public static async Task<RelayedPair> StartAsync(IReadOnlyList<string> regions, bool endpointsInNetmap = false)
        {
            var pair = new RelayedPair();
            try
            {
                var map = new List<RelayRegion>();
                foreach (var code in regions)
                {
                    var dir = Directory.CreateTempSubdirectory("weft-paths-relay-");
                    pair._dirs.Add(dir);
                    var host = await RelayHost.StartAsync(new RelayHostOptions { Listen = "http://127.0.0.1:0", DataDir = dir.FullName, StunPort = null }, ct: Ct);
                    pair._hosts.Add(host);
                    map.Add(new RelayRegion
                    {
                        Id = map.Count + 1,
                        Code = code,
                        Relays = [new RelayNode { Url = host.Address.ToString(), PublicKey = host.Relay.Server.PublicKey.ToHex() }],
                    });
                }
                pair.LinksA.Configure(new RelayMap { Regions = map }, pair.KeyA);
                pair.LinksB.Configure(new RelayMap { Regions = map }, pair.KeyB);
                pair.A.Open(0);
                pair.B.Open(0);
                pair.A.SetPeers([new MagicPeerConfig(pair.NodeB, pair.B.DiscoPublic, endpointsInNetmap ? [pair.RawB.LocalEndpoint] : [])]);
                pair.B.SetPeers([new MagicPeerConfig(pair.NodeA, pair.A.DiscoPublic, endpointsInNetmap ? [pair.RawA.LocalEndpoint] : [])]);
                return pair;
            }
            catch
            {
                await pair.DisposeAsync();
                throw;
            }
        }

        /// <summary>Sends from A to B's synthetic endpoint every 100 ms until B's engine reads something (relays may still be registering B).</summary>
        public async Task<(byte[] Data, UdpEndpoint From)> SendUntilReceivedAsync(byte[] datagram)
        {
            var receive = Task.Run(() => ReceiveOne(B), Ct);
            while (!receive.IsCompleted)
            {
                A.Send([datagram], [datagram.Length], MagicBind.SyntheticEndpoint(NodeB));
                await Task.WhenAny(receive, Task.Delay(100, Ct));
            }
            return await receive;
        }

        public async ValueTask DisposeAsync()
        {
            A.Dispose();
            B.Dispose();
            await LinksA.DisposeAsync();
            await LinksB.DisposeAsync();
            foreach (var host in _hosts)
            {
                await host.DisposeAsync();
            }
            foreach (var dir in _dirs)
            {
                dir.Delete(recursive: true);
            }
        }
    }
}
