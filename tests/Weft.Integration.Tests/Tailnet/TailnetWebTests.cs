using Microsoft.Playwright;
using Weft.Lab;
using Weft.Lab.Tailnet;
using Weft.Node.LocalApi;
using static Microsoft.Playwright.Assertions;

namespace Weft.Integration.Tests.Tailnet;

/// <summary>
/// `weft web` in a real browser (Debian's chromium through Playwright) against real daemons: a tailnet of two
/// nodes in lab namespaces, and `weft web` for one of them started in the root namespace, where the browser runs,
/// talking to that node's daemon over its local API socket. What the page shows is checked against what the
/// daemon itself says (`weft status --json`, `weft get`), and what the page does against the tunnel (ping).
/// </summary>
public sealed class TailnetWebTests
{
    /// <summary>Debian's chromium package; Playwright's own browser downloads cannot be fetched here.</summary>
    private const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>What `weft web` prints once it serves, followed by the page's URL.</summary>
    private const string ServingLine = "Weft client UI: ";

    /// <summary>
    /// How long the page may take to show a change: it polls every 3 s, and the daemon behind it reconnects to
    /// control and its peer on its own timers; a generous guard, not a timing claim.
    /// </summary>
    private static readonly float ExpectGuardMs = (float)TailnetLab.ConvergeGuard.TotalMilliseconds;

    /// <summary>Screenshots go beside the test assembly (the build output), never into the repository.</summary>
    private static string Artifacts { get; } = Path.Combine(AppContext.BaseDirectory, "web-screenshots", "tailnet");

    private static ILocator Id(IPage page, string testId) => page.Locator($"[data-testid=\"{testId}\"]");

