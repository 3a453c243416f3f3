using System.Globalization;

namespace Weft.Lab.Nat;

/// <summary>
/// Builds NAT topologies inside a <see cref="NetworkLab"/>: one "internet" namespace holding a bridge with
/// public-looking documentation addresses (203.0.113.0/24 for routers and public hosts, 198.51.100.1 and
/// .2 as two server addresses on its loopback), and sites whose routers NAT with nftables towards it.
/// Everything lives in the lab's namespaces, so the lab's dispose removes it even when a test fails.
/// </summary>
public sealed class NatLab
{
    /// <summary>The internet bridge's own address, every router's and public host's default gateway.</summary>
    public const string InternetGateway = "203.0.113.1";

    /// <summary>
    /// Second gateway address of the internet bridge, for <see cref="NatKind.Upnp"/> routers: miniupnpd refuses to
    /// map ports when its WAN address is in a reserved range (documentation ranges included), so those routers get
    /// an ordinary-looking address from 192.0.32.0/24 instead. It never leaves the lab's namespaces.
    /// </summary>
    public const string UpnpInternetGateway = "192.0.32.1";

    /// <summary>Two server addresses in the internet namespace, for "same port for two destinations" checks.</summary>
    public static readonly IReadOnlyList<string> ServerAddresses = ["198.51.100.1", "198.51.100.2"];

    private readonly Lock _gate = new();
    private readonly List<NatSite> _sites = [];
    private int _publicHosts;

    private NatLab(NetworkLab lab, LabNamespace internet, string bridge)
    {
        Lab = lab;
        Internet = internet;
        InternetBridge = bridge;
    }

    /// <summary>The lab that owns (and cleans up) every namespace built here.</summary>
    public NetworkLab Lab { get; }

    /// <summary>The internet namespace: the bridge all routers hang on, and <see cref="ServerAddresses"/> on its loopback.</summary>
    public LabNamespace Internet { get; }

    /// <summary>The bridge interface in <see cref="Internet"/>.</summary>
    public string InternetBridge { get; }

    /// <summary>The sites built so far.</summary>
    public IReadOnlyList<NatSite> Sites
    {
        get
        {
            lock (_gate)
            {
                return [.. _sites];
            }
        }
    }

    /// <summary>Creates the internet namespace (PREFIX-inet) in <paramref name="lab"/>.</summary>
    public static async Task<NatLab> CreateAsync(NetworkLab lab)
    {
        ArgumentNullException.ThrowIfNull(lab);
        var internet = await lab.AddNamespaceAsync("inet").ConfigureAwait(false);
        var bridge = lab.InterfaceName("ib");
        await internet.ExecAsync(["ip", "link", "add", bridge, "type", "bridge"]).ConfigureAwait(false);
        await internet.AddAddressAsync(bridge, InternetGateway + "/24").ConfigureAwait(false);
        await internet.AddAddressAsync(bridge, UpnpInternetGateway + "/24").ConfigureAwait(false);
        await internet.SetLinkUpAsync(bridge).ConfigureAwait(false);
        foreach (var server in ServerAddresses)
        {
            await internet.AddAddressAsync("lo", server + "/32").ConfigureAwait(false);
        }
        // UPnP routers (192.0.32.0/24) reach public hosts (203.0.113.0/24) on the same bridge only through the internet
        // namespace's two gateway addresses: it routes between them as an ISP would, without telling either side to
        // bypass it (a redirect to an off-subnet host is refused anyway).
        await internet.SetSysctlAsync("net.ipv4.ip_forward", "1").ConfigureAwait(false);
        await internet.SetSysctlAsync("net.ipv4.conf.all.send_redirects", "0").ConfigureAwait(false);
        await internet.SetSysctlAsync($"net.ipv4.conf.{bridge}.send_redirects", "0").ConfigureAwait(false);
        return new NatLab(lab, internet, bridge);
    }

