using Microsoft.Playwright;
using Weft.Console.Tests.Fixtures;
using Weft.Policy;
using static Microsoft.Playwright.Assertions;

namespace Weft.Console.Tests.Browser;

/// <summary>Users: the list follows sign-ins live; removing a user asks first and takes their machines with them.</summary>
public sealed partial class ConsoleBrowserTests
{
    [Fact]
    public async Task User_AppearsLive_IsRemovedOnlyAfterConfirming_WithTheirMachines()
    {
        BrowserFixture.EnsureOrSkip();
        var ct = TestContext.Current.CancellationToken;
        var tailnet = await Host.TailnetAsync(ct);
        var page = await fixture.SignInAsync(ConsoleHost.AdminEmail);
        await page.GotoAsync("/admin/users");
        await BrowserFixture.LiveAsync(page);

        // Joins while the page is open (as a first sign-in does): the row appears without a reload.
        var lee = (await Host.Server.Service.CreateUserAsync(tailnet.Id, "lee@example.com", "Lee", PolicyRoles.Member, ct))!;
        var remove = page.Locator("[data-testid='remove-lee@example.com']");
        await Expect(remove).ToBeEnabledAsync();
        await Expect(page.Locator("[data-testid='remove-admin@example.com']")).ToBeDisabledAsync();
        var node = await Host.Server.Service.CreateNodeAsync(new Weft.Control.Storage.NewNode(tailnet.Id, lee.Id, "mkey:" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()),
            "nodekey:" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()), "", "lees-laptop", "{}", [], null, false, true), ct);

        await Expect(page.Locator("[data-testid='machines-lee@example.com']")).ToHaveTextAsync("1");

        // Cancelled: nothing happens.
        await remove.ClickAsync();
        var dialog = page.Locator(".mud-dialog");
        await Expect(dialog).ToContainTextAsync("Remove lee@example.com?");
        await Expect(dialog).ToContainTextAsync("1 machine(s)");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.Artifacts, "light-admin-users-remove-dialog.png") });
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true }).ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        Assert.NotNull(await Host.Store.GetUserAsync(lee.Id, ct));

        await remove.ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Remove", Exact = true }).ClickAsync();
        await Expect(remove).ToHaveCountAsync(0);
        Assert.Null(await Host.Store.GetUserAsync(lee.Id, ct));
        Assert.Null(await Host.Store.GetNodeAsync(node.Id, ct));
        await page.Context.CloseAsync();
    }
}
