using Microsoft.Extensions.Time.Testing;
using Weft.Core.Control;
using Weft.Node.Dns;
using static Weft.Node.Tests.Dns.DnsTestMessages;

namespace Weft.Node.Tests.Dns;

public sealed class DnsCacheTests
{
    private readonly FakeTimeProvider _time = new();

    private async Task<(FakeUpstream Upstream, MagicDns Dns)> StartAsync(uint ttl = 30, UpstreamBehaviour behaviour = UpstreamBehaviour.Answer)
    {
        var upstream = new FakeUpstream(behaviour, ttl: ttl);
        var dns = await MagicDnsTests.StartAsync(_time, upstreams: upstream.Endpoint);
        return (upstream, dns);
    }

    private static async Task<TestReply> AskAsync(MagicDns dns, byte[] query) =>
        Parse(await DnsClient.UdpAsync(dns.BoundEndpoints[0], query));

    [Fact]
    public async Task RepeatedName_IsAnsweredFromCache_UnderTheNewClientsIdAndCase()
    {
        var (upstream, dns) = await StartAsync();
        await using (upstream)
        await using (dns)
        {
            await AskAsync(dns, Query("www.example.org", A, id: 1));
            var query = Query("WwW.eXaMpLe.org", A, id: 2);
            var raw = await DnsClient.UdpAsync(dns.BoundEndpoints[0], query);
            var reply = Parse(raw);

            Assert.Equal(2, reply.Id);
            Assert.True(raw.AsSpan(12, query.Length - 12).SequenceEqual(query.AsSpan(12)));
            Assert.Equal("192.0.2.1", Assert.Single(reply.Answers).Data);
            Assert.Single(upstream.UdpQueryIds);
            Assert.Equal(1, dns.Counters.AnsweredFromCache);
        }
    }

    [Fact]
    public async Task CachedAnswer_TtlCountsDown_AndExpires()
    {
        var (upstream, dns) = await StartAsync(ttl: 30);
        await using (upstream)
        await using (dns)
        {
            await AskAsync(dns, Query("www.example.org", A));

            _time.Advance(TimeSpan.FromSeconds(10));
            var aged = await AskAsync(dns, Query("www.example.org", A));
            Assert.Equal(20u, Assert.Single(aged.Answers).Ttl);
            Assert.Single(upstream.UdpQueryIds);

            _time.Advance(TimeSpan.FromSeconds(20));
            var fresh = await AskAsync(dns, Query("www.example.org", A));
            Assert.Equal(30u, Assert.Single(fresh.Answers).Ttl);
            Assert.Equal(2, upstream.UdpQueryIds.Count);
        }
    }

    [Fact]
    public async Task ZeroTtl_IsNotCached()
    {
        var (upstream, dns) = await StartAsync(ttl: 0);
        await using (upstream)
        await using (dns)
        {
            await AskAsync(dns, Query("www.example.org", A));
            await AskAsync(dns, Query("www.example.org", A));

            Assert.Equal(2, upstream.UdpQueryIds.Count);
            Assert.Equal(0, dns.Counters.AnsweredFromCache);
        }
    }

    [Fact]
    public async Task EdnsAndClassicQueries_AreCachedApart()
    {
        var (upstream, dns) = await StartAsync();
        await using (upstream)
        await using (dns)
        {
            await AskAsync(dns, Query("www.example.org", A));
            var edns = await AskAsync(dns, Query("www.example.org", A, edns: true));

            Assert.Equal(2, upstream.UdpQueryIds.Count);
            Assert.Single(edns.Answers);
        }
    }

    [Fact]
    public async Task Update_WithOtherRoutes_EmptiesTheCache_WithTheSameRoutes_KeepsIt()
    {
        var (upstream, dns) = await StartAsync();
        await using (upstream)
        await using (dns)
        {
            var self = DnsTestMessages.Node(1, "alpha", "tail.example", "100.64.0.1/32");
            var config = new DnsConfig { MagicDns = true, Domain = "tail.example", Nameservers = [upstream.Endpoint.ToString()] };
            await AskAsync(dns, Query("www.example.org", A));

            dns.Update(config, self, [DnsTestMessages.Node(5, "newpeer", "tail.example", "100.64.0.5/32")]);
            await AskAsync(dns, Query("www.example.org", A));
            Assert.Single(upstream.UdpQueryIds);

            var split = new Dictionary<string, IReadOnlyList<string>> { ["example.org"] = [upstream.Endpoint.ToString()] };
            dns.Update(config with { SplitDns = split }, self, []);
            await AskAsync(dns, Query("www.example.org", A));
            Assert.Equal(2, upstream.UdpQueryIds.Count);
        }
    }

    [Fact]
    public async Task ServFail_IsNotCached()
    {
        var (upstream, dns) = await StartAsync(behaviour: UpstreamBehaviour.Silent);
        await using (upstream)
        await using (dns)
        {
            var pending = AskAsync(dns, Query("www.example.org", A));
            Assert.True(await upstream.QueryArrived.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken));
            _time.Advance(TimeSpan.FromSeconds(2));
            Assert.Equal(2, (await pending).Rcode);

            var second = AskAsync(dns, Query("www.example.org", A));
            Assert.True(await upstream.QueryArrived.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken));
            _time.Advance(TimeSpan.FromSeconds(2));
            Assert.Equal(2, (await second).Rcode);
            Assert.Equal(0, dns.Counters.AnsweredFromCache);
        }
    }

    [Fact]
    public void NegativeAnswer_IsKeptForItsSoaTtl()
    {
        // Our own NXDOMAIN (SOA TTL 60) stands in for an upstream's.
        var table = DnsTable.Build(new DnsConfig { MagicDns = true, Domain = "tail.example" }, DnsTestMessages.Node(1, "alpha", "tail.example", "100.64.0.1/32"), [], []);
        var reply = new byte[512];
        var query = Query("nobody.tail.example", A);
        DnsResponder.Handle(table, query, true, reply, new DnsCounters(), out var length, out _);
        var cache = new DnsCache(_time, 16);
        DnsQuery.Parse(query, out var parsed);
        var key = new char[64];
        var keyLength = DnsCache.Key("nobody.tail.example", parsed, key);

        Assert.Equal(60u, DnsRecords.MinimumTtl(reply.AsSpan(0, length)));
        cache.Store(key.AsSpan(0, keyLength), reply.AsSpan(0, length));
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.True(cache.TryAnswer(key.AsSpan(0, keyLength), parsed, new byte[512], 512) > 0);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, cache.TryAnswer(key.AsSpan(0, keyLength), parsed, new byte[512], 512));
    }

    [Fact]
    public void Capacity_IsBounded()
    {
        var cache = new DnsCache(_time, 4);
        var table = DnsTable.Build(new DnsConfig { MagicDns = true, Domain = "tail.example" }, DnsTestMessages.Node(1, "alpha", "tail.example", "100.64.0.1/32"), [], []);
        var reply = new byte[512];
        for (var i = 0; i < 10; i++)
        {
            var name = $"n{i}.tail.example";
            var query = Query(name, A);
            DnsResponder.Handle(table, query, true, reply, new DnsCounters(), out var length, out _);
            DnsQuery.Parse(query, out var parsed);
            var key = new char[64];
            var keyLength = DnsCache.Key(name, parsed, key);
            cache.Store(key.AsSpan(0, keyLength), reply.AsSpan(0, length));
            Assert.True(cache.Count <= 4);
        }
        Assert.NotEqual(0, cache.Count);
    }
}
