using System.Net;
using System.Text.Json;
using Weft.Lab;
using Weft.Lab.Nat;

namespace Weft.Integration.Tests.Nat;

/// <summary>
/// Two real `weft daemon`s behind the NAT lab's routers, `weft control` (embedded relay and STUN) and a second relay
/// on the lab's internet: every pair of site kinds gets traffic through, on a direct path where the NATs allow one
/// and through a relay where they do not, and a direct path that dies falls back to the relay and comes back.
/// Guards here are hang guards only; how fast each step happens is measured by bench/nat.
/// </summary>
public sealed class NatTraversalTests
{
    /// <summary>Hang guard for the first reply through the tunnel (the relay carries it while no direct path exists).</summary>
    private static readonly TimeSpan FirstPacketGuard = TimeSpan.FromSeconds(30);

    /// <summary>Hang guard for a path change (direct found, fallback to the relay, direct again).</summary>
    private static readonly TimeSpan PathGuard = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a pair that must stay relayed is watched: twice the 5 s in which a possible direct path is found, so
    /// a direct path that the NATs wrongly allowed would show up inside it.
    /// </summary>
    private static readonly TimeSpan RelayWatch = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task SameLan_TwoHostsBehindOneEasyNat_GoDirectOverTheLan()
    {
        await using var run = await NatRun.StartAsync();
        var site = await run.Nat.AddSiteAsync("lan", NatKind.Easy, hosts: 2);
        var (a, b) = await run.PairAsync(site, 0, site, 1);

        var (ab, ba) = await DirectBothWaysAsync(a, b);

        // No router between them: each reaches the other at its private LAN address, not the shared public one.
        Assert.Equal(IPAddress.Parse(b.Host.Address), ab.DirectEndpoint!.Address);
        Assert.Equal(IPAddress.Parse(a.Host.Address), ba.DirectEndpoint!.Address);
        await AssertPingsAsync(a, b);
    }

    [Fact]
    public async Task EasyEasy_GoDirectThroughBothNats()
    {
        await using var run = await NatRun.StartAsync();
        var easyA = await run.Nat.AddSiteAsync("ea", NatKind.Easy);
        var easyB = await run.Nat.AddSiteAsync("eb", NatKind.Easy);
        var (a, b) = await run.PairAsync(easyA, 0, easyB, 0);

        var (ab, ba) = await DirectBothWaysAsync(a, b);

        Assert.Equal(IPAddress.Parse(easyB.WanAddress), ab.DirectEndpoint!.Address);
        Assert.Equal(IPAddress.Parse(easyA.WanAddress), ba.DirectEndpoint!.Address);
        await AssertPingsAsync(a, b);
    }

    [Fact]
    public async Task EasyHard_GoDirect()
    {
        await using var run = await NatRun.StartAsync();
        var easy = await run.Nat.AddSiteAsync("easy", NatKind.Easy);
        var hard = await run.Nat.AddSiteAsync("hard", NatKind.Hard);
        var (a, b) = await run.PairAsync(easy, 0, hard, 0);

        var (ab, ba) = await DirectBothWaysAsync(a, b);

        Assert.Equal(IPAddress.Parse(hard.WanAddress), ab.DirectEndpoint!.Address);
        Assert.Equal(IPAddress.Parse(easy.WanAddress), ba.DirectEndpoint!.Address);
        await AssertPingsAsync(a, b);
    }

    [Fact]
    public async Task HardHard_StaysOnTheRelayAndStillPings()
    {
        await using var run = await NatRun.StartAsync();
        var hardA = await run.Nat.AddSiteAsync("ha", NatKind.Hard);
        var hardB = await run.Nat.AddSiteAsync("hb", NatKind.Hard);
        var (a, b) = await run.PairAsync(hardA, 0, hardB, 0);

        await AssertRelayedThroughoutAsync(a, b);
    }

