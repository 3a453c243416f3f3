using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Weft.Core.Control;
using Weft.Node.Dns;
using static Weft.Node.Tests.Dns.DnsTestMessages;

namespace Weft.Node.Tests.Dns;

public sealed class MagicDnsTests
{
    private const string Domain = "tail.example";
    private static readonly TimeSpan UpstreamTimeout = TimeSpan.FromSeconds(2);

    private static readonly Weft.Core.Control.Node Self = DnsTestMessages.Node(1, "alpha", Domain, "100.64.0.1/32", "fd7a:115c:a1e0:ab12::1/128");
    private static readonly Weft.Core.Control.Node Beta = DnsTestMessages.Node(2, "beta", Domain, "100.64.0.2/32", "fd7a:115c:a1e0:ab12::2/128");

    /// <summary>A resolver on a free loopback port, answering for alpha and beta, forwarding to <paramref name="upstreams"/>.</summary>
    internal static async Task<MagicDns> StartAsync(TimeProvider? time = null, IReadOnlyDictionary<string, IReadOnlyList<string>>? split = null, params IPEndPoint[] upstreams)
    {
        var options = new MagicDnsOptions { UpstreamTimeout = UpstreamTimeout, TimeProvider = time ?? TimeProvider.System };
        options.ListenEndpoints.Clear();
        options.ListenEndpoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        var dns = new MagicDns(options, NullLogger<MagicDns>.Instance);
        await dns.StartAsync(CancellationToken.None);
        dns.Update(
            new DnsConfig
            {
                MagicDns = true,
                Domain = Domain,
                Nameservers = [.. upstreams.Select(u => u.ToString())],
                SplitDns = split ?? new Dictionary<string, IReadOnlyList<string>>(),
            },
            Self,
            [Beta]);
        return dns;
    }

    [Fact]
    public async Task Udp_AnswersMagicDnsName()
    {
        await using var dns = await StartAsync();

        var reply = Parse(await DnsClient.UdpAsync(dns.BoundEndpoints[0], Query("beta.tail.example", A)));

        Assert.Equal("100.64.0.2", Assert.Single(reply.Answers).Data);
        Assert.Equal(1, dns.Counters.AnsweredLocally);
    }

    [Fact]
    public async Task Tcp_AnswersSeveralQueriesOnOneConnection()
    {
        await using var dns = await StartAsync();
        using var connection = await DnsClient.ConnectTcpAsync(dns.BoundEndpoints[0]);

        var first = Parse(await DnsClient.TcpAsync(connection, Query("beta.tail.example", A, id: 1)));
        var second = Parse(await DnsClient.TcpAsync(connection, Query("alpha", Aaaa, id: 2)));

        Assert.Equal(1, first.Id);
        Assert.Equal("100.64.0.2", Assert.Single(first.Answers).Data);
        Assert.Equal(2, second.Id);
        Assert.Equal("fd7a:115c:a1e0:ab12::1", Assert.Single(second.Answers).Data);
    }

    [Fact]
    public async Task Forward_Udp_ReturnsUpstreamAnswer_UnderTheClientsId_AfterRandomUpstreamIds()
    {
        await using var upstream = new FakeUpstream(UpstreamBehaviour.Answer);
        await using var dns = await StartAsync(upstreams: upstream.Endpoint);

        for (var i = 0; i < 8; i++)
        {
            // A different name each time: a repeated one would come from the cache.
            var reply = Parse(await DnsClient.UdpAsync(dns.BoundEndpoints[0], Query($"www{i}.example.org", A, id: 0x5555)));
            Assert.Equal(0x5555, reply.Id);
            Assert.Equal(0, reply.Rcode);
            Assert.Equal("192.0.2.1", Assert.Single(reply.Answers).Data);
        }

        // Random ids: eight fixed client ids must not come out as one repeated upstream id.
        Assert.True(upstream.UdpQueryIds.Distinct().Count() > 1);
        Assert.Equal(8, dns.Counters.Forwarded);
    }

    [Fact]
    public async Task Forward_OverTcp_Works()
    {
        await using var upstream = new FakeUpstream(UpstreamBehaviour.Answer);
        await using var dns = await StartAsync(upstreams: upstream.Endpoint);
        using var connection = await DnsClient.ConnectTcpAsync(dns.BoundEndpoints[0]);

        var reply = Parse(await DnsClient.TcpAsync(connection, Query("www.example.org", A, id: 9)));

        Assert.Equal(9, reply.Id);
        Assert.Equal("192.0.2.1", Assert.Single(reply.Answers).Data);
    }

