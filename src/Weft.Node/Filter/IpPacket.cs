using System.Buffers.Binary;
using Weft.Core.Wire;

namespace Weft.Node.Filter;

/// <summary>Where a packet sits in a fragmented datagram.</summary>
internal enum FragmentPart : byte
{
    /// <summary>A whole datagram.</summary>
    Whole,

    /// <summary>The first fragment: it carries the transport header.</summary>
    First,

    /// <summary>A later fragment: payload only, no ports.</summary>
    Later,
}

/// <summary>What an ICMP or ICMPv6 message is, as far as the filter cares.</summary>
internal enum IcmpClass : byte
{
    None,
    EchoRequest,
    EchoReply,

    /// <summary>Destination unreachable (including fragmentation needed), packet too big, time exceeded: quotes a packet.</summary>
    Error,
    Other,
}

/// <summary>
/// The fields of an IPv4 or IPv6 packet the stateful filter decides on, parsed in place without
/// allocating. Addresses are 128-bit, IPv4 mapped into ::ffff:0:0/96. For an ICMP error the quoted
/// packet's addresses, protocol and ports are parsed too.
/// </summary>
internal struct IpPacket
{
    // From RFC 791 and RFC 8200.
    private const int IPv4HeaderMin = 20;
    private const int IPv6HeaderLength = 40;
    private const int TcpHeaderMin = 20;
    private const int UdpHeaderLength = 8;
    private const int SctpCommonHeader = 12;
    private const int IcmpHeaderLength = 8;

    // Our choice: more extension headers than any sane packet carries; beyond this the packet is malformed.
    private const int MaxIPv6ExtensionHeaders = 8;

    /// <summary>The ::ffff:0:0/96 prefix that holds IPv4 addresses in 128 bits.</summary>
    public static readonly UInt128 V4Mapped = new(0, 0xFFFF_0000_0000UL);

    public bool IsV6;
    public UInt128 Source;
    public UInt128 Destination;
    public byte Protocol;
    public ushort SourcePort;
    public ushort DestinationPort;
    public byte TcpFlags;
    public FragmentPart Fragment;
    public uint FragmentId;
    public IcmpClass Icmp;

    /// <summary>The identifier of an ICMP echo request or reply.</summary>
    public ushort EchoId;

    // The packet an ICMP error quotes (RFC 792, RFC 4443): the one this node (or its peer) sent.
    public bool HasQuote;
    public UInt128 QuoteSource;
    public UInt128 QuoteDestination;
    public byte QuoteProtocol;
    public ushort QuoteSourcePort;
    public ushort QuoteDestinationPort;

    /// <summary>True for a quoted ICMP echo request, whose identifier is in <see cref="QuoteSourcePort"/>.</summary>
    public bool QuoteIsEcho;

    public const byte TcpFin = 0x01;
    public const byte TcpSyn = 0x02;
    public const byte TcpRst = 0x04;
    public const byte TcpAck = 0x10;

    /// <summary>Parses <paramref name="p"/>; false when its headers are truncated or inconsistent.</summary>
    public static bool TryParse(ReadOnlySpan<byte> p, out IpPacket packet)
    {
        packet = default;
        if (p.IsEmpty)
        {
            return false;
        }
        return (p[0] >> 4) switch
        {
            4 => TryParseV4(p, ref packet),
            6 => TryParseV6(p, ref packet),
            _ => false,
        };
    }

    /// <summary>An IPv4 address (4 bytes, network order) in 128 bits.</summary>
    public static UInt128 MapV4(uint address) => V4Mapped | address;

    private static bool TryParseV4(ReadOnlySpan<byte> p, ref IpPacket h)
    {
        if (p.Length < IPv4HeaderMin)
        {
            return false;
        }
        var headerLength = (p[0] & 0x0F) * 4;
        var totalLength = BinaryPrimitives.ReadUInt16BigEndian(p[2..]);
        if (headerLength < IPv4HeaderMin || totalLength < headerLength || totalLength > p.Length)
        {
            return false;
        }
        p = p[..totalLength];
        h.Protocol = p[9];
        h.Source = MapV4(BinaryPrimitives.ReadUInt32BigEndian(p[12..]));
        h.Destination = MapV4(BinaryPrimitives.ReadUInt32BigEndian(p[16..]));
        var fragment = BinaryPrimitives.ReadUInt16BigEndian(p[6..]);
        h.FragmentId = BinaryPrimitives.ReadUInt16BigEndian(p[4..]);
        if ((fragment & 0x1FFF) != 0)
        {
            h.Fragment = FragmentPart.Later;
            return !OverlapsTcpHeader(h.Protocol, fragment & 0x1FFF);
        }
        if ((fragment & 0x2000) != 0)
        {
            h.Fragment = FragmentPart.First;
        }
        return ParseTransport(p, headerLength, isV6: false, ref h);
    }

