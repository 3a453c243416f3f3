using Microsoft.Playwright;
using Weft.Console.Tests.Fixtures;
using static Microsoft.Playwright.Assertions;

namespace Weft.Console.Tests.Browser;

/// <summary>Settings: renaming the tailnet (the app bar follows live) and editing the server's relay map, with the server's verdict shown.</summary>
public sealed partial class ConsoleBrowserTests
{
    [Fact]
    public async Task Settings_RenameTailnet_AndEditTheRelayMap()
    {
        BrowserFixture.EnsureOrSkip();
        var ct = TestContext.Current.CancellationToken;
        var before = await Host.TailnetAsync(ct);
        var page = await fixture.SignInAsync(ConsoleHost.AdminEmail);
        try
        {
            await page.GotoAsync("/admin/settings");
            await BrowserFixture.LiveAsync(page);

            await BrowserFixture.Field(page, "tailnet-name-field").FillAsync("bad/name");
            await page.Locator("[data-testid=tailnet-rename]").ClickAsync();
            await Expect(page.Locator(".mud-snackbar")).ToContainTextAsync("not '/'");
            await Expect(page.Locator("[data-testid=tailnet-name]")).ToHaveTextAsync(before.Name);

            await BrowserFixture.Field(page, "tailnet-name-field").FillAsync("acme-net");
            await page.Locator("[data-testid=tailnet-rename]").ClickAsync();
            await Expect(page.Locator("[data-testid=tailnet-name]")).ToHaveTextAsync("acme-net");
            // The app bar of this page (and of every open page) follows without a reload.
            await Expect(page.Locator("[data-testid=tailnet]")).ToHaveTextAsync("acme-net");
            Assert.Equal(("acme-net", before.Domain), ((await Host.TailnetAsync(ct)).Name, (await Host.TailnetAsync(ct)).Domain));

            // A new MagicDNS domain renames every machine, so it is asked first.
            await BrowserFixture.Field(page, "tailnet-domain-field").FillAsync("acme.example.test");
            await page.Locator("[data-testid=tailnet-domain-save]").ClickAsync();
            var dialog = page.Locator(".mud-dialog");
            await Expect(dialog).ToContainTextAsync("host.acme.example.test");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Change domain", Exact = true }).ClickAsync();
            await Expect(page.Locator("[data-testid=tailnet-domain]")).ToHaveTextAsync("acme.example.test");
            Assert.Equal("acme.example.test", (await Host.TailnetAsync(ct)).Domain);

            // The relay map: the server checks it; a refused map leaves the one in force.
            var editor = page.Locator("textarea[data-testid=relaymap-editor]");
            await Expect(page.Locator("[data-testid=relaymap-source]")).ToHaveTextAsync("the config file's");
            await editor.FillAsync("{\"embedded\": true, \"regions\": [{\"id\": 902, \"code\": \"\"}]}");
            await page.Locator("[data-testid=relaymap-save]").ClickAsync();
            await Expect(page.Locator("[data-testid=relaymap-problems]")).ToContainTextAsync("Not saved");
            Assert.Null(Host.Server.Service.RelayMapOverride);

            await editor.FillAsync("{\n  \"embedded\": true,\n  \"regions\": [{\"id\": 902, \"code\": \"lab\", \"name\": \"Lab\", \"relays\": [{\"url\": \"https://127.0.0.1:4443\"}]}]\n}");
            await page.Locator("[data-testid=relaymap-save]").ClickAsync();
            await Expect(page.Locator("[data-testid=relaymap-source]")).ToHaveTextAsync("the map saved here");
            await Expect(page.Locator("[data-testid=relaymap-regions]")).ToContainTextAsync("https://127.0.0.1:4443");
            await Expect(page.Locator("[data-testid=relaymap-problems]")).ToHaveCountAsync(0);
            Assert.NotNull(Host.Server.Service.RelayMapOverride);
            foreach (var theme in new[] { "light", "dark" })
            {
                await page.GotoAsync("/admin/settings?theme=" + theme);
                await BrowserFixture.LiveAsync(page);
                await Expect(page.Locator("[data-testid=relaymap-regions]")).ToContainTextAsync("lab");
                await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.Artifacts, $"{theme}-admin-settings-relaymap.png"), FullPage = true });
            }

            await page.Locator("[data-testid=relaymap-reset]").ClickAsync();
            await Expect(page.Locator("[data-testid=relaymap-source]")).ToHaveTextAsync("the config file's");
            Assert.Null(Host.Server.Service.RelayMapOverride);
        }
        finally
        {
            // The fixture's server is shared by the class: leave the tailnet and relay map as they were.
            await Host.Server.Service.RenameTailnetAsync(before.Id, before.Name, before.Domain, ct);
            await Host.Server.Service.SetRelayMapAsync(null, ct);
            await page.Context.CloseAsync();
        }
    }
}
