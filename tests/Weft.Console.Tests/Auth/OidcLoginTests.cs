using System.Net;
using Microsoft.Extensions.Time.Testing;
using Weft.Console.Tests.Fixtures;
using Weft.Control;
using Weft.Policy;

namespace Weft.Console.Tests.Auth;

/// <summary>
/// Single sign-on against a real OpenID Connect provider over loopback HTTP: the whole authorization code
/// flow with PKCE, placement of new users by email domain, refusals, and the interactive node login link.
/// </summary>
public sealed class OidcLoginTests
{
    [Fact]
    public async Task SsoLogin_FirstAdmin_SignsInAsTheOwner_AfterTheCodeExchange()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var provider = await OidcProvider.StartAsync(ct);
        await using var host = await ConsoleHost.StartAsync(provider, ct);
        using var web = new WebSession(host.Address);

        var (login, loginBody) = await web.GetAsync("/login", ct);
        Assert.Contains("id=\"sso\"", loginBody, StringComparison.Ordinal);
        var (response, body) = await web.SsoLoginAsync(ConsoleHost.AdminEmail, ct);

        // Signed in, the console's machines page renders (its first, server-side render).
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(host.Address.Authority, response.RequestMessage!.RequestUri!.Authority);
        Assert.Equal("/admin/machines", response.RequestMessage.RequestUri.AbsolutePath);
        Assert.Contains(ConsoleHost.AdminEmail, body, StringComparison.Ordinal);
        Assert.Equal(1, provider.TokenRequests);
        Assert.Contains(web.Cookies.GetAllCookies(), c => c.Name == "weft_console" && c.HttpOnly);
        var owner = await host.UserAsync(ConsoleHost.AdminEmail, ct);
        Assert.Equal(PolicyRoles.Owner, owner!.Role);
        Assert.Single(await host.Store.ListUsersAsync(owner.TailnetId, ct));
    }

    [Fact]
    public async Task SsoLogin_NewPeople_ArePlacedByEmailDomain()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var provider = await OidcProvider.StartAsync(ct);
        await using var host = await ConsoleHost.StartAsync(provider, ct);
        var first = await host.TailnetAsync(ct);

        using (var web = new WebSession(host.Address))
        {
            await web.SsoLoginAsync("bob@example.com", ct);
        }

        foreach (var email in new[] { "Carol.Lee@gmail.com", "dave@partner.test", "erin@partner.test" })
        {
            using var web = new WebSession(host.Address);
            await web.SsoLoginAsync(email, ct);
        }

        var bob = await host.UserAsync("bob@example.com", ct);
        Assert.Equal(first.Id, bob!.TailnetId);
        Assert.Equal(PolicyRoles.Member, bob.Role);

        // Webmail: a personal tailnet each, owned by its person.
        var carol = await host.UserAsync("Carol.Lee@gmail.com", ct);
        Assert.NotEqual(first.Id, carol!.TailnetId);
        Assert.Equal(PolicyRoles.Owner, carol.Role);
        Assert.Equal("carol-lee-gmail-com", (await host.Store.GetTailnetAsync(carol.TailnetId, ct))!.Name);

        // Another organization's domain: its own tailnet, the first person its owner, the next a member.
        var dave = await host.UserAsync("dave@partner.test", ct);
        var erin = await host.UserAsync("erin@partner.test", ct);
        Assert.Equal(dave!.TailnetId, erin!.TailnetId);
        Assert.NotEqual(first.Id, dave.TailnetId);
        Assert.Equal((PolicyRoles.Owner, PolicyRoles.Member), (dave.Role, erin.Role));

        // A second login finds the same user instead of making another.
        using (var web = new WebSession(host.Address))
        {
            await web.SsoLoginAsync("bob@example.com", ct);
        }

        Assert.Equal(2, (await host.Store.ListUsersAsync(first.Id, ct)).Count);
    }

    [Fact]
    public async Task Start_WithUnreadableClientSecretFile_FailsWithOneLineNamingIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var provider = await OidcProvider.StartAsync(ct);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ConsoleHost.StartAsync(provider, ct, o => o.Oidc!.ClientSecretFile = "/nonexistent/oidc-secret"));
        Assert.Contains("oidc.clientSecretFile /nonexistent/oidc-secret", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("eve@elsewhere.test", "not from a domain allowed")]
    [InlineData("mallory@example.com", "has not verified")]
    public async Task SsoLogin_RefusedIdentity_EndsOnLoginPageWithReason_AndCreatesNoUser(string email, string reason)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var provider = await OidcProvider.StartAsync(ct);
        provider.Unverified.Add("mallory@example.com");
        await using var host = await ConsoleHost.StartAsync(provider, ct);
        using var web = new WebSession(host.Address);

        var (response, body) = await web.SsoLoginAsync(email, ct);

        Assert.Equal("/login", response.RequestMessage!.RequestUri!.AbsolutePath);
        Assert.Contains(reason, WebUtility.HtmlDecode(body), StringComparison.Ordinal);
        Assert.DoesNotContain(web.Cookies.GetAllCookies(), c => c.Name == "weft_console");
        Assert.Null(await host.UserAsync(email, ct));
    }

    [Fact]
    public async Task NodeLoginLink_LeadsThroughSso_ToApprovalByThatUser_AndCannotBeReused()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var provider = await OidcProvider.StartAsync(ct);
        await using var host = await ConsoleHost.StartAsync(provider, ct);
        var link = await host.PendingLoginAsync("bobs-laptop", ct);
        using var web = new WebSession(host.Address);

        // Not signed in: the link goes to the login page, which carries the link back.
        var (login, loginBody) = await web.GetAsync(link, ct);
        Assert.Equal("/login", login.RequestMessage!.RequestUri!.AbsolutePath);
        Assert.Contains(Uri.EscapeDataString(link), loginBody, StringComparison.Ordinal);

        var (approvePage, approveBody) = await web.SsoLoginAsync("bob@example.com", ct, "/login/oidc?returnUrl=" + Uri.EscapeDataString(link));
        Assert.Equal(link, approvePage.RequestMessage!.RequestUri!.AbsolutePath);
        Assert.Contains("bobs-laptop", approveBody, StringComparison.Ordinal);
        Assert.Contains("bob@example.com", approveBody, StringComparison.Ordinal);

        var (done, doneBody) = await web.SubmitAsync(approvePage.RequestMessage.RequestUri, approveBody, new Dictionary<string, string>(), ct);
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        Assert.Contains("id=\"connected\"", doneBody, StringComparison.Ordinal);
        var bob = await host.UserAsync("bob@example.com", ct);
        var node = Assert.Single(await host.Store.ListNodesAsync(null, ct));
        Assert.Equal(bob!.Id, node.UserId);
        Assert.True(node.Authorized);

        // Used once: the same link (page or form) does nothing more.
        var (again, _) = await web.GetAsync(link, ct);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        var (replay, _) = await web.SubmitAsync(approvePage.RequestMessage.RequestUri, approveBody, new Dictionary<string, string>(), ct);
        Assert.Equal(HttpStatusCode.NotFound, replay.StatusCode);
        Assert.Single(await host.Store.ListNodesAsync(null, ct));
    }

    [Fact]
    public async Task NodeLoginLink_AfterItsLifetime_IsRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var provider = await OidcProvider.StartAsync(ct);
        await using var host = await ConsoleHost.StartAsync(provider, ct, time: time);
        var link = await host.PendingLoginAsync("late-laptop", ct);
        using var web = new WebSession(host.Address);
        await web.SsoLoginAsync(ConsoleHost.AdminEmail, ct);

        time.Advance(ControlConstants.PendingRegistrationLifetime + TimeSpan.FromSeconds(1));

        var (response, body) = await web.GetAsync(link, ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("expired", body, StringComparison.Ordinal);
        Assert.Empty(await host.Store.ListNodesAsync(null, ct));
    }
}