    private static bool TryParseV6(ReadOnlySpan<byte> p, ref IpPacket h)
    {
        if (p.Length < IPv6HeaderLength)
        {
            return false;
        }
        var total = IPv6HeaderLength + BinaryPrimitives.ReadUInt16BigEndian(p[4..]);
        if (total > p.Length)
        {
            return false;
        }
        p = p[..total];
        h.IsV6 = true;
        h.Source = BinaryPrimitives.ReadUInt128BigEndian(p[8..]);
        h.Destination = BinaryPrimitives.ReadUInt128BigEndian(p[24..]);
        if (!SkipExtensionHeaders(p, out var protocol, out var offset, out var fragmentOffset, out var more, out var id, out var fragmented))
        {
            return false;
        }
        h.Protocol = protocol;
        if (fragmented)
        {
            h.FragmentId = id;
            if (fragmentOffset != 0)
            {
                h.Fragment = FragmentPart.Later;
                return !OverlapsTcpHeader(protocol, fragmentOffset);
            }
            h.Fragment = more ? FragmentPart.First : FragmentPart.Whole;
        }
        return ParseTransport(p, offset, isV6: true, ref h);
    }

    /// <summary>Walks IPv6 extension headers (RFC 8200 section 4) to the upper-layer header.</summary>
    private static bool SkipExtensionHeaders(
        ReadOnlySpan<byte> p, out byte protocol, out int offset, out int fragmentOffset, out bool more, out uint id, out bool fragmented)
    {
        protocol = p[6];
        offset = IPv6HeaderLength;
        fragmentOffset = 0;
        more = false;
        id = 0;
        fragmented = false;
        for (var hops = 0; hops <= MaxIPv6ExtensionHeaders; hops++)
        {
            int length;
            switch (protocol)
            {
                case 0 or 43 or 60: // hop-by-hop, routing, destination options
                    if (offset + 2 > p.Length)
                    {
                        return false;
                    }
                    length = (p[offset + 1] + 1) * 8;
                    break;
                case 44: // fragment header, 8 bytes
                    if (offset + 8 > p.Length)
                    {
                        return false;
                    }
                    var field = BinaryPrimitives.ReadUInt16BigEndian(p[(offset + 2)..]);
                    fragmented = true;
                    fragmentOffset = field >> 3;
                    more = (field & 1) != 0;
                    id = BinaryPrimitives.ReadUInt32BigEndian(p[(offset + 4)..]);
                    length = 8;
                    if (fragmentOffset != 0)
                    {
                        // Later fragments carry no upper-layer header; the next-header value names its protocol.
                        protocol = p[offset];
                        offset += length;
                        return true;
                    }
                    break;
                case 51: // authentication header, in 4-byte units (RFC 4302)
                    if (offset + 2 > p.Length)
                    {
                        return false;
                    }
                    length = (p[offset + 1] + 2) * 4;
                    break;
                default:
                    return true;
            }
            if (offset + length > p.Length)
            {
                return false;
            }
            protocol = p[offset];
            offset += length;
        }
        return false;
    }

    /// <summary>
    /// True for a later TCP fragment that starts inside the TCP header: reassembled over the first fragment it
    /// could rewrite the ports or flags the filter judged (RFC 1858 drops fragment offset 1 for TCP; any
    /// offset below the 20-byte header is the same attack).
    /// </summary>
    private static bool OverlapsTcpHeader(byte protocol, int offsetInEights) =>
        protocol == IpProtocol.Tcp && offsetInEights * 8 < TcpHeaderMin;

