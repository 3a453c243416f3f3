namespace Weft.Lab.Nat;

/// <summary>How a lab site's router treats traffic from its LAN to the internet namespace.</summary>
public enum NatKind
{
    /// <summary>
    /// Endpoint-independent mapping: plain nftables masquerade. Linux NAT keeps the source port when it
    /// is free, so one inside socket keeps one outside port whatever the destination.
    /// </summary>
    Easy,

    /// <summary>Endpoint-dependent (symmetric) mapping: `masquerade random` picks a new outside port per destination.</summary>
    Hard,

    /// <summary>Easy NAT whose forward chain drops every outbound UDP packet (TCP and ICMP still pass).</summary>
    UdpBlocked,

    /// <summary>Easy NAT plus miniupnpd on the router offering UPnP IGD, NAT-PMP and PCP to the LAN.</summary>
    Upnp,
}
