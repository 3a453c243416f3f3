using static Weft.Policy.Tests.TestTailnet;

namespace Weft.Policy.Tests;

public sealed class PolicyRunTestsTests
{
    [Fact]
    public void RunTests_RealisticPolicy_Passes()
    {
        var result = Realistic.RunTests(All);

        Assert.True(result.Passed, string.Join("\n", result.Failures));
    }

    [Fact]
    public void RunTests_WrongExpectation_NamesTestLineSourceAndDestination()
    {
        var policy = ParseOrThrow("""
            {
              "tagOwners": { "tag:server": [] },
              "acls": [ { "action": "accept", "src": ["alice@example.com"], "dst": ["tag:server:22"] } ],
              "tests": [
                { "src": "alice@example.com", "accept": ["tag:server:22"] },
                { "src": "alice@example.com", "accept": ["tag:server:443"], "deny": ["tag:server:22"] },
              ],
            }
            """);

        var result = policy.RunTests(All);

        Assert.False(result.Passed);
        Assert.Equal(
        [
            "test at line 6, column 5: alice@example.com -> tag:server:443 should be accepted but is denied",
            "test at line 6, column 5: alice@example.com -> tag:server:22 should be denied but is accepted",
        ], result.Failures.Select(f => f.ToString()));
        Assert.True(result.Failures[0].ExpectedAccept);
        Assert.Equal("tag:server:443", result.Failures[0].Destination);
    }

    [Fact]
    public void RunTests_UserWithoutNodes_UsesRoleFromUserList()
    {
        var policy = ParseOrThrow("""
            {
              "tagOwners": { "tag:server": [] },
              "acls": [ { "action": "accept", "src": ["autogroup:admin"], "dst": ["tag:server:22"] } ],
              "tests": [ { "src": "erin@example.com", "accept": ["tag:server:22"] } ],
            }
            """);

        Assert.False(policy.RunTests(All).Passed);
        Assert.True(policy.RunTests(All, [new PolicyUser("erin@example.com", PolicyRoles.Owner)]).Passed);
    }

    [Fact]
    public void RunTests_Protocol_IsHonoured()
    {
        var policy = ParseOrThrow("""
            {
              "acls": [ { "action": "accept", "src": ["*"], "dst": ["100.64.0.3:53"], "proto": "udp" } ],
              "tests": [
                { "src": "100.64.0.1", "proto": "udp", "accept": ["100.64.0.3:53"] },
                { "src": "100.64.0.1", "deny": ["100.64.0.3:53"] },
              ],
            }
            """);

        Assert.True(policy.RunTests(All).Passed);
    }

    [Fact]
    public void RunTests_TagSource_MatchesByTagNotUser()
    {
        var policy = ParseOrThrow("""
            {
              "tagOwners": { "tag:ci": [] },
              "acls": [ { "action": "accept", "src": ["tag:ci"], "dst": ["bob@example.com:22"] } ],
              "tests": [
                { "src": "tag:ci", "accept": ["bob@example.com:22"] },
                { "src": "alice@example.com", "deny": ["bob@example.com:22"] },
              ],
            }
            """);

        Assert.True(policy.RunTests(All).Passed);
    }

    [Fact]
    public void RunTests_AutogroupSelf_AllowsOwnDevicesOnly()
    {
        var policy = ParseOrThrow("""
            {
              "acls": [ { "action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self:*"] } ],
              "tests": [
                { "src": "alice@example.com", "accept": ["alice@example.com:22"], "deny": ["bob@example.com:22"] },
              ],
            }
            """);

        Assert.True(policy.RunTests(All).Passed);
    }
}
