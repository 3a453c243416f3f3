using Weft.Lab;

namespace Weft.Integration.Tests;

/// <summary>The standard `wg` tool drives a running implementation the same way: showconf, then syncconf with changes.</summary>
public sealed class WgToolTests
{
    [Theory]
    [MemberData(nameof(Pairs.Kinds), MemberType = typeof(Pairs))]
    public async Task WgSyncconf_RemovesAndChangesPeersOfTheRunningInterface(WireGuardKind kind)
    {
        LabRequirements.EnsureOrSkip();
        await using var lab = await NetworkLab.CreateAsync(Pairs.Log);
        var ns = await lab.AddNamespaceAsync("a");
        await using var wg = await WireGuardProcess.StartAsync(ns, kind, lab.InterfaceName("a"));
        await wg.ConfigureAsync(await WireGuardKeyPair.GenerateAsync(), WireGuardPair.ListenPort);
        var keep = await WireGuardKeyPair.GenerateAsync();
        var drop = await WireGuardKeyPair.GenerateAsync();
        await wg.AddPeerAsync(keep.PublicKey, "10.50.0.2/32", persistentKeepalive: 25);
        await wg.AddPeerAsync(drop.PublicKey, "10.50.0.3/32");

        // showconf prints a config wg can read back; edit it: drop one peer, move the other's allowed IPs.
        var config = (await ns.ExecAsync(["wg", "showconf", wg.Interface])).StandardOutput;
        Assert.Contains(keep.PublicKey, config, StringComparison.Ordinal);
        var edited = new List<string>();
        var skipping = false;
        foreach (var line in config.Split('\n'))
        {
            if (line.StartsWith("[Peer]", StringComparison.Ordinal))
            {
                skipping = false;
            }
            if (line.Contains(drop.PublicKey, StringComparison.Ordinal))
            {
                skipping = true;
                edited.RemoveAt(edited.Count - 1); // the [Peer] header before it
                continue;
            }
            if (!skipping)
            {
                edited.Add(line.Replace("10.50.0.2/32", "10.60.0.0/16", StringComparison.Ordinal));
            }
        }
        await ns.ExecAsync(["sh", "-c", $"wg syncconf {wg.Interface} /dev/stdin"], string.Join('\n', edited));

        var dump = await wg.ShowDumpAsync();
        var kept = Assert.Single(dump.Peers);
        Assert.Equal(keep.PublicKey, kept.PublicKey);
        Assert.Equal("10.60.0.0/16", kept.AllowedIps);
        Assert.Equal("25", kept.PersistentKeepalive);
        Assert.Equal(WireGuardPair.ListenPort, dump.ListenPort);
    }
}
