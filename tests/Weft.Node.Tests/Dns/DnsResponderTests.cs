using Weft.Core.Control;
using ControlNode = Weft.Core.Control.Node;
using Weft.Node.Dns;
using static Weft.Node.Tests.Dns.DnsTestMessages;

namespace Weft.Node.Tests.Dns;

public sealed class DnsResponderTests
{
    private const string Domain = "tail.example";

    private static readonly ControlNode Self = DnsTestMessages.Node(1, "alpha", Domain, "100.64.0.1/32", "fd7a:115c:a1e0:ab12::1/128");
    private static readonly ControlNode Beta = DnsTestMessages.Node(2, "beta", Domain, "100.64.0.2/32", "fd7a:115c:a1e0:ab12::2/128");
    private static readonly ControlNode V4Only = DnsTestMessages.Node(3, "v4only", Domain, "100.64.0.3/32");
    private static readonly ControlNode Gamma = DnsTestMessages.Node(4, "gamma", "other.example", "100.64.0.4/32") with { Fqdn = "gamma.other.example" };

    private static readonly DnsConfig Config = new()
    {
        MagicDns = true,
        Domain = Domain,
        Nameservers = ["127.0.0.1:5300"],
        SearchDomains = ["other.example"],
        SplitDns = new Dictionary<string, IReadOnlyList<string>>
        {
            ["corp.example"] = ["127.0.0.2:5300"],
            ["eng.corp.example."] = ["127.0.0.3"],
        },
    };

    private readonly DnsCounters _counters = new();
    private readonly byte[] _reply = new byte[65535];

    private static DnsTable Table(DnsConfig? config = null, params ControlNode[] peers)
    {
        var problems = new List<string>();
        var table = DnsTable.Build(config ?? Config, Self, peers.Length == 0 ? [Beta, V4Only, Gamma] : peers, problems);
        Assert.Empty(problems);
        return table;
    }

    private DnsDecision Handle(DnsTable table, byte[] query, out TestReply? reply, out DnsRoute? route, bool overUdp = true)
    {
        var decision = DnsResponder.Handle(table, query, overUdp, _reply, _counters, out var length, out route);
        reply = decision is DnsDecision.Reply or DnsDecision.ReplyNoUpstream ? Parse(_reply.AsSpan(0, length)) : null;
        return decision;
    }

    private TestReply Answer(byte[] query, DnsTable? table = null)
    {
        Assert.Equal(DnsDecision.Reply, Handle(table ?? Table(), query, out var reply, out _));
        return reply!;
    }

    [Theory]
    [InlineData("beta.tail.example")]
    [InlineData("beta.tail.example.")]
    [InlineData("BeTa.TAIL.example")]
    [InlineData("beta")]
    public void A_ForPeerName_IsAnsweredAuthoritatively(string name)
    {
        var reply = Answer(Query(name, A, id: 0x4242));

        Assert.Equal(0x4242, reply.Id);
        Assert.True(reply.IsResponse);
        Assert.True(reply.Authoritative);
        Assert.Equal(0, reply.Rcode);
        var answer = Assert.Single(reply.Answers);
        Assert.Equal(name.TrimEnd('.').ToLowerInvariant(), answer.Name);
        Assert.Equal(A, answer.Type);
        Assert.Equal("100.64.0.2", answer.Data);
        Assert.Equal(1, _counters.AnsweredLocally);
    }

    [Fact]
    public void Question_KeepsTheClientsLetterCase()
    {
        var query = Query("BeTa.TaIl.ExAmPlE", A);

        DnsResponder.Handle(Table(), query, true, _reply, _counters, out var length, out _);

        // Resolvers randomise case (0x20 bits) and check the echo byte for byte.
        Assert.True(_reply.AsSpan(12, query.Length - 12).SequenceEqual(query.AsSpan(12)));
        Assert.True(length > query.Length);
    }

    [Fact]
    public void Aaaa_ForPeerName_GivesItsIPv6Address()
    {
        var reply = Answer(Query("beta.tail.example", Aaaa));

        var answer = Assert.Single(reply.Answers);
        Assert.Equal(Aaaa, answer.Type);
        Assert.Equal("fd7a:115c:a1e0:ab12::2", answer.Data);
    }

    [Fact]
    public void Any_ForPeerName_GivesBothFamilies()
    {
        var reply = Answer(Query("alpha.tail.example", Any));

        Assert.Equal(["100.64.0.1", "fd7a:115c:a1e0:ab12::1"], reply.Answers.Select(a => a.Data));
    }

