using Weft.Console.Tests.Fixtures;
using Weft.Core.Control;
using static Microsoft.Playwright.Assertions;

namespace Weft.Console.Tests.Browser;

/// <summary>What machines report about their connectivity, shown live: a path chip in the list and a Connectivity section on the machine page.</summary>
public sealed partial class ConsoleBrowserTests
{
    /// <summary>Host info as the test devices send it, with <paramref name="net"/>.</summary>
    private static HostInfo WithNetInfo(string hostname, NetInfo? net) => new() { Hostname = hostname, OS = "linux", ClientVersion = "0.1.0", NetInfo = net };

    [Fact]
    public async Task NetInfo_ShowsThePathLive_AndConnectivityOnTheMachinePage()
    {
        BrowserFixture.EnsureOrSkip();
        var ct = TestContext.Current.CancellationToken;
        var page = await fixture.SignInAsync(ConsoleHost.AdminEmail);
        var device = await TestDevice.JoinAsync(Host.Address, await AuthKeyAsync(ct), "net-box", ct);
        await Expect(page.Locator("[data-testid=status-net-box]")).ToContainTextAsync("Online");
        // Nothing reported yet: no chip rather than a guess.
        await Expect(page.Locator("[data-testid=path-net-box]")).ToHaveCountAsync(0);

        // Reports arrive on the open connection, as after a daemon's network check; the open page follows without a reload.
        await device.ReportAsync(WithNetInfo("net-box", new NetInfo { HomeRelay = "fra", UdpWorks = true, MappingVariesByDestination = true, PortMapping = "pcp", RelayedPeers = 2 }), ct);
        await Expect(page.Locator("[data-testid=path-net-box]")).ToHaveTextAsync("relay fra");
        await device.ReportAsync(WithNetInfo("net-box", new NetInfo { HomeRelay = "fra", UdpWorks = true, MappingVariesByDestination = true, PortMapping = "pcp", DirectPeers = 1, RelayedPeers = 1 }), ct);
        await Expect(page.Locator("[data-testid=path-net-box]")).ToHaveTextAsync("mixed");
        await device.ReportAsync(WithNetInfo("net-box", new NetInfo { HomeRelay = "fra", UdpWorks = true, MappingVariesByDestination = true, PortMapping = "pcp", DirectPeers = 3 }), ct);
        await Expect(page.Locator("[data-testid=path-net-box]")).ToHaveTextAsync("direct");

        await page.Locator("[data-testid=machine-net-box] a").ClickAsync();
        await Expect(page.Locator("[data-testid=machine-title]")).ToHaveTextAsync("net-box");
        await Expect(page.Locator("[data-testid=connectivity-path]")).ToHaveTextAsync("direct");
        await Expect(page.Locator("[data-testid=connectivity-relay]")).ToHaveTextAsync("fra");
        await Expect(page.Locator("[data-testid=connectivity-udp]")).ToHaveTextAsync("works");
        await Expect(page.Locator("[data-testid=connectivity-nat]")).ToContainTextAsync("hard");
        await Expect(page.Locator("[data-testid=connectivity-portmap]")).ToHaveTextAsync("PCP");

        // The machine page is live too: UDP blocked now, every path relayed.
        await device.ReportAsync(WithNetInfo("net-box", new NetInfo { HomeRelay = "fra", UdpWorks = false, RelayedPeers = 1 }), ct);
        await Expect(page.Locator("[data-testid=connectivity-udp]")).ToContainTextAsync("blocked");
        await Expect(page.Locator("[data-testid=connectivity-path]")).ToHaveTextAsync("relay fra");
        await Expect(page.Locator("[data-testid=connectivity-nat]")).ToHaveTextAsync("unknown");

        // Its control connection stops: the open machine page says so without a reload, and shows no path any more.
        await Expect(page.Locator("[data-testid=machine-status]")).ToHaveTextAsync("Online");
        await device.DisposeAsync();
        await Expect(page.Locator("[data-testid=machine-status]")).ToHaveTextAsync("Offline");
        await Expect(page.Locator("[data-testid=connectivity-path]")).ToHaveTextAsync("offline");
        await page.Context.CloseAsync();
    }
}
