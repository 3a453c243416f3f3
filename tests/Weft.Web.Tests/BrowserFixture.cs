using Microsoft.Playwright;

namespace Weft.Web.Tests;

/// <summary>
/// One headless Debian chromium (driven by Playwright) shared by the browser tests of a class; each test
/// brings its own fake daemon and `weft web`. Without chromium the tests skip, or fail under WEFT_REQUIRE_LAB=1.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>Debian's chromium package; Playwright's own browser downloads cannot be fetched here.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>Where screenshots go: beside the test assembly (the build output), never into the repository.</summary>
    public static string Artifacts { get; } = Path.Combine(AppContext.BaseDirectory, "web-screenshots");

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            return;
        }

        Directory.CreateDirectory(Artifacts);
        _playwright = await Playwright.CreateAsync();
        // --no-sandbox: tests run as root in a container, where chromium's sandbox cannot start.
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true, Args = ["--no-sandbox"] });
        Assertions.SetDefaultExpectTimeout(20_000);
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

    /// <summary>A fresh context (own cookies) on the page of <paramref name="host"/>, at desktop size unless told.</summary>
    public async Task<IPage> OpenAsync(WebHost host, ColorScheme scheme = ColorScheme.Light, int width = 1200, int height = 860)
    {
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = host.Server.Address.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            ColorScheme = scheme,
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        return page;
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}
