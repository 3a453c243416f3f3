using System.Globalization;
using System.Text.RegularExpressions;

namespace Weft.Lab.Nat;

/// <summary>
/// One site of a <see cref="NatLab"/>: a router namespace whose WAN side has a public-looking address in
/// the internet namespace, and hosts on its LAN (a bridge in the router namespace).
/// </summary>
public sealed partial class NatSite
{
    /// <summary>
    /// The nftables table <see cref="DropUdpWithAsync"/> adds: separate from the NAT table, so deleting it restores
    /// the router exactly as it was and never touches miniupnpd's chains.
    /// </summary>
    public const string PathBreakTable = "weftlab_pathbreak";

    internal NatSite(string name, NatKind kind, LabNamespace router, string wanInterface, string wanAddress, string lanInterface, string lanAddress, IReadOnlyList<NatHost> hosts)
    {
        Name = name;
        Kind = kind;
        Router = router;
        WanInterface = wanInterface;
        WanAddress = wanAddress;
        LanInterface = lanInterface;
        LanAddress = lanAddress;
        Hosts = hosts;
    }

    /// <summary>The short name given to the builder (part of the namespace names).</summary>
    public string Name { get; }

    /// <summary>How the router translates and filters.</summary>
    public NatKind Kind { get; }

    /// <summary>The router namespace (NAT, filter and, for <see cref="NatKind.Upnp"/>, miniupnpd run here).</summary>
    public LabNamespace Router { get; }

    /// <summary>The router's interface towards the internet namespace.</summary>
    public string WanInterface { get; }

    /// <summary>The router's public address (203.0.113.0/24, a documentation range; 192.0.32.0/24 for UPnP sites, see <see cref="NatLab.UpnpInternetGateway"/>), the source of translated packets.</summary>
    public string WanAddress { get; }

    /// <summary>The router's LAN bridge.</summary>
    public string LanInterface { get; }

    /// <summary>The router's LAN address, the hosts' default gateway (and the port mapping gateway).</summary>
    public string LanAddress { get; }

    /// <summary>The hosts on the LAN, in the order they were asked for.</summary>
    public IReadOnlyList<NatHost> Hosts { get; }

    /// <summary>Set once miniupnpd runs on the router (only for <see cref="NatKind.Upnp"/>).</summary>
    public LabProcess? MiniUpnpd { get; internal set; }

    /// <summary>Lists the router's nftables ruleset (e.g. to see miniupnpd's mappings).</summary>
    public async Task<string> ListRulesetAsync() => (await Router.ExecAsync(["nft", "list", "ruleset"]).ConfigureAwait(false)).StandardOutput;

    /// <summary>
    /// "Kills a direct path" as a failing link would: the router drops every UDP datagram it forwards to or from any of
    /// <paramref name="addresses"/> (a peer's public address), in both directions and for flows already established.
    /// Everything else passes, so the relay and STUN hosts stay reachable as long as they are not in the list.
    /// </summary>
    public Task DropUdpWithAsync(IReadOnlyList<string> addresses)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        ArgumentOutOfRangeException.ThrowIfZero(addresses.Count);
        var set = string.Join(", ", addresses);
        // Priority -10 runs before the NAT table's forward chain, whose first rule accepts established flows.
        return Router.ApplyNftablesAsync($$"""
            table inet {{PathBreakTable}} {
                chain forward {
                    type filter hook forward priority -10; policy accept;
                    ip saddr { {{set}} } meta l4proto udp counter drop
                    ip daddr { {{set}} } meta l4proto udp counter drop
                }
            }
            """);
    }

    /// <summary>Removes what <see cref="DropUdpWithAsync"/> added; a no-op when nothing was added.</summary>
    public Task RestoreUdpAsync() => Router.TryExecAsync(["nft", "delete", "table", "inet", PathBreakTable]);

    /// <summary>UDP datagrams dropped so far by <see cref="DropUdpWithAsync"/>'s rules (0 when none are loaded).</summary>
    public async Task<long> DroppedUdpAsync()
    {
        var listed = await Router.TryExecAsync(["nft", "list", "table", "inet", PathBreakTable]).ConfigureAwait(false);
        if (!listed.Succeeded)
        {
            return 0;
        }
        long total = 0;
        foreach (Match match in DropCounter().Matches(listed.StandardOutput))
        {
            total += long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        return total;
    }

    [GeneratedRegex(@"udp counter packets (\d+)")]
    private static partial Regex DropCounter();
}

/// <summary>A host on a site's LAN: its namespace, interface and private address.</summary>
public sealed record NatHost(LabNamespace Namespace, string Interface, string Address);
