using System.Buffers.Binary;

namespace Weft.WireGuard.Tun.Offload;

/// <summary>
/// Turns what the kernel hands a TUN reader with IFF_VNET_HDR into plain IP packets: a TSO/USO
/// superpacket becomes MTU-sized segments with their own lengths, IPv4 IDs, TCP sequence numbers and
/// full checksums; a single packet whose checksum was left partial gets it completed. The packet may
/// already sit in the first output buffer (read there to save a copy): segments are produced last to
/// first so its headers stay intact until the first segment rewrites them in place.
/// </summary>
internal static class GsoSegmenter
{
    private const byte TcpFlagFin = 0x01;
    private const byte TcpFlagPsh = 0x08;
    private const byte TcpFlagCwr = 0x80;

    /// <summary>
    /// Writes the packets <paramref name="packet"/> stands for into <c>buffers[i][offset..offset+sizes[i]]</c>
    /// and returns how many, or -1 when the header or packet is malformed, unsupported or needs more
    /// buffers than given (nothing useful was written then).
    /// </summary>
    public static int Split(Span<byte> packet, in VirtioNetHeader header, Span<byte[]> buffers, Span<int> sizes, int offset)
    {
        if (buffers.IsEmpty || packet.IsEmpty || packet.Length > Constants.MaxSegmentSize)
        {
            return -1;
        }
        var gsoType = (byte)(header.GsoType & ~VirtioNetHeader.GsoEcn);
        if (gsoType == VirtioNetHeader.GsoNone)
        {
            return CompleteSingle(packet, header, buffers[0], sizes, offset);
        }
        if (!IpHeaders.TryParse(packet, out var headers) || header.GsoSize == 0)
        {
            return -1;
        }
        var expected = gsoType switch
        {
            VirtioNetHeader.GsoTcpV4 => headers.Version == 4 && headers.IsTcp,
            VirtioNetHeader.GsoTcpV6 => headers.Version == 6 && headers.IsTcp,
            VirtioNetHeader.GsoUdpL4 => !headers.IsTcp,
            _ => false,
        };
        // The kernel's hdr_len is only a hint (some drivers send the IP header length alone), so it is
        // recomputed from the headers; csum_start and csum_offset must point where we will write.
        if (!expected
            || ((header.Flags & VirtioNetHeader.FlagNeedsCsum) != 0
                && (header.CsumStart != headers.IpHeaderLength
                    || header.CsumOffset != headers.ChecksumFieldOffset - headers.IpHeaderLength)))
        {
            return -1;
        }

        var headerLength = headers.HeaderLength;
        var payload = packet.Length - headerLength;
        int gsoSize = header.GsoSize;
        var count = payload <= 0 ? 1 : (payload + gsoSize - 1) / gsoSize;
        if (count > buffers.Length)
        {
            return -1;
        }
        for (var i = 0; i < count; i++)
        {
            var segmentPayload = Math.Min(gsoSize, payload - (i * gsoSize));
            if (buffers[i].Length - offset < headerLength + Math.Max(segmentPayload, 0))
            {
                return -1;
            }
        }

        var inPlace = packet.Overlaps(buffers[0].AsSpan(offset), out var elementOffset) && elementOffset == 0;
        var ipId = headers.Version == 4 ? BinaryPrimitives.ReadUInt16BigEndian(packet[4..]) : (ushort)0;
        var sequence = headers.IsTcp ? BinaryPrimitives.ReadUInt32BigEndian(packet[(headers.IpHeaderLength + 4)..]) : 0u;
        for (var i = count - 1; i >= 0; i--)
        {
            var segmentPayload = Math.Max(Math.Min(gsoSize, payload - (i * gsoSize)), 0);
            var length = headerLength + segmentPayload;
            var segment = buffers[i].AsSpan(offset, length);
            if (i != 0 || !inPlace)
            {
                packet[..headerLength].CopyTo(segment);
                packet.Slice(headerLength + (i * gsoSize), segmentPayload).CopyTo(segment[headerLength..]);
            }
            FixSegment(segment, headers, (ushort)(ipId + i), sequence + (uint)(i * gsoSize), first: i == 0, last: i == count - 1);
            sizes[i] = length;
        }
        return count;
    }