    /// <summary>
    /// Adds a namespace directly on the internet (no NAT), addressed 203.0.113.(100+N): where a control
    /// server, relay or STUN server runs. Returns the namespace and its address.
    /// </summary>
    public async Task<NatHost> AddPublicHostAsync(string name)
    {
        var index = Interlocked.Increment(ref _publicHosts) - 1;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, 99);
        var ns = await Lab.AddNamespaceAsync(name).ConfigureAwait(false);
        var number = index.ToString(CultureInfo.InvariantCulture);
        var inside = Lab.InterfaceName("p" + number + "h");
        var outside = Lab.InterfaceName("p" + number + "i");
        var address = "203.0.113." + (100 + index).ToString(CultureInfo.InvariantCulture);
        await PlugIntoBridgeAsync(ns, inside, Internet, outside, InternetBridge).ConfigureAwait(false);
        await ns.AddAddressAsync(inside, address + "/24").ConfigureAwait(false);
        await ns.AddRouteAsync("default", "via", InternetGateway).ConfigureAwait(false);
        return new NatHost(ns, inside, address);
    }

    /// <summary>
    /// Adds a site: router namespace PREFIX-NAME-r with WAN address 203.0.113.(10+N) (192.0.32.(10+N) for
    /// <see cref="NatKind.Upnp"/>) and LAN 10.(10+N).0.1/24,
    /// and <paramref name="hosts"/> host namespaces PREFIX-NAME-hJ at 10.(10+N).0.(10+J), translated and
    /// filtered as <paramref name="kind"/> says. For <see cref="NatKind.Upnp"/> miniupnpd is started and awaited.
    /// </summary>
    public async Task<NatSite> AddSiteAsync(string name, NatKind kind, int hosts = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(hosts, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(hosts, 9);
        int index;
        lock (_gate)
        {
            index = _sites.Count;
            // Placeholder keeps the index claimed while the site is built; replaced below.
            _sites.Add(null!);
        }
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, 9);
        var site = await BuildSiteAsync(name, kind, hosts, index).ConfigureAwait(false);
        lock (_gate)
        {
            _sites[index] = site;
        }
        return site;
    }

    private async Task<NatSite> BuildSiteAsync(string name, NatKind kind, int hostCount, int index)
    {
        var n = index.ToString(CultureInfo.InvariantCulture);
        var router = await Lab.AddNamespaceAsync(name + "-r").ConfigureAwait(false);
        var wan = Lab.InterfaceName("s" + n + "w");
        var gateway = kind == NatKind.Upnp ? UpnpInternetGateway : InternetGateway;
        var wanAddress = gateway[..gateway.LastIndexOf('.')] + "." + (10 + index).ToString(CultureInfo.InvariantCulture);
        await PlugIntoBridgeAsync(router, wan, Internet, Lab.InterfaceName("s" + n + "i"), InternetBridge).ConfigureAwait(false);
        await router.AddAddressAsync(wan, wanAddress + "/24").ConfigureAwait(false);
        await router.AddRouteAsync("default", "via", gateway).ConfigureAwait(false);
        await router.SetSysctlAsync("net.ipv4.ip_forward", "1").ConfigureAwait(false);

        var lan = Lab.InterfaceName("s" + n + "br");
        var subnet = "10." + (10 + index).ToString(CultureInfo.InvariantCulture) + ".0.";
        var lanAddress = subnet + "1";
        await router.ExecAsync(["ip", "link", "add", lan, "type", "bridge"]).ConfigureAwait(false);
        await router.AddAddressAsync(lan, lanAddress + "/24").ConfigureAwait(false);
        await KeepBridgeOutOfNetfilterAsync(router).ConfigureAwait(false);
        await router.SetLinkUpAsync(lan).ConfigureAwait(false);

        var hosts = new List<NatHost>();
        for (var j = 0; j < hostCount; j++)
        {
            var jn = j.ToString(CultureInfo.InvariantCulture);
            var host = await Lab.AddNamespaceAsync(name + "-h" + jn).ConfigureAwait(false);
            var inside = Lab.InterfaceName("s" + n + "h" + jn);
            var address = subnet + (10 + j).ToString(CultureInfo.InvariantCulture);
            await PlugIntoBridgeAsync(host, inside, router, Lab.InterfaceName("s" + n + "p" + jn), lan).ConfigureAwait(false);
            await host.AddAddressAsync(inside, address + "/24").ConfigureAwait(false);
            await host.AddRouteAsync("default", "via", lanAddress).ConfigureAwait(false);
            hosts.Add(new NatHost(host, inside, address));
        }

        await router.ApplyNftablesAsync(NatRuleset.For(kind, wan, lan)).ConfigureAwait(false);
        await GuardWanInputAsync(router, wan).ConfigureAwait(false);
        var site = new NatSite(name, kind, router, wan, wanAddress, lan, lanAddress, hosts);
        if (kind == NatKind.Upnp)
        {
            site.MiniUpnpd = await MiniUpnpd.StartAsync(site).ConfigureAwait(false);
        }
        Lab.Log($"nat lab: site {name} ({kind}) router {router.Name} wan {wanAddress} lan {lanAddress}/24, {hostCount} host(s)");
        return site;
    }

    /// <summary>
    /// Drops unsolicited packets from the internet addressed to the router itself, as a home router's firewall does.
    /// Without it the router answers them (port unreachable) and conntrack keeps the flow: when a peer's hole-punching
    /// packet reaches the router before the host's own first packet to that peer, the host's packet then clashes with
    /// that flow and masquerade moves it to another port, so even an easy NAT would map one socket to two ports.
    /// A dropped packet's conntrack entry is never confirmed, which keeps the mapping endpoint-independent.
    /// </summary>
    private static Task GuardWanInputAsync(LabNamespace router, string wan) => router.ApplyNftablesAsync($$"""
        table inet weftlab_wan_guard {
            chain input {
                type filter hook input priority 0; policy accept;
                iifname "{{wan}}" ct state established,related accept
                iifname "{{wan}}" counter drop
            }
        }
        """);

    /// <summary>
    /// Where br_netfilter is loaded (Docker hosts), bridged frames would pass the router's IP forward chain and
    /// its drop policy, cutting hosts on one LAN off from each other; a real switch does not filter them.
    /// The sysctl is per namespace and only exists with the module, hence no check.
    /// </summary>
    private static Task KeepBridgeOutOfNetfilterAsync(LabNamespace ns) =>
        ns.TryExecAsync(["sysctl", "-q", "-w", "net.bridge.bridge-nf-call-iptables=0", "net.bridge.bridge-nf-call-ip6tables=0"]);

    /// <summary>Creates a veth pair, puts one end in <paramref name="ns"/> and enslaves the other to <paramref name="bridge"/> in <paramref name="bridgeNs"/>.</summary>
    private static async Task PlugIntoBridgeAsync(LabNamespace ns, string inside, LabNamespace bridgeNs, string outside, string bridge)
    {
        await Command.RunCheckedAsync(["ip", "link", "add", inside, "netns", ns.Name, "type", "veth", "peer", "name", outside, "netns", bridgeNs.Name]).ConfigureAwait(false);
        await bridgeNs.ExecAsync(["ip", "link", "set", outside, "master", bridge]).ConfigureAwait(false);
        await bridgeNs.SetLinkUpAsync(outside).ConfigureAwait(false);
        await ns.SetLinkUpAsync(inside).ConfigureAwait(false);
    }
}
