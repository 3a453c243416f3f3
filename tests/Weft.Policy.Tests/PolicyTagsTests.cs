using System.Net;
using static Weft.Policy.Tests.TestTailnet;

namespace Weft.Policy.Tests;

public sealed class PolicyTagsTests
{
    [Theory]
    [InlineData("tag:server", "carol@example.com", PolicyRoles.Member, true)]  // group:ops owns tag:server
    [InlineData("tag:server", "alice@example.com", PolicyRoles.Member, false)]
    [InlineData("tag:router", "bob@example.com", PolicyRoles.Member, false)]   // autogroup:admin only
    [InlineData("tag:router", "bob@example.com", PolicyRoles.Admin, true)]
    [InlineData("tag:exit", "alice@example.com", PolicyRoles.Owner, true)]     // owners and admins apply any defined tag
    [InlineData("tag:unknown", "alice@example.com", PolicyRoles.Owner, false)] // but never an undefined one
    [InlineData("tag:server", "CAROL@example.com", PolicyRoles.Member, true)]  // logins compare like e-mail addresses
    public void MayApplyTag_FollowsTagOwners(string tag, string login, string role, bool expected)
    {
        Assert.Equal(expected, Realistic.MayApplyTag(tag, login, role));
    }

    [Fact]
    public void MayApplyTag_TagOwnedByTag_AllowsRequesterHoldingThatTag()
    {
        Assert.True(Realistic.MayApplyTag("tag:exit", null, "", ["tag:router"]));
        Assert.False(Realistic.MayApplyTag("tag:exit", null, "", ["tag:server"]));
    }

    [Fact]
    public void MayApplyTag_AutogroupMemberOwner_AllowsAnyUser()
    {
        var policy = ParseOrThrow("""{ "tagOwners": { "tag:dev": ["autogroup:member"] } }""");

        Assert.True(policy.MayApplyTag("tag:dev", "dave@example.com", PolicyRoles.Member));
        Assert.False(policy.MayApplyTag("tag:dev", null, "", []));
    }

    [Fact]
    public void MayAutoApproveRoute_RouterTag_ApprovesRoutesInsideItsPrefix()
    {
        Assert.True(Realistic.MayAutoApproveRoute(IPNetwork.Parse("192.168.10.0/24"), Router));
        Assert.False(Realistic.MayAutoApproveRoute(IPNetwork.Parse("10.0.0.0/8"), Router));
        Assert.False(Realistic.MayAutoApproveRoute(IPNetwork.Parse("192.0.0.0/8"), Router)); // wider than the approved prefix
        Assert.False(Realistic.MayAutoApproveRoute(IPNetwork.Parse("192.168.10.0/24"), Bob));
    }

    [Fact]
    public void MayAutoApproveExitNode_OnlyForExitNodeApprovers()
    {
        Assert.True(Realistic.MayAutoApproveExitNode(Router));
        Assert.True(Realistic.MayAutoApproveRoute(IPNetwork.Parse("::/0"), Router));
        Assert.False(Realistic.MayAutoApproveExitNode(Server));
        Assert.False(Realistic.MayAutoApproveRoute(IPNetwork.Parse("0.0.0.0/0"), Bob));
    }
}
