using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Weft.WireGuard.Tun.Offload;

/// <summary>
/// The Internet checksum (RFC 1071) for IPv4 headers and TCP/UDP segments. Sums are kept folded to
/// 16 bits in network order (the numeric value of the big-endian field); <see cref="Finish"/> takes the
/// complement that goes on the wire.
/// </summary>
internal static class Checksum
{
    /// <summary>Ones'-complement sum of <paramref name="data"/> added to <paramref name="initial"/>.</summary>
    public static ushort Sum(ReadOnlySpan<byte> data, ushort initial = 0)
    {
        // The ones'-complement sum is independent of byte order (RFC 1071 section 2B), so sum native
        // 64-bit words with end-around carry and swap once at the end.
        ulong acc = 0;
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        foreach (var w in words)
        {
            acc += w;
            if (acc < w)
            {
                acc++;
            }
        }
        var tail = data[(words.Length * sizeof(ulong))..];
        if (!tail.IsEmpty)
        {
            Span<byte> padded = stackalloc byte[sizeof(ulong)];
            padded.Clear();
            tail.CopyTo(padded);
            var w = MemoryMarshal.Read<ulong>(padded);
            acc += w;
            if (acc < w)
            {
                acc++;
            }
        }
        var folded = Fold32((uint)acc + (acc >> 32));
        if (BitConverter.IsLittleEndian)
        {
            folded = BinaryPrimitives.ReverseEndianness(folded);
        }
        return Add(folded, initial);
    }

    /// <summary>Ones'-complement sum of two folded sums.</summary>
    public static ushort Add(ushort a, ushort b) => Fold32((uint)a + b);

    /// <summary>Sum of the TCP/UDP pseudo-header: addresses (4 or 16 bytes each), protocol, L4 length.</summary>
    public static ushort PseudoHeader(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte protocol, int length)
    {
        var sum = Sum(source);
        sum = Sum(destination, sum);
        // IPv6 carries the length as 32 bits (RFC 8200 section 8.1); the upper half is zero for non-jumbograms.
        return Add(sum, Fold32((uint)protocol + (uint)length));
    }

    /// <summary>The value to store in a checksum field: the complement of the sum.</summary>
    public static ushort Finish(ushort sum) => (ushort)~sum;

    private static ushort Fold32(ulong value)
    {
        while (value > 0xFFFF)
        {
            value = (value & 0xFFFF) + (value >> 16);
        }
        return (ushort)value;
    }
}
