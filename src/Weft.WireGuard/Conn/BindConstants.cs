namespace Weft.WireGuard.Conn;

/// <summary>Numbers of the UDP binds: first those Linux and UDP fix, then those Weft chooses.</summary>
public static class BindConstants
{
    // Fixed by UDP, IP and Linux.

    /// <summary>Largest UDP payload over IPv4: 65535 minus the IPv4 and UDP headers; bounds one GSO message.</summary>
    public const int MaxIPv4PayloadSize = 65535 - 20 - 8;

    /// <summary>Largest UDP payload over IPv6 (without jumbograms): 65535 minus the UDP header.</summary>
    public const int MaxIPv6PayloadSize = 65535 - 8;

    /// <summary>
    /// Segments in one GSO send (the kernel's UDP_MAX_SEGMENTS was 64 until 6.x) and in one GRO receive
    /// (UDP_GRO_CNT_MAX); keeping to 64 works on every kernel that has UDP_SEGMENT.
    /// </summary>
    public const int MaxOffloadSegments = 64;

    // Our choices.

    /// <summary>Datagrams per Receive and Send, the same as wireguard-go's IdealBatchSize.</summary>
    public const int BatchSize = 128;

    /// <summary>Socket send and receive buffer asked for, wireguard-go's 7 MiB: enough to ride out a scheduling hiccup at line rate.</summary>
    public const int SocketBufferSize = 7 << 20;

    /// <summary>Control buffer per received message: a UDP_GRO cmsg needs 24 bytes; the rest is slack for others.</summary>
    public const int ReceiveControlSize = 64;

    /// <summary>Native staging area of one Send: datagrams are copied here (GSO needs them contiguous). Holds several largest GSO messages.</summary>
    public const int SendArenaSize = 512 * 1024;
}
