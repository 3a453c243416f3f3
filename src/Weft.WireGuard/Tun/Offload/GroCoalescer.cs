using System.Buffers.Binary;

namespace Weft.WireGuard.Tun.Offload;

/// <summary>
/// Merges a batch of packets bound for the TUN into GSO superpackets so the kernel takes one write per
/// flow burst instead of one per segment (the reverse of <see cref="GsoSegmenter"/>). TCP segments join
/// when they continue one flow exactly: same addresses, ports and IP fields, next sequence number, same
/// ACK number and options, ACK or ACK|PSH flags, equal payload sizes with only the last one shorter or
/// carrying PSH. UDP datagrams of one flow join likewise when USO is on. Every joined packet's checksum
/// is verified first, because the kernel trusts a superpacket marked NEEDS_CSUM. Everything else is
/// written as it is, in order within its flow. The payload of joined packets is appended in the first
/// packet's buffer, so buffers change. Not thread-safe: one writer owns an instance.
/// </summary>
internal sealed class GroCoalescer
{
    private const byte TcpFlagAck = 0x10;
    private const byte TcpFlagPsh = 0x08;

    private readonly bool _udp;
    private Group[] _groups;
    private int[] _open;
    private Output[] _outputs;

    /// <param name="udp">Whether UDP datagrams may be coalesced (only when the kernel accepted USO).</param>
    /// <param name="capacity">Largest batch expected; bigger batches grow the tables once.</param>
    public GroCoalescer(bool udp, int capacity)
    {
        _udp = udp;
        _groups = new Group[capacity];
        _open = new int[capacity];
        _outputs = new Output[capacity];
    }

    /// <summary>One write to make: a buffer, the packet length at the offset, the virtio_net_hdr to put before it, and how many packets it carries.</summary>
    internal readonly record struct Output(int Buffer, int Length, VirtioNetHeader Header, int Segments = 1);

    /// <summary>A superpacket being built in the buffer of its first packet.</summary>
    private struct Group
    {
        public int Buffer;
        public int Output;
        public int Length;
        public int GsoSize;
        public int Segments;
        public uint NextSequence;
        public bool Closed;
        public bool Push;
        public IpHeaders Headers;
    }

    /// <summary>
    /// Coalesces <c>buffers[i][offset..offset+sizes[i]]</c> and returns the writes to make, in order; valid
    /// until the next call.
    /// </summary>
    public ReadOnlySpan<Output> Coalesce(ReadOnlySpan<byte[]> buffers, ReadOnlySpan<int> sizes, int offset)
    {
        if (buffers.Length > _outputs.Length)
        {
            _groups = new Group[buffers.Length];
            _open = new int[buffers.Length];
            _outputs = new Output[buffers.Length];
        }
        var outputs = 0;
        var groups = 0;
        var open = 0;
        for (var i = 0; i < buffers.Length; i++)
        {
            var packet = buffers[i].AsSpan(offset, sizes[i]);
            if (!TryCandidate(packet, out var headers, out var payload))
            {
                // A packet of an open flow that cannot join still has to stay behind the flow's earlier data.
                if (IpHeaders.TryParse(packet, out var other))
                {
                    CloseFlow(buffers, offset, packet, other, ref open);
                }
                _outputs[outputs++] = new Output(i, packet.Length, VirtioNetHeader.None);
                continue;
            }
            var joined = false;
            for (var k = 0; k < open; k++)
            {
                ref var group = ref _groups[_open[k]];
                var head = buffers[group.Buffer].AsSpan(offset, group.Length);
                if (!SameFlow(head, group.Headers, packet, headers))
                {
                    continue;
                }
                if (CanJoin(buffers[group.Buffer].Length - offset, head, ref group, packet, headers, payload))
                {
                    packet.Slice(headers.HeaderLength, payload).CopyTo(buffers[group.Buffer].AsSpan(offset + group.Length));
                    group.Length += payload;
                    group.Segments++;
                    group.NextSequence += (uint)payload;
                    var push = headers.IsTcp && (packet[headers.IpHeaderLength + 13] & TcpFlagPsh) != 0;
                    group.Push |= push;
                    group.Closed = push || payload < group.GsoSize;
                    joined = true;
                }
                else
                {
                    _open[k] = _open[--open];
                }
                break;
            }
            if (joined)
            {
                continue;
            }
            var created = new Group
            {
                Buffer = i,
                Output = outputs,
                Length = packet.Length,
                GsoSize = payload,
                Segments = 1,
                NextSequence = headers.IsTcp ? BinaryPrimitives.ReadUInt32BigEndian(packet[(headers.IpHeaderLength + 4)..]) + (uint)payload : 0,
                Push = headers.IsTcp && (packet[headers.IpHeaderLength + 13] & TcpFlagPsh) != 0,
                Headers = headers,
            };
            created.Closed = created.Push;
            _outputs[outputs++] = new Output(i, packet.Length, VirtioNetHeader.None);
            _groups[groups] = created;
            _open[open++] = groups++;
        }
        for (var g = 0; g < groups; g++)
        {
            ref var group = ref _groups[g];
            if (group.Segments > 1)
            {
                _outputs[group.Output] = Finish(buffers[group.Buffer].AsSpan(offset, group.Length), group);
            }
        }
        return _outputs.AsSpan(0, outputs);
    }

    /// <summary>Closes the open group of the flow <paramref name="packet"/> belongs to, if any.</summary>
    private void CloseFlow(ReadOnlySpan<byte[]> buffers, int offset, ReadOnlySpan<byte> packet, in IpHeaders headers, ref int open)
    {
        for (var k = 0; k < open; k++)
        {
            ref var group = ref _groups[_open[k]];
            if (SameFlow(buffers[group.Buffer].AsSpan(offset, group.Length), group.Headers, packet, headers))
            {
                _open[k] = _open[--open];
                return;
            }
        }
    }

