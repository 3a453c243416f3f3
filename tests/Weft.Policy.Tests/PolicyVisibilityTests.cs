using System.Net;
using static Weft.Policy.Tests.TestTailnet;

namespace Weft.Policy.Tests;

public sealed class PolicyVisibilityTests
{
    [Theory]
    [InlineData(1, 5, true)]  // alice -> tag:server
    [InlineData(5, 1, true)]  // and back: visibility is symmetric
    [InlineData(1, 2, true)]  // alice's own devices (autogroup:self)
    [InlineData(1, 3, false)] // alice and bob share no rule
    [InlineData(1, 7, true)]  // alice may use the exit node
    [InlineData(4, 7, true)]  // carol reaches the office LAN through the router
    [InlineData(8, 5, false)] // dave is in no group
    [InlineData(8, 7, false)] // and may not use the exit node
    [InlineData(5, 10, true)] // tag:server reaches db by grant
    [InlineData(8, 8, true)]  // a node always sees itself
    public void CanSee_RealisticPolicy_PrunesPeers(long a, long b, bool expected)
    {
        Assert.Equal(expected, Realistic.CanSee(All.Single(n => n.Id == a), All.Single(n => n.Id == b)));
    }

    [Fact]
    public void CanSee_AgreesWithCompiledFilters()
    {
        var policy = Realistic;
        foreach (var a in All)
        {
            foreach (var b in All)
            {
                if (a.Id == b.Id)
                {
                    continue;
                }

                var compiled = AdmitsSomeAddress(policy, b, a) || AdmitsSomeAddress(policy, a, b);
                Assert.True(compiled == policy.CanSee(a, b), $"node {a.Id} and node {b.Id}: compiled says {compiled}");
            }
        }
    }

    [Fact]
    public void CanSee_DefaultPolicy_EveryoneSeesEveryone()
    {
        foreach (var a in All)
        {
            Assert.All(All, b => Assert.True(Policy.Default.CanSee(a, b)));
        }
    }

    [Fact]
    public void CanSee_EmptyPolicy_NobodySeesAnybody()
    {
        var policy = ParseOrThrow("{}");

        Assert.False(policy.CanSee(AliceLaptop, AlicePhone));
    }

    /// <summary>True when <paramref name="dst"/>'s compiled rules list a source prefix holding one of <paramref name="src"/>'s addresses.</summary>
    private static bool AdmitsSomeAddress(Policy policy, PolicyNode dst, PolicyNode src) =>
        policy.CompileFor(dst, All).Any(r => r.Sources.Any(s => IPNetwork.Parse(s).Contains(src.IPv4) || IPNetwork.Parse(s).Contains(src.IPv6)));
}
