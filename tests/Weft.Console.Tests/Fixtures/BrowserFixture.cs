using Microsoft.Playwright;

namespace Weft.Console.Tests.Fixtures;

/// <summary>
/// One OIDC provider, one server and one headless Debian chromium (driven by Playwright) shared by the
/// browser tests of a class. Without chromium the tests skip, or fail under WEFT_REQUIRE_LAB=1 (CI).
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>Debian's chromium package; Playwright's own browser downloads cannot be fetched here.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private OidcProvider? _provider;
    private ConsoleHost? _host;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    internal ConsoleHost Host => _host!;

    /// <summary>Where screenshots go: beside the test assembly (the build output), never into the repository.</summary>
    public static string Artifacts { get; } = Path.Combine(AppContext.BaseDirectory, "console-screenshots");

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            return;
        }

        Directory.CreateDirectory(Artifacts);
        _provider = await OidcProvider.StartAsync(CancellationToken.None);
        _host = await ConsoleHost.StartAsync(_provider, CancellationToken.None);
        _playwright = await Playwright.CreateAsync();
        // --no-sandbox: tests run as root in a container, where chromium's sandbox cannot start.
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true, Args = ["--no-sandbox"] });
        // Hang guards, not speed limits: on a loaded CI machine a sign-in round trip through the provider can take tens of seconds.
        Assertions.SetDefaultExpectTimeout(90_000);
    }

    /// <summary>Skips the calling test when chromium is missing; fails it instead when WEFT_REQUIRE_LAB=1.</summary>
    public static void EnsureOrSkip()
    {
        if (File.Exists(ChromiumPath))
        {
            return;
        }

        var missing = $"browser tests need {ChromiumPath} (apt-get install chromium)";
        if (Environment.GetEnvironmentVariable("WEFT_REQUIRE_LAB") == "1")
        {
            Assert.Fail(missing + " (WEFT_REQUIRE_LAB=1 makes this a failure)");
        }

        Assert.Skip(missing);
    }

    /// <summary>A fresh browser context (own cookies) signed in through the provider as <paramref name="email"/>, on the machines page, live.</summary>
    public async Task<IPage> SignInAsync(string email, string query = "")
    {
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Host.Address.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 860 },
        });
        context.SetDefaultTimeout(120_000);
        context.SetDefaultNavigationTimeout(120_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/admin" + query);
        await page.ClickAsync("#sso");
        await page.FillAsync("#login_email", email);
        await page.ClickAsync("#provider_signin");
        // Only the navigation itself: the page's "load" event can lag behind under load, and LiveAsync below waits
        // for what matters (the interactive circuit).
        await page.WaitForURLAsync("**/admin/machines**", new PageWaitForURLOptions { WaitUntil = WaitUntilState.Commit });
        await LiveAsync(page);
        return page;
    }

    /// <summary>Waits until the page's server connection is up, so clicks and typing reach the server.</summary>
    public static Task LiveAsync(IPage page) => Assertions.Expect(page.Locator("[data-testid=interactive]")).ToBeAttachedAsync();

    /// <summary>The input or text area a console field with data-testid <paramref name="id"/> types into.</summary>
    public static ILocator Field(IPage page, string id) =>
        page.Locator($"input[data-testid={id}], textarea[data-testid={id}], [data-testid={id}] input, [data-testid={id}] textarea").First;

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (_provider is not null)
        {
            await _provider.DisposeAsync();
        }
    }
}
