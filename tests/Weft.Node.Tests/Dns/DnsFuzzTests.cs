using System.Buffers.Binary;
using System.Net.Sockets;
using FsCheck;
using FsCheck.Fluent;
using Weft.Core.Control;
using Weft.Node.Dns;
using static Weft.Node.Tests.Dns.DnsTestMessages;

namespace Weft.Node.Tests.Dns;

/// <summary>
/// Random and mutated datagrams: the answer path never throws, counts every message, and whatever it sends
/// back is a well-formed reply to that message; a running resolver keeps answering after a flood of them.
/// </summary>
public sealed class DnsFuzzTests
{
    private static readonly DnsTable Table = DnsTable.Build(
        new DnsConfig
        {
            MagicDns = true,
            Domain = "tail.example",
            Nameservers = ["127.0.0.1:5300"],
            SearchDomains = ["other.example"],
            SplitDns = new Dictionary<string, IReadOnlyList<string>> { ["corp.example"] = ["127.0.0.2"] },
        },
        DnsTestMessages.Node(1, "alpha", "tail.example", "100.64.0.1/32", "fd7a:115c:a1e0:ab12::1/128"),
        [DnsTestMessages.Node(2, "beta", "tail.example", "100.64.0.2/32", "fd7a:115c:a1e0:ab12::2/128")],
        []);

    private static readonly byte[][] Seeds =
    [
        Query("beta.tail.example", A),
        Query("BETA", Aaaa, edns: true),
        Query("nobody.tail.example", Any, edns: true, ednsSize: 4096),
        Query("2.0.64.100.in-addr.arpa", Ptr),
        Query("2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.1.b.a.0.e.1.a.c.5.1.1.a.7.d.f.ip6.arpa", Ptr, edns: true),
        Query("tail.example", Soa),
        Query("www.example.org", A),
        Query("git.corp.example", Mx, edns: true, ednsVersion: 1),
    ];

    private static readonly Gen<byte> AnyByte = Gen.Choose(0, 255).Select(i => (byte)i);

