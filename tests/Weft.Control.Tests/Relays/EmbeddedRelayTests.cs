using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Control.Hosting;
using Weft.Control.Relays;
using Weft.Control.Tests.Server;
using Weft.Core.Control;
using Weft.Core.Keys;
using Weft.Relay.Client;
using Weft.Relay.Hosting;
using Weft.Relay.Stun;

namespace Weft.Control.Tests.Relays;

/// <summary>
/// `weft control` as a complete small deployment: the first map names the embedded relay, the relay on the control
/// server's own port relays between two nodes, and the STUN responder beside it answers.
/// </summary>
public sealed class EmbeddedRelayTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FirstMap_CarriesTheEmbeddedRelay_WithItsKeyAndStunPort()
    {
        var stunPort = FreeUdpPort();
        await using var server = await TestControlServer.StartAsync(Ct, o => o.Relays.StunPort = stunPort);
        await using var node = await TestNode.JoinAsync(server, await server.AuthKeyAsync(Ct), "alpha", Ct);

        var region = Assert.Single(node.FullMap!.RelayMap!.Regions);
        Assert.Equal((RelaySettings.DefaultRegionId, "default", "Embedded"), (region.Id, region.Code, region.Name));
        var relay = Assert.Single(region.Relays);
        Assert.Equal(server.Server.Address.GetLeftPart(UriPartial.Authority), relay.Url);
        Assert.Equal(stunPort, relay.StunPort);
        Assert.Equal("", relay.StunHost);

        // The key in the map is the one the relay proves, and the one it serves on the control server's port.
        var served = (await server.Http.GetStringAsync(new Uri(Weft.Relay.RelayConstants.KeyPath, UriKind.Relative), Ct)).Trim();
        Assert.Equal(server.Server.Relay!.Server.PublicKey.ToHex(), relay.PublicKey);
        Assert.Equal(relay.PublicKey, served);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task RelayKey_IsCreatedOnceOwnerOnly_AndKeptAcrossRestarts()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        using var dir = new TempDir();
        var options = new ControlServerOptions { DataDir = dir.Path, Listen = "http://127.0.0.1:0" };
        options.Relays.StunPort = 0;
        string first;
        await using (var server = await ControlServer.StartAsync(options, ct: Ct))
        {
            var entry = server.RelayMap.Regions[0].Relays[0];
            Assert.Equal(0, entry.StunPort);
            Assert.Null(server.Stun);
            first = entry.PublicKey;
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dir.File(RelayKeyFiles.PrivateKeyFile)));
        await using (var again = await ControlServer.StartAsync(options, ct: Ct))
        {
            Assert.Equal(first, again.RelayMap.Regions[0].Relays[0].PublicKey);
        }
    }

    [Fact]
    public async Task ExternalRegion_FromConfig_IsInTheMap_AndOffLeavesOnlyIt()
    {
        var external = new RelayRegion
        {
            Id = 7,
            Code = "fra",
            Name = "Frankfurt",
            Relays = [new RelayNode { Url = "https://relay.fra.example", PublicKey = new string('a', 64), StunHost = "relay.fra.example", StunPort = 3478 }],
        };
        await using (var server = await TestControlServer.StartAsync(Ct, o => (o.Relays.StunPort, o.Relays.Regions) = (0, [external])))
        {
            await using var node = await TestNode.JoinAsync(server, await server.AuthKeyAsync(Ct), "alpha", Ct);
            var regions = node.FullMap!.RelayMap!.Regions;
            Assert.Equal([RelaySettings.DefaultRegionId, 7], regions.Select(r => r.Id));
            Assert.Equal(external.Relays[0], Assert.Single(regions[1].Relays));
            Assert.Equal(("fra", "Frankfurt"), (regions[1].Code, regions[1].Name));
        }

        await using (var server = await TestControlServer.StartAsync(Ct, o => (o.Relays.Embedded, o.Relays.Regions) = (false, [external])))
        {
            await using var node = await TestNode.JoinAsync(server, await server.AuthKeyAsync(Ct), "alpha", Ct);
            Assert.Equal(7, Assert.Single(node.FullMap!.RelayMap!.Regions).Id);
            Assert.Null(server.Server.Relay);
            using var response = await server.Http.GetAsync(new Uri(Weft.Relay.RelayConstants.KeyPath, UriKind.Relative), Ct);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }

    [Fact]
    public async Task EmbeddedRelay_RelaysBetweenTwoNodeKeys_OnTheControlServersPort()
    {
        await using var server = await TestControlServer.StartAsync(Ct, o => o.Relays.StunPort = 0);
        var entry = server.Server.RelayMap.Regions[0].Relays[0];
        await using var a = RelayPeer.Start(entry);
        await using var b = RelayPeer.Start(entry);
        await a.Client.WaitConnectedAsync(Ct);
        await b.Client.WaitConnectedAsync(Ct);

        // A packet only arrives once b's connection is registered; the relay reports "not here" before that.
        var packet = "through the control server"u8.ToArray();
        var (source, received) = await a.SendUntilReceivedAsync(b, packet);

        Assert.Equal(a.Key, source);
        Assert.Equal(packet, received);
        Assert.Equal(2, server.Server.Relay!.Server.Metrics.Clients);
        Assert.Equal(server.Server.Address.Port, new Uri(entry.Url).Port);
    }

    [Fact]
    public async Task EmbeddedStun_AnswersAStunClient()
    {
        var stunPort = FreeUdpPort();
        await using var server = await TestControlServer.StartAsync(Ct, o => o.Relays.StunPort = stunPort);
        Assert.NotNull(server.Server.Stun);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        var mapped = await new StunClient().QueryAsync(socket, new IPEndPoint(IPAddress.Loopback, stunPort), ct: Ct);

        Assert.Equal(socket.LocalEndPoint, mapped);
        Assert.Equal(1, server.Server.Stun.Requests);
    }

    /// <summary>A UDP port free right now on every address (the STUN responder binds dual-mode on all of them).</summary>
    private static int FreeUdpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
        probe.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>A node's relay client, from the relay map's entry, with its received packets in a channel.</summary>
    private sealed class RelayPeer : IAsyncDisposable
    {
        private readonly Channel<(NodePublic, byte[])> _received = Channel.CreateUnbounded<(NodePublic, byte[])>();

        private RelayPeer(RelayNode entry)
        {
            var key = PrivateKey.Generate();
            Key = new NodePublic(key.PublicKey());
            Weft.Core.Crypto.Key32.TryParseHex(entry.PublicKey, out var relayKey);
            Client = new RelayClient(
                new RelayClientOptions { Url = new Uri(entry.Url), RelayPublic = relayKey, FirstBackoff = TimeSpan.FromMilliseconds(50), MaxBackoff = TimeSpan.FromMilliseconds(500) },
                key,
                NullLogger.Instance);
        }

        public RelayClient Client { get; }

        public NodePublic Key { get; }

        public static RelayPeer Start(RelayNode entry)
        {
            var peer = new RelayPeer(entry);
            peer.Client.Start((source, packet) => peer._received.Writer.TryWrite((source, packet.ToArray())));
            return peer;
        }

        /// <summary>Sends until <paramref name="to"/> has a packet (retrying covers the moment before its registration is visible).</summary>
        public async Task<(NodePublic Source, byte[] Packet)> SendUntilReceivedAsync(RelayPeer to, byte[] packet)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            deadline.CancelAfter(TimeSpan.FromSeconds(60));
            while (true)
            {
                // A send before the peer's registration is visible is dropped, like any relay packet: send again.
                Client.TrySend(to.Key, packet);
                var wait = to._received.Reader.WaitToReadAsync(deadline.Token).AsTask();
                if (await Task.WhenAny(wait, Task.Delay(TimeSpan.FromMilliseconds(200), deadline.Token)) == wait && await wait)
                {
                    return await to._received.Reader.ReadAsync(deadline.Token);
                }
            }
        }

        public ValueTask DisposeAsync() => Client.DisposeAsync();
    }
}
