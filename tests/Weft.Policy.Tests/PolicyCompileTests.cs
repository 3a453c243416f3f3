using System.Net;
using Weft.Core.Wire;
using static Weft.Policy.Tests.TestTailnet;

namespace Weft.Policy.Tests;

public sealed class PolicyCompileTests
{
    private static string[] Show(IReadOnlyList<FilterRule> rules) => [.. rules.Select(r => r.ToString())];

    [Fact]
    public void CompileFor_TaggedServer_GetsGroupRulesOnItsOwnAddresses()
    {
        var rules = Realistic.CompileFor(Server, All);

        Assert.Equal(
        [
            "100.64.0.1/32,fd7a:115c:a1e0::1/128,100.64.0.2/32,fd7a:115c:a1e0::2/128,100.64.0.3/32,fd7a:115c:a1e0::3/128"
                + " -> 100.64.0.5/32:22,100.64.0.5/32:80-81,fd7a:115c:a1e0::5/128:22,fd7a:115c:a1e0::5/128:80-81 proto default",
            "100.64.0.4/32,fd7a:115c:a1e0::4/128 -> 100.64.0.5/32:*,fd7a:115c:a1e0::5/128:* proto default",
        ], Show(rules));
    }

    [Fact]
    public void CompileFor_DbHost_AddsAdminRuleAndGrantPerProtocol()
    {
        var rules = Realistic.CompileFor(Db, All);

        Assert.Equal(5, rules.Count);
        Assert.Equal("100.64.0.4/32,fd7a:115c:a1e0::4/128 -> 100.64.0.10/32:5432 proto 6", rules[2].ToString());
        Assert.Equal("100.64.0.5/32,fd7a:115c:a1e0::5/128,100.64.0.10/32,fd7a:115c:a1e0::a/128 -> 100.64.0.10/32:5432 proto 6", rules[3].ToString());
        Assert.Equal("100.64.0.5/32,fd7a:115c:a1e0::5/128,100.64.0.10/32,fd7a:115c:a1e0::a/128 -> 100.64.0.10/32:* proto 1,58", rules[4].ToString());
    }

    [Fact]
    public void CompileFor_TaggedNode_IsNotMatchedByItsUser()
    {
        // Carol owns the server node, but the admin-only rule to "db" must not list the tagged server as a source.
        var rules = Realistic.CompileFor(Db, All);

        Assert.DoesNotContain("100.64.0.5/32", rules[2].Sources);
        Assert.DoesNotContain("100.64.0.7/32", rules[2].Sources);
    }

    [Fact]
    public void CompileFor_UserNode_AutogroupSelf_AdmitsOnlySameUsersNodes()
    {
        var rules = Realistic.CompileFor(AliceLaptop, All);

        Assert.Equal(
            ["100.64.0.1/32,fd7a:115c:a1e0::1/128,100.64.0.2/32,fd7a:115c:a1e0::2/128 -> 100.64.0.1/32:*,fd7a:115c:a1e0::1/128:* proto default"],
            Show(rules));
    }

    [Fact]
    public void CompileFor_SubnetRouter_GetsHostRuleOnItsRoute()
    {
        var rules = Realistic.CompileFor(Router, All);

        Assert.Equal("100.64.0.4/32,fd7a:115c:a1e0::4/128 -> 192.168.10.0/24:* proto default", rules[0].ToString());
    }

    [Fact]
    public void CompileFor_ExitNode_AutogroupInternet_CoversPublicButNotPrivateRanges()
    {
        var rules = Realistic.CompileFor(Router, All);
        var filter = new PacketFilter(rules);

        Assert.Equal(2, rules.Count);
        Assert.Contains(new FilterDestination("2000::/3", PortRange.All), rules[1].Destinations);
        Assert.True(filter.Allows(Packets.Tcp("100.64.0.1", "8.8.8.8", 443)));
        Assert.True(filter.Allows(Packets.Tcp("fd7a:115c:a1e0::3", "2001:4860::8888", 443)));
        Assert.False(filter.Allows(Packets.Tcp("100.64.0.1", "192.168.1.1", 443)));
        Assert.False(filter.Allows(Packets.Tcp("100.64.0.1", "100.64.0.5", 22)));
        Assert.False(filter.Allows(Packets.Tcp("100.64.0.8", "8.8.8.8", 443))); // dave is not in group:eng
    }