    [Fact]
    public async Task UpnpHard_PortMappedSideMakesItDirect()
    {
        NatLabTests.EnsureMiniupnpdOrSkip();
        await using var run = await NatRun.StartAsync();
        var upnp = await run.Nat.AddSiteAsync("upnp", NatKind.Upnp);
        var hard = await run.Nat.AddSiteAsync("hard", NatKind.Hard);
        var (a, b) = await run.PairAsync(upnp, 0, hard, 0);

        var (ab, ba) = await DirectBothWaysAsync(a, b);

        Assert.Equal(IPAddress.Parse(hard.WanAddress), ab.DirectEndpoint!.Address);
        // The hard side sends to the port the UPnP router mapped for the node: its public address, not a LAN one.
        Assert.Equal(IPAddress.Parse(upnp.WanAddress), ba.DirectEndpoint!.Address);
        await AssertPingsAsync(a, b);
    }

    [Fact]
    public async Task UdpBlockedEasy_RelayCarriesEverything()
    {
        await using var run = await NatRun.StartAsync();
        var blocked = await run.Nat.AddSiteAsync("fw", NatKind.UdpBlocked);
        var easy = await run.Nat.AddSiteAsync("easy", NatKind.Easy);
        var (a, b) = await run.PairAsync(blocked, 0, easy, 0);

        await AssertRelayedThroughoutAsync(a, b);
    }

    [Fact]
    public async Task EasyEasy_DirectPathKilled_TrafficMovesToTheRelayAndReturnsWhenRestored()
    {
        await using var run = await NatRun.StartAsync();
        var easyA = await run.Nat.AddSiteAsync("ka", NatKind.Easy);
        var easyB = await run.Nat.AddSiteAsync("kb", NatKind.Easy);
        var (a, b) = await run.PairAsync(easyA, 0, easyB, 0);
        await using var traffic = await NatTailnet.StartPingStreamAsync(a, b);
        await NatTailnet.WaitForPathAsync(a, b, PathKind.Direct, PathGuard);

        await run.Tailnet.BreakDirectPathAsync(a, b);
        var killedAt = DateTimeOffset.UtcNow;
        await NatTailnet.WaitForPathAsync(a, b, PathKind.Relay, PathGuard);
        await NatTailnet.WaitForPathAsync(b, a, PathKind.Relay, PathGuard);
        var relayed = await traffic.WaitForReplyAfterAsync(DateTimeOffset.UtcNow, PathGuard);

        // The cut was real (the router dropped the pair's UDP) and traffic went on through the relay anyway.
        Assert.True(await easyA.DroppedUdpAsync() > 0, "the router's drop rule never matched: the direct path was not in use");
        Assert.NotNull(relayed);
        Assert.True(relayed.Value.Time > killedAt);

        await run.Tailnet.RestoreDirectPathAsync(a);
        var (ab, ba) = await DirectBothWaysAsync(a, b);
        Assert.Equal(IPAddress.Parse(easyB.WanAddress), ab.DirectEndpoint!.Address);
        Assert.Equal(IPAddress.Parse(easyA.WanAddress), ba.DirectEndpoint!.Address);
        await AssertPingsAsync(a, b);
    }

    [Fact]
    public async Task Netcheck_TellsUdpAndTheNatsMappingApart()
    {
        await using var run = await NatRun.StartAsync();
        var easySite = await run.Nat.AddSiteAsync("easy", NatKind.Easy);
        var easy = await run.Tailnet.AddNodeAsync("easy", easySite);
        var hard = await run.Tailnet.AddNodeAsync("hard", await run.Nat.AddSiteAsync("hard", NatKind.Hard));
        var blocked = await run.Tailnet.AddNodeAsync("fw", await run.Nat.AddSiteAsync("fw", NatKind.UdpBlocked));

        using var easyReport = await easy.NetcheckAsync();
        using var hardReport = await hard.NetcheckAsync();
        using var blockedReport = await blocked.NetcheckAsync();
        var e = easyReport.RootElement;
        var h = hardReport.RootElement;
        var f = blockedReport.RootElement;

        // Two STUN servers (control's and the second relay's) saw the easy NAT's one mapping, and the hard NAT's two.
        Assert.True(e.GetProperty("udp").GetBoolean(), e.GetRawText());
        Assert.False(e.GetProperty("mappingVariesByDestination").GetBoolean(), e.GetRawText());
        Assert.StartsWith(easySite.WanAddress + ":", e.GetProperty("publicIPv4").GetString(), StringComparison.Ordinal);
        Assert.True(h.GetProperty("udp").GetBoolean(), h.GetRawText());
        Assert.True(h.GetProperty("mappingVariesByDestination").GetBoolean(), h.GetRawText());
        // No UDP at all: the report says so, and the home relay is still reached (over TCP).
        Assert.False(f.GetProperty("udp").GetBoolean(), f.GetRawText());
        foreach (var report in (JsonElement[])[e, h, f])
        {
            Assert.True(report.GetProperty("homeRelayConnected").GetBoolean(), report.GetRawText());
            Assert.Contains(report.GetProperty("homeRelay").GetString(), (string[])[NatTailnet.ControlRegionCode, NatTailnet.RelayRegionCode]);
        }
    }

