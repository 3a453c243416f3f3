namespace Weft.Node;

/// <summary>Defaults of the node daemon.</summary>
public static class NodeConstants
{
    /// <summary>Where the daemon's local API socket lives unless --socket says otherwise.</summary>
    public const string DefaultSocketPath = "/var/run/weft/weftd.sock";

    /// <summary>The MagicDNS resolver's IPv4 address.</summary>
    public const string MagicDnsIPv4 = "100.100.100.100";

    /// <summary>The MagicDNS resolver's IPv6 address (Tailscale's, so existing habits and docs carry over).</summary>
    public const string MagicDnsIPv6 = "fd7a:115c:a1e0::53";

    /// <summary>The WireGuard UDP port unless --port says otherwise (Tailscale's, so firewall rules carry over).</summary>
    public const ushort DefaultPort = 41641;

    /// <summary>The tailnet's IPv4 range (RFC 6598 shared address space), routed through the TUN.</summary>
    public const string TailnetIPv4Range = "100.64.0.0/10";
}
