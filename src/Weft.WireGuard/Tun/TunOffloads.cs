namespace Weft.WireGuard.Tun;

/// <summary>Which offloads the kernel accepted for a TUN device.</summary>
[Flags]
public enum TunOffloads
{
    /// <summary>No virtio_net_hdr: one plain packet per read and write.</summary>
    None = 0,

    /// <summary>virtio_net_hdr on and checksum offload: packets may arrive with partial checksums.</summary>
    Checksum = 1,

    /// <summary>TCP segmentation offload for IPv4 and IPv6: reads may be superpackets, writes may be coalesced.</summary>
    Tso = 2,

    /// <summary>UDP segmentation offload (Linux 6.2+): UDP superpackets in both directions.</summary>
    Uso = 4,
}
