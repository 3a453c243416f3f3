using System.Net;
using System.Net.Sockets;
using System.Text;
using Weft.Core.Crypto;
using Weft.Core.Keys;
using Weft.Relay.Client;
using Weft.Relay.Protocol;
using Weft.Relay.Server;

namespace Weft.Relay.Tests.Server;

public sealed class RelayEndToEndTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TwoClients_ExchangePackets_BothWays()
    {
        await using var relay = await TestRelay.StartAsync();
        await using var a = relay.Connect();
        await using var b = relay.Connect();
        await a.Client.WaitConnectedAsync(Ct);
        await b.Client.WaitConnectedAsync(Ct);

        await a.DeliverAsync(b, Encoding.ASCII.GetBytes("hello b"));
        await b.DeliverAsync(a, Encoding.ASCII.GetBytes("hello a"));

        // Windows of packets smaller than a sender's share of the queue arrive complete and in order.
        var packets = Enumerable.Range(0, 512).Select(i => BitConverter.GetBytes(i).Concat(new byte[1396]).ToArray()).ToArray();
        for (var window = 0; window < packets.Length; window += 64)
        {
            for (var i = window; i < window + 64; i++)
            {
                Assert.True(a.Client.TrySend(b.Key, packets[i]));
            }

            for (var i = window; i < window + 64; i++)
            {
                var (source, packet) = await b.NextAsync();
                Assert.Equal(a.Key, source);
                Assert.Equal(packets[i], packet);
            }
        }

        Assert.Equal(2, relay.Server.Metrics.Clients);
        // The writer counts a batch after writing it, so the count may trail the last delivery a little.
        await Eventually.TrueAsync(() => relay.Server.Metrics.PacketsOut >= 514, "every delivered packet is counted");
    }

    [Fact]
    public async Task RelayOnIPv6Loopback_CarriesPackets()
    {
        try
        {
            using var probe = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        }
        catch (SocketException)
        {
            Assert.Skip("no IPv6 loopback on this machine");
        }

        await using var relay = await TestRelay.StartAsync(o => o.Listen = "http://[::1]:0");
        Assert.Equal("[::1]", relay.Url.Host);
        await using var a = relay.Connect();
        await using var b = relay.Connect();

        await a.DeliverAsync(b, [6]);
    }

    [Fact]
    public async Task SendToUnknownNode_IsCountedAsNoRoute_AndTheSenderIsTold()
    {
        await using var relay = await TestRelay.StartAsync();
        await using var a = relay.Connect();
        var gone = new TaskCompletionSource<(NodePublic, PeerGoneReason)>();
        a.Client.PeerGone += (key, reason) => gone.TrySetResult((key, reason));
        await a.Client.WaitConnectedAsync(Ct);
        var stranger = new NodePublic(PrivateKey.Generate().PublicKey());

        Assert.True(a.Client.TrySend(stranger, [1, 2, 3]));

        var (key, why) = await gone.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(stranger, key);
        Assert.Equal(PeerGoneReason.NotHere, why);
        Assert.Equal(1, relay.Server.Metrics.Drops(DropReason.NoRoute));
    }

    [Fact]
    public async Task PeerDisconnect_IsReportedToItsRecentSenders()
    {
        await using var relay = await TestRelay.StartAsync();
        await using var a = relay.Connect();
        var b = relay.Connect();
        var gone = new TaskCompletionSource<(NodePublic, PeerGoneReason)>();
        a.Client.PeerGone += (key, reason) => gone.TrySetResult((key, reason));
        await a.Client.WaitConnectedAsync(Ct);
        await b.Client.WaitConnectedAsync(Ct);
        await a.DeliverAsync(b, [9]);

        await b.DisposeAsync();

        var (key, why) = await gone.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(b.Key, key);
        Assert.Equal(PeerGoneReason.Disconnected, why);
    }

    [Fact]
    public async Task WrongRelayKey_IsRefused_AndCounted_OthersUnaffected()
    {
        await using var relay = await TestRelay.StartAsync();
        await using var a = relay.Connect();
        await using var b = relay.Connect();
        await a.Client.WaitConnectedAsync(Ct);
        await b.Client.WaitConnectedAsync(Ct);

        // A client that believes the relay has another key cannot complete the handshake.
        var wrongKey = Curve25519.PublicKey(Curve25519.GeneratePrivateKey());
        var failure = await Assert.ThrowsAsync<RelayProtocolException>(() =>
            RelayTransport.ConnectAsync(relay.Url, Curve25519.GeneratePrivateKey(), wrongKey, ClientKind.Node, default, null, Ct));
        Assert.Contains("handshake", failure.Message, StringComparison.Ordinal);
        await Eventually.TrueAsync(() => relay.Server.Metrics.Drops(DropReason.AuthFailed) == 1, "the refused handshake is counted");

        await a.DeliverAsync(b, [1]);
        Assert.Equal(2, relay.Server.Metrics.Clients);
    }

    [Fact]
    public async Task GarbageInsteadOfHandshake_IsRefused_AndCounted()
    {
        await using var relay = await TestRelay.StartAsync();
        using var socket = await UpgradeRawAsync(relay.Url);
        // A hello frame whose body is random bytes, not a Noise message.
        var frame = new byte[5 + 100];
        Frame.WriteHeader(frame, FrameType.ClientHello, 100);
        Random.Shared.NextBytes(frame.AsSpan(5));
        await socket.SendAsync(frame, Ct);

        Assert.Equal(0, await socket.ReceiveAsync(new byte[16], Ct));
        Assert.Equal(1, relay.Server.Metrics.Drops(DropReason.AuthFailed));
    }

    [Fact]
    public async Task MalformedFrame_ClosesOnlyThatConnection()
    {
        await using var relay = await TestRelay.StartAsync();
        await using var a = relay.Connect();
        await using var b = relay.Connect();
        await a.Client.WaitConnectedAsync(Ct);
        await b.Client.WaitConnectedAsync(Ct);
        await using var bad = await RelayTransport.ConnectAsync(relay.Url, Curve25519.GeneratePrivateKey(), relay.Server.PublicKey, ClientKind.Node, default, null, Ct);

        // An authentic record holding a send-packet frame too short to hold its destination key.
        var record = new byte[4 + 5 + 3 + Aead.TagLength];
        Frame.WriteHeader(record.AsSpan(4), FrameType.SendPacket, 3);
        var n = bad.Sealer.Seal(record, 5 + 3);
        await bad.Stream.WriteAsync(record.AsMemory(0, n), Ct);
        await bad.Stream.FlushAsync(Ct);

        var closed = await bad.Reader.ReadAsync(Ct);
        while (!closed.IsCompleted)
        {
            bad.Reader.AdvanceTo(closed.Buffer.End);
            closed = await bad.Reader.ReadAsync(Ct);
        }

        Assert.Equal(1, relay.Server.Metrics.Drops(DropReason.Malformed));
        Assert.Equal(0, relay.Server.Metrics.Drops(DropReason.Unauthenticated));
        await a.DeliverAsync(b, [7]);
    }

    [Fact]
    public async Task RandomBytesAfterTheHandshake_NeverBreakTheRelay_ForOthers()
    {
        await using var relay = await TestRelay.StartAsync();
        await using var a = relay.Connect();
        await using var b = relay.Connect();
        await a.Client.WaitConnectedAsync(Ct);
        await b.Client.WaitConnectedAsync(Ct);
        var random = new Random(5);

        for (var round = 0; round < 20; round++)
        {
            await using var fuzz = await RelayTransport.ConnectAsync(relay.Url, Curve25519.GeneratePrivateKey(), relay.Server.PublicKey, ClientKind.Node, default, null, Ct);
            var bytes = new byte[random.Next(1, 4096)];
            random.NextBytes(bytes);
            // Half the rounds start with a plausible header so the body parsers see hostile content too.
            if (round % 2 == 0 && bytes.Length > 5)
            {
                Frame.WriteHeader(bytes, (FrameType)random.Next(0, 16), random.Next(0, bytes.Length - 5));
            }

            try
            {
                await fuzz.Stream.WriteAsync(bytes, Ct);
                await fuzz.Stream.FlushAsync(Ct);
            }
            catch (IOException)
            {
                // The relay may already have closed this connection.
            }
        }

        await a.DeliverAsync(b, [1]);
        await b.DeliverAsync(a, [2]);
    }

    [Fact]
    public async Task OversizedFrameHeader_IsDroppedBeforeAnyBodyArrives()
    {
        await using var relay = await TestRelay.StartAsync();
        await using var bad = await RelayTransport.ConnectAsync(relay.Url, Curve25519.GeneratePrivateKey(), relay.Server.PublicKey, ClientKind.Node, default, null, Ct);
        var header = new byte[5];
        Frame.WriteHeader(header, FrameType.SendPacket, int.MaxValue);
        await bad.Stream.WriteAsync(header, Ct);
        await bad.Stream.FlushAsync(Ct);

        await Eventually.TrueAsync(() => relay.Server.Metrics.Drops(DropReason.TooLarge) == 1, "the oversized frame is counted");
    }

    [Fact]
    public async Task PlainHttpRequest_GetsUpgradeRequired_WithAMessage()
    {
        await using var relay = await TestRelay.StartAsync();
        using var http = new HttpClient();

        var response = await http.GetAsync(new Uri(relay.Url, RelayConstants.Path), Ct);

        Assert.Equal(HttpStatusCode.UpgradeRequired, response.StatusCode);
        Assert.Contains(RelayConstants.UpgradeToken, await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task VersionOneClient_IsRefused_WithAStatusLineThatSaysWhy()
    {
        await using var relay = await TestRelay.StartAsync();
        using var http = new HttpClient();
        // A v1 client first fetches the key where it always did, then upgrades on the v1 path.
        Assert.Equal(relay.Server.PublicKey.ToHex(), await http.GetStringAsync(new Uri(relay.Url, RelayConstants.LegacyKeyPath), Ct));
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(relay.Url.Host, relay.Url.Port, Ct);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET /relay/v1 HTTP/1.1\r\nHost: {relay.Url.Authority}\r\nConnection: Upgrade\r\nUpgrade: weft-relay-v1\r\n\r\n"), Ct);

        var response = await ReadHeadAsync(socket);

        // The status line is what a v1 client logs ("relay refused the upgrade: ...").
        var statusLine = response.Split("\r\n")[0];
        Assert.StartsWith("HTTP/1.1 426 ", statusLine, StringComparison.Ordinal);
        Assert.Contains("v1 is no longer served; upgrade weft", statusLine, StringComparison.Ordinal);
        Assert.Contains("Upgrade: weft-relay-v2", response, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, relay.Server.Metrics.Handshakes);
    }

    [Fact]
    public async Task ClientOfThisVersion_AtAServerWithoutThePath_IsToldTheRelayMayBeTooOld()
    {
        // A v1 relay (or any HTTP server) answers 404 on the v2 path.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var url = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
        var server = Task.Run(async () =>
        {
            using var peer = await listener.AcceptSocketAsync(Ct);
            var request = await ReadHeadAsync(peer);
            await peer.SendAsync("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), Ct);
            return request;
        }, Ct);

        var error = await Assert.ThrowsAsync<RelayProtocolException>(() =>
            RelayTransport.ConnectAsync(url, Curve25519.GeneratePrivateKey(), Curve25519.PublicKey(Curve25519.GeneratePrivateKey()), ClientKind.Node, default, null, Ct));

        Assert.StartsWith("GET /relay/v2 HTTP/1.1", await server, StringComparison.Ordinal);
        Assert.Contains("too old to speak weft-relay-v2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthKeyAndMetrics_Answer()
    {
        await using var relay = await TestRelay.StartAsync();
        await using var a = relay.Connect();
        await a.Client.WaitConnectedAsync(Ct);
        using var http = new HttpClient();

        Assert.Equal("ok", await http.GetStringAsync(new Uri(relay.Url, "/healthz"), Ct));
        Assert.Equal(relay.Server.PublicKey.ToHex(), await http.GetStringAsync(new Uri(relay.Url, RelayConstants.KeyPath), Ct));
        var metrics = await http.GetStringAsync(new Uri(relay.Url, "/metrics"), Ct);
        Assert.Contains("weft_relay_clients 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("weft_relay_drops_total{reason=\"queue_full\"} 0\n", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SameNodeKeyTwice_TheNewerConnectionWins()
    {
        await using var relay = await TestRelay.StartAsync();
        var key = PrivateKey.Generate();
        await using var first = TestNode.Start(relay.Url, relay.Server.PublicKey, key);
        await first.Client.WaitConnectedAsync(Ct);
        await using var second = TestNode.Start(relay.Url, relay.Server.PublicKey, key);
        await second.Client.WaitConnectedAsync(Ct);

        await Eventually.TrueAsync(() => first.Client.LastNotice?.Contains("replaced", StringComparison.Ordinal) == true, "the older connection is told it was replaced");
    }

    [Fact]
    public async Task RelayRestart_ClientsReconnect_AndTrafficResumes()
    {
        using var dir = new TempDir();
        var relay = await TestRelay.StartAsync(dataDir: dir.Path);
        var port = relay.Url.Port;
        await using var a = TestNode.Start(relay.Url, relay.Server.PublicKey);
        await using var b = TestNode.Start(relay.Url, relay.Server.PublicKey);
        await a.Client.WaitConnectedAsync(Ct);
        await b.Client.WaitConnectedAsync(Ct);
        await a.DeliverAsync(b, [1]);

        await relay.DisposeAsync();
        // Same port, same data dir: the relay comes back with the same key.
        await using var again = await TestRelay.StartAsync(o => o.Listen = $"http://127.0.0.1:{port}", dataDir: dir.Path);
        await Eventually.TrueAsync(() => a.Client.Connects >= 2 && b.Client.Connects >= 2, "both clients reconnect");
        await a.DeliverAsync(b, [2]);
    }

    [Fact]
    public async Task SlowReader_OverflowsItsQueue_Counted_WellBehavedPairUnaffected()
    {
        await using var relay = await TestRelay.StartAsync(o =>
        {
            o.Server.QueuePackets = 64;
            o.Server.PerSenderPackets = 64;
        });
        await using var sender = relay.Connect();
        await using var a = relay.Connect();
        await using var b = relay.Connect();
        await sender.Client.WaitConnectedAsync(Ct);
        await a.Client.WaitConnectedAsync(Ct);
        await b.Client.WaitConnectedAsync(Ct);
        // A client that authenticates and then never reads: its socket buffers fill, then its relay queue.
        var stuckKey = Curve25519.GeneratePrivateKey();
        await using var stuck = await RelayTransport.ConnectAsync(relay.Url, stuckKey, relay.Server.PublicKey, ClientKind.Node, default, null, Ct);
        var stuckNode = new NodePublic(Curve25519.PublicKey(stuckKey));
        await Eventually.TrueAsync(() => relay.Server.IsLocal(stuckNode), "the stuck client is registered");

        var packet = new byte[1400];
        while (relay.Server.Metrics.Drops(DropReason.QueueFull) + relay.Server.Metrics.Drops(DropReason.SenderShareFull) == 0)
        {
            // The sender's own queue may fill too; then it drops locally and we simply keep offering.
            for (var i = 0; i < 256; i++)
            {
                sender.Client.TrySend(stuckNode, packet);
            }

            await Task.Yield();
        }

        await a.DeliverAsync(b, [42]);
        await b.DeliverAsync(a, [43]);
    }

    [Fact]
    public async Task Flooder_IsThrottled_WellBehavedPairUnaffected()
    {
        await using var relay = await TestRelay.StartAsync(o =>
        {
            o.Server.RateBytesPerSecond = 200_000;
            o.Server.BurstBytes = 50_000;
        });
        await using var flooder = relay.Connect();
        await using var sink = relay.Connect();
        await using var a = relay.Connect();
        await using var b = relay.Connect();
        await flooder.Client.WaitConnectedAsync(Ct);
        await sink.Client.WaitConnectedAsync(Ct);
        await a.Client.WaitConnectedAsync(Ct);
        await b.Client.WaitConnectedAsync(Ct);

        var packet = new byte[1400];
        while (relay.Server.Metrics.Throttled == 0)
        {
            for (var i = 0; i < 64; i++)
            {
                flooder.Client.TrySend(sink.Key, packet);
            }

            await Task.Yield();
        }

        await a.DeliverAsync(b, [1]);
        await b.DeliverAsync(a, [2]);
        await Eventually.TrueAsync(() => flooder.Client.LastNotice?.Contains("rate limited", StringComparison.Ordinal) == true, "the flooder is told");
    }

    [Fact]
    public async Task HandshakeFlood_FromOneAddress_IsRateLimited_WithA429()
    {
        await using var relay = await TestRelay.StartAsync(o =>
        {
            o.Server.HandshakesPerSecond = 0.001;
            o.Server.HandshakeBurst = 2;
        });
        var refused = 0;
        for (var i = 0; i < 4; i++)
        {
            try
            {
                await using var t = await RelayTransport.ConnectAsync(relay.Url, Curve25519.GeneratePrivateKey(), relay.Server.PublicKey, ClientKind.Node, default, null, Ct);
            }
            catch (RelayProtocolException ex) when (ex.Message.Contains("429", StringComparison.Ordinal))
            {
                refused++;
            }
        }

        Assert.Equal(2, refused);
        Assert.Equal(2, relay.Server.Metrics.Drops(DropReason.HandshakeRateLimited));
    }

    /// <summary>Reads an HTTP response head (status line and headers) byte by byte.</summary>
    private static async Task<string> ReadHeadAsync(Socket socket)
    {
        var response = new List<byte>();
        var one = new byte[1];
        while (!Encoding.ASCII.GetString([.. response]).EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            Assert.Equal(1, await socket.ReceiveAsync(one, Ct));
            response.Add(one[0]);
        }

        return Encoding.ASCII.GetString([.. response]);
    }

    /// <summary>A raw socket that has done the HTTP upgrade and nothing else.</summary>
    private static async Task<Socket> UpgradeRawAsync(Uri url)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(url.Host, url.Port, Ct);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET {RelayConstants.Path} HTTP/1.1\r\nHost: {url.Authority}\r\nConnection: Upgrade\r\nUpgrade: {RelayConstants.UpgradeToken}\r\n\r\n"), Ct);
        var response = new List<byte>();
        var one = new byte[1];
        while (!Encoding.ASCII.GetString([.. response]).EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            Assert.Equal(1, await socket.ReceiveAsync(one, Ct));
            response.Add(one[0]);
        }

        Assert.StartsWith("HTTP/1.1 101", Encoding.ASCII.GetString([.. response]), StringComparison.Ordinal);
        return socket;
    }
}
