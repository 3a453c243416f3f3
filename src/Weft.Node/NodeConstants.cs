namespace Weft.Node;

/// <summary>Defaults of the node daemon.</summary>
public static class NodeConstants
{
    /// <summary>Where the daemon's local API socket lives unless --socket says otherwise.</summary>
    public const string DefaultSocketPath = "/var/run/weft/weftd.sock";

    /// <summary>The MagicDNS resolver's IPv4 address.</summary>
    public const string MagicDnsIPv4 = "100.100.100.100";
}