    private static bool ParseTransport(ReadOnlySpan<byte> p, int offset, bool isV6, ref IpPacket h)
    {
        var rest = p[offset..];
        switch (h.Protocol)
        {
            case IpProtocol.Tcp:
                // A first fragment too short for the whole TCP header is the tiny-fragment attack (RFC 1858).
                if (rest.Length < TcpHeaderMin)
                {
                    return false;
                }
                ReadPorts(rest, ref h);
                h.TcpFlags = rest[13];
                return true;
            case IpProtocol.Udp:
                if (rest.Length < UdpHeaderLength)
                {
                    return false;
                }
                ReadPorts(rest, ref h);
                return true;
            case IpProtocol.Sctp:
                if (rest.Length < SctpCommonHeader)
                {
                    return false;
                }
                ReadPorts(rest, ref h);
                return true;
            case IpProtocol.Icmp when !isV6:
            case IpProtocol.IcmpV6 when isV6:
                if (rest.Length < IcmpHeaderLength)
                {
                    return false;
                }
                ParseIcmp(rest, isV6, ref h);
                return true;
            default:
                return true;
        }
    }

    private static void ReadPorts(ReadOnlySpan<byte> transport, ref IpPacket h)
    {
        h.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(transport);
        h.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(transport[2..]);
    }

    private static void ParseIcmp(ReadOnlySpan<byte> icmp, bool isV6, ref IpPacket h)
    {
        var type = icmp[0];
        (h.Icmp, var quotes) = (isV6, type) switch
        {
            (false, 8) or (true, 128) => (IcmpClass.EchoRequest, false),
            (false, 0) or (true, 129) => (IcmpClass.EchoReply, false),
            // v4: destination unreachable (with fragmentation needed), time exceeded. v6: unreachable, packet too big, time exceeded.
            (false, 3) or (false, 11) or (true, 1) or (true, 2) or (true, 3) => (IcmpClass.Error, true),
            _ => (IcmpClass.Other, false),
        };
        if (h.Icmp is IcmpClass.EchoRequest or IcmpClass.EchoReply)
        {
            h.EchoId = BinaryPrimitives.ReadUInt16BigEndian(icmp[4..]);
        }
        else if (quotes)
        {
            // A quote that cannot be read leaves HasQuote false: the error then needs a rule like any other ICMP.
            h.HasQuote = TryParseQuote(icmp[IcmpHeaderLength..], isV6, ref h);
        }
    }

    /// <summary>
    /// Reads the packet an ICMP error quotes. Quotes are truncated by design (RFC 792 keeps the IP header
    /// and 8 bytes; RFC 4443 as much as fits), so only the fields up to the ports must be present.
    /// </summary>
    private static bool TryParseQuote(ReadOnlySpan<byte> q, bool isV6, ref IpPacket h)
    {
        int offset;
        byte protocol;
        if (!isV6)
        {
            if (q.Length < IPv4HeaderMin || q[0] >> 4 != 4)
            {
                return false;
            }
            offset = (q[0] & 0x0F) * 4;
            if (offset < IPv4HeaderMin || (BinaryPrimitives.ReadUInt16BigEndian(q[6..]) & 0x1FFF) != 0)
            {
                return false;
            }
            protocol = q[9];
            h.QuoteSource = MapV4(BinaryPrimitives.ReadUInt32BigEndian(q[12..]));
            h.QuoteDestination = MapV4(BinaryPrimitives.ReadUInt32BigEndian(q[16..]));
        }
        else
        {
            if (q.Length < IPv6HeaderLength || q[0] >> 4 != 6)
            {
                return false;
            }
            h.QuoteSource = BinaryPrimitives.ReadUInt128BigEndian(q[8..]);
            h.QuoteDestination = BinaryPrimitives.ReadUInt128BigEndian(q[24..]);
            if (!SkipExtensionHeaders(q, out protocol, out offset, out var fragmentOffset, out _, out _, out _) || fragmentOffset != 0)
            {
                return false;
            }
        }
        h.QuoteProtocol = protocol;
        switch (protocol)
        {
            case IpProtocol.Tcp or IpProtocol.Udp or IpProtocol.Sctp:
                if (offset + 4 > q.Length)
                {
                    return false;
                }
                h.QuoteSourcePort = BinaryPrimitives.ReadUInt16BigEndian(q[offset..]);
                h.QuoteDestinationPort = BinaryPrimitives.ReadUInt16BigEndian(q[(offset + 2)..]);
                return true;
            case IpProtocol.Icmp when !isV6:
            case IpProtocol.IcmpV6 when isV6:
                // Only errors about our echo requests are tracked; an error about an error is never answered.
                if (offset + 6 > q.Length || q[offset] != (isV6 ? 128 : 8))
                {
                    return false;
                }
                h.QuoteIsEcho = true;
                h.QuoteSourcePort = BinaryPrimitives.ReadUInt16BigEndian(q[(offset + 4)..]);
                return true;
            default:
                return false;
        }
    }
}
