using System.Buffers.Binary;
using Weft.WireGuard.Interop;

namespace Weft.WireGuard.Conn;

/// <summary>Converts between <see cref="UdpEndpoint"/> and the kernel's sockaddr_in / sockaddr_in6 bytes.</summary>
internal static class SocketAddressCodec
{
    /// <summary>Writes a sockaddr for a socket of <paramref name="family"/>; returns its length, or 0 when that family cannot reach the endpoint.</summary>
    public static int Write(Span<byte> sockaddr, int family, in UdpEndpoint endpoint)
    {
        sockaddr[..LibcNet.SockaddrIn6Size].Clear();
        if (family == LibcNet.AF_INET6)
        {
            // A dual-stack socket reaches IPv4 peers through their IPv4-mapped address.
            BinaryPrimitives.WriteUInt16LittleEndian(sockaddr, LibcNet.AF_INET6);
            BinaryPrimitives.WriteUInt16BigEndian(sockaddr[2..], endpoint.Port);
            endpoint.WriteAddress(sockaddr.Slice(8, 16));
            return LibcNet.SockaddrIn6Size;
        }
        if (!endpoint.IsIPv4)
        {
            return 0;
        }
        Span<byte> address = stackalloc byte[16];
        endpoint.WriteAddress(address);
        BinaryPrimitives.WriteUInt16LittleEndian(sockaddr, LibcNet.AF_INET);
        BinaryPrimitives.WriteUInt16BigEndian(sockaddr[2..], endpoint.Port);
        address[12..].CopyTo(sockaddr[4..]);
        return LibcNet.SockaddrInSize;
    }

    /// <summary>Reads a sockaddr the kernel filled in; false for a family other than IPv4 or IPv6 or a short length.</summary>
    public static bool TryRead(ReadOnlySpan<byte> sockaddr, out UdpEndpoint endpoint)
    {
        endpoint = default;
        if (sockaddr.Length < 2)
        {
            return false;
        }
        var family = BinaryPrimitives.ReadUInt16LittleEndian(sockaddr);
        if (family == LibcNet.AF_INET6 && sockaddr.Length >= 24)
        {
            // IPv4 senders on a dual-stack socket arrive already IPv4-mapped, which is UdpEndpoint's own form.
            endpoint = new UdpEndpoint(sockaddr.Slice(8, 16), BinaryPrimitives.ReadUInt16BigEndian(sockaddr[2..]));
            return true;
        }
        if (family == LibcNet.AF_INET && sockaddr.Length >= 8)
        {
            endpoint = UdpEndpoint.FromIPv4(sockaddr.Slice(4, 4), BinaryPrimitives.ReadUInt16BigEndian(sockaddr[2..]));
            return true;
        }
        return false;
    }
}
