using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Weft.Core.Wire;

namespace Weft.Policy.Tests;

/// <summary>Builds minimal IPv4/IPv6 packets for filter tests (checksums are not looked at by the filter).</summary>
internal static class Packets
{
    public static byte[] Tcp(string src, string dst, ushort dstPort) => Build(src, dst, IpProtocol.Tcp, dstPort);

    public static byte[] Udp(string src, string dst, ushort dstPort) => Build(src, dst, IpProtocol.Udp, dstPort);

    public static byte[] Raw(string src, string dst, int protocol) => Build(src, dst, protocol, 0);

    public static byte[] Build(string src, string dst, int protocol, ushort dstPort, int fragmentOffset = 0, bool hopByHop = false)
    {
        var s = IPAddress.Parse(src);
        var d = IPAddress.Parse(dst);
        const int transport = 8; // enough for ports (TCP/UDP headers start with them)
        if (s.AddressFamily == AddressFamily.InterNetwork)
        {
            var p = new byte[20 + transport];
            p[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(6), (ushort)(fragmentOffset & 0x1FFF));
            p[8] = 64;
            p[9] = (byte)protocol;
            s.TryWriteBytes(p.AsSpan(12), out _);
            d.TryWriteBytes(p.AsSpan(16), out _);
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(20), 40000);
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(22), dstPort);
            return p;
        }

        var ext = hopByHop ? 8 : fragmentOffset != 0 ? 8 : 0;
        var q = new byte[40 + ext + transport];
        q[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(q.AsSpan(4), (ushort)(ext + transport));
        q[7] = 64;
        s.TryWriteBytes(q.AsSpan(8), out _);
        d.TryWriteBytes(q.AsSpan(24), out _);
        if (hopByHop)
        {
            q[6] = 0;
            q[40] = (byte)protocol;
            q[41] = 0; // (0 + 1) * 8 bytes
        }
        else if (fragmentOffset != 0)
        {
            q[6] = 44;
            q[40] = (byte)protocol;
            BinaryPrimitives.WriteUInt16BigEndian(q.AsSpan(42), (ushort)(fragmentOffset << 3));
        }
        else
        {
            q[6] = (byte)protocol;
        }

        BinaryPrimitives.WriteUInt16BigEndian(q.AsSpan(40 + ext), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(q.AsSpan(42 + ext), dstPort);
        return q;
    }
}
