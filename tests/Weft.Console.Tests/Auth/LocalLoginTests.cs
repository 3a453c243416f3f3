using System.Net;
using Weft.Console.Tests.Fixtures;
using Weft.Control.Auth;
using Weft.Control.Hosting;
using Weft.Policy;

namespace Weft.Console.Tests.Auth;

/// <summary>Password logins: the first admin made by the CLI path, the cookie it gets, and what is refused.</summary>
public sealed class LocalLoginTests
{
    private const string Password = "a long enough password";

    [Fact]
    public async Task CreateAdmin_OnEmptyDataDir_ThenPasswordLogin_SignsInWithHttpOnlyLaxCookie()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        var (login, _) = await AdminAccount.CreateAsync(new ControlServerOptions { DataDir = dir.Path }, "root@example.com", Password, null, ct);
        Assert.Equal("root@example.com", login);
        // Accounts live in the database (shared by replicas), not in a file beside it.
        Assert.False(File.Exists(dir.File(LocalAccounts.FileName)));

        await using var server = await ControlServer.StartAsync(new ControlServerOptions { DataDir = dir.Path, Listen = "http://127.0.0.1:0" }, ct: ct);
        var account = await server.Service.Store.GetLocalAccountAsync("root@example.com", ct);
        Assert.NotNull(account);
        Assert.DoesNotContain(Password, account.Hash, StringComparison.Ordinal);
        var tailnet = (await server.Service.Store.ListTailnetsAsync(ct))[0];
        var user = (await server.Service.Store.ListUsersAsync(tailnet.Id, ct)).Single(u => u.Login == "root@example.com");
        Assert.Equal(PolicyRoles.Owner, user.Role);

        using var web = new WebSession(server.Address, followRedirects: false);
        var (page, body) = await web.GetAsync("/login", ct);
        var (response, _) = await web.SubmitAsync(page.RequestMessage!.RequestUri!, body, new Dictionary<string, string> { ["login"] = "root@example.com", ["password"] = Password }, ct);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/admin", response.Headers.Location!.OriginalString);
        var setCookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("weft_console=", StringComparison.Ordinal));
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", setCookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task PasswordLogin_WrongPassword_IsRefusedWithoutCookie()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await ConsoleHost.StartAsync(null, ct);
        await AdminAccount.CreateAsync(host.Options, ConsoleHost.AdminEmail, Password, null, ct);
        using var web = new WebSession(host.Address);
        var (response, body) = await web.PasswordLoginAsync(ConsoleHost.AdminEmail, Password + "x", ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("wrong email or password", body, StringComparison.Ordinal);
        Assert.DoesNotContain(web.Cookies.GetAllCookies(), c => c.Name == "weft_console");

        var (ok, _) = await web.PasswordLoginAsync(ConsoleHost.AdminEmail, Password, ct);
        Assert.Contains(web.Cookies.GetAllCookies(), c => c.Name == "weft_console");
        Assert.Equal(host.Address.Authority, ok.RequestMessage!.RequestUri!.Authority);
    }

    [Fact]
    public async Task LoginPost_WithoutAntiforgeryToken_IsRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await ConsoleHost.StartAsync(null, ct);
        await AdminAccount.CreateAsync(host.Options, ConsoleHost.AdminEmail, Password, null, ct);
        using var http = new HttpClient { BaseAddress = host.Address };
        using var response = await http.PostAsync(new Uri("/login", UriKind.Relative),
            new FormUrlEncodedContent(new Dictionary<string, string> { ["login"] = ConsoleHost.AdminEmail, ["password"] = Password }), ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("weft_console=", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task CreateAdmin_ShortPasswordOrBadEmail_IsRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        var options = new ControlServerOptions { DataDir = dir.Path };
        var shortPassword = await Assert.ThrowsAsync<InvalidDataException>(() => AdminAccount.CreateAsync(options, "a@example.com", "short", null, ct));
        Assert.Contains("12 characters", shortPassword.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidDataException>(() => AdminAccount.CreateAsync(options, "not-an-email", Password, null, ct));
    }

    [Fact]
    public async Task PasswordGuessing_IsSlowedAfterABurst()
    {
        var ct = TestContext.Current.CancellationToken;
        // A fake clock: the limiter refills only when the test says so, however slow the hashing here is.
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await ConsoleHost.StartAsync(null, ct, time: time);
        await AdminAccount.CreateAsync(host.Options, ConsoleHost.AdminEmail, Password, null, ct);
        using var web = new WebSession(host.Address);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 12; i++)
        {
            statuses.Add((await web.PasswordLoginAsync(ConsoleHost.AdminEmail, "wrong password " + i, ct)).Response.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, statuses[0]);
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        // Even the right password waits until the source regains attempts.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await web.PasswordLoginAsync(ConsoleHost.AdminEmail, Password, ct)).Response.StatusCode);

        // Attempts come back with time (one per 10 s after the burst).
        time.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(HttpStatusCode.OK, (await web.PasswordLoginAsync(ConsoleHost.AdminEmail, Password, ct)).Response.StatusCode);
    }

    [Fact]
    public async Task Logout_WithToken_EndsTheSession()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await ConsoleHost.StartAsync(null, ct);
        await AdminAccount.CreateAsync(host.Options, ConsoleHost.AdminEmail, Password, null, ct);
        using var web = new WebSession(host.Address);
        var (machines, body) = await web.PasswordLoginAsync(ConsoleHost.AdminEmail, Password, ct);
        Assert.Equal("/admin/machines", machines.RequestMessage!.RequestUri!.AbsolutePath);

        // The sign-out form in the console's bar carries its anti-forgery token.
        var (after, _) = await web.SubmitAsync(machines.RequestMessage.RequestUri, body, new Dictionary<string, string>(), ct);
        Assert.Equal("/login", after.RequestMessage!.RequestUri!.AbsolutePath);
        var (again, _) = await web.GetAsync("/admin/machines", ct);
        Assert.Equal("/login", again.RequestMessage!.RequestUri!.AbsolutePath);
    }

    [Theory]
    [InlineData("/admin/machines", "/admin/machines")]
    [InlineData("//evil.example/x", "/admin")]
    [InlineData("/\\evil.example", "/admin")]
    [InlineData("https://evil.example/", "/admin")]
    [InlineData("", "/admin")]
    public void ReturnUrl_OnlyLocalPathsAreKept(string given, string expected) => Assert.Equal(expected, AuthEndpoints.LocalPath(given));
}