    [Theory]
    [InlineData("v4only.tail.example", Aaaa)]
    [InlineData("beta.tail.example", Mx)]
    [InlineData("beta.tail.example", Txt)]
    [InlineData("beta.tail.example", Ptr)]
    public void ExistingName_OtherType_IsNoDataWithSoa(string name, ushort type)
    {
        var reply = Answer(Query(name, type));

        Assert.Equal(0, reply.Rcode);
        Assert.True(reply.Authoritative);
        Assert.Empty(reply.Answers);
        var soa = Assert.Single(reply.Authority);
        Assert.Equal(Soa, soa.Type);
        Assert.Equal(Domain, soa.Name);
        Assert.Equal(0, _counters.NxDomain);
    }

    [Theory]
    [InlineData("nobody.tail.example")]
    [InlineData("x.beta.tail.example")]
    public void UnknownName_UnderTailnetDomain_IsNxDomainWithSoa(string name)
    {
        var reply = Answer(Query(name, A));

        Assert.Equal(3, reply.Rcode);
        Assert.True(reply.Authoritative);
        Assert.Empty(reply.Answers);
        var soa = Assert.Single(reply.Authority);
        Assert.Equal(Soa, soa.Type);
        Assert.Equal(Domain, soa.Name);
        Assert.Equal(Domain, soa.Data); // MNAME
        Assert.Equal(60u, soa.Ttl);
        Assert.Equal(1, _counters.NxDomain);
    }

    [Fact]
    public void Apex_Soa_IsTheAnswer()
    {
        var reply = Answer(Query("tail.example", Soa));

        Assert.Equal(0, reply.Rcode);
        var soa = Assert.Single(reply.Answers);
        Assert.Equal(Soa, soa.Type);
        Assert.Empty(reply.Authority);
    }

    [Fact]
    public void Apex_A_IsNoData()
    {
        var reply = Answer(Query("tail.example", A));

        Assert.Equal(0, reply.Rcode);
        Assert.Empty(reply.Answers);
        Assert.Single(reply.Authority);
    }

    [Theory]
    [InlineData("2.0.64.100.in-addr.arpa", "beta.tail.example")]
    [InlineData("1.0.64.100.IN-ADDR.ARPA.", "alpha.tail.example")]
    [InlineData("4.0.64.100.in-addr.arpa", "gamma.other.example")]
    [InlineData("2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.1.b.a.0.e.1.a.c.5.1.1.a.7.d.f.ip6.arpa", "beta.tail.example")]
    public void Ptr_ForTailnetAddress_GivesItsName(string name, string target)
    {
        var reply = Answer(Query(name, Ptr));

        Assert.Equal(0, reply.Rcode);
        var answer = Assert.Single(reply.Answers);
        Assert.Equal(Ptr, answer.Type);
        Assert.Equal(target, answer.Data);
    }

    [Theory]
    [InlineData("9.9.64.100.in-addr.arpa")]
    [InlineData("9.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.1.b.a.0.e.1.a.c.5.1.1.a.7.d.f.ip6.arpa")]
    public void Ptr_ForUnknownTailnetAddress_IsNxDomain(string name)
    {
        var reply = Answer(Query(name, Ptr));

        Assert.Equal(3, reply.Rcode);
        Assert.Equal(Soa, Assert.Single(reply.Authority).Type);
    }

    [Theory]
    [InlineData("1.0.0.10.in-addr.arpa")]
    [InlineData("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa")]
    [InlineData("64.100.in-addr.arpa")]
    public void Ptr_OutsideTheTailnet_IsForwarded(string name)
    {
        Assert.Equal(DnsDecision.Forward, Handle(Table(), Query(name, Ptr), out _, out var route));
        Assert.Equal("", route!.Suffix);
    }

    [Theory]
    [InlineData("www.example.org", "")]
    [InlineData("corp.example", "corp.example")]
    [InlineData("git.corp.example", "corp.example")]
    [InlineData("build.eng.corp.example", "eng.corp.example")]
    [InlineData("corp.example.org", "")]
    [InlineData("notcorp.example", "")]
    [InlineData("unknownhost", "")]
    public void OtherNames_AreForwarded_ByLongestSuffix(string name, string suffix)
    {
        Assert.Equal(DnsDecision.Forward, Handle(Table(), Query(name, A), out _, out var route));

        Assert.Equal(suffix, route!.Suffix);
        Assert.Equal(suffix == "eng.corp.example" ? 53 : 5300, Assert.Single(route.Upstreams).Port);
    }

    [Fact]
    public void SingleLabel_IsTriedUnderSearchDomains()
    {
        var reply = Answer(Query("gamma", A));

        Assert.Equal("100.64.0.4", Assert.Single(reply.Answers).Data);
        Assert.Equal("gamma", reply.Answers[0].Name);
    }

    [Fact]
    public void MagicDnsOff_ForwardsTailnetNames()
    {
        var table = Table(Config with { MagicDns = false });

        Assert.Equal(DnsDecision.Forward, Handle(table, Query("beta.tail.example", A), out _, out _));
        Assert.Equal(DnsDecision.Forward, Handle(table, Query("2.0.64.100.in-addr.arpa", Ptr), out _, out _));
        Assert.Equal(0, _counters.AnsweredLocally);
    }

