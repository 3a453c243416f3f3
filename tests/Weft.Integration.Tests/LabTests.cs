using System.Globalization;
using Weft.Lab;

namespace Weft.Integration.Tests;

/// <summary>The lab itself: cleanup on dispose, the sweep of crashed runs, nftables rules per namespace.</summary>
public sealed class LabTests
{
    [Fact]
    public async Task Lab_Dispose_DeletesNamespacesAndStopsProcesses()
    {
        LabRequirements.EnsureOrSkip();
        var lab = await NetworkLab.CreateAsync(Pairs.Log);
        var ns = await lab.AddNamespaceAsync("a");
        var sleeper = ns.Start(["sleep", "600"]);

        await lab.DisposeAsync();

        Assert.True(sleeper.HasExited);
        Assert.DoesNotContain(ns.Name, await ListNamespacesAsync(), StringComparison.Ordinal);
        Assert.False(LabOwner.IsAlive(lab.Prefix));
    }

    [Fact]
    public async Task Sweep_OwnerDead_RemovesItsNamespaceAndProcesses()
    {
        LabRequirements.EnsureOrSkip();
        await using var live = await NetworkLab.CreateAsync(Pairs.Log);
        var liveNs = await live.AddNamespaceAsync("a");
        // A lab whose owner crashed: its marker names a process that has exited.
        var dead = await Command.RunCheckedAsync(["sh", "-c", "echo $$"]);
        var prefix = "wl" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3));
        Directory.CreateDirectory(LabConstants.OwnerDirectory);
        await File.WriteAllTextAsync(Path.Combine(LabConstants.OwnerDirectory, prefix), dead.StandardOutput.Trim() + " 1\n", TestContext.Current.CancellationToken);
        await Command.RunCheckedAsync(["ip", "netns", "add", prefix + "-a"]);
        using var orphan = System.Diagnostics.Process.Start("ip", ["netns", "exec", prefix + "-a", "sleep", "600"]);

        var swept = await LabSweeper.SweepStaleAsync();

        Assert.Contains(prefix, swept);
        Assert.DoesNotContain(live.Prefix, swept);
        var namespaces = await ListNamespacesAsync();
        Assert.DoesNotContain(prefix + "-a", namespaces, StringComparison.Ordinal);
        Assert.Contains(liveNs.Name, namespaces, StringComparison.Ordinal);
        Assert.True(orphan.WaitForExit(TimeSpan.FromSeconds(30)), "the orphan in the stale namespace still runs");
        Assert.False(File.Exists(Path.Combine(LabConstants.OwnerDirectory, prefix)));
    }

    [Fact]
    public async Task Nftables_DropRuleInOneNamespace_BlocksOnlyThatTraffic()
    {
        LabRequirements.EnsureOrSkip();
        await using var lab = await NetworkLab.CreateAsync(Pairs.Log);
        var a = await lab.AddNamespaceAsync("a");
        var b = await lab.AddNamespaceAsync("b");
        var link = await lab.ConnectAsync(a, b);
        var open = await Ping.RunAsync(a, link.BIPv4, count: 2, interval: 0.2);

        await b.ApplyNftablesAsync(string.Create(CultureInfo.InvariantCulture, $$"""
            table inet lab {
              chain input {
                type filter hook input priority 0; policy accept;
                ip saddr {{link.AIPv4}} icmp type echo-request drop
              }
            }
            """));
        var blocked = await Ping.RunAsync(a, link.BIPv4, count: 2, interval: 0.2, replyWaitSeconds: 1);
        var otherWay = await Ping.RunAsync(b, link.AIPv4, count: 2, interval: 0.2);

        Assert.Equal(2, open.Received);
        Assert.Equal(0, blocked.Received);
        Assert.Equal(2, otherWay.Received);
    }

    private static async Task<string> ListNamespacesAsync() => (await Command.RunCheckedAsync(["ip", "netns", "list"])).StandardOutput;
}
