using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Weft.Web.Tests;

/// <summary>
/// The client UI in a real browser (Debian's chromium through Playwright) against a fake daemon: the device and
/// peers it shows, search, the connected toggle and accept-DNS switch reaching the daemon, login URL, errors,
/// and screenshots in both themes and at phone width.
/// </summary>
public sealed class WebBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private static ILocator Id(IPage page, string testId) => page.Locator($"[data-testid=\"{testId}\"]");

    [Fact]
    public async Task Page_ShowsDeviceAndPeers_AndSearchFilters()
    {
        BrowserFixture.EnsureOrSkip();
        await using var host = await WebHost.StartAsync();
        var page = await fixture.OpenAsync(host);

        await Expect(Id(page, "device-name")).ToHaveTextAsync("laptop");
        await Expect(Id(page, "backend-state")).ToHaveTextAsync("Connected");
        await Expect(Id(page, "value-copy-fqdn")).ToHaveTextAsync("laptop.corp.weft.internal");
        await Expect(Id(page, "value-copy-ipv4")).ToHaveTextAsync("100.64.0.1");
        await Expect(Id(page, "value-copy-ipv6")).ToHaveTextAsync("fd7a:115c:a1e0::1");
        await Expect(Id(page, "connected")).ToBeCheckedAsync();
        await Expect(page.Locator("[data-testid^=\"peer-\"]")).ToHaveCountAsync(3);
        await Expect(Id(page, "path-nas")).ToHaveTextAsync("direct");
        await Expect(Id(page, "path-phone")).ToHaveTextAsync("relay");
        await Expect(Id(page, "online-build-server")).ToHaveTextAsync("offline");
        await Expect(Id(page, "path-detail-nas")).ToHaveTextAsync("direct 192.168.1.20:41641");
        await Expect(Id(page, "path-detail-phone")).ToHaveTextAsync("relay fra");
        await Expect(Id(page, "path-detail-build-server")).ToHaveCountAsync(0);

        // "/" jumps to the search box, as keyboard users expect.
        await page.Keyboard.PressAsync("/");
        await Expect(Id(page, "search")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync("phone");
        await Expect(Id(page, "peer-phone")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-testid^=\"peer-\"]")).ToHaveCountAsync(1);

        await Id(page, "search").FillAsync("100.64.0.4");
        await Expect(Id(page, "peer-build-server")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-testid^=\"peer-\"]")).ToHaveCountAsync(1);

        await Id(page, "search").FillAsync("no-such-peer");
        await Expect(page.Locator("[data-testid^=\"peer-\"]")).ToHaveCountAsync(0);
        await Expect(Id(page, "no-peers")).ToHaveTextAsync("No peer matches the search.");

        await Id(page, "search").FillAsync("");
        await page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        await Id(page, "copy-ip-nas").ClickAsync();
        await Expect(Id(page, "toast")).ToContainTextAsync("100.64.0.2");
        Assert.Equal("100.64.0.2", await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Toggle_Disconnects_AndReconnects_FromTheKeyboard()
    {
        BrowserFixture.EnsureOrSkip();
        await using var host = await WebHost.StartAsync();
        var page = await fixture.OpenAsync(host);
        await Expect(Id(page, "connected")).ToBeCheckedAsync();

        await Id(page, "connected").FocusAsync();
        await page.Keyboard.PressAsync("Space");
        await Expect(Id(page, "backend-state")).ToHaveTextAsync("Disconnected");
        await Expect(Id(page, "connected")).Not.ToBeCheckedAsync();
        await Expect(Id(page, "connected-label")).ToHaveTextAsync("Disconnected");
        Assert.Equal(["POST /localapi/v0/down"], host.Daemon.Actions());

        await Id(page, "connected").ClickAsync();
        await Expect(Id(page, "backend-state")).ToHaveTextAsync("Connected");
        await Expect(Id(page, "connected")).ToBeCheckedAsync();
        Assert.Equal(["POST /localapi/v0/down", "POST /localapi/v0/up"], host.Daemon.Actions());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AcceptDns_Toggles_InTheDaemon()
    {
        BrowserFixture.EnsureOrSkip();
        await using var host = await WebHost.StartAsync();
        var page = await fixture.OpenAsync(host);
        await Expect(Id(page, "accept-dns")).Not.ToBeCheckedAsync();

        await Id(page, "accept-dns").ClickAsync();
        await Expect(Id(page, "toast")).ToContainTextAsync("Using tailnet DNS");
        await Expect(Id(page, "accept-dns")).ToBeCheckedAsync();
        Assert.True(host.Daemon.AcceptDns);

        await Id(page, "accept-dns").ClickAsync();
        await Expect(Id(page, "toast")).ToContainTextAsync("Not using tailnet DNS");
        await Expect(Id(page, "accept-dns")).Not.ToBeCheckedAsync();
        Assert.False(host.Daemon.AcceptDns);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Logout_ThenLogin_ShowsTheLoginUrl_AndAccountSwitchChangesTheDevice()
    {
        BrowserFixture.EnsureOrSkip();
        await using var host = await WebHost.StartAsync();
        var page = await fixture.OpenAsync(host);
        await Expect(Id(page, "device-name")).ToHaveTextAsync("laptop");

        await Id(page, "profile").SelectOptionAsync("p2");
        await Expect(Id(page, "device-name")).ToHaveTextAsync("laptop-home");
        await Expect(Id(page, "device-user")).ToContainTextAsync("alice@home.example");

        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        await Id(page, "logout").ClickAsync();
        await Expect(Id(page, "login")).ToBeVisibleAsync();
        // Logged out, the daemon says NoState; with its login server known the page says how to get back.
        await Expect(Id(page, "backend-state")).ToHaveTextAsync("Logged out: log in to connect");
        await Expect(Id(page, "connected")).ToBeDisabledAsync();
        await Id(page, "login").ClickAsync();
        await Expect(Id(page, "login-url")).ToHaveTextAsync(FakeDaemon.LoginUrl);
        await Expect(Id(page, "backend-state")).ToHaveTextAsync("Waiting for you to log in: open the link below");
        await Expect(Id(page, "login-url")).ToHaveAttributeAsync("href", FakeDaemon.LoginUrl);
        Assert.Contains("POST /localapi/v0/switch", host.Daemon.Actions());
        Assert.Contains("POST /localapi/v0/logout", host.Daemon.Actions());
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.Artifacts, "light-login.png"), FullPage = true });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task FreshDaemon_SaysNotConfigured_AndLoginShowsTheDaemonsAdvice()
    {
        BrowserFixture.EnsureOrSkip();
        await using var host = await WebHost.StartAsync(configured: false);
        var page = await fixture.OpenAsync(host);
        await Expect(Id(page, "backend-state")).ToHaveTextAsync("Not configured: run weft up --login-server URL");
        await Expect(Id(page, "device-name")).ToHaveTextAsync("This device");
        await Expect(Id(page, "logout")).ToBeHiddenAsync();

        await Id(page, "login").ClickAsync();
        await Expect(Id(page, "error")).ToContainTextAsync("weft up --login-server URL");
        Assert.Equal(["POST /localapi/v0/up"], host.Daemon.Actions());

        // The page keeps polling the (healthy) daemon; the failed action's message stays until the next action.
        await page.WaitForResponseAsync("**/api/state");
        await page.WaitForResponseAsync("**/api/state");
        Assert.Contains("weft up --login-server URL", await Id(page, "error").TextContentAsync(), StringComparison.Ordinal);
        Assert.True(await Id(page, "error").IsVisibleAsync());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task DaemonNotRunning_ShowsWhatToDo()
    {
        BrowserFixture.EnsureOrSkip();
        var missing = Path.Combine(Path.GetTempPath(), "weft-web-no-daemon-" + Guid.NewGuid().ToString("N")[..8] + ".sock");
        await using var host = await WebHost.StartAsync(missing);
        var page = await fixture.OpenAsync(host);
        await Expect(Id(page, "error")).ToContainTextAsync("weft daemon is not running");
        await Expect(Id(page, "error")).ToContainTextAsync("weft daemon");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.Artifacts, "light-no-daemon.png"), FullPage = true });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Screenshots_BothThemes_AndPhoneWidth()
    {
        BrowserFixture.EnsureOrSkip();
        await using var host = await WebHost.StartAsync();
        var backgrounds = new Dictionary<string, string>();
        foreach (var (name, scheme) in new[] { ("light", ColorScheme.Light), ("dark", ColorScheme.Dark) })
        {
            // The browser's preference picks the theme when the user has not chosen one.
            var page = await fixture.OpenAsync(host, scheme);
            await Expect(Id(page, "peer-nas")).ToBeVisibleAsync();
            backgrounds[name] = await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");
            await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.Artifacts, $"{name}-desktop.png"), FullPage = true });

            await page.SetViewportSizeAsync(390, 844);
            await Expect(Id(page, "peer-nas")).ToBeVisibleAsync();
            // Nothing wider than the phone's screen: no sideways scrolling.
            Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"));
            var phone = Path.Combine(BrowserFixture.Artifacts, $"{name}-phone.png");
            await page.ScreenshotAsync(new() { Path = phone, FullPage = true });
            Assert.True(new FileInfo(phone).Length > 0);
            await page.Context.CloseAsync();
        }

        Assert.NotEqual(backgrounds["light"], backgrounds["dark"]);

        // The toggle overrides the preference, and the choice sticks across reloads.
        var toggled = await fixture.OpenAsync(host, ColorScheme.Light);
        await Expect(Id(toggled, "peer-nas")).ToBeVisibleAsync();
        await Id(toggled, "theme-toggle").ClickAsync();
        await Expect(toggled.Locator("html")).ToHaveAttributeAsync("data-theme", "dark");
        await toggled.ReloadAsync();
        await Expect(toggled.Locator("html")).ToHaveAttributeAsync("data-theme", "dark");
        Assert.Equal(backgrounds["dark"], await toggled.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor"));
        await toggled.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.Artifacts, "dark-toggled.png"), FullPage = true });
        await toggled.Context.CloseAsync();
    }
}
