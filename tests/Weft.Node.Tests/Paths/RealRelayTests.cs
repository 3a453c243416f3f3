using Microsoft.Extensions.Logging.Abstractions;
using Weft.Core.Keys;
using Weft.Node.Paths;
using Weft.Relay.Client;
using Weft.Relay.Hosting;
using Weft.WireGuard.Conn;

namespace Weft.Node.Tests.Paths;

/// <summary>MagicBinds whose relay is a real Weft relay on loopback, reached through <see cref="RelayClientLink"/>.</summary>
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
            await using var clientA = new RelayClient(new RelayClientOptions { Url = host.Address, RelayPublic = host.Relay.Server.PublicKey }, keyA, NullLogger.Instance);
            await using var clientB = new RelayClient(new RelayClientOptions { Url = host.Address, RelayPublic = host.Relay.Server.PublicKey }, keyB, NullLogger.Instance);
            ChannelBind.CreatePair(out var rawA, out var rawB);
            var gateA = new GatedBind(rawA) { DropSends = true };
            var gateB = new GatedBind(rawB) { DropSends = true };
            using var a = new MagicBind(gateA, new RelayClientLink(clientA, "lab"), PrivateKey.Generate(), nodeA, NullLogger.Instance);
            using var b = new MagicBind(gateB, new RelayClientLink(clientB, "lab"), PrivateKey.Generate(), nodeB, NullLogger.Instance);
            a.Open(0);
            b.Open(0);
            a.SetPeers([new MagicPeerConfig(nodeB, b.DiscoPublic, [rawB.LocalEndpoint])]);
            b.SetPeers([new MagicPeerConfig(nodeA, a.DiscoPublic, [rawA.LocalEndpoint])]);
            await clientA.WaitConnectedAsync(ct);
            await clientB.WaitConnectedAsync(ct);

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

    private static (byte[] Data, UdpEndpoint From) ReceiveOne(MagicBind bind)
    {
        var buffers = new[] { new byte[65536] };
        var sizes = new int[1];
        var sources = new UdpEndpoint[1];
        var count = bind.Receive(buffers, sizes, sources);
        return count == 0 ? ([], default) : (buffers[0].AsSpan(0, sizes[0]).ToArray(), sources[0]);
    }
}
