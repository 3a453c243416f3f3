namespace Weft.Policy.Tests.Parsing;

public sealed class PolicyParserTests
{
    [Fact]
    public void Parse_RealisticPolicy_Succeeds()
    {
        var result = Policy.Parse(TestTailnet.PolicyText);

        Assert.True(result.Success, string.Join("\n", result.Errors));
        Assert.Empty(result.Errors);
        Assert.Equal(["tag:exit", "tag:router", "tag:server"], result.Policy.Tags.Order(StringComparer.Ordinal));
        Assert.Equal("192.168.10.0/24", result.Policy.Hosts["office-lan"].ToString());
        Assert.Equal(["group:eng"], result.Policy.GroupsOf("BOB@example.com"));
    }

    [Theory]
    [InlineData("*:*")]
    [InlineData("alice@example.com:22")]
    [InlineData("group:eng:80-90")]
    [InlineData("tag:server:22,80,443-445")]
    [InlineData("db:5432")]
    [InlineData("10.1.0.0/16:*")]
    [InlineData("10.1.2.3:53")]
    [InlineData("fd7a:115c:a1e0::/48:22")]
    [InlineData("[fd7a:115c:a1e0::1]:22")]
    [InlineData("2001:db8::1:443")]
    [InlineData("autogroup:member:*")]
    [InlineData("autogroup:tagged:*")]
    [InlineData("autogroup:admin:*")]
    [InlineData("autogroup:internet:*")]
    public void Parse_EveryDestinationKind_IsAccepted(string dst)
    {
        var text = $$"""
            {
              "groups": { "group:eng": ["alice@example.com"] },
              "hosts": { "db": "100.64.0.10" },
              "tagOwners": { "tag:server": [] },
              "acls": [ { "action": "accept", "src": ["*"], "dst": ["{{dst}}"] } ],
            }
            """;

        var result = Policy.Parse(text);

        Assert.True(result.Success, string.Join("\n", result.Errors));
    }

    [Theory]
    [InlineData("*")]
    [InlineData("alice@example.com")]
    [InlineData("group:eng")]
    [InlineData("tag:server")]
    [InlineData("db")]
    [InlineData("192.168.0.0/16")]
    [InlineData("fd00::1")]
    [InlineData("autogroup:member")]
    [InlineData("autogroup:tagged")]
    [InlineData("autogroup:admin")]
    public void Parse_EverySourceKind_IsAccepted(string src)
    {
        var text = $$"""
            {
              "groups": { "group:eng": ["alice@example.com"] },
              "hosts": { "db": "100.64.0.10" },
              "tagOwners": { "tag:server": [] },
              "grants": [ { "src": ["{{src}}"], "dst": ["tag:server"], "ip": ["*"] } ],
            }
            """;

        Assert.True(Policy.Parse(text).Success);
    }

    [Theory]
    [InlineData("\"tcp\"")]
    [InlineData("\"udp\"")]
    [InlineData("\"icmp\"")]
    [InlineData("\"gre\"")]
    [InlineData("\"47\"")]
    [InlineData("132")]
    public void Parse_ProtoNamesAndNumbers_AreAccepted(string proto)
    {
        var text = $$"""{ "acls": [ { "action": "accept", "src": ["*"], "dst": ["*:*"], "proto": {{proto}} } ] }""";

        Assert.True(Policy.Parse(text).Success);
    }

    [Theory]
    [InlineData("*")]
    [InlineData("tcp:443")]
    [InlineData("udp:*")]
    [InlineData("tcp:80-90")]
    [InlineData("icmp")]
    [InlineData("icmp:*")]
    [InlineData("443")]
    [InlineData("6:22")]
    public void Parse_GrantIpEntries_AreAccepted(string ip)
    {
        var text = $$"""{ "grants": [ { "src": ["*"], "dst": ["*"], "ip": ["{{ip}}"] } ] }""";

        Assert.True(Policy.Parse(text).Success);
    }

