namespace Weft.WireGuard.Tests.Tun;

/// <summary>
/// A deliberately plain RFC 1071 checksum, written independently of the production one, that test
/// packets are built and verified with.
/// </summary>
internal static class ReferenceChecksum
{
    public static ushort OnesSum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (var i = 0; i < data.Length; i += 2)
        {
            var high = data[i];
            var low = i + 1 < data.Length ? data[i + 1] : (byte)0;
            sum += (uint)((high << 8) | low);
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)sum;
    }

    /// <summary>The TCP/UDP pseudo-header followed by the L4 bytes, as one buffer.</summary>
    public static byte[] WithPseudoHeader(ReadOnlySpan<byte> packet)
    {
        var version = packet[0] >> 4;
        var ipLength = version == 4 ? (packet[0] & 0xF) * 4 : 40;
        var protocol = version == 4 ? packet[9] : packet[6];
        var l4 = packet[ipLength..];
        var addresses = version == 4 ? packet.Slice(12, 8) : packet.Slice(8, 32);
        var buffer = new byte[addresses.Length + 8 + l4.Length];
        addresses.CopyTo(buffer);
        var at = addresses.Length;
        // Addresses, three zero bytes, the protocol, the 32-bit length: the same sum as either RFC's layout.
        buffer[at + 3] = protocol;
        buffer[at + 4] = (byte)(l4.Length >> 24);
        buffer[at + 5] = (byte)(l4.Length >> 16);
        buffer[at + 6] = (byte)(l4.Length >> 8);
        buffer[at + 7] = (byte)l4.Length;
        l4.CopyTo(buffer.AsSpan(at + 8));
        return buffer;
    }

    public static bool Ipv4HeaderValid(ReadOnlySpan<byte> packet) =>
        OnesSum(packet[..((packet[0] & 0xF) * 4)]) == 0xFFFF;

    public static bool TransportValid(ReadOnlySpan<byte> packet) =>
        OnesSum(WithPseudoHeader(packet)) == 0xFFFF;

    /// <summary>Writes valid IPv4 header (if any) and TCP/UDP checksums into the packet.</summary>
    public static void Fill(Span<byte> packet)
    {
        var version = packet[0] >> 4;
        var ipLength = version == 4 ? (packet[0] & 0xF) * 4 : 40;
        if (version == 4)
        {
            packet[10] = 0;
            packet[11] = 0;
            var ipSum = (ushort)~OnesSum(packet[..ipLength]);
            packet[10] = (byte)(ipSum >> 8);
            packet[11] = (byte)ipSum;
        }
        var protocol = version == 4 ? packet[9] : packet[6];
        var field = ipLength + (protocol == 6 ? 16 : 6);
        packet[field] = 0;
        packet[field + 1] = 0;
        var sum = (ushort)~OnesSum(WithPseudoHeader(packet));
        if (sum == 0 && protocol == 17)
        {
            sum = 0xFFFF;
        }
        packet[field] = (byte)(sum >> 8);
        packet[field + 1] = (byte)sum;
    }
}
