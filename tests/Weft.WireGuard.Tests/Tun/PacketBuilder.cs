namespace Weft.WireGuard.Tests.Tun;

/// <summary>Builds IPv4/IPv6 TCP and UDP test packets with valid checksums.</summary>
internal static class PacketBuilder
{
    public const byte Fin = 0x01;
    public const byte Syn = 0x02;
    public const byte Psh = 0x08;
    public const byte Ack = 0x10;

    /// <summary>A TCP timestamps option padded to 12 bytes (two NOPs first), as Linux sends it.</summary>
    public static byte[] Timestamps(uint value, uint echo) =>
    [
        1, 1, 8, 10,
        (byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value,
        (byte)(echo >> 24), (byte)(echo >> 16), (byte)(echo >> 8), (byte)echo,
    ];

    public static byte[] Tcp(
        int version, uint seq, ReadOnlySpan<byte> payload, byte flags = Ack, uint ack = 1000,
        ushort sourcePort = 40000, ushort destinationPort = 5001, byte[]? options = null, ushort ipId = 100, byte hostByte = 1)
    {
        options ??= [];
        var tcpLength = 20 + options.Length;
        var packet = NewIp(version, 6, tcpLength + payload.Length, ipId, hostByte);
        var ip = version == 4 ? 20 : 40;
        var tcp = packet.AsSpan(ip);
        Port(tcp, sourcePort, destinationPort);
        Be32(tcp[4..], seq);
        Be32(tcp[8..], ack);
        tcp[12] = (byte)((tcpLength / 4) << 4);
        tcp[13] = flags;
        tcp[14] = 0xFF;
        tcp[15] = 0xFF;
        options.CopyTo(tcp[20..]);
        payload.CopyTo(tcp[tcpLength..]);
        ReferenceChecksum.Fill(packet);
        return packet;
    }

    public static byte[] Udp(int version, ReadOnlySpan<byte> payload, ushort sourcePort = 40000, ushort destinationPort = 5002, ushort ipId = 100)
    {
        var packet = NewIp(version, 17, 8 + payload.Length, ipId, 1);
        var ip = version == 4 ? 20 : 40;
        var udp = packet.AsSpan(ip);
        Port(udp, sourcePort, destinationPort);
        udp[4] = (byte)((8 + payload.Length) >> 8);
        udp[5] = (byte)(8 + payload.Length);
        payload.CopyTo(udp[8..]);
        ReferenceChecksum.Fill(packet);
        return packet;
    }

    public static byte[] Payload(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Fresh engine-shaped buffers.</summary>
    public static byte[][] Buffers(int count)
    {
        var buffers = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            buffers[i] = new byte[Constants.BufferSize];
        }
        return buffers;
    }

    private static byte[] NewIp(int version, byte protocol, int l4Length, ushort ipId, byte hostByte)
    {
        if (version == 4)
        {
            var packet = new byte[20 + l4Length];
            packet[0] = 0x45;
            packet[2] = (byte)(packet.Length >> 8);
            packet[3] = (byte)packet.Length;
            packet[4] = (byte)(ipId >> 8);
            packet[5] = (byte)ipId;
            packet[6] = 0x40; // DF
            packet[8] = 64;
            packet[9] = protocol;
            packet[12] = 10;
            packet[15] = hostByte;
            packet[16] = 10;
            packet[19] = 2;
            return packet;
        }
        var v6 = new byte[40 + l4Length];
        v6[0] = 0x60;
        v6[4] = (byte)(l4Length >> 8);
        v6[5] = (byte)l4Length;
        v6[6] = protocol;
        v6[7] = 64;
        v6[8] = 0xFD;
        v6[23] = hostByte;
        v6[24] = 0xFD;
        v6[39] = 2;
        return v6;
    }

    private static void Port(Span<byte> l4, ushort source, ushort destination)
    {
        l4[0] = (byte)(source >> 8);
        l4[1] = (byte)source;
        l4[2] = (byte)(destination >> 8);
        l4[3] = (byte)destination;
    }

    private static void Be32(Span<byte> span, uint value)
    {
        span[0] = (byte)(value >> 24);
        span[1] = (byte)(value >> 16);
        span[2] = (byte)(value >> 8);
        span[3] = (byte)value;
    }
}
