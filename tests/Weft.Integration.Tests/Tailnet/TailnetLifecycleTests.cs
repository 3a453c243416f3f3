using Weft.Lab;
using Weft.Node.LocalApi;

namespace Weft.Integration.Tests.Tailnet;

/// <summary>Key expiry and re-auth, restarts of daemons and of the control server, ephemeral nodes.</summary>
public sealed class TailnetLifecycleTests
{
    [Fact]
    public async Task KeyExpiry_DropsNodeFromPeers_ReauthRestoresItWithTheSameIp()
    {
        await using var tailnet = await TailnetLab.StartAsync();
        var key = await tailnet.AuthKeyAsync();
        var a = await tailnet.AddNodeAsync("alpha", key);
        var b = await tailnet.AddNodeAsync("bravo", key);
        await tailnet.WaitForFullMeshAsync();
        var ipA = await a.IPv4Async();

        await tailnet.Admin.ExpireDeviceAsync((await tailnet.DeviceAsync("alpha")).Id, TestContext.Current.CancellationToken);
        await b.WaitForStatusAsync(s => s.Peers.All(p => p.Name != "alpha"), "bravo drops expired alpha");
        await a.WaitForStatusAsync(s => s.BackendState == BackendState.NeedsLogin, "alpha learns its key expired");

        var up = await a.CliAsync(["up", "--force-reauth", "--auth-key", key, "--timeout", "60s"]);
        Assert.True(up.Succeeded, up.StandardOutput + up.StandardError);
        await b.WaitForStatusAsync(s => s.Peers.Any(p => p.Name == "alpha"), "bravo sees alpha again");
        Assert.Equal(ipA, await a.IPv4Async());
        Assert.True(await TailnetProbes.PingEventuallyAsync(b.Namespace, ipA, TailnetLab.ConvergeGuard), "bravo reaches the re-authenticated alpha");
    }

    [Fact]
    public async Task InteractiveLogin_LinkApprovedByAnAdmin_BringsTheNodeUp_AndTheLinkWorksOnce()
    {
        await using var tailnet = await TailnetLab.StartAsync();
        var a = await tailnet.AddNodeAsync("alpha", await tailnet.AuthKeyAsync());
        var b = await tailnet.StartNodeAsync("bravo");

        await b.Api.UpAsync(new UpRequest { LoginServer = tailnet.Control.ListenUrl, Hostname = "bravo" }, TestContext.Current.CancellationToken);
        var waiting = await b.WaitForStatusAsync(s => s.AuthUrl is not null, "bravo shows a login link");
        Assert.NotEqual(BackendState.Running, waiting.BackendState);
        var id = new Uri(waiting.AuthUrl!).Segments[^1];

        await tailnet.Admin.ApproveRegistrationAsync(id, TestContext.Current.CancellationToken);
        await b.WaitForStatusAsync(s => s.BackendState == BackendState.Running && s.Peers.Any(p => p.Name == "alpha"), "bravo runs after approval");
        Assert.True(await TailnetProbes.PingEventuallyAsync(b.Namespace, await a.IPv4Async(), TailnetLab.ConvergeGuard), "bravo reaches alpha");
        await Assert.ThrowsAnyAsync<Exception>(() => tailnet.Admin.ApproveRegistrationAsync(id, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task DaemonRestart_GracefulAndKill9_KeepsIdentityAndIps_AndTrafficResumes()
    {
        await using var tailnet = await TailnetLab.StartAsync();
        var key = await tailnet.AuthKeyAsync();
        var a = await tailnet.AddNodeAsync("alpha", key);
        var b = await tailnet.AddNodeAsync("bravo", key);
        await tailnet.WaitForFullMeshAsync();
        var before = (await a.StatusJsonAsync()).Self!;
        var ipA = before.Addresses[0];

        await a.Daemon.RestartAsync();
        var afterRestart = (await a.WaitForStatusAsync(s => s.BackendState == BackendState.Running && s.Peers.Any(p => p.Name == "bravo"), "alpha runs again")).Self!;
        Assert.Equal(before.Id, afterRestart.Id);
        Assert.Equal(before.Addresses, afterRestart.Addresses);
        Assert.True(await TailnetProbes.PingEventuallyAsync(b.Namespace, ipA, TailnetLab.ConvergeGuard), "traffic after a graceful restart");

        await a.Daemon.KillAsync();
        await a.Daemon.RestartAsync();
        var afterKill = (await a.WaitForStatusAsync(s => s.BackendState == BackendState.Running && s.Peers.Any(p => p.Name == "bravo"), "alpha runs after kill -9")).Self!;
        Assert.Equal(before.Id, afterKill.Id);
        Assert.Equal(before.Addresses, afterKill.Addresses);
        Assert.True(await TailnetProbes.PingEventuallyAsync(b.Namespace, ipA, TailnetLab.ConvergeGuard), "traffic after kill -9 and restart");
        Assert.Single((await tailnet.Admin.ListDevicesAsync(TestContext.Current.CancellationToken)).Devices, d => d.Hostname == "alpha");
    }

    [Fact]
    public async Task ControlRestart_DataPlaneKeepsWorking_AndNodesReconnectWithTheSameIps()
    {
        await using var tailnet = await TailnetLab.StartAsync();
        var key = await tailnet.AuthKeyAsync();
        var a = await tailnet.AddNodeAsync("alpha", key);
        var b = await tailnet.AddNodeAsync("bravo", key);
        await tailnet.WaitForFullMeshAsync();
        var (ipA, ipB) = (await a.IPv4Async(), await b.IPv4Async());

        await tailnet.Control.StopAsync();
        Assert.True((await Ping.RunAsync(a.Namespace, ipB, count: 3)).Received > 0, "the last netmap carries traffic while control is down");

        await tailnet.Control.RestartAsync();
        // A node joining after the restart proves both old nodes are back on the map stream.
        var c = await tailnet.AddNodeAsync("charlie", key);
        await tailnet.WaitForFullMeshAsync();
        Assert.Equal(ipA, await a.IPv4Async());
        Assert.Equal(ipB, await b.IPv4Async());
        Assert.True(await TailnetProbes.PingEventuallyAsync(c.Namespace, ipA, TailnetLab.ConvergeGuard), "charlie reaches alpha");
        Assert.True(await TailnetProbes.PingEventuallyAsync(b.Namespace, ipA, TailnetLab.ConvergeGuard), "bravo reaches alpha");
    }

    [Fact]
    public async Task EphemeralNode_VanishesFromPeers_AfterGoingOffline()
    {
        await using var tailnet = await TailnetLab.StartAsync(ephemeralTimeoutSeconds: 3);
        var a = await tailnet.AddNodeAsync("alpha", await tailnet.AuthKeyAsync());
        var e = await tailnet.AddNodeAsync("echo", await tailnet.AuthKeyAsync(ephemeral: true));
        await tailnet.WaitForFullMeshAsync();

        await e.Daemon.KillAsync();
        await a.WaitForStatusAsync(s => s.Peers.All(p => p.Name != "echo"), "alpha forgets ephemeral echo");
        Assert.DoesNotContain((await tailnet.Admin.ListDevicesAsync(TestContext.Current.CancellationToken)).Devices, d => d.Hostname == "echo");
    }
}