    [Fact]
    public async Task Netcheck_UpnpRouter_OffersPortMappingAndTheNodeHoldsOne()
    {
        NatLabTests.EnsureMiniupnpdOrSkip();
        await using var run = await NatRun.StartAsync();
        var site = await run.Nat.AddSiteAsync("upnp", NatKind.Upnp);
        var node = await run.Tailnet.AddNodeAsync("upnp", site);

        using var report = await node.NetcheckAsync();
        var r = report.RootElement;

        Assert.True(r.GetProperty("udp").GetBoolean(), r.GetRawText());
        Assert.NotEmpty(r.GetProperty("portMappingServices").EnumerateArray());
        // The mapping names the router's public address; the node offers it to peers as an endpoint.
        var mapping = r.GetProperty("portMapping").GetString();
        Assert.NotNull(mapping);
        Assert.Contains(site.WanAddress + ":", mapping, StringComparison.Ordinal);
        Assert.Contains(r.GetProperty("endpoints").EnumerateArray(), endpoint => endpoint.GetString()!.StartsWith(site.WanAddress + ":", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PathBreak_DropsUdpWithTheNamedAddressOnly_AndRestoreLetsItThrough()
    {
        LabRequirements.EnsureOrSkip();
        await using var lab = await NetworkLab.CreateAsync(Pairs.Log);
        var nat = await NatLab.CreateAsync(lab);
        var site = await nat.AddSiteAsync("cut", NatKind.Easy);
        var host = site.Hosts[0];
        var cut = new IPEndPoint(IPAddress.Parse(NatLab.ServerAddresses[0]), 41641);
        var kept = new IPEndPoint(IPAddress.Parse(NatLab.ServerAddresses[1]), 41641);
        using var cutObserver = nat.Internet.CreateUdpSocket(cut);
        using var keptObserver = nat.Internet.CreateUdpSocket(kept);
        using var inside = host.Namespace.CreateUdpSocket(new IPEndPoint(IPAddress.Parse(host.Address), 0));
        var ct = TestContext.Current.CancellationToken;

        await site.DropUdpWithAsync([cut.Address.ToString()]);
        await inside.SendToAsync("cut"u8.ToArray(), cut, ct);
        await inside.SendToAsync("kept"u8.ToArray(), kept, ct);
        var keptArrived = await ReceiveAsync(keptObserver);
        // The other address got its datagram through the same router; the rule's counter saw the cut one dropped.
        var dropped = await site.DroppedUdpAsync();
        var cutWhileBroken = cutObserver.Available;

        await site.RestoreUdpAsync();
        await inside.SendToAsync("again"u8.ToArray(), cut, ct);
        var cutArrived = await ReceiveAsync(cutObserver);

        Assert.Equal("kept", keptArrived);
        Assert.Equal(1, dropped);
        Assert.Equal(0, cutWhileBroken);
        Assert.Equal("again", cutArrived);
        Assert.Equal(0, await site.DroppedUdpAsync());
    }

    private static async Task<string> ReceiveAsync(System.Net.Sockets.Socket socket)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        var buffer = new byte[1500];
        var result = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), timeout.Token);
        return System.Text.Encoding.ASCII.GetString(buffer, 0, result.ReceivedBytes);
    }

    /// <summary>Keeps traffic flowing from <paramref name="a"/> to <paramref name="b"/> and waits for a direct path on both sides.</summary>
    private static async Task<(NatPeerStatus AtoB, NatPeerStatus BtoA)> DirectBothWaysAsync(NatNode a, NatNode b)
    {
        await using var traffic = await NatTailnet.StartPingStreamAsync(a, b);
        var ab = await NatTailnet.WaitForPathAsync(a, b, PathKind.Direct, PathGuard);
        var ba = await NatTailnet.WaitForPathAsync(b, a, PathKind.Direct, PathGuard);
        Assert.NotNull(ab.DirectEndpoint);
        Assert.NotNull(ba.DirectEndpoint);
        return (ab, ba);
    }