    [Fact]
    public async Task ClientUi_ShowsTheRealTailnet_AndDrivesTheRealDaemon()
    {
        EnsureChromiumOrSkip();
        await using var tailnet = await TailnetLab.StartAsync();
        var key = await tailnet.AuthKeyAsync();
        var alpha = await tailnet.AddNodeAsync("alpha", key);
        var bravo = await tailnet.AddNodeAsync("bravo", key);
        await tailnet.WaitForFullMeshAsync();
        var ipA = await alpha.IPv4Async();
        var ipB = await bravo.IPv4Async();
        Assert.StartsWith("100.", ipA, StringComparison.Ordinal);

        await using var web = await StartWebAsync(alpha);
        var address = ServedAddress(web.Output);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await OpenAsync(browser, address, ColorScheme.Light);

        // This device: alpha's name and 100.x address, as its daemon reports them.
        await Expect(Id(page, "device-name")).ToHaveTextAsync("alpha");
        await Expect(Id(page, "value-copy-ipv4")).ToHaveTextAsync(ipA);
        await Expect(Id(page, "backend-state")).ToHaveTextAsync("Connected");
        await Expect(Id(page, "connected")).ToBeCheckedAsync();

        // The peer list: bravo with its real address, online.
        await Expect(Id(page, "peer-bravo")).ToBeVisibleAsync();
        await Expect(Id(page, "peer-bravo")).ToContainTextAsync(ipB);
        await Expect(Id(page, "online-bravo")).ToHaveTextAsync("online");

        // After traffic the page shows the path the daemon uses for bravo, the same words `weft status --json` has.
        Assert.True(await TailnetProbes.PingEventuallyAsync(alpha.Namespace, ipB, TailnetLab.ConvergeGuard), $"alpha could not ping bravo ({ipB})");
        var path = await PathShownAsync(page, alpha, "bravo");
        Assert.Matches("^(direct|relay) ", path);
        await Expect(Id(page, "path-bravo")).ToHaveTextAsync(path.Split(' ')[0]);
        await Expect(Id(page, "path-bravo")).ToHaveAttributeAsync("title", path);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "light-desktop.png"), FullPage = true });

        // Search filters the list: by name, by address, and down to nothing.
        await Id(page, "search").FillAsync("brav");
        await Expect(page.Locator("[data-testid^=\"peer-\"]")).ToHaveCountAsync(1);
        await Id(page, "search").FillAsync(ipB);
        await Expect(Id(page, "peer-bravo")).ToBeVisibleAsync();
        await Id(page, "search").FillAsync("no-such-peer");
        await Expect(page.Locator("[data-testid^=\"peer-\"]")).ToHaveCountAsync(0);
        await Expect(Id(page, "no-peers")).ToHaveTextAsync("No peer matches the search.");
        await Id(page, "search").FillAsync("");
        await Expect(Id(page, "peer-bravo")).ToBeVisibleAsync();

        // Copy IP puts bravo's real address on the clipboard.
        await page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        await Id(page, "copy-ip-bravo").ClickAsync();
        await Expect(Id(page, "toast")).ToContainTextAsync(ipB);
        Assert.Equal(ipB, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));

        await ScreenshotsAsync(browser, address, page);

        // The connected toggle turns the daemon off, as its own status says, and on again with the tunnel back.
        await Id(page, "connected").ClickAsync();
        await Expect(Id(page, "backend-state")).ToHaveTextAsync("Disconnected");
        await Expect(Id(page, "connected")).Not.ToBeCheckedAsync();
        await alpha.WaitForStatusAsync(s => s.BackendState == BackendState.Stopped, "alpha Stopped after the page's toggle");
        Assert.Equal("false", await GetPrefAsync(alpha, "wantRunning"));

        await Id(page, "connected").ClickAsync();
        await alpha.WaitForStatusAsync(s => s.BackendState == BackendState.Running, "alpha Running after the page's toggle");
        await Expect(Id(page, "backend-state")).ToHaveTextAsync("Connected");
        await Expect(Id(page, "connected")).ToBeCheckedAsync();
        Assert.Equal("true", await GetPrefAsync(alpha, "wantRunning"));
        Assert.True(await TailnetProbes.PingEventuallyAsync(alpha.Namespace, ipB, TailnetLab.ConvergeGuard), $"alpha could not ping bravo ({ipB}) after reconnecting from the page");
        await Expect(Id(page, "peer-bravo")).ToBeVisibleAsync();

        // The accept-DNS switch round-trips to the daemon's preferences.
        await Expect(Id(page, "accept-dns")).Not.ToBeCheckedAsync();
        Assert.Equal("false", await GetPrefAsync(alpha, "acceptDns"));
        await Id(page, "accept-dns").ClickAsync();
        await Expect(Id(page, "toast")).ToContainTextAsync("Using tailnet DNS");
        await Expect(Id(page, "accept-dns")).ToBeCheckedAsync();
        Assert.Equal("true", await GetPrefAsync(alpha, "acceptDns"));
        await Id(page, "accept-dns").ClickAsync();
        await Expect(Id(page, "toast")).ToContainTextAsync("Not using tailnet DNS");
        await Expect(Id(page, "accept-dns")).Not.ToBeCheckedAsync();
        Assert.Equal("false", await GetPrefAsync(alpha, "acceptDns"));

        // Nothing the page did was refused or failed on its way to the daemon.
        await Expect(Id(page, "error")).ToBeHiddenAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task LogoutAndLogin_FromThePage_ShowTheLoginLink_AndAnApprovedLinkBringsTheDeviceBack()
    {
        EnsureChromiumOrSkip();
        await using var tailnet = await TailnetLab.StartAsync();
        var key = await tailnet.AuthKeyAsync();
        var alpha = await tailnet.AddNodeAsync("alpha", key);
        var bravo = await tailnet.AddNodeAsync("bravo", key);
        await tailnet.WaitForFullMeshAsync();
        var ipB = await bravo.IPv4Async();

        await using var web = await StartWebAsync(alpha);
        var address = ServedAddress(web.Output);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await OpenAsync(browser, address, ColorScheme.Light);
        await Expect(Id(page, "device-name")).ToHaveTextAsync("alpha");

        // Log out asks first; accepting makes the daemon forget its node key (it then says NoState: no key, not running).
        page.Dialog += async (_, dialog) =>
        {
            Assert.Contains("Log out", dialog.Message, StringComparison.Ordinal);
            await dialog.AcceptAsync();
        };
        await Id(page, "logout").ClickAsync();
        await alpha.WaitForStatusAsync(s => s.BackendState == BackendState.NoState, "alpha logged out by the page");
        Assert.Equal(tailnet.Control.ListenUrl, (await GetPrefAsync(alpha, "loginServer")).TrimEnd('/'));
        await Expect(Id(page, "backend-state")).ToHaveTextAsync("Logged out: log in to connect");
        await Expect(Id(page, "connected")).Not.ToBeCheckedAsync();
        await Expect(Id(page, "connected")).ToBeDisabledAsync();
        await Expect(Id(page, "login")).ToBeVisibleAsync();
        await Expect(Id(page, "peer-bravo")).ToHaveCountAsync(0);

        // Log in without an auth key: the page shows the login link the daemon got from control.
        await Id(page, "login").ClickAsync();
        var waiting = await alpha.WaitForStatusAsync(s => s.AuthUrl is not null, "alpha has a login link after the page's login");
        Assert.StartsWith(tailnet.Control.ListenUrl, waiting.AuthUrl, StringComparison.Ordinal);
        await Expect(Id(page, "login-box")).ToBeVisibleAsync();
        await Expect(Id(page, "login-url")).ToHaveTextAsync(waiting.AuthUrl!);
        await Expect(Id(page, "login-url")).ToHaveAttributeAsync("href", waiting.AuthUrl!);
        await Expect(Id(page, "backend-state")).ToHaveTextAsync("Waiting for you to log in: open the link below");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "light-login-link.png"), FullPage = true });

        // The link is completed by an admin (what single sign-on does for the user): the page comes back connected.
        await tailnet.Admin.ApproveRegistrationAsync(new Uri(waiting.AuthUrl!).Segments[^1], TestContext.Current.CancellationToken);
        var running = await alpha.WaitForStatusAsync(s => s.BackendState == BackendState.Running && s.Peers.Any(p => p.Name == "bravo"), "alpha runs after the link is approved");
        await Expect(Id(page, "backend-state")).ToHaveTextAsync("Connected");
        await Expect(Id(page, "login-box")).ToBeHiddenAsync();
        await Expect(Id(page, "device-name")).ToHaveTextAsync(running.Self!.Name);
        await Expect(Id(page, "value-copy-ipv4")).ToHaveTextAsync(running.Self.Addresses[0]);
        await Expect(Id(page, "peer-bravo")).ToBeVisibleAsync();
        Assert.True(await TailnetProbes.PingEventuallyAsync(alpha.Namespace, ipB, TailnetLab.ConvergeGuard), $"alpha could not ping bravo ({ipB}) after logging in again from the page");
        await Expect(Id(page, "error")).ToBeHiddenAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AccountSwitch_FromThePage_MovesTheDaemonToTheOtherLogin()
    {
        EnsureChromiumOrSkip();
        await using var tailnet = await TailnetLab.StartAsync();
        var key = await tailnet.AuthKeyAsync();
        var alpha = await tailnet.AddNodeAsync("alpha", key);
        var bravo = await tailnet.AddNodeAsync("bravo", key);
        await tailnet.WaitForFullMeshAsync();
        var ipB = await bravo.IPv4Async();
        var ct = TestContext.Current.CancellationToken;

        // A second coordination server beside the first (its own port, no STUN to clash with the first's): a login
        // there is another account on this device, a second profile; the first keeps its node key.
        await using var second = await ControlProcess.StartAsync(tailnet.Hub, Path.Combine(tailnet.WorkDir, "control2"),
            $"http://{TailnetLab.ControlAddress}:8081", ["--stun-port", "0"]);
        var key2 = (await second.AdminAsync(["keys", "create", "--reusable", "--preauthorized"])).EnsureSuccess().StandardOutput.Trim();
        (await alpha.CliAsync(["up", "--login-server", second.ListenUrl, "--auth-key", key2, "--hostname", "alpha", "--accept-dns", "false", "--timeout", "60s"])).EnsureSuccess();
        var profiles = await alpha.Api.GetProfilesAsync(ct);
        Assert.Equal(2, profiles.Count);
        var other = profiles.Single(p => !p.Current);
        var before = await alpha.WaitForStatusAsync(s => s.BackendState == BackendState.Running && s.Self is not null, "alpha runs on its second login");
        Assert.Empty(before.Peers);

        await using var web = await StartWebAsync(alpha);
        var address = ServedAddress(web.Output);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await OpenAsync(browser, address, ColorScheme.Light);
        await Expect(Id(page, "value-copy-ipv4")).ToHaveTextAsync(before.Self!.Addresses[0]);
        await Expect(Id(page, "profile").Locator("option")).ToHaveCountAsync(2);
        await Expect(Id(page, "profile")).ToHaveValueAsync(profiles.Single(p => p.Current).Id);

        await Id(page, "profile").SelectOptionAsync(other.Id);
        await Expect(Id(page, "toast")).ToContainTextAsync("Account switched");
        var after = await alpha.WaitForStatusAsync(s => s.BackendState == BackendState.Running && s.Self is not null && s.Peers.Any(p => p.Name == "bravo"), "alpha runs on the account the page switched to");
        Assert.Equal(other.Id, (await alpha.Api.GetProfilesAsync(ct)).Single(p => p.Current).Id);
        // Back on the first server's tailnet, with bravo: the page follows the daemon.
        await Expect(Id(page, "profile")).ToHaveValueAsync(other.Id);
        await Expect(Id(page, "device-name")).ToHaveTextAsync(after.Self!.Name);
        await Expect(Id(page, "value-copy-ipv4")).ToHaveTextAsync(after.Self.Addresses[0]);
        await Expect(Id(page, "peer-bravo")).ToBeVisibleAsync();
        Assert.True(await TailnetProbes.PingEventuallyAsync(alpha.Namespace, ipB, TailnetLab.ConvergeGuard), $"alpha could not ping bravo ({ipB}) after the page switched accounts");
        await Expect(Id(page, "error")).ToBeHiddenAsync();
        await page.Context.CloseAsync();
    }

    /// <summary>Skips when chromium is missing; fails instead under WEFT_REQUIRE_LAB=1, like the lab's own checks.</summary>
    private static void EnsureChromiumOrSkip()
    {
        if (File.Exists(ChromiumPath))
        {
            return;
        }

        var missing = $"browser tests need {ChromiumPath} (apt-get install chromium)";
        if (Environment.GetEnvironmentVariable(LabConstants.RequireLabVariable) == "1")
        {
            Assert.Fail($"{missing} ({LabConstants.RequireLabVariable}=1 makes this a failure)");
        }

        Assert.Skip(missing);
    }

    /// <summary>
    /// `weft --socket NODE web --listen 127.0.0.1:0` in the root namespace, like the user's browser (the daemon's
    /// socket is a file, reachable from any namespace); returns it once it serves.
    /// </summary>
    private static async Task<LabProcess> StartWebAsync(TailnetNode node)
    {
        var web = LabProcess.Start([WeftExecutable.Find(), "--socket", node.Daemon.SocketPath, "web", "--listen", "127.0.0.1:0"]);
        try
        {
            await web.WaitForOutputAsync(ServingLine, LabConstants.StartupTimeout);
            return web;
        }
        catch
        {
            await web.DisposeAsync();
            throw;
        }
    }

    /// <summary>Headless Debian chromium, with the expectation guard and the screenshot folder ready.</summary>
    private static async Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        Directory.CreateDirectory(Artifacts);
        Assertions.SetDefaultExpectTimeout(ExpectGuardMs);
        // --no-sandbox: tests run as root in a container, where chromium's sandbox cannot start.
        return await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true, Args = ["--no-sandbox"] });
    }

    /// <summary>The URL `weft web` printed (it bound port 0, so only it knows the port).</summary>
    private static Uri ServedAddress(string output)
    {
        var line = output.Split('\n').First(l => l.Contains(ServingLine, StringComparison.Ordinal));
        var url = line[(line.IndexOf(ServingLine, StringComparison.Ordinal) + ServingLine.Length)..].Split(' ', 2)[0];
        return new Uri(url);
    }

    /// <summary>A fresh browser context (its own cookie, so its own token) on the page, at desktop size unless told.</summary>
    private static async Task<IPage> OpenAsync(IBrowser browser, Uri address, ColorScheme scheme, int width = 1200, int height = 860)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = address.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            ColorScheme = scheme,
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        return page;
    }

    /// <summary>
    /// Waits until the path the page shows for <paramref name="peer"/> is the one `weft status --json` reports (and
    /// not empty), checking again after each of the page's own refreshes; returns it.
    /// </summary>
    private static async Task<string> PathShownAsync(IPage page, TailnetNode node, string peer)
    {
        var deadline = DateTime.UtcNow + TailnetLab.ConvergeGuard;
        string? daemonSays = null, pageSays = null;
        while (DateTime.UtcNow < deadline)
        {
            daemonSays = (await node.StatusJsonAsync()).Peers.Single(p => p.Name == peer).Path;
            var shown = Id(page, $"path-detail-{peer}");
            pageSays = await shown.CountAsync() == 1 ? await shown.TextContentAsync() : null;
            if (daemonSays.Length > 0 && daemonSays == pageSays)
            {
                return daemonSays;
            }

            // The page's next poll of the daemon; a poll that slipped in between only costs one more round.
            await page.WaitForResponseAsync("**/api/state", new() { Timeout = ExpectGuardMs });
        }

        throw new LabException($"the page never showed {peer}'s path as `weft status --json` did (status: '{daemonSays}', page: '{pageSays}')");
    }

    /// <summary>Light and dark themes at desktop and phone width, with no sideways scrolling on the phone.</summary>
    private static async Task ScreenshotsAsync(IBrowser browser, Uri address, IPage light)
    {
        var dark = await OpenAsync(browser, address, ColorScheme.Dark);
        await Expect(Id(dark, "peer-bravo")).ToBeVisibleAsync();
        await dark.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "dark-desktop.png"), FullPage = true });
        var backgrounds = new List<string>();
        foreach (var (name, page) in new[] { ("light", light), ("dark", dark) })
        {
            backgrounds.Add(await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor"));
            await page.SetViewportSizeAsync(390, 844);
            await Expect(Id(page, "peer-bravo")).ToBeVisibleAsync();
            Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), $"{name} page scrolls sideways at phone width");
            var phone = Path.Combine(Artifacts, $"{name}-phone.png");
            await page.ScreenshotAsync(new() { Path = phone, FullPage = true });
            Assert.True(new FileInfo(phone).Length > 0);
        }

        Assert.NotEqual(backgrounds[0], backgrounds[1]);
        await light.SetViewportSizeAsync(1200, 860);
        await dark.Context.CloseAsync();
    }

    /// <summary>`weft get KEY` on the node: the daemon's own preference, not the page's idea of it.</summary>
    private static async Task<string> GetPrefAsync(TailnetNode node, string key) =>
        (await node.CliAsync(["get", key])).EnsureSuccess().StandardOutput.Trim();
}