    [Fact]
    public void CompileFor_NonExitNode_GetsNoInternetRule()
    {
        Assert.DoesNotContain(Realistic.CompileFor(Bob, All), r => r.Destinations.Any(d => d.Prefix == "2000::/3"));
    }

    [Fact]
    public void CompileFor_DefaultPolicy_AdmitsEveryoneOnEveryPortIncludingRoutes()
    {
        var rules = Policy.Default.CompileFor(Router, All);

        Assert.Equal(
            ["0.0.0.0/0,::/0 -> 100.64.0.7/32:*,fd7a:115c:a1e0::7/128:*,192.168.10.0/24:*,0.0.0.0/0:*,::/0:* proto default"],
            Show(rules));
    }

    [Fact]
    public void CompileFor_GrantWildcardIp_AllowsEveryProtocol()
    {
        var policy = ParseOrThrow("""{ "grants": [ { "src": ["*"], "dst": ["*"], "ip": ["*"] } ] }""");

        var rule = Assert.Single(policy.CompileFor(Bob, All));
        var filter = new PacketFilter([rule]);

        Assert.Equal([IpProtocol.Any], rule.Protocols);
        Assert.True(filter.Allows(Packets.Raw("100.64.0.1", "100.64.0.3", IpProtocol.Gre)));
    }

    [Fact]
    public void CompileFor_CidrDestination_NarrowsToTheNodesAddress()
    {
        var policy = ParseOrThrow("""{ "acls": [ { "action": "accept", "src": ["10.0.0.0/8"], "dst": ["100.64.0.0/10:53"], "proto": "udp" } ] }""");

        var rule = Assert.Single(policy.CompileFor(Bob, All));

        Assert.Equal("10.0.0.0/8 -> 100.64.0.3/32:53 proto 17", rule.ToString());
    }

    [Fact]
    public void CompileFor_NodeNotNamedByAnyRule_GetsNothing()
    {
        var policy = ParseOrThrow("""{ "acls": [ { "action": "accept", "src": ["*"], "dst": ["alice@example.com:*"] } ] }""");

        Assert.Empty(policy.CompileFor(Bob, All));
        Assert.Single(policy.CompileFor(AliceLaptop, All));
    }

    [Fact]
    public void CompileFor_Output_RoundTripsThroughJson()
    {
        var rules = Realistic.CompileFor(Db, All);

        var json = System.Text.Json.JsonSerializer.Serialize(rules);
        var back = System.Text.Json.JsonSerializer.Deserialize<List<FilterRule>>(json)!;

        Assert.Contains("\"src\":[\"100.64.0.4/32\"", json, StringComparison.Ordinal);
        Assert.Equal(Show(rules), Show(back));
    }

    [Fact]
    public void CompileFor_AutogroupTaggedAndMember_SplitByTags()
    {
        var policy = ParseOrThrow("""
            { "acls": [ { "action": "accept", "src": ["autogroup:tagged"], "dst": ["autogroup:member:22"] } ] }
            """);

        var bobRules = policy.CompileFor(Bob, All);
        Assert.Empty(policy.CompileFor(Server, All));
        var sources = Assert.Single(bobRules).Sources;
        Assert.Equal(["100.64.0.5/32", "fd7a:115c:a1e0::5/128", "100.64.0.10/32", "fd7a:115c:a1e0::a/128", "100.64.0.7/32", "fd7a:115c:a1e0::7/128"], sources);
    }

    [Fact]
    public void CompileFor_IPv6Destination_MatchesTheNodesIPv6Only()
    {
        var policy = ParseOrThrow("""{ "acls": [ { "action": "accept", "src": ["*"], "dst": ["[fd7a:115c:a1e0::3]:22"] } ] }""");

        Assert.Equal("0.0.0.0/0,::/0 -> fd7a:115c:a1e0::3/128:22 proto default", Assert.Single(policy.CompileFor(Bob, All)).ToString());
    }

    [Fact]
    public void CompileFor_EmptyTailnet_DoesNotThrow()
    {
        var lone = Node(42, "x@example.com", PolicyRoles.Member, [], IPNetwork.Parse("10.9.0.0/16"));

        Assert.Single(Realistic.CompileFor(lone, [lone]));
    }
}