    /// <summary>
    /// Traffic flows both ways through a relay, and for <see cref="RelayWatch"/> under steady traffic neither side
    /// ever reports a direct path.
    /// </summary>
    private static async Task AssertRelayedThroughoutAsync(NatNode a, NatNode b)
    {
        await using var traffic = await NatTailnet.StartPingStreamAsync(a, b);
        var ab = await NatTailnet.WaitForPathAsync(a, b, PathKind.Relay, PathGuard);
        var ba = await NatTailnet.WaitForPathAsync(b, a, PathKind.Relay, PathGuard);
        Assert.False(string.IsNullOrEmpty(ab.RelayRegion));
        Assert.False(string.IsNullOrEmpty(ba.RelayRegion));

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var samples = 0;
        while (watch.Elapsed < RelayWatch)
        {
            foreach (var (node, peer) in new[] { (a, b), (b, a) })
            {
                var seen = (await node.StatusAsync()).Peers.Single(p => p.Name == peer.Hostname);
                Assert.True(seen.PathKind != PathKind.Direct, $"{node.Hostname} went direct to {peer.Hostname} ({seen.Path}) although the NATs forbid it");
                samples++;
            }
            await Task.Delay(NatTailnet.StatusPollInterval * 4, TestContext.Current.CancellationToken);
        }

        Assert.True(samples > 0);
        await AssertPingsAsync(a, b);
    }

    /// <summary>Pings both ways through the tunnel; every echo must come back (the lab's links lose nothing).</summary>
    private static async Task AssertPingsAsync(NatNode a, NatNode b)
    {
        var ab = await NatTailnet.PingAsync(a, b, count: 5);
        var ba = await NatTailnet.PingAsync(b, a, count: 5);
        Assert.True(ab.Lost == 0, $"{a.Hostname} -> {b.Hostname}: {ab.Output}");
        Assert.True(ba.Lost == 0, $"{b.Hostname} -> {a.Hostname}: {ba.Output}");
    }

    /// <summary>One test's lab, NAT lab and tailnet, disposed in the reverse order.</summary>
    private sealed class NatRun : IAsyncDisposable
    {
        private NatRun(NetworkLab lab, NatLab nat, NatTailnet tailnet)
        {
            Lab = lab;
            Nat = nat;
            Tailnet = tailnet;
        }

        public NetworkLab Lab { get; }

        public NatLab Nat { get; }

        public NatTailnet Tailnet { get; }

        public static async Task<NatRun> StartAsync()
        {
            LabRequirements.EnsureOrSkip();
            var lab = await NetworkLab.CreateAsync(Pairs.Log);
            try
            {
                var nat = await NatLab.CreateAsync(lab);
                return new NatRun(lab, nat, await NatTailnet.StartAsync(nat));
            }
            catch
            {
                await lab.DisposeAsync();
                throw;
            }
        }

        /// <summary>
        /// Brings up node "a" on host <paramref name="hostA"/> of <paramref name="siteA"/> and "b" likewise, waits until
        /// each sees the other, and until the first ping gets through (the relay carries it if nothing else does).
        /// </summary>
        public async Task<(NatNode A, NatNode B)> PairAsync(NatSite siteA, int hostA, NatSite siteB, int hostB)
        {
            var a = await Tailnet.AddNodeAsync("a", siteA, hostA);
            var b = await Tailnet.AddNodeAsync("b", siteB, hostB);
            await NatTailnet.WaitForPeerAsync(a, b);
            await NatTailnet.WaitForPeerAsync(b, a);
            Assert.True(await NatTailnet.PingEventuallyAsync(a, b, FirstPacketGuard), $"no reply from b through the tunnel\n--- a ---\n{a.Daemon.Process.Output}\n--- b ---\n{b.Daemon.Process.Output}");
            return (a, b);
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await Tailnet.DisposeAsync();
            }
            finally
            {
                await Lab.DisposeAsync();
            }
        }
    }
}
