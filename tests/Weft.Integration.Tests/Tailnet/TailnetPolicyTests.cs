using Weft.Lab;

namespace Weft.Integration.Tests.Tailnet;

/// <summary>The tailnet policy enforced end to end by the nodes' packet filters, and tags from auth keys.</summary>
public sealed class TailnetPolicyTests
{
    /// <summary>B may reach A on tcp/22 and nothing else; C may reach nothing and nobody may reach C.</summary>
    private const string BToA22Only = "{ " + TailnetLab.TagOwners + """
         "acls": [ { "action": "accept", "src": ["tag:b"], "dst": ["tag:a:22"], "proto": "tcp" } ] }
        """;

    [Fact]
    public async Task TaggedAuthKey_NodeCarriesTheTag_AndIsOwnedByTaggedDevices()
    {
        await using var tailnet = await TailnetLab.StartAsync();
        var a = await tailnet.AddNodeAsync("alpha", await tailnet.AuthKeyAsync(["tag:a"]));

        var self = (await a.StatusJsonAsync()).Self!;
        Assert.Equal(["tag:a"], self.Tags);
        Assert.Equal("tagged-devices", self.User);
        Assert.Equal(["tag:a"], (await tailnet.DeviceAsync("alpha")).Tags);
    }

    [Fact]
    public async Task Policy_BReachesA22Only_CSeesNothing_AndChangesApplyLive()
    {
        await using var tailnet = await TailnetLab.StartAsync();
        var a = await tailnet.AddNodeAsync("alpha", await tailnet.AuthKeyAsync(["tag:a"]));
        var b = await tailnet.AddNodeAsync("bravo", await tailnet.AuthKeyAsync(["tag:b"]));
        var c = await tailnet.AddNodeAsync("charlie", await tailnet.AuthKeyAsync(["tag:c"]));
        await tailnet.WaitForFullMeshAsync();
        var (ipA, ipC) = (await a.IPv4Async(), await c.IPv4Async());
        var pids = tailnet.Nodes.Select(n => n.Daemon.Process.Id).ToList();
        using var ssh = TailnetProbes.Listen(a.Namespace, ipA, 22);
        using var web = TailnetProbes.Listen(a.Namespace, ipA, 80);
        using var cService = TailnetProbes.Listen(c.Namespace, ipC, 22);

        // Allow-all first: C reaches A, so what follows is the policy's doing.
        Assert.True(await TailnetProbes.PingEventuallyAsync(c.Namespace, ipA, TailnetLab.ConvergeGuard), "charlie reaches alpha under allow-all");

        await tailnet.Admin.SetPolicyAsync(BToA22Only, TestContext.Current.CancellationToken);
        await c.WaitForStatusAsync(s => s.Peers.All(p => p.Name != "alpha"), "charlie no longer sees alpha");
        await b.WaitForStatusAsync(s => s.Peers.Any(p => p.Name == "alpha"), "bravo still sees alpha");

        Assert.True(await TailnetProbes.CanConnectAsync(b.Namespace, ipA, 22, TailnetLab.ConvergeGuard), "bravo -> alpha:22 must connect");
        Assert.False(await TailnetProbes.CanConnectAsync(b.Namespace, ipA, 80), "bravo -> alpha:80 must be dropped");
        Assert.Equal(0, (await Ping.RunAsync(b.Namespace, ipA, count: 2, replyWaitSeconds: 1)).Received);
        Assert.Equal(0, (await Ping.RunAsync(c.Namespace, ipA, count: 2, replyWaitSeconds: 1)).Received);
        Assert.False(await TailnetProbes.CanConnectAsync(c.Namespace, ipA, 22), "charlie -> alpha:22 must be dropped");
        Assert.False(await TailnetProbes.CanConnectAsync(a.Namespace, ipC, 22), "alpha -> charlie:22 is not in the policy");
        Assert.DoesNotContain((await c.StatusJsonAsync()).Peers, p => p.Name == "alpha");

        // And back: the same processes pick the new policy up.
        await tailnet.Admin.SetPolicyAsync(TailnetLab.AllowAllPolicy, TestContext.Current.CancellationToken);
        await c.WaitForStatusAsync(s => s.Peers.Any(p => p.Name == "alpha"), "charlie sees alpha again");
        Assert.True(await TailnetProbes.CanConnectAsync(c.Namespace, ipA, 22, TailnetLab.ConvergeGuard), "charlie -> alpha:22 after allow-all");
        Assert.True(await TailnetProbes.CanConnectAsync(b.Namespace, ipA, 80, TailnetLab.ConvergeGuard), "bravo -> alpha:80 after allow-all");
        Assert.Equal(pids, tailnet.Nodes.Select(n => n.Daemon.Process.Id));
        Assert.All(tailnet.Nodes, n => Assert.False(n.Daemon.Process.HasExited));
    }
}
