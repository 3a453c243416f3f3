using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Weft.Lab;
using Weft.Lab.Nat;

namespace Weft.Integration.Tests.Nat;

/// <summary>
/// The NAT lab's routers behave as their kind says, proven with plain UDP sockets: an observer in the
/// internet namespace reports the source each of two server addresses sees from one inside socket.
/// </summary>
public sealed partial class NatLabTests
{
    private const int ObserverPort = 3478;
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task EasyNat_OneSocketTwoDestinations_SameOutsideAddressAndPort()
    {
        LabRequirements.EnsureOrSkip();
        await using var lab = await NetworkLab.CreateAsync(Pairs.Log);
        var nat = await NatLab.CreateAsync(lab);
        var site = await nat.AddSiteAsync("easy", NatKind.Easy);

        var (first, second) = await ObserveTwoDestinationsAsync(nat, site.Hosts[0]);

        Assert.Equal(IPAddress.Parse(site.WanAddress), first.Address);
        Assert.Equal(first, second);
    }

    [Fact]
    public async Task HardNat_OneSocketTwoDestinations_DifferentOutsidePorts()
    {
        LabRequirements.EnsureOrSkip();
        await using var lab = await NetworkLab.CreateAsync(Pairs.Log);
        var nat = await NatLab.CreateAsync(lab);
        var site = await nat.AddSiteAsync("hard", NatKind.Hard);

        var (first, second) = await ObserveTwoDestinationsAsync(nat, site.Hosts[0]);

        Assert.Equal(IPAddress.Parse(site.WanAddress), first.Address);
        Assert.Equal(first.Address, second.Address);
        Assert.NotEqual(first.Port, second.Port);
    }

