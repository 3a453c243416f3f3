namespace Weft.Lab.Nat;

/// <summary>
/// One site of a <see cref="NatLab"/>: a router namespace whose WAN side has a public-looking address in
/// the internet namespace, and hosts on its LAN (a bridge in the router namespace).
/// </summary>
public sealed class NatSite
{
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
}

/// <summary>A host on a site's LAN: its namespace, interface and private address.</summary>
public sealed record NatHost(LabNamespace Namespace, string Interface, string Address);