    [Fact]
    public async Task Forward_TruncatedUdpAnswer_IsRetriedOverTcp()
    {
        await using var upstream = new FakeUpstream(UpstreamBehaviour.TruncateUdp);
        await using var dns = await StartAsync(upstreams: upstream.Endpoint);

        var reply = Parse(await DnsClient.UdpAsync(dns.BoundEndpoints[0], Query("www.example.org", A)));

        Assert.False(reply.Truncated);
        Assert.Equal("192.0.2.1", Assert.Single(reply.Answers).Data);
        Assert.Equal(1, upstream.TcpQueries);
        Assert.Equal(1, dns.Counters.ForwardedOverTcp);
    }

    [Fact]
    public async Task Forward_RepliesWithWrongIdOrQuestion_AreIgnored()
    {
        await using var upstream = new FakeUpstream(UpstreamBehaviour.SpoofFirst);
        await using var dns = await StartAsync(upstreams: upstream.Endpoint);

        var reply = Parse(await DnsClient.UdpAsync(dns.BoundEndpoints[0], Query("www.example.org", A)));

        Assert.Equal("www.example.org", reply.QuestionName);
        Assert.Equal("192.0.2.1", Assert.Single(reply.Answers).Data);
        Assert.Equal(2, dns.Counters.UpstreamMismatched);
    }

    [Fact]
    public async Task Forward_SilentUpstream_GivesServFail_AtTheTimeout()
    {
        var time = new FakeTimeProvider();
        await using var upstream = new FakeUpstream(UpstreamBehaviour.Silent);
        await using var dns = await StartAsync(time, upstreams: upstream.Endpoint);

        var pending = DnsClient.UdpAsync(dns.BoundEndpoints[0], Query("www.example.org", A, id: 77));
        await upstream.FirstQuery.Task.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        time.Advance(UpstreamTimeout);
        var reply = Parse(await pending);

        Assert.Equal(77, reply.Id);
        Assert.Equal(2, reply.Rcode);
        Assert.Equal("www.example.org", reply.QuestionName);
        Assert.Equal(1, dns.Counters.UpstreamFailures);
    }

    [Fact]
    public async Task Forward_FailsOverToTheNextUpstream()
    {
        var time = new FakeTimeProvider();
        await using var silent = new FakeUpstream(UpstreamBehaviour.Silent);
        await using var working = new FakeUpstream(UpstreamBehaviour.Answer, "192.0.2.7");
        await using var dns = await StartAsync(time, upstreams: [silent.Endpoint, working.Endpoint]);

        var pending = DnsClient.UdpAsync(dns.BoundEndpoints[0], Query("www.example.org", A));
        await silent.FirstQuery.Task.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        time.Advance(UpstreamTimeout);
        var reply = Parse(await pending);

        Assert.Equal("192.0.2.7", Assert.Single(reply.Answers).Data);
    }

    [Fact]
    public async Task Forward_RefusedPort_MovesOnWithoutWaitingForTheTimeout()
    {
        // A fake clock that never advances: only the ICMP port-unreachable can end the first attempt.
        var time = new FakeTimeProvider();
        IPEndPoint closed;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            closed = (IPEndPoint)probe.LocalEndPoint!;
        }
        await using var working = new FakeUpstream(UpstreamBehaviour.Answer, "192.0.2.8");
        await using var dns = await StartAsync(time, upstreams: [closed, working.Endpoint]);

        var reply = Parse(await DnsClient.UdpAsync(dns.BoundEndpoints[0], Query("www.example.org", A)));