    [Fact]
    public async Task UdpBlocked_UdpDroppedAtRouter_TcpStillPasses()
    {
        LabRequirements.EnsureOrSkip();
        await using var lab = await NetworkLab.CreateAsync(Pairs.Log);
        var nat = await NatLab.CreateAsync(lab);
        var site = await nat.AddSiteAsync("fw", NatKind.UdpBlocked);
        var host = site.Hosts[0];
        using var observer = nat.Internet.CreateUdpSocket(new IPEndPoint(IPAddress.Parse(NatLab.ServerAddresses[0]), ObserverPort));
        using var inside = host.Namespace.CreateUdpSocket(new IPEndPoint(IPAddress.Parse(host.Address), 0));

        await inside.SendToAsync("probe"u8.ToArray(), new IPEndPoint(IPAddress.Parse(NatLab.ServerAddresses[0]), ObserverPort), TestContext.Current.CancellationToken);
        // The drop rule's counter is the event to wait for: once it counts our datagram, it cannot arrive any more.
        await PollAsync(async () => DropCounter(await site.ListRulesetAsync()) > 0, "the router's UDP drop rule never counted the probe");

        Assert.Equal(0, observer.Available);
        using var listener = nat.Internet.CreateSocket(SocketType.Stream, ProtocolType.Tcp, new IPEndPoint(IPAddress.Parse(NatLab.ServerAddresses[0]), ObserverPort));
        listener.Listen();
        using var client = host.Namespace.CreateSocket(SocketType.Stream, ProtocolType.Tcp, new IPEndPoint(IPAddress.Parse(host.Address), 0));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(HangGuard);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Parse(NatLab.ServerAddresses[0]), ObserverPort), timeout.Token);
        using var accepted = await listener.AcceptAsync(timeout.Token);
        Assert.Equal(IPAddress.Parse(site.WanAddress), ((IPEndPoint)accepted.RemoteEndPoint!).Address);
    }

    [Fact]
    public async Task SharedLan_TwoHostsBehindOneNat_ReachEachOtherDirectlyAndShareThePublicAddress()
    {
        LabRequirements.EnsureOrSkip();
        await using var lab = await NetworkLab.CreateAsync(Pairs.Log);
        var nat = await NatLab.CreateAsync(lab);
        var site = await nat.AddSiteAsync("lan", NatKind.Easy, hosts: 2);
        var (a, b) = (site.Hosts[0], site.Hosts[1]);
        using var socketA = a.Namespace.CreateUdpSocket(new IPEndPoint(IPAddress.Parse(a.Address), 41641));
        using var socketB = b.Namespace.CreateUdpSocket(new IPEndPoint(IPAddress.Parse(b.Address), 41641));

        await socketA.SendToAsync("hello"u8.ToArray(), new IPEndPoint(IPAddress.Parse(b.Address), 41641), TestContext.Current.CancellationToken);
        var (_, fromA) = await ReceiveAsync(socketB);
        var (seenA, _) = await ObserveTwoDestinationsAsync(nat, a);
        var (seenB, _) = await ObserveTwoDestinationsAsync(nat, b);

        // On the LAN the peer is seen with its private address (no NAT between them) ...
        Assert.Equal(IPAddress.Parse(a.Address), fromA.Address);
        // ... and on the internet both share the router's one public address.
        Assert.Equal(IPAddress.Parse(site.WanAddress), seenA.Address);
        Assert.Equal(seenA.Address, seenB.Address);
    }

    [Fact]
    public async Task UpnpSite_MiniupnpdRunsAndRouterStillTranslates()
    {
        LabRequirements.EnsureOrSkip();
        EnsureMiniupnpdOrSkip();
        await using var lab = await NetworkLab.CreateAsync(Pairs.Log);
        var nat = await NatLab.CreateAsync(lab);
        var site = await nat.AddSiteAsync("upnp", NatKind.Upnp);

        var (first, second) = await ObserveTwoDestinationsAsync(nat, site.Hosts[0]);

        Assert.NotNull(site.MiniUpnpd);
        Assert.False(site.MiniUpnpd.HasExited, site.MiniUpnpd.Output);
        Assert.Equal(IPAddress.Parse(site.WanAddress), first.Address);
        Assert.Equal(first, second);
    }

    /// <summary>Skips (or fails under WEFT_REQUIRE_LAB=1) when Debian's miniupnpd is not installed.</summary>
    internal static void EnsureMiniupnpdOrSkip()
    {
        if (LabRequirements.FindOnPath(MiniUpnpd.Program) is not null)
        {
            return;
        }
        var message = "miniupnpd is not installed (Debian package miniupnpd-nftables)";
        if (Environment.GetEnvironmentVariable(LabConstants.RequireLabVariable) == "1")
        {
            Assert.Fail(message);
        }
        Assert.Skip(message);
    }

    /// <summary>Sends from one inside socket to both server addresses; returns the source each observer saw.</summary>
    private static async Task<(IPEndPoint First, IPEndPoint Second)> ObserveTwoDestinationsAsync(NatLab nat, NatHost host)
    {
        using var first = nat.Internet.CreateUdpSocket(new IPEndPoint(IPAddress.Parse(NatLab.ServerAddresses[0]), ObserverPort));
        using var second = nat.Internet.CreateUdpSocket(new IPEndPoint(IPAddress.Parse(NatLab.ServerAddresses[1]), ObserverPort));
        using var inside = host.Namespace.CreateUdpSocket(new IPEndPoint(IPAddress.Parse(host.Address), 0));
        var ct = TestContext.Current.CancellationToken;
        await inside.SendToAsync("one"u8.ToArray(), new IPEndPoint(IPAddress.Parse(NatLab.ServerAddresses[0]), ObserverPort), ct);
        await inside.SendToAsync("two"u8.ToArray(), new IPEndPoint(IPAddress.Parse(NatLab.ServerAddresses[1]), ObserverPort), ct);
        var (_, seenFirst) = await ReceiveAsync(first);
        var (_, seenSecond) = await ReceiveAsync(second);
        return (seenFirst, seenSecond);
    }

    private static async Task<(int Length, IPEndPoint From)> ReceiveAsync(Socket socket)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(HangGuard);
        var buffer = new byte[1500];
        var result = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), timeout.Token);
        return (result.ReceivedBytes, (IPEndPoint)result.RemoteEndPoint);
    }

    private static async Task PollAsync(Func<Task<bool>> condition, string failure)
    {
        var deadline = DateTime.UtcNow + HangGuard;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(LabConstants.PollInterval, TestContext.Current.CancellationToken);
        }
    }

    private static long DropCounter(string ruleset)
    {
        var match = DropRule().Match(ruleset);
        return match.Success ? long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    [GeneratedRegex(@"l4proto udp counter packets (\d+)")]
    private static partial Regex DropRule();
}
