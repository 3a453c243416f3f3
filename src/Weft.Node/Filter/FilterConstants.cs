namespace Weft.Node.Filter;

/// <summary>The packet filter's limits and timeouts; all of them are our choice, with the reasoning beside each.</summary>
public static class FilterConstants
{
    /// <summary>
    /// Our choice: an established TCP flow this node opened stays tracked this long without a packet. Longer
    /// than Linux's default TCP keepalive interval (2 h, tcp_keepalive_time) so a quiet session that only
    /// keepalives hold open survives.
    /// </summary>
    public static readonly TimeSpan TcpTimeout = TimeSpan.FromHours(4);

    /// <summary>
    /// Our choice: after a FIN or RST in either direction the flow lingers this long for the final ACKs and
    /// retransmitted FINs (about Linux's TIME_WAIT of 60 s, doubled), then expires.
    /// </summary>
    public static readonly TimeSpan TcpClosingTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Our choice: UDP has no end marker; replies stop being accepted two minutes after the last packet either way.</summary>
    public static readonly TimeSpan UdpTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Our choice: an echo request's replies (and errors) are accepted this long; ping waits far less.</summary>
    public static readonly TimeSpan IcmpTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Our choice: later fragments of an accepted first fragment pass this long, the same as Linux's
    /// reassembly timeout (ipfrag_time, 30 s): after that the receiver discards the datagram anyway.
    /// </summary>
    public static readonly TimeSpan FragmentTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Our choice: the filter's clock ticks this often instead of being read per packet. Reading the
    /// clock cost about 80 ns per packet on the 2-core test machine, more than the rest of the decision;
    /// with timeouts of 30 s and more, a second of slack changes nothing.
    /// </summary>
    public static readonly TimeSpan ClockResolution = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Our choice: flows tracked at once (rounded up to a power of two). 16384 slots of 64 bytes is about
    /// 1 MiB; when a neighbourhood of the table is full the flow closest to expiry is evicted (and counted).
    /// </summary>
    public const int DefaultFlowCapacity = 16384;

    /// <summary>Our choice: slots probed from a key's home slot; bounds a miss to one cache line of tags.</summary>
    public const int ProbeWindow = 16;
}
