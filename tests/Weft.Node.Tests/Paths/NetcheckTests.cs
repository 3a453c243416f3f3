using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Core.Control;
using Weft.Core.Keys;
using Weft.Node.Paths;
using Weft.Relay.Stun;
using Weft.WireGuard.Conn;

namespace Weft.Node.Tests.Paths;

public sealed class NetcheckTests
{
    [Fact]
    public async Task Netcheck_AgainstTwoStunResponders_OnLoopback_FindsOurSocketsAddress()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var one = StunResponder.Start(new IPEndPoint(IPAddress.Loopback, 0), NullLogger.Instance);
        await using var two = StunResponder.Start(new IPEndPoint(IPAddress.Loopback, 0), NullLogger.Instance);
        using var bind = new MagicBind(new LinuxBind(null, NullLogger<LinuxBind>.Instance), null, PrivateKey.Generate(),
            new NodePublic(PrivateKey.Generate().PublicKey()), NullLogger.Instance);
        var port = bind.Open(0);
        var map = new RelayMap
        {
            Regions =
            [
                new RelayRegion { Id = 1, Code = "one", Relays = [new RelayNode { Url = "http://127.0.0.1:1", StunPort = one.LocalEndPoint.Port }] },
                new RelayRegion { Id = 2, Code = "two", Relays = [new RelayNode { Url = "http://127.0.0.1:1", StunHost = "127.0.0.1", StunPort = two.LocalEndPoint.Port }] },
            ],
        };

        var report = await bind.NetcheckAsync(map, ct);

        Assert.True(report.UdpWorks);
        Assert.True(report.IPv4);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, port), report.PublicIPv4);
        Assert.False(report.MappingVariesByDestination);
        Assert.Equal(["one", "two"], report.RegionLatency.Keys.Order());
        Assert.Contains(report.PreferredRegion, new[] { "one", "two" });
        Assert.Contains(UdpEndpoint.From(new IPEndPoint(IPAddress.Loopback, port)), bind.LocalEndpoints);
        // One request each, or a retransmission or two (RFC 8489's 500 ms RTO) when the machine is busy.
        Assert.InRange(one.Requests, 1, 3);
        Assert.InRange(two.Requests, 1, 3);
    }

    [Fact]
    public async Task Netcheck_ServerThatNeverAnswers_IsLeftOut()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var one = StunResponder.Start(new IPEndPoint(IPAddress.Loopback, 0), NullLogger.Instance);
        var map = new RelayMap
        {
            Regions =
            [
                new RelayRegion { Id = 1, Code = "one", Relays = [new RelayNode { Url = "http://127.0.0.1:1", StunPort = one.LocalEndPoint.Port }] },
                new RelayRegion { Id = 2, Code = "mute", Relays = [new RelayNode { Url = "http://127.0.0.1:1", StunPort = 9 }] },
            ],
        };
        var report = await Netcheck.RunAsync(map, (server, _) => Task.FromResult(server.Port == 9 ? null
            : new StunAnswer(server, new IPEndPoint(IPAddress.Parse("192.0.2.1"), 4000), TimeSpan.FromMilliseconds(5))), ct);
        Assert.True(report.UdpWorks);
        Assert.Equal("one", report.PreferredRegion);
        Assert.False(report.RegionLatency.ContainsKey("mute"));
        Assert.Null(report.MappingVariesByDestination);
    }

    [Fact]
    public void TwoServersSeeingDifferentPorts_IsAHardNat()
    {
        var answers = new[]
        {
            new StunAnswer(new IPEndPoint(IPAddress.Parse("192.0.2.10"), 3478), new IPEndPoint(IPAddress.Parse("198.51.100.1"), 40001), TimeSpan.FromMilliseconds(30)),
            new StunAnswer(new IPEndPoint(IPAddress.Parse("192.0.2.20"), 3478), new IPEndPoint(IPAddress.Parse("198.51.100.1"), 40002), TimeSpan.FromMilliseconds(10)),
        };
        var report = Netcheck.Build(answers, new Dictionary<string, TimeSpan> { ["far"] = TimeSpan.FromMilliseconds(30), ["near"] = TimeSpan.FromMilliseconds(10) });
        Assert.True(report.MappingVariesByDestination);
        Assert.Equal("near", report.PreferredRegion);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("198.51.100.1"), 40001), report.PublicIPv4);
    }

    [Fact]
    public void TwoServersSeeingTheSamePort_IsAnEasyNat()
    {
        var mapped = new IPEndPoint(IPAddress.Parse("198.51.100.1"), 40001);
        var answers = new[]
        {
            new StunAnswer(new IPEndPoint(IPAddress.Parse("192.0.2.10"), 3478), mapped, TimeSpan.FromMilliseconds(30)),
            new StunAnswer(new IPEndPoint(IPAddress.Parse("192.0.2.20"), 3478), mapped, TimeSpan.FromMilliseconds(10)),
        };
        Assert.False(Netcheck.Build(answers, new Dictionary<string, TimeSpan>()).MappingVariesByDestination);
    }

    [Fact]
    public void StunResponseFromAStranger_IsCountedAndNeverReachesTheEngine()
    {
        using var pair = new MagicPair();
        var response = new byte[StunConstants.MaxMessageLength];
        var length = StunMessage.WriteBindingSuccess(response, TransactionId.NewRandom(), IPAddress.Parse("192.0.2.9"), 4242);
        Assert.True(pair.RawB.Inject(response.AsSpan(0, length), UdpEndpoint.From(new IPEndPoint(IPAddress.Loopback, 3478))));
        Assert.True(MagicPair.Eventually(() => pair.B.StunStrangers == 1));
        // Something the engine does read, sent after it: the stranger's answer must not be ahead of it in the queue.
        var datagram = new byte[] { 4, 0, 0, 0, 7 };
        Assert.True(pair.RawB.Inject(datagram, pair.RawA.LocalEndpoint));
        var buffers = new[] { new byte[2048] };
        var sizes = new int[1];
        var sources = new UdpEndpoint[1];
        Assert.Equal(1, pair.B.Receive(buffers, sizes, sources));
        Assert.Equal(datagram, buffers[0].AsSpan(0, sizes[0]).ToArray());
    }
}
