using Weft.Lab;

namespace Weft.Integration.Tests.Tailnet;

/// <summary>Control plus three daemons: every node reaches every other by tailnet IP and by MagicDNS name.</summary>
public sealed class TailnetReachabilityTests
{
    private static readonly string[] Names = ["alpha", "bravo", "charlie"];

    [Fact]
    public async Task ThreeNodes_PingEachOtherByIp()
    {
        await using var tailnet = await TailnetLab.StartAsync();
        var key = await tailnet.AuthKeyAsync();
        foreach (var name in Names)
        {
            await tailnet.AddNodeAsync(name, key);
        }

        await tailnet.WaitForFullMeshAsync();

        foreach (var from in tailnet.Nodes)
        {
            foreach (var to in tailnet.Nodes.Where(n => n != from))
            {
                var ip = await to.IPv4Async();
                // Eventually: a first handshake can reach a peer whose engine has not applied the new map yet,
                // and WireGuard retries only after its 5 s rekey timeout.
                Assert.True(await TailnetProbes.PingEventuallyAsync(from.Namespace, ip, TailnetLab.ConvergeGuard), $"{from.Hostname} -> {to.Hostname} ({ip})");
            }
        }

        // After traffic, status names a direct path and a handshake for the peer that was pinged.
        var status = await tailnet.Nodes[0].StatusJsonAsync();
        var peer = status.Peers.Single(p => p.Name == "bravo");
        Assert.True(peer.Online);
        Assert.StartsWith("direct ", peer.Path, StringComparison.Ordinal);
        Assert.NotNull(peer.LastHandshake);
        Assert.True(peer.TxBytes > 0 && peer.RxBytes > 0, $"rx {peer.RxBytes} tx {peer.TxBytes}");
    }

    [Fact]
    public async Task ThreeNodes_ResolveEachOtherByMagicDnsName_WithDigAndGetent()
    {
        await using var tailnet = await TailnetLab.StartAsync();
        var key = await tailnet.AuthKeyAsync();
        foreach (var name in Names)
        {
            await tailnet.AddNodeAsync(name, key, acceptDns: true);
        }

        await tailnet.WaitForFullMeshAsync();
        var domain = (await tailnet.Nodes[0].StatusJsonAsync()).TailnetDomain;
        Assert.False(string.IsNullOrEmpty(domain), "status names no tailnet domain");

        foreach (var from in tailnet.Nodes)
        {
            foreach (var to in tailnet.Nodes.Where(n => n != from))
            {
                var ip = await to.IPv4Async();
                var all = (await to.StatusJsonAsync()).Self!.Addresses;
                Assert.Equal([ip], await TailnetProbes.DigAsync(from.Namespace, $"{to.Hostname}.{domain}"));
                // getent prefers the AAAA answer when there is one: either of the node's addresses is right.
                var full = await TailnetProbes.GetentAsync(from.Namespace, $"{to.Hostname}.{domain}");
                Assert.NotEmpty(full);
                Assert.Subset(all.ToHashSet(), full.ToHashSet());
                // The bare name resolves through the search domain MagicDNS put into resolv.conf.
                var bare = await TailnetProbes.GetentAsync(from.Namespace, to.Hostname);
                Assert.NotEmpty(bare);
                Assert.Subset(all.ToHashSet(), bare.ToHashSet());
                var ping = await Ping.RunAsync(from.Namespace, $"{to.Hostname}.{domain}", count: 2);
                Assert.True(ping.Received > 0, $"{from.Hostname} -> {to.Hostname}.{domain}: {ping.Output}");
            }
        }
    }
}
