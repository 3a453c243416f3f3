using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Weft.Console.Tests.Fixtures;
using Weft.Control.Storage;
using Weft.Core.Control;
using static Microsoft.Playwright.Assertions;

namespace Weft.Console.Tests.Browser;

/// <summary>
/// The console in a real browser (Debian's chromium through Playwright), signed in through the OIDC
/// provider: live machine list, rename, policy errors at their line, refused failing tests, auth keys that
/// register a real protocol client, a member kept off the policy page, and screenshots of every page in both themes.
/// </summary>
public sealed partial class ConsoleBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private ConsoleHost Host => fixture.Host;

    private async Task<string> AuthKeyAsync(CancellationToken ct)
    {
        var tailnet = await Host.TailnetAsync(ct);
        var owner = (await Host.UserAsync(ConsoleHost.AdminEmail, ct))!;
        return (await Host.Store.CreateAuthKeyAsync(tailnet.Id, owner.Id, new AuthKeyOptions(true, false, true, [], TimeSpan.FromHours(1)), DateTimeOffset.UtcNow, ct)).Secret;
    }

    [Fact]
    public async Task Machine_AppearsLive_GoesOfflineLive_AndIsRenamed()
    {
        BrowserFixture.EnsureOrSkip();
        var ct = TestContext.Current.CancellationToken;
        var page = await fixture.SignInAsync(ConsoleHost.AdminEmail);
        await Expect(page.Locator("[data-testid=me]")).ToContainTextAsync(ConsoleHost.AdminEmail);

        var key = await AuthKeyAsync(ct);
        var device = await TestDevice.JoinAsync(Host.Address, key, "live-one", ct);
        // No reload: the open page shows the new machine, online.
        await Expect(page.Locator("[data-testid=status-live-one]")).ToContainTextAsync("Online");

        await device.DisposeAsync();
        await Expect(page.Locator("[data-testid=status-live-one]")).ToContainTextAsync("Offline");

        await page.Locator("[data-testid=machine-live-one] a").ClickAsync();
        await Expect(page.Locator("[data-testid=machine-title]")).ToHaveTextAsync("live-one");
        await BrowserFixture.Field(page, "rename").FillAsync("renamed-one");
        await page.Locator("[data-testid=rename-save]").ClickAsync();
        await Expect(page.Locator("[data-testid=machine-title]")).ToHaveTextAsync("renamed-one");
        Assert.Contains(await Host.Store.ListNodesAsync(null, ct), n => n.Name == "renamed-one");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Policy_InvalidShowsErrorAtItsLine_AndFailingTestIsRefused()
    {
        BrowserFixture.EnsureOrSkip();
        var ct = TestContext.Current.CancellationToken;
        var tailnet = await Host.TailnetAsync(ct);
        var before = (await Host.Store.GetPolicyAsync(tailnet.Id, ct)).Text;
        var page = await fixture.SignInAsync(ConsoleHost.AdminEmail);
        await page.GotoAsync("/admin/acls");
        await BrowserFixture.LiveAsync(page);

        var editor = BrowserFixture.Field(page, "policy-editor");
        await editor.FillAsync("{\n  \"acls\": [\n    {\"action\": \"accept\",, }\n  ]\n}");
        await page.Locator("[data-testid=policy-validate]").ClickAsync();
        await Expect(page.Locator("[data-testid=policy-problems]")).ToContainTextAsync("line 3");
        // Marked in the editor itself: the line's background and its number in the gutter.
        await Expect(page.Locator("[data-testid=policy-editor-lines] [data-line='3']")).ToHaveClassAsync(new Regex("policy-line-error"));
        await Expect(page.Locator("[data-testid=policy-editor-box] .hj-gutter-error")).ToHaveTextAsync("3");
        await Expect(page.Locator("[data-testid=policy-editor-lines] .policy-line-error")).ToHaveCountAsync(1);

        // The problem leads to its line: the caret lands there, the line selected.
        await page.Locator("[data-testid=problem-line-3]").ClickAsync();
        await Expect(editor).ToBeFocusedAsync();
        var selected = await editor.EvaluateAsync<string>("a => a.value.substring(a.selectionStart, a.selectionEnd)");
        Assert.Equal("    {\"action\": \"accept\",, }", selected);

        await editor.FillAsync("""
            {
              "acls": [{"action": "accept", "src": ["autogroup:admin"], "dst": ["*:22"]}],
              "tests": [{"src": "admin@example.com", "accept": ["100.64.0.9:80"]}],
            }
            """);
        await page.Locator("[data-testid=policy-save]").ClickAsync();
        await Expect(page.Locator("[data-testid=policy-problems]")).ToContainTextAsync("Not saved");
        Assert.Equal(before, (await Host.Store.GetPolicyAsync(tailnet.Id, ct)).Text);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AuthKey_CreatedInTheBrowser_RegistersANode()
    {
        BrowserFixture.EnsureOrSkip();
        var ct = TestContext.Current.CancellationToken;
        var page = await fixture.SignInAsync(ConsoleHost.AdminEmail);
        await page.GotoAsync("/admin/keys");
        await BrowserFixture.LiveAsync(page);
        await page.Locator("[data-testid=key-create]").ClickAsync();
        var secret = (await page.Locator("[data-testid=secret]").TextContentAsync())!.Trim();
        Assert.NotEmpty(secret);

        await using var device = await TestDevice.JoinAsync(Host.Address, secret, "key-made", ct);
        Assert.True(device.Registration.Authorized, device.Registration.Error);
        await page.GotoAsync("/admin/machines");
        await Expect(page.Locator("[data-testid=status-key-made]")).ToContainTextAsync("Online");

        // Shown once: after a reload the page lists the key by prefix only.
        await page.GotoAsync("/admin/keys");
        await BrowserFixture.LiveAsync(page);
        await Expect(page.Locator("[data-testid=secret]")).ToHaveCountAsync(0);
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Member_CannotOpenThePolicyPage()
    {
        BrowserFixture.EnsureOrSkip();
        var page = await fixture.SignInAsync("member@example.com");
        await Expect(page.Locator("[data-testid=me]")).ToContainTextAsync("member");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Access controls" })).ToHaveCountAsync(0);

        await page.GotoAsync("/admin/acls");
        await BrowserFixture.LiveAsync(page);
        await Expect(page.Locator("[data-testid=denied]")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-testid=policy-editor]")).ToHaveCountAsync(0);
        Assert.DoesNotContain("\"acls\"", await page.ContentAsync(), StringComparison.Ordinal);
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.Artifacts, "member-acls-denied.png") });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Screenshots_OfEveryPage_InBothThemes()
    {
        BrowserFixture.EnsureOrSkip();
        var ct = TestContext.Current.CancellationToken;
        await using var device = await TestDevice.JoinAsync(Host.Address, await AuthKeyAsync(ct), "shot-box", ct);
        await device.ReportAsync(WithNetInfo("shot-box", new NetInfo { HomeRelay = "fra", UdpWorks = true, MappingVariesByDestination = false, PortMapping = "pcp", DirectPeers = 2 }), ct);
        var node = (await Host.Store.ListNodesAsync(null, ct)).First(n => n.Name == "shot-box");
        string[] pages = ["/admin/machines", $"/admin/machines/{node.Id}", "/admin/users", "/admin/acls", "/admin/dns", "/admin/keys", "/admin/settings"];
        foreach (var theme in new[] { "light", "dark" })
        {
            var page = await fixture.SignInAsync(ConsoleHost.AdminEmail, "?theme=" + theme);
            foreach (var path in pages)
            {
                await page.GotoAsync(path + "?theme=" + theme);
                await BrowserFixture.LiveAsync(page);
                await Expect(page.Locator("h1")).ToBeVisibleAsync();
                if (path == "/admin/machines")
                {
                    await Expect(page.Locator("[data-testid=path-shot-box]")).ToHaveTextAsync("direct");
                }

                var file = Path.Combine(BrowserFixture.Artifacts, $"{theme}-{path.Trim('/').Replace('/', '-')}.png");
                await page.ScreenshotAsync(new() { Path = file, FullPage = true });
                Assert.True(new FileInfo(file).Length > 0);
            }

            // The sign-in page follows the browser's colour scheme.
            var anonymous = await page.Context.Browser!.NewContextAsync(new() { BaseURL = Host.Address.ToString(), ColorScheme = theme == "dark" ? ColorScheme.Dark : ColorScheme.Light });
            var login = await anonymous.NewPageAsync();
            await login.GotoAsync("/login");
            await Expect(login.Locator("#sso")).ToBeVisibleAsync();
            await login.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.Artifacts, $"{theme}-login.png") });
            await anonymous.CloseAsync();

            await page.SetViewportSizeAsync(390, 844);
            await page.GotoAsync("/admin/machines?theme=" + theme);
            await BrowserFixture.LiveAsync(page);
            await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.Artifacts, $"{theme}-phone-machines.png"), FullPage = true });
            await page.Context.CloseAsync();
        }
    }
}