    // Each case: the policy, then the exact line and column of the token at fault and part of the message.
    public static TheoryData<string, int, int, string> Errors => new()
    {
        {
            """
            {
              "groups": { "group:eng": ["alice@example.com"] },
              "acls": [
                { "action": "accept", "src": ["group:ops"], "dst": ["*:*"] },
              ],
            }
            """,
            4, 35, "unknown group \"group:ops\""
        },
        {
            """
            {
              "acls": [
                { "action": "accept", "src": ["*"], "dst": ["tag:web:443"] },
              ],
            }
            """,
            3, 49, "tag \"tag:web\" has no entry in tagOwners"
        },
        {
            """
            {
              "acls": [
                { "action": "accept", "src": ["*"],
                  "dst": ["*:22", "*:70000"] },
              ],
            }
            """,
            4, 23, "bad port \"70000\""
        },
        {
            """
            {
              "hosts": {
                "lan": "10.0.0.0/33",
              },
            }
            """,
            3, 12, "bad CIDR \"10.0.0.0/33\""
        },
        {
            """
            {
              "acls": [],
              "aclz": [],
            }
            """,
            3, 3, "unknown section \"aclz\""
        },
        {
            """
            {
              "acls": [ { "action": "accept", "src": ["autogroup:everyone"], "dst": ["*:*"] } ],
            }
            """,
            2, 43, "unknown autogroup \"autogroup:everyone\""
        },
        {
            """
            {
              "acls": [ { "action": "accept", "src": ["printer"], "dst": ["*:*"] } ],
            }
            """,
            2, 43, "unknown host \"printer\""
        },
        {
            """
            {
              "acls": [ { "action": "accept", "src": ["10.0.0.1/8"], "dst": ["*:*"] } ],
            }
            """,
            2, 43, "host bits are set"
        },
        {
            """
            {
              "acls": [ { "action": "accept", "src": ["*"], "dst": ["*:90-80"] } ],
            }
            """,
            2, 57, "first port is above last"
        },
        {
            """
            {
              "acls": [ { "action": "deny", "src": ["*"], "dst": ["*:*"] } ],
            }
            """,
            2, 25, "action must be \"accept\""
        },
        {
            """
            {
              "acls": [ { "action": "accept", "src": ["*"], "dst": ["*:*"], "proto": "tcpp" } ],
            }
            """,
            2, 74, "unknown protocol \"tcpp\""
        },
        {
            """
            {
              "acls": [ { "action": "accept", "src": ["*"], "dst": ["*:22"], "proto": "icmp" } ],
            }
            """,
            2, 57, "its protocol has none"
        },
        {
            """
            {
              "acls": [ { "action": "accept", "src": ["autogroup:self"], "dst": ["*:*"] } ],
            }
            """,
            2, 43, "\"autogroup:self\" is not allowed in a rule's src"
        },
        {
            """
            {
              "tagOwners": { "tag:a": [] },
              "acls": [ { "action": "accept", "src": ["tag:a"], "dst": ["autogroup:self:*"] } ],
            }
            """,
            3, 43, "cannot be a source of a rule with autogroup:self"
        },
        {
            """
            {
              "acls": [ { "action": "accept", "src": ["*"], "dst": ["tag:server"] } ],
            }
            """,
            2, 57, "needs a port"
        },
        {
            """
            {
              "groups": { "group:a": ["group:b"], "group:b": [] },
            }
            """,
            2, 27, "cannot contain another group"
        },
        {
            """
            {
              "tagOwners": { "tag:a": ["group:nobody"] },
            }
            """,
            2, 28, "unknown group \"group:nobody\""
        },
        {
            """
            {
              "autoApprovers": { "routes": { "10.0.0.0/40": ["alice@example.com"] } },
            }
            """,
            2, 34, "bad CIDR \"10.0.0.0/40\""
        },
        {
            """
            {
              "grants": [ { "src": ["*"], "dst": ["*"], "ip": ["tcp:http"] } ],
            }
            """,
            2, 52, "bad port \"http\""
        },
        {
            """
            {
              "tests": [ { "src": "alice@example.com", "accept": ["10.0.0.0/8:22"] } ],
            }
            """,
            2, 55, "must be a single address"
        },
        {
            """
            {
              "ssh": [],
            }
            """,
            2, 3, "section \"ssh\" is not supported"
        },
        {
            """
            [ "not", "an", "object" ]
            """,
            1, 1, "the policy must be an object"
        },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Parse_InvalidPolicy_ReportsPositionAndReason(string text, int line, int column, string message)
    {
        var result = Policy.Parse(text);

        Assert.False(result.Success);
        Assert.Null(result.Policy);
        var error = Assert.Single(result.Errors);
        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"line {line}, column {column}: ", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SeveralErrors_AreAllReportedInFileOrder()
    {
        const string text = """
            {
              "acls": [
                { "action": "accept", "src": ["group:x"], "dst": ["tag:y:*"] },
              ],
              "bogus": 1,
            }
            """;

        var result = Policy.Parse(text);

        Assert.Equal(
            ["line 3, column 35: unknown group \"group:x\"", "line 3, column 55: tag \"tag:y\" has no entry in tagOwners", "line 5, column 3: unknown section \"bogus\""],
            result.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Parse_SyntaxError_IsReportedWithPosition()
    {
        var result = Policy.Parse("{\n  \"acls\": [\n    { \"action\" \"accept\" }\n  ]\n}");

        var error = Assert.Single(result.Errors);
        Assert.Equal((3, 16), (error.Line, error.Column));
    }

    [Fact]
    public void Parse_DefinitionsAfterUse_Resolve()
    {
        const string text = """
            {
              "acls": [ { "action": "accept", "src": ["group:eng"], "dst": ["tag:server:22"] } ],
              "tagOwners": { "tag:server": ["group:eng"] },
              "groups": { "group:eng": ["alice@example.com"] },
            }
            """;

        Assert.True(Policy.Parse(text).Success);
    }
}
