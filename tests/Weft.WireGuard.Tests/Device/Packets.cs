using System.Buffers.Binary;
using System.Net;

namespace Weft.WireGuard.Tests.Device;

/// <summary>Builds small, well-formed IP packets for engine tests.</summary>
internal static class Packets
{
    /// <summary>An IPv4 UDP packet from <paramref name="source"/> to <paramref name="destination"/> carrying <paramref name="payload"/>.</summary>
    public static byte[] Udp4(string source, string destination, ReadOnlySpan<byte> payload)
    {
        var packet = new byte[20 + 8 + payload.Length];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[8] = 64;
        packet[9] = 17;
        IPAddress.Parse(source).TryWriteBytes(packet.AsSpan(12, 4), out _);
        IPAddress.Parse(destination).TryWriteBytes(packet.AsSpan(16, 4), out _);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), HeaderChecksum(packet.AsSpan(0, 20)));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(22), 9);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(24), (ushort)(8 + payload.Length));
        payload.CopyTo(packet.AsSpan(28));
        return packet;
    }

    /// <summary>An IPv6 UDP packet.</summary>
    public static byte[] Udp6(string source, string destination, ReadOnlySpan<byte> payload)
    {
        var packet = new byte[40 + 8 + payload.Length];
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)(8 + payload.Length));
        packet[6] = 17;
        packet[7] = 64;
        IPAddress.Parse(source).TryWriteBytes(packet.AsSpan(8, 16), out _);
        IPAddress.Parse(destination).TryWriteBytes(packet.AsSpan(24, 16), out _);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(40), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(42), 9);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(44), (ushort)(8 + payload.Length));
        payload.CopyTo(packet.AsSpan(48));
        return packet;
    }

    private static ushort HeaderChecksum(ReadOnlySpan<byte> header)
    {
        uint sum = 0;
        for (var i = 0; i < header.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(header[i..]);
        }
        while (sum > 0xffff)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (ushort)~sum;
    }
}
