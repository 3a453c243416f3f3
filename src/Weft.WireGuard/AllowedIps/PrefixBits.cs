using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Weft.WireGuard.AllowedIps;

/// <summary>Bit arithmetic on left-aligned 128-bit prefix keys and conversions from framework types.</summary>
internal static class PrefixBits
{
    /// <summary>Bits in an IPv4 address.</summary>
    public const int V4Bits = 32;

    /// <summary>Bits in an IPv6 address.</summary>
    public const int V6Bits = 128;

    /// <summary>Ones over the first <paramref name="length"/> bits of 128.</summary>
    public static UInt128 Mask(int length) => length == 0 ? UInt128.Zero : UInt128.MaxValue << (V6Bits - length);

    /// <summary>Bit <paramref name="index"/> counted from the most significant (0 or 1).</summary>
    public static int Bit(UInt128 key, int index) => (int)(key >> (V6Bits - 1 - index)) & 1;

    /// <summary>How many leading bits two keys share, at most <paramref name="limit"/>.</summary>
    public static int CommonLength(UInt128 a, UInt128 b, int limit)
    {
        var common = (int)UInt128.LeadingZeroCount(a ^ b);
        return common < limit ? common : limit;
    }

    /// <summary>An IPv4 address in host order as a left-aligned key.</summary>
    public static UInt128 FromV4(uint address) => (UInt128)address << (V6Bits - V4Bits);

    /// <summary>Reads a key from a network prefix; false for families other than IPv4 and IPv6.</summary>
    public static bool TryFromNetwork(IPNetwork prefix, out UInt128 key, out bool isV4)
    {
        Span<byte> bytes = stackalloc byte[16];
        var family = prefix.BaseAddress.AddressFamily;
        isV4 = family == AddressFamily.InterNetwork;
        key = UInt128.Zero;
        if (!isV4 && family != AddressFamily.InterNetworkV6)
        {
            return false;
        }
        if (!prefix.BaseAddress.TryWriteBytes(bytes, out var written))
        {
            return false;
        }
        key = isV4 ? FromV4(BinaryPrimitives.ReadUInt32BigEndian(bytes)) : BinaryPrimitives.ReadUInt128BigEndian(bytes);
        key &= Mask(prefix.PrefixLength);
        return written == (isV4 ? 4 : 16);
    }

    /// <summary>The framework form of a key and length.</summary>
    public static IPNetwork ToNetwork(UInt128 key, int length, bool isV4)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, key);
        var address = new IPAddress(isV4 ? bytes[..4] : bytes);
        return new IPNetwork(address, length);
    }
}