    [Fact]
    public void NoNameservers_IsRefused_NotForwarded()
    {
        var table = Table(Config with { Nameservers = [] });

        Assert.Equal(DnsDecision.ReplyNoUpstream, Handle(table, Query("www.example.org", A, edns: true), out var reply, out _));
        Assert.Equal(5, reply!.Rcode);
        Assert.Equal("www.example.org", reply.QuestionName);
        Assert.True(reply.HasOpt);
        Assert.Equal(1, _counters.Refused);
        // MagicDNS names still work without upstreams.
        Assert.Equal(DnsDecision.Reply, Handle(table, Query("beta.tail.example", A), out _, out _));
    }

    [Fact]
    public void NoConfig_RefusesEverything()
    {
        var table = DnsTable.Build(null, Self, [Beta], []);

        Assert.Equal(DnsDecision.ReplyNoUpstream, Handle(table, Query("beta.tail.example", A), out var reply, out _));
        Assert.Equal(5, reply!.Rcode);
    }

    [Fact]
    public void ChaosClass_ForTailnetName_IsRefused()
    {
        var reply = Answer(Query("beta.tail.example", A, qclass: 3));

        Assert.Equal(5, reply.Rcode);
        Assert.Empty(reply.Answers);
    }

    [Fact]
    public void Edns_ReplyCarriesOpt()
    {
        var reply = Answer(Query("beta.tail.example", A, edns: true));

        Assert.True(reply.HasOpt);
        Assert.Single(reply.Answers);
    }

    [Fact]
    public void Edns_UnknownVersion_IsBadVers()
    {
        var reply = Answer(Query("beta.tail.example", A, edns: true, ednsVersion: 1));

        Assert.True(reply.HasOpt);
        Assert.Equal(16, (reply.ExtendedRcode << 4) | reply.Rcode);
        Assert.Empty(reply.Answers);
    }

    [Fact]
    public void ManyAddresses_OverClassicUdp_AreTruncated_AndFitWithEdnsOrTcp()
    {
        var addresses = Enumerable.Range(1, 30).Select(i => $"fd7a:115c:a1e0:ab12::{i:x}/128").ToArray();
        var big = DnsTestMessages.Node(9, "big", Domain, addresses);
        var table = Table(Config, Beta, big);

        var classic = Answer(Query("big.tail.example", Aaaa), table);
        Assert.True(classic.Truncated);
        Assert.Empty(classic.Answers);
        Assert.Equal(1, _counters.Truncated);

        var edns = Answer(Query("big.tail.example", Aaaa, edns: true, ednsSize: 4096), table);
        Assert.False(edns.Truncated);
        Assert.Equal(30, edns.Answers.Count);

        Assert.Equal(DnsDecision.Reply, Handle(table, Query("big.tail.example", Aaaa), out var tcp, out _, overUdp: false));
        Assert.False(tcp!.Truncated);
        Assert.Equal(30, tcp.Answers.Count);
    }

    [Fact]
    public void InvalidConfiguration_IsReported_AndSkipped()
    {
        var problems = new List<string>();
        var bad = DnsTestMessages.Node(7, "bad", Domain, "not-an-address") with { Fqdn = "bad name.tail.example" };
        var table = DnsTable.Build(Config with { Nameservers = ["https://dns.example/dns-query", "127.0.0.1"] }, Self, [Beta, bad], problems);

        Assert.Equal(2, problems.Count);
        Assert.Single(table.DefaultRoute.Upstreams);
        Assert.Equal(2, table.HostCount);
    }

    [Fact]
    public void OwnAddress_AsNameserver_IsSkipped_SoQueriesCannotLoop()
    {
        var problems = new List<string>();
        var own = new System.Net.IPEndPoint(System.Net.IPAddress.Parse("100.100.100.100"), 53);

        var table = DnsTable.Build(Config with { Nameservers = ["100.100.100.100", "127.0.0.1:5300"] }, Self, [Beta], problems, [own]);

        Assert.Contains(problems, p => p.Contains("loop", StringComparison.Ordinal));
        Assert.Equal(5300, Assert.Single(table.DefaultRoute.Upstreams).Port);
    }

    [Fact]
    public void DuplicateName_KeepsTheFirst()
    {
        var problems = new List<string>();
        var twin = DnsTestMessages.Node(8, "beta", Domain, "100.64.0.8/32");
        var table = DnsTable.Build(Config, Self, [Beta, twin], problems);

        Assert.Single(problems);
        Assert.Equal(DnsDecision.Reply, DnsResponder.Handle(table, Query("beta.tail.example", A), true, _reply, _counters, out var length, out _));
        Assert.Equal("100.64.0.2", Assert.Single(Parse(_reply.AsSpan(0, length)).Answers).Data);
    }
}