        Assert.Equal("192.0.2.8", Assert.Single(reply.Answers).Data);
    }

    [Fact]
    public async Task SplitDns_SendsSuffixToItsOwnUpstream()
    {
        await using var general = new FakeUpstream(UpstreamBehaviour.Answer, "192.0.2.1");
        await using var corp = new FakeUpstream(UpstreamBehaviour.Answer, "192.0.2.99");
        var split = new Dictionary<string, IReadOnlyList<string>> { ["corp.example"] = [corp.Endpoint.ToString()] };
        await using var dns = await StartAsync(split: split, upstreams: general.Endpoint);

        var corpReply = Parse(await DnsClient.UdpAsync(dns.BoundEndpoints[0], Query("git.CORP.example", A)));
        var otherReply = Parse(await DnsClient.UdpAsync(dns.BoundEndpoints[0], Query("www.example.org", A)));

        Assert.Equal("192.0.2.99", Assert.Single(corpReply.Answers).Data);
        Assert.Equal("192.0.2.1", Assert.Single(otherReply.Answers).Data);
        Assert.Single(corp.UdpQueryIds);
        Assert.Single(general.UdpQueryIds);
    }

    [Fact]
    public async Task Forward_BigAnswer_IsTruncatedForClassicClients_NotForEdnsOnes()
    {
        await using var upstream = new FakeUpstream(UpstreamBehaviour.Big);
        await using var dns = await StartAsync(upstreams: upstream.Endpoint);

        var classic = Parse(await DnsClient.UdpAsync(dns.BoundEndpoints[0], Query("big.example.org", A)));
        var edns = Parse(await DnsClient.UdpAsync(dns.BoundEndpoints[0], Query("big.example.org", A, edns: true)));

        Assert.True(classic.Truncated);
        Assert.Empty(classic.Answers);
        Assert.Equal("big.example.org", classic.QuestionName);
        Assert.False(edns.Truncated);
        Assert.Equal(40, edns.Answers.Count);
    }

    [Fact]
    public async Task ConfigurationProblem_IsLoggedOnce_NotOnEveryNetmap()
    {
        var logger = new ListLogger<MagicDns>();
        await using var dns = new MagicDns(new MagicDnsOptions(), logger);
        var config = new DnsConfig { MagicDns = true, Domain = Domain, Nameservers = ["https://dns.example/dns-query"] };

        dns.Update(config, Self, [Beta]);
        dns.Update(config, Self, [Beta]);
        dns.Update(config, Self, []);

        Assert.Single(logger.Lines, l => l.Contains("dns-query", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SearchDomains_StartWithTheTailnetDomain()
    {
        await using var dns = await StartAsync();

        Assert.Equal(["tail.example"], dns.SearchDomains);
    }

    [Fact]
    public async Task NoUpstreams_IsRefused()
    {
        await using var dns = await StartAsync();

        var reply = Parse(await DnsClient.UdpAsync(dns.BoundEndpoints[0], Query("www.example.org", A)));

        Assert.Equal(5, reply.Rcode);
        Assert.Equal(1, dns.Counters.Refused);
    }

    [Fact]
    public async Task Garbage_IsCounted_AndTheResolverKeepsAnswering()
    {
        await using var dns = await StartAsync();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(dns.BoundEndpoints[0], TestContext.Current.CancellationToken);

        await socket.SendAsync(new byte[] { 1, 2, 3 }, SocketFlags.None, TestContext.Current.CancellationToken); // runt: dropped
        await socket.SendAsync(new byte[9000], SocketFlags.None, TestContext.Current.CancellationToken); // oversized zeros: FORMERR
        var formErr = Parse(await DnsClient.UdpAsync(dns.BoundEndpoints[0], [0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
        var answer = Parse(await DnsClient.UdpAsync(dns.BoundEndpoints[0], Query("beta.tail.example", A)));

        Assert.Equal(1, formErr.Rcode);
        Assert.Equal("100.64.0.2", Assert.Single(answer.Answers).Data);
        Assert.Equal(1, dns.Counters.Dropped);
        Assert.Equal(1, dns.Counters.Oversized);
        Assert.Equal(1, dns.Counters.FormatErrors);
        Assert.Equal(4, dns.Counters.Queries);
    }

    [Fact]
    public async Task Tcp_ResponseOnTheStream_ClosesTheConnection()
    {
        await using var dns = await StartAsync();
        using var connection = await DnsClient.ConnectTcpAsync(dns.BoundEndpoints[0]);
        var response = Query("beta.tail.example", A);
        response[2] |= 0x80;

        await Assert.ThrowsAnyAsync<Exception>(() => DnsClient.TcpAsync(connection, response));
        Assert.Equal(1, dns.Counters.Dropped);
    }

    [Fact]
    public async Task Tcp_IdleClient_IsDisconnected()
    {
        var time = new FakeTimeProvider();
        await using var dns = await StartAsync(time);
        using var connection = await DnsClient.ConnectTcpAsync(dns.BoundEndpoints[0]);
        Parse(await DnsClient.TcpAsync(connection, Query("beta.tail.example", A)));

        // The server is now waiting for the next query under a fresh idle timer, armed at a moment the test
        // cannot observe: advance the fake clock a second at a time until the server closes (bounded).
        var closed = connection.ReceiveAsync(new byte[1], SocketFlags.None, TestContext.Current.CancellationToken).AsTask();
        for (var step = 0; step < 600 && !closed.IsCompleted; step++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(closed, Task.Delay(10, TestContext.Current.CancellationToken));
        }

        Assert.True(closed.IsCompleted, "the idle connection stayed open");
        Assert.Equal(0, await closed);
    }

    [Fact]
    public async Task Start_OnAddressOfNoInterface_SaysSo()
    {
        var options = new MagicDnsOptions();
        options.ListenEndpoints.Clear();
        options.ListenEndpoints.Add(new IPEndPoint(IPAddress.Parse("192.0.2.53"), 0)); // TEST-NET-1: on no interface
        await using var dns = new MagicDns(options, NullLogger<MagicDns>.Instance);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => dns.StartAsync(CancellationToken.None));

        Assert.Contains("192.0.2.53", error.Message, StringComparison.Ordinal);
        Assert.Contains("no interface", error.Message, StringComparison.Ordinal);
    }
}
