using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Weft.Node.Tests.Filter;

/// <summary>Handcrafted IPv4 and IPv6 packets (TCP, UDP, ICMP, fragments, ICMP errors) for filter tests.</summary>
internal static class FilterPackets
{
    public const byte Fin = 0x01;
    public const byte Syn = 0x02;
    public const byte Rst = 0x04;
    public const byte Ack = 0x10;

    public static byte[] Tcp(string source, ushort sourcePort, string destination, ushort destinationPort, byte flags)
    {
        var tcp = new byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), destinationPort);
        tcp[12] = 5 << 4;
        tcp[13] = flags;
        return Ip(source, destination, 6, tcp);
    }

    public static byte[] Udp(string source, ushort sourcePort, string destination, ushort destinationPort, int payload = 4)
    {
        var udp = new byte[8 + payload];
        BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        return Ip(source, destination, 17, udp);
    }

    /// <summary>An ICMP (IPv4) or ICMPv6 echo request.</summary>
    public static byte[] EchoRequest(string source, string destination, ushort id) =>
        Echo(source, destination, id, IsV6(source) ? (byte)128 : (byte)8);

    /// <summary>An ICMP (IPv4) or ICMPv6 echo reply.</summary>
    public static byte[] EchoReply(string source, string destination, ushort id) =>
        Echo(source, destination, id, IsV6(source) ? (byte)129 : (byte)0);

    /// <summary>An ICMP error of <paramref name="type"/>/<paramref name="code"/> quoting the start of <paramref name="quoted"/>.</summary>
    public static byte[] IcmpError(string source, string destination, byte type, byte code, byte[] quoted)
    {
        var v6 = IsV6(source);
        // IPv4 errors quote the header and 8 bytes (RFC 792); IPv6 as much as fits, here all of it.
        var quoteLength = v6 ? quoted.Length : Math.Min(quoted.Length, ((quoted[0] & 0x0F) * 4) + 8);
        var icmp = new byte[8 + quoteLength];
        icmp[0] = type;
        icmp[1] = code;
        quoted.AsSpan(0, quoteLength).CopyTo(icmp.AsSpan(8));
        return Ip(source, destination, v6 ? (byte)58 : (byte)1, icmp);
    }

    /// <summary>
    /// One fragment of a datagram: <paramref name="body"/> is the transport header and payload (first fragment)
    /// or payload only; <paramref name="offset"/> is in 8-byte units.
    /// </summary>
    public static byte[] Fragment(string source, string destination, byte protocol, byte[] body, uint id, int offset, bool more) =>
        Ip(source, destination, protocol, body, (id, offset, more));

    /// <summary>The transport part (header and payload) of a packet built by this class, for building fragments.</summary>
    public static byte[] TransportOf(byte[] packet) => packet[0] >> 4 == 4 ? packet[((packet[0] & 0x0F) * 4)..] : packet[40..];

    public static byte[] Ip(string source, string destination, byte protocol, byte[] transport, (uint Id, int Offset, bool More)? fragment = null)
    {
        var src = IPAddress.Parse(source);
        var dst = IPAddress.Parse(destination);
        if (src.AddressFamily == AddressFamily.InterNetwork)
        {
            var packet = new byte[20 + transport.Length];
            packet[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
            if (fragment is { } f)
            {
                BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)f.Id);
                BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), (ushort)((f.More ? 0x2000 : 0) | f.Offset));
            }
            packet[8] = 64;
            packet[9] = protocol;
            src.TryWriteBytes(packet.AsSpan(12, 4), out _);
            dst.TryWriteBytes(packet.AsSpan(16, 4), out _);
            transport.CopyTo(packet.AsSpan(20));
            return packet;
        }
        var extension = fragment is null ? 0 : 8;
        var v6 = new byte[40 + extension + transport.Length];
        v6[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(v6.AsSpan(4), (ushort)(extension + transport.Length));
        v6[7] = 64;
        src.TryWriteBytes(v6.AsSpan(8, 16), out _);
        dst.TryWriteBytes(v6.AsSpan(24, 16), out _);
        if (fragment is { } g)
        {
            v6[6] = 44;
            v6[40] = protocol;
            BinaryPrimitives.WriteUInt16BigEndian(v6.AsSpan(42), (ushort)((g.Offset << 3) | (g.More ? 1 : 0)));
            BinaryPrimitives.WriteUInt32BigEndian(v6.AsSpan(44), g.Id);
        }
        else
        {
            v6[6] = protocol;
        }
        transport.CopyTo(v6.AsSpan(40 + extension));
        return v6;
    }

    private static byte[] Echo(string source, string destination, ushort id, byte type)
    {
        var icmp = new byte[16];
        icmp[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(6), 1);
        return Ip(source, destination, IsV6(source) ? (byte)58 : (byte)1, icmp);
    }

    private static bool IsV6(string address) => address.Contains(':', StringComparison.Ordinal);
}
