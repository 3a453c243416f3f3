using Microsoft.Playwright;
using Weft.Console.Tests.Fixtures;
using static Microsoft.Playwright.Assertions;

namespace Weft.Console.Tests.Browser;

/// <summary>The policy editor highlights inside itself, keeps its two layers aligned, and is keyboard friendly.</summary>
public sealed partial class ConsoleBrowserTests
{
    [Fact]
    public async Task PolicyEditor_HighlightsInPlace_TabIndents_EscThenTabLeaves()
    {
        BrowserFixture.EnsureOrSkip();
        var page = await fixture.SignInAsync(ConsoleHost.AdminEmail);
        await page.GotoAsync("/admin/acls");
        await BrowserFixture.LiveAsync(page);
        var editor = page.Locator("textarea[data-testid=policy-editor]");
        var lines = page.Locator("[data-testid=policy-editor-lines]");

        await editor.FillAsync("{\n  // everyone\n  \"acls\": [{\"action\": \"accept\", \"src\": [\"*\"], \"dst\": [\"*:*\"]}],\n  \"n\": 12,\n}");
        await Expect(lines.Locator(".hj-comment")).ToHaveTextAsync("// everyone");
        await Expect(lines.Locator(".hj-key").First).ToHaveTextAsync("\"acls\"");
        await Expect(lines.Locator(".hj-number")).ToHaveTextAsync("12");
        await Expect(page.Locator("[data-testid=policy-editor-box] .hj-gutter > div")).ToHaveCountAsync(5);

        // The typed text and its coloured copy occupy the same box, so the caret sits on the characters it edits.
        var typed = (await editor.BoundingBoxAsync())!;
        var shown = (await lines.BoundingBoxAsync())!;
        Assert.Equal((shown.X, shown.Y, shown.Width, shown.Height), (typed.X, typed.Y, typed.Width, typed.Height));

        // Tab indents by two spaces (the highlighted copy follows); Esc then Tab moves on without typing.
        await editor.FocusAsync();
        await editor.PressAsync("Control+Home");
        await editor.PressAsync("Tab");
        await Expect(editor).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^  \\{\n"));
        await Expect(lines.Locator("[data-line='1']")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^  \\{$"));
        var indented = await editor.InputValueAsync();
        await editor.PressAsync("Escape");
        await page.Keyboard.PressAsync("Tab");
        await Expect(editor).Not.ToBeFocusedAsync();
        Assert.Equal(indented, await editor.InputValueAsync());

        foreach (var theme in new[] { "light", "dark" })
        {
            await page.GotoAsync("/admin/acls?theme=" + theme);
            await BrowserFixture.LiveAsync(page);
            await editor.FillAsync("{\n  // a policy with a problem on line 3\n  \"acls\": [{\"action\": \"accept\",, }],\n  \"tagOwners\": {\"tag:web\": [\"autogroup:admin\"]},\n}");
            await page.Locator("[data-testid=policy-validate]").ClickAsync();
            await Expect(page.Locator("[data-testid=policy-editor-box] .hj-gutter-error")).ToHaveTextAsync("3");
            await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.Artifacts, $"{theme}-admin-acls-error.png"), FullPage = true });
        }

        await page.Context.CloseAsync();
    }
}
