using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;

namespace Weft.Control.Identity;

/// <summary>
/// Node addresses: IPv4 offsets into 100.64.0.0/10, skipping the service /24 and .0/.255 host parts, and
/// IPv6 addresses in the server's ULA /48 that embed the node's IPv4 in the low 32 bits (so they are
/// unique exactly when the IPv4 is).
/// </summary>
internal static class AddressPlan
{
    private const uint IPv4Base = (100u << 24) | (64u << 16);
    private const uint ServiceBase = (100u << 24) | (100u << 16) | (100u << 8);

    /// <summary>True for offsets that must never go to a node.</summary>
    public static bool IsReserved(long offset)
    {
        if (offset <= 0 || offset >= ControlConstants.IPv4RangeSize)
        {
            return true;
        }

        var address = IPv4Base + (uint)offset;
        var last = address & 0xff;
        return last is 0 or 255 || (address & 0xffffff00) == ServiceBase;
    }

    /// <summary>The first usable offset at or after <paramref name="offset"/>, or -1 when the range is exhausted.</summary>
    public static long NextUsable(long offset)
    {
        for (var o = Math.Max(offset, 1); o < ControlConstants.IPv4RangeSize; o++)
        {
            if (!IsReserved(o))
            {
                return o;
            }
        }

        return -1;
    }

    /// <summary>The IPv4 address of an offset.</summary>
    public static IPAddress IPv4(long offset)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, IPv4Base + (uint)offset);
        return new IPAddress(bytes);
    }

    /// <summary>The IPv6 twin of an offset inside <paramref name="ula"/>.</summary>
    public static IPAddress IPv6(IPNetwork ula, long offset)
    {
        Span<byte> bytes = stackalloc byte[16];
        ula.BaseAddress.TryWriteBytes(bytes, out _);
        bytes[6..].Clear();
        BinaryPrimitives.WriteUInt32BigEndian(bytes[12..], IPv4Base + (uint)offset);
        return new IPAddress(bytes);
    }

    /// <summary>A random ULA /48 (RFC 4193: fd00::/8 plus a 40-bit random global ID).</summary>
    public static IPNetwork NewUlaPrefix()
    {
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        bytes[0] = 0xfd;
        RandomNumberGenerator.Fill(bytes[1..6]);
        return new IPNetwork(new IPAddress(bytes), 48);
    }
}
