using System.Buffers.Binary;

namespace Weft.WireGuard.Tun.Offload;

/// <summary>
/// Where the IP and TCP/UDP headers of one packet lie, for the offload code. Only what segmentation and
/// coalescing support is recognised: IPv4 (any options) or IPv6 without extension headers, carrying TCP or UDP.
/// </summary>
internal readonly record struct IpHeaders(int Version, int IpHeaderLength, byte Protocol, int TransportHeaderLength)
{
    public const byte ProtocolTcp = 6;
    public const byte ProtocolUdp = 17;

    public const int Ipv4MinHeaderLength = 20;
    public const int Ipv6HeaderLength = 40;
    public const int TcpMinHeaderLength = 20;
    public const int UdpHeaderLength = 8;

    /// <summary>Offset of the checksum within the TCP header.</summary>
    public const int TcpChecksumOffset = 16;

    /// <summary>Offset of the checksum within the UDP header.</summary>
    public const int UdpChecksumOffset = 6;

    /// <summary>Bytes of all headers before the payload.</summary>
    public int HeaderLength => IpHeaderLength + TransportHeaderLength;

    public bool IsTcp => Protocol == ProtocolTcp;

    /// <summary>Offset of the L4 checksum field within the packet.</summary>
    public int ChecksumFieldOffset => IpHeaderLength + (IsTcp ? TcpChecksumOffset : UdpChecksumOffset);

    /// <summary>Source address bytes (4 or 16).</summary>
    public ReadOnlySpan<byte> Source(ReadOnlySpan<byte> packet) => Version == 4 ? packet.Slice(12, 4) : packet.Slice(8, 16);

    /// <summary>Destination address bytes (4 or 16).</summary>
    public ReadOnlySpan<byte> Destination(ReadOnlySpan<byte> packet) => Version == 4 ? packet.Slice(16, 4) : packet.Slice(24, 16);

    /// <summary>
    /// Parses the headers of <paramref name="packet"/>, whose length is the IP packet's length. Fails for
    /// anything else, for IPv4 fragments and for headers that do not fit.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out IpHeaders headers)
    {
        headers = default;
        if (packet.IsEmpty)
        {
            return false;
        }
        int version = packet[0] >> 4;
        int ipLength;
        byte protocol;
        if (version == 4)
        {
            if (packet.Length < Ipv4MinHeaderLength)
            {
                return false;
            }
            ipLength = (packet[0] & 0xF) * 4;
            var fragment = BinaryPrimitives.ReadUInt16BigEndian(packet[6..]);
            // More-fragments or a fragment offset: the transport header is not (all) here.
            if (ipLength < Ipv4MinHeaderLength || (fragment & 0x3FFF) != 0)
            {
                return false;
            }
            protocol = packet[9];
        }
        else if (version == 6)
        {
            ipLength = Ipv6HeaderLength;
            protocol = packet.Length >= Ipv6HeaderLength ? packet[6] : (byte)0;
        }
        else
        {
            return false;
        }
        int transportLength;
        if (protocol == ProtocolTcp)
        {
            if (packet.Length < ipLength + TcpMinHeaderLength)
            {
                return false;
            }
            transportLength = (packet[ipLength + 12] >> 4) * 4;
            if (transportLength < TcpMinHeaderLength)
            {
                return false;
            }
        }
        else if (protocol == ProtocolUdp)
        {
            transportLength = UdpHeaderLength;
        }
        else
        {
            return false;
        }
        if (packet.Length < ipLength + transportLength)
        {
            return false;
        }
        headers = new IpHeaders(version, ipLength, protocol, transportLength);
        return true;
    }
}
