namespace Weft.Node.Dns;

/// <summary>Numbers of the DNS wire format (RFC 1035, 3596, 6891) and the resolver's own choices.</summary>
internal static class DnsConstants
{
    // From the specifications.

    /// <summary>Fixed header: id, flags, four section counts.</summary>
    public const int HeaderLength = 12;

    /// <summary>Largest UDP message a client without EDNS0 may send or receive (RFC 1035 4.2.1).</summary>
    public const int ClassicUdpLimit = 512;

    /// <summary>A name is at most 255 octets on the wire and a label at most 63 (RFC 1035 2.3.4).</summary>
    public const int MaxNameLength = 255;
    public const int MaxLabelLength = 63;

    /// <summary>TCP messages carry a 16-bit length prefix (RFC 1035 4.2.2).</summary>
    public const int MaxTcpMessage = 65535;

    public const ushort TypeA = 1;
    public const ushort TypeNs = 2;
    public const ushort TypeCname = 5;
    public const ushort TypeSoa = 6;
    public const ushort TypePtr = 12;
    public const ushort TypeAaaa = 28;
    public const ushort TypeOpt = 41;
    public const ushort TypeAny = 255;
    public const ushort ClassIn = 1;
    public const ushort ClassAny = 255;

    public const int OpcodeQuery = 0;

    public const int RcodeNoError = 0;
    public const int RcodeFormErr = 1;
    public const int RcodeServFail = 2;
    public const int RcodeNxDomain = 3;
    public const int RcodeNotImp = 4;
    public const int RcodeRefused = 5;

    /// <summary>EDNS0 extended rcode BADVERS (16): its upper 8 bits go in the OPT record's TTL.</summary>
    public const int ExtendedRcodeBadVers = 16;

    // Flag bits of the header's second 16-bit word.
    public const ushort FlagQr = 0x8000;
    public const ushort FlagAa = 0x0400;
    public const ushort FlagTc = 0x0200;
    public const ushort FlagRd = 0x0100;
    public const ushort FlagRa = 0x0080;
    public const ushort FlagCd = 0x0010;

    /// <summary>The DO bit in the OPT record's TTL field (RFC 3225).</summary>
    public const uint EdnsDoBit = 0x8000;

    // Our choices.

    /// <summary>
    /// UDP payload size we advertise and accept: 1232 avoids IP fragmentation on any path with a 1280-byte
    /// IPv6 MTU (the DNS flag day 2020 recommendation).
    /// </summary>
    public const int EdnsUdpSize = 1232;

    /// <summary>Largest UDP query we look at; anything bigger is no DNS query any client sends.</summary>
    public const int MaxUdpQuery = 4096;

    /// <summary>TTL of MagicDNS answers: peers keep their addresses for life, so caches may hold them a while.</summary>
    public const uint AnswerTtl = 600;

    /// <summary>SOA minimum (negative-caching TTL): a node that joins is resolvable a minute later at worst.</summary>
    public const uint NegativeTtl = 60;

    /// <summary>Forwarded queries in flight at once; more get SERVFAIL rather than more sockets.</summary>
    public const int MaxForwardsInFlight = 512;

    /// <summary>Upstream replies kept in the cache at most.</summary>
    public const int CacheCapacity = 4096;

    /// <summary>TCP clients served at once.</summary>
    public const int MaxTcpClients = 64;

    /// <summary>A TCP client silent this long is disconnected (RFC 7766 suggests seconds, not minutes).</summary>
    public static readonly TimeSpan TcpIdleTimeout = TimeSpan.FromSeconds(10);
}