    /// <summary>One change to a message: flip a byte, overwrite a count, cut it short, or append junk.</summary>
    private static Gen<Func<byte[], byte[]>> Mutation =>
        Gen.OneOf(
            from position in Gen.Choose(0, 400)
            from value in AnyByte
            select (Func<byte[], byte[]>)(m => { var c = (byte[])m.Clone(); c[position % c.Length] = value; return c; }),
            from countField in Gen.Choose(0, 5)
            from value in Gen.Choose(0, 65535)
            select (Func<byte[], byte[]>)(m =>
            {
                var c = (byte[])m.Clone();
                if (c.Length >= (countField * 2) + 2)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(c.AsSpan(countField * 2), (ushort)value);
                }
                return c;
            }),
            from cut in Gen.Choose(0, 400)
            select (Func<byte[], byte[]>)(m => m[..Math.Min(cut, m.Length)]),
            from tail in Gen.ArrayOf(AnyByte)
            select (Func<byte[], byte[]>)(m => [.. m, .. tail]));

    private static Gen<byte[]> Mutated =>
        from seed in Gen.Elements(Seeds)
        from mutations in Gen.ListOf(Mutation).Select(l => l.Take(4))
        select mutations.Aggregate(seed, (message, mutate) => message.Length == 0 ? message : mutate(message));

    private static Gen<byte[]> Datagram => Gen.OneOf(Gen.ArrayOf(AnyByte), Mutated, Mutated);

    [Fact]
    public void Handle_RandomAndMutatedMessages_NeverThrows_CountsEach_RepliesWellFormed()
    {
        var counters = new DnsCounters();
        var reply = new byte[DnsConstants.MaxTcpMessage];
        long handled = 0;
        Prop.ForAll(Datagram.ToArbitrary(), Arb.From(Gen.Elements(true, false)), (message, overUdp) =>
        {
            var decision = DnsResponder.Handle(Table, message, overUdp, reply, counters, out var length, out var route);
            handled++;
            Assert.Equal(handled, counters.Queries);
            switch (decision)
            {
                case DnsDecision.Drop:
                    Assert.True(message.Length < 12 || (message[2] & 0x80) != 0);
                    break;
                case DnsDecision.Forward:
                    Assert.NotNull(route);
                    Assert.NotEmpty(route.Upstreams);
                    break;
                default:
                    var parsed = Parse(reply.AsSpan(0, length));
                    Assert.True(parsed.IsResponse);
                    Assert.Equal(BinaryPrimitives.ReadUInt16BigEndian(message), parsed.Id);
                    if (overUdp)
                    {
                        Assert.True(length <= DnsConstants.EdnsUdpSize);
                    }
                    break;
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(3000));

        // The generator reaches every outcome, so the property above was exercised on each path.
        Assert.True(counters.AnsweredLocally > 0, "no local answers");
        Assert.True(counters.NxDomain > 0, "no NXDOMAIN");
        Assert.True(counters.FormatErrors > 0, "no FORMERR");
        Assert.True(counters.NotImplemented > 0, "no NOTIMP");
        Assert.True(counters.Dropped > 0, "no drops");
    }

    [Fact]
    public void Cache_RandomUpstreamReplies_NeverThrow_AndServeOnlyWhatWasStored()
    {
        var cache = new DnsCache(TimeProvider.System, 64);
        var query = Query("www.example.org", A);
        DnsQuery.Parse(query, out var parsed);
        var key = new char[64];
        var keyLength = DnsCache.Key("www.example.org", parsed, key);
        var reply = new byte[DnsConstants.MaxTcpMessage];
        // Seeds that are real replies to this question (an answer, and an NXDOMAIN with SOA), to mutate.
        var answering = DnsTable.Build(
            new DnsConfig { MagicDns = true, Domain = "example.org" },
            DnsTestMessages.Node(1, "www", "example.org", "192.0.2.1/32", "2001:db8::1/128"),
            [],
            []);
        var seeds = new List<byte[]>();
        foreach (var (name, type) in (ReadOnlySpan<(string, ushort)>)[("www.example.org", A), ("www.example.org", Any), ("nope.example.org", A)])
        {
            DnsResponder.Handle(answering, Query(name, type), false, reply, new DnsCounters(), out var seedLength, out _);
            seeds.Add(reply[..seedLength]);
        }
        var replies =
            from seed in Gen.Elements(seeds.ToArray())
            from mutations in Gen.ListOf(Mutation).Select(l => l.Take(2))
            select mutations.Aggregate(seed, (message, mutate) => message.Length == 0 ? message : mutate(message));
        var served = 0;
        Prop.ForAll(Gen.OneOf(Datagram, replies, replies).ToArbitrary(), response =>
        {
            cache.Clear();
            _ = DnsRecords.MinimumTtl(response);
            DnsRecords.Age((byte[])response.Clone(), 5);
            cache.Store(key.AsSpan(0, keyLength), response);
            DnsQuery.Parse(query, out var again);
            var length = cache.TryAnswer(key.AsSpan(0, keyLength), again, reply, DnsConstants.MaxTcpMessage);
            // Served only when it answers this very question, and then whole.
            Assert.True(length == 0 || (length == response.Length && reply.AsSpan(12, query.Length - 12).SequenceEqual(query.AsSpan(12))));
            served += length > 0 ? 1 : 0;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(3000));
        Assert.True(served > 0, "no stored reply was ever served");
    }

    [Fact]
    public async Task Server_FloodOfRandomDatagrams_IsCounted_AndItKeepsAnswering()
    {
        await using var dns = await MagicDnsTests.StartAsync();
        var server = dns.BoundEndpoints[0];
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(server, TestContext.Current.CancellationToken);
        var sent = 0;
        Prop.ForAll(Datagram.ToArbitrary(), message =>
        {
            socket.Send(message);
            sent++;
            if (sent % 50 == 0)
            {
                // Let the listener catch up so the socket buffer never overflows and loses datagrams.
                var reply = Parse(DnsClient.UdpAsync(server, Query("alpha", A)).GetAwaiter().GetResult());
                Assert.Equal("100.64.0.1", Assert.Single(reply.Answers).Data);
                sent++;
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(500));

        // The listener handles datagrams in order: once this is answered, all of the flood was seen.
        var answer = Parse(await DnsClient.UdpAsync(server, Query("beta.tail.example", A)));

        Assert.Equal("100.64.0.2", Assert.Single(answer.Answers).Data);
        Assert.Equal(sent + 1, dns.Counters.Queries);
        var classified = dns.Counters.Dropped + dns.Counters.FormatErrors + dns.Counters.NotImplemented + dns.Counters.Oversized
            + dns.Counters.AnsweredLocally + dns.Counters.Refused + dns.Counters.Forwarded + dns.Counters.UpstreamFailures + dns.Counters.Overloaded;
        Assert.True(classified > 0);
    }
}