    /// <summary>Whether the packet may start or join a superpacket; also yields its headers and payload size.</summary>
    private bool TryCandidate(ReadOnlySpan<byte> packet, out IpHeaders headers, out int payload)
    {
        payload = 0;
        if (!IpHeaders.TryParse(packet, out headers)
            || (headers.Version == 4 && headers.IpHeaderLength != IpHeaders.Ipv4MinHeaderLength)
            || (!headers.IsTcp && !_udp))
        {
            return false;
        }
        // The IP length must describe exactly this packet, or the payload we would move is not what it says.
        var ipLength = headers.Version == 4
            ? BinaryPrimitives.ReadUInt16BigEndian(packet[2..])
            : BinaryPrimitives.ReadUInt16BigEndian(packet[4..]) + IpHeaders.Ipv6HeaderLength;
        if (ipLength != packet.Length)
        {
            return false;
        }
        var l4 = packet[headers.IpHeaderLength..];
        if (headers.IsTcp)
        {
            var flags = l4[13];
            if (flags != TcpFlagAck && flags != (TcpFlagAck | TcpFlagPsh))
            {
                return false;
            }
        }
        else
        {
            var checksumField = BinaryPrimitives.ReadUInt16BigEndian(l4[6..]);
            if (BinaryPrimitives.ReadUInt16BigEndian(l4[4..]) != l4.Length || checksumField == 0)
            {
                return false;
            }
        }
        payload = packet.Length - headers.HeaderLength;
        if (payload == 0)
        {
            return false;
        }
        var sum = Checksum.PseudoHeader(headers.Source(packet), headers.Destination(packet), headers.Protocol, l4.Length);
        return Checksum.Sum(l4, sum) == 0xFFFF;
    }

    /// <summary>Same addresses, protocol and ports.</summary>
    private static bool SameFlow(ReadOnlySpan<byte> a, in IpHeaders ha, ReadOnlySpan<byte> b, in IpHeaders hb)
    {
        if (ha.Version != hb.Version || ha.Protocol != hb.Protocol)
        {
            return false;
        }
        return ha.Source(a).SequenceEqual(hb.Source(b))
            && ha.Destination(a).SequenceEqual(hb.Destination(b))
            && a.Slice(ha.IpHeaderLength, 4).SequenceEqual(b.Slice(hb.IpHeaderLength, 4));
    }

    /// <summary>Whether a packet of the group's flow continues it exactly.</summary>
    private static bool CanJoin(int capacity, ReadOnlySpan<byte> head, ref Group group, ReadOnlySpan<byte> packet, in IpHeaders headers, int payload)
    {
        if (group.Closed
            || payload > group.GsoSize
            || group.Length + payload > Constants.MaxSegmentSize
            || group.Length + payload > capacity
            || headers.HeaderLength != group.Headers.HeaderLength)
        {
            return false;
        }
        if (headers.Version == 4)
        {
            // TOS, flags (DF) and TTL must agree: the kernel copies the head's into every segment.
            if (head[1] != packet[1] || head[6] != packet[6] || head[8] != packet[8])
            {
                return false;
            }
        }
        else if (!head[..4].SequenceEqual(packet[..4]) || head[7] != packet[7])
        {
            // Traffic class, flow label and hop limit.
            return false;
        }
        if (!headers.IsTcp)
        {
            return true;
        }
        var ip = headers.IpHeaderLength;
        var headTcp = head[ip..];
        var tcp = packet[ip..];
        return BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]) == group.NextSequence
            && tcp.Slice(8, 4).SequenceEqual(headTcp.Slice(8, 4))
            && tcp[IpHeaders.TcpMinHeaderLength..headers.TransportHeaderLength].SequenceEqual(
                headTcp[IpHeaders.TcpMinHeaderLength..headers.TransportHeaderLength]);
    }

    /// <summary>Rewrites the head's headers for the whole superpacket and describes it for the kernel.</summary>
    private static Output Finish(Span<byte> superpacket, in Group group)
    {
        var headers = group.Headers;
        var ip = headers.IpHeaderLength;
        var l4 = superpacket[ip..];
        if (headers.Version == 4)
        {
            BinaryPrimitives.WriteUInt16BigEndian(superpacket[2..], (ushort)superpacket.Length);
            GsoSegmenter.WriteIpv4HeaderChecksum(superpacket[..ip]);
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(superpacket[4..], (ushort)l4.Length);
        }
        byte gsoType;
        if (headers.IsTcp)
        {
            if (group.Push)
            {
                l4[13] |= TcpFlagPsh;
            }
            gsoType = headers.Version == 4 ? VirtioNetHeader.GsoTcpV4 : VirtioNetHeader.GsoTcpV6;
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(l4[4..], (ushort)l4.Length);
            gsoType = VirtioNetHeader.GsoUdpL4;
        }
        // NEEDS_CSUM: the field holds the folded pseudo-header sum, the kernel adds the rest per segment.
        var pseudo = Checksum.PseudoHeader(headers.Source(superpacket), headers.Destination(superpacket), headers.Protocol, l4.Length);
        BinaryPrimitives.WriteUInt16BigEndian(superpacket[headers.ChecksumFieldOffset..], pseudo);
        var header = new VirtioNetHeader(
            VirtioNetHeader.FlagNeedsCsum,
            gsoType,
            (ushort)headers.HeaderLength,
            (ushort)group.GsoSize,
            (ushort)ip,
            (ushort)(headers.ChecksumFieldOffset - ip));
        return new Output(group.Buffer, superpacket.Length, header, group.Segments);
    }
}
