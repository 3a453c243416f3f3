using Weft.Lab;

namespace Weft.Integration.Tests;

/// <summary>How an implementation ends: like wireguard-go, on SIGTERM and when its interface is deleted, removing its UAPI socket.</summary>
public sealed class LifecycleTests
{
    private static readonly TimeSpan ExitHangGuard = TimeSpan.FromSeconds(30);

    [Theory]
    [MemberData(nameof(Pairs.Kinds), MemberType = typeof(Pairs))]
    public async Task Lifecycle_InterfaceDeleted_ProcessExitsAndRemovesSocket(WireGuardKind kind)
    {
        LabRequirements.EnsureOrSkip();
        await using var lab = await NetworkLab.CreateAsync(Pairs.Log);
        var ns = await lab.AddNamespaceAsync("a");
        await using var wg = await WireGuardProcess.StartAsync(ns, kind, lab.InterfaceName("a"));
        await wg.ConfigureAsync(await WireGuardKeyPair.GenerateAsync(), WireGuardPair.ListenPort);
        await wg.AddAddressesAndUpAsync("10.99.0.1/24");

        await ns.DeleteLinkAsync(wg.Interface);

        Assert.True(await wg.Process.WaitForExitAsync(ExitHangGuard), $"{wg} still runs after `ip link del`; output: {wg.Process.Output}");
        await wg.WaitForSocketAsync(present: false, ExitHangGuard);
    }

    [Theory]
    [MemberData(nameof(Pairs.Kinds), MemberType = typeof(Pairs))]
    public async Task Lifecycle_Sigterm_ProcessExitsAndRemovesSocketAndInterface(WireGuardKind kind)
    {
        LabRequirements.EnsureOrSkip();
        await using var lab = await NetworkLab.CreateAsync(Pairs.Log);
        var ns = await lab.AddNamespaceAsync("a");
        await using var wg = await WireGuardProcess.StartAsync(ns, kind, lab.InterfaceName("a"));
        await wg.AddAddressesAndUpAsync("10.99.0.1/24");

        wg.Process.Terminate();

        Assert.True(await wg.Process.WaitForExitAsync(ExitHangGuard), $"{wg} still runs after SIGTERM; output: {wg.Process.Output}");
        await wg.WaitForSocketAsync(present: false, ExitHangGuard);
        var link = await ns.TryExecAsync(["ip", "link", "show", wg.Interface]);
        Assert.False(link.Succeeded, $"{wg.Interface} still exists after the process exited");
    }

    [Theory]
    [MemberData(nameof(Pairs.Kinds), MemberType = typeof(Pairs))]
    public async Task Lifecycle_WithoutForeground_ReturnsOnceReadyAndRunsInBackground(WireGuardKind kind)
    {
        LabRequirements.EnsureOrSkip();
        await using var lab = await NetworkLab.CreateAsync(Pairs.Log);
        var ns = await lab.AddNamespaceAsync("a");
        var iface = lab.InterfaceName("a");
        string[] command = kind == WireGuardKind.WireGuardGo ? ["wireguard-go", iface] : [WeftExecutable.Find(), "wireguard", iface];

        // The command returns (its output closed) with the interface and socket ready, as wireguard-go does.
        var started = await ns.ExecAsync(command, timeout: ExitHangGuard);
        Assert.True(File.Exists(WireGuardProcess.SocketPathOf(iface)), $"no socket after `{string.Join(' ', command)}` returned: {started}");
        var show = await ns.ExecAsync(["wg", "show", iface, "listen-port"]);
        Assert.True(show.Succeeded, show.ToString());

        await ns.DeleteLinkAsync(iface);
        for (var i = 0; File.Exists(WireGuardProcess.SocketPathOf(iface)); i++)
        {
            Assert.True(i < 300, "the background process did not remove its socket after `ip link del`");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }
}