    /// <summary>Rewrites lengths, IDs, sequence numbers, flags and both checksums of one segment.</summary>
    private static void FixSegment(Span<byte> segment, in IpHeaders headers, ushort ipId, uint sequence, bool first, bool last)
    {
        var ipLength = headers.IpHeaderLength;
        var l4 = segment[ipLength..];
        if (headers.Version == 4)
        {
            BinaryPrimitives.WriteUInt16BigEndian(segment[2..], (ushort)segment.Length);
            BinaryPrimitives.WriteUInt16BigEndian(segment[4..], ipId);
            WriteIpv4HeaderChecksum(segment[..ipLength]);
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(segment[4..], (ushort)l4.Length);
        }
        if (headers.IsTcp)
        {
            BinaryPrimitives.WriteUInt32BigEndian(l4[4..], sequence);
            // FIN and PSH belong to the end of the data, CWR to its start (as the kernel's own TSO does).
            if (!last)
            {
                l4[13] &= unchecked((byte)~(TcpFlagFin | TcpFlagPsh));
            }
            if (!first)
            {
                l4[13] &= unchecked((byte)~TcpFlagCwr);
            }
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(l4[4..], (ushort)l4.Length);
        }
        WriteTransportChecksum(segment, headers);
    }

    /// <summary>Completes the checksum of a packet the kernel left partial, then places it in the buffer.</summary>
    private static int CompleteSingle(Span<byte> packet, in VirtioNetHeader header, byte[] buffer, Span<int> sizes, int offset)
    {
        if (buffer.Length - offset < packet.Length)
        {
            return -1;
        }
        if ((header.Flags & VirtioNetHeader.FlagNeedsCsum) != 0)
        {
            int start = header.CsumStart;
            var field = start + header.CsumOffset;
            if (field + sizeof(ushort) > packet.Length)
            {
                return -1;
            }
            // The field already holds the pseudo-header sum (virtio spec 5.1.6.2): summing from csum_start
            // to the end covers it once, which is exactly the checksum's definition.
            var value = Checksum.Finish(Checksum.Sum(packet[start..]));
            if (value == 0 && IpHeaders.TryParse(packet, out var headers) && !headers.IsTcp)
            {
                // A zero UDP checksum means "none" (RFC 768); the sender's 0 is sent as all ones.
                value = 0xFFFF;
            }
            BinaryPrimitives.WriteUInt16BigEndian(packet[field..], value);
        }
        var destination = buffer.AsSpan(offset, packet.Length);
        if (!(packet.Overlaps(destination, out var elementOffset) && elementOffset == 0))
        {
            packet.CopyTo(destination);
        }
        sizes[0] = packet.Length;
        return 1;
    }

    /// <summary>Computes and stores the IPv4 header checksum.</summary>
    internal static void WriteIpv4HeaderChecksum(Span<byte> ipHeader)
    {
        ipHeader[10] = 0;
        ipHeader[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(ipHeader[10..], Checksum.Finish(Checksum.Sum(ipHeader)));
    }

    /// <summary>Computes and stores the full TCP or UDP checksum of a complete packet.</summary>
    internal static void WriteTransportChecksum(Span<byte> packet, in IpHeaders headers)
    {
        var field = headers.ChecksumFieldOffset;
        packet[field] = 0;
        packet[field + 1] = 0;
        var l4 = packet[headers.IpHeaderLength..];
        var sum = Checksum.PseudoHeader(headers.Source(packet), headers.Destination(packet), headers.Protocol, l4.Length);
        var value = Checksum.Finish(Checksum.Sum(l4, sum));
        if (value == 0 && !headers.IsTcp)
        {
            value = 0xFFFF;
        }
        BinaryPrimitives.WriteUInt16BigEndian(packet[field..], value);
    }
}
