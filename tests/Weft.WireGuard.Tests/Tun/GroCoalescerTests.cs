using System.Buffers.Binary;
using Weft.WireGuard.Tun.Offload;

namespace Weft.WireGuard.Tests.Tun;

public class GroCoalescerTests
{
    private const int Offset = Constants.MessageOffset;
    private const int Mss = 1448;

    /// <summary>Consecutive segments of one TCP flow, the last shorter and with PSH, like a sender's burst.</summary>
    private static List<byte[]> Burst(int version, int segments, int lastPayload, uint seq = 1, ushort sourcePort = 40000, int seed = 0)
    {
        var list = new List<byte[]>();
        for (var i = 0; i < segments; i++)
        {
            var last = i == segments - 1;
            var payload = PacketBuilder.Payload(last ? lastPayload : Mss, seed + i);
            list.Add(PacketBuilder.Tcp(version, seq, payload, last ? (byte)(PacketBuilder.Ack | PacketBuilder.Psh) : PacketBuilder.Ack,
                sourcePort: sourcePort, options: PacketBuilder.Timestamps(77, 88), ipId: (ushort)(500 + i)));
            seq += (uint)payload.Length;
        }
        return list;
    }

    private static (byte[][] Buffers, int[] Sizes) Load(IReadOnlyList<byte[]> packets)
    {
        var buffers = PacketBuilder.Buffers(packets.Count);
        var sizes = new int[packets.Count];
        for (var i = 0; i < packets.Count; i++)
        {
            packets[i].CopyTo(buffers[i], Offset);
            sizes[i] = packets[i].Length;
        }
        return (buffers, sizes);
    }

    /// <summary>What the kernel would do with one write: split it as GSO says (or take it as it is).</summary>
    private static List<byte[]> KernelView(byte[][] buffers, GroCoalescer.Output output)
    {
        var packet = buffers[output.Buffer].AsSpan(Offset, output.Length).ToArray();
        if (output.Header.GsoType == VirtioNetHeader.GsoNone)
        {
            return [packet];
        }
        var ip = packet[0] >> 4 == 4 ? 20 : 40;
        var field = ip + output.Header.CsumOffset;
        // NEEDS_CSUM: the field must hold exactly the pseudo-header sum.
        packet[field] = 0;
        packet[field + 1] = 0;
        var pseudo = ReferenceChecksum.OnesSum(ReferenceChecksum.WithPseudoHeader(packet)[..^(packet.Length - ip)]);
        Assert.Equal(pseudo, BinaryPrimitives.ReadUInt16BigEndian(buffers[output.Buffer].AsSpan(Offset + field)));
        Assert.True(ReferenceChecksum.Ipv4HeaderValid(packet) || ip == 40);
        var split = PacketBuilder.Buffers(128);
        var sizes = new int[128];
        var count = GsoSegmenter.Split(packet, output.Header, split, sizes, Offset);
        Assert.True(count > 1, "a GSO write holds several segments");
        var result = new List<byte[]>();
        for (var i = 0; i < count; i++)
        {
            result.Add(split[i].AsSpan(Offset, sizes[i]).ToArray());
        }
        return result;
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void Coalesce_TcpBurst_BecomesOneSuperpacketThatSplitsBackExactly(int version)
    {
        var packets = Burst(version, 30, 100);
        var (buffers, sizes) = Load(packets);
        var coalescer = new GroCoalescer(udp: false, 128);

        var outputs = coalescer.Coalesce(buffers, sizes, Offset).ToArray();

        var output = Assert.Single(outputs);
        Assert.Equal(version == 4 ? VirtioNetHeader.GsoTcpV4 : VirtioNetHeader.GsoTcpV6, output.Header.GsoType);
        Assert.Equal(Mss, output.Header.GsoSize);
        Assert.Equal(VirtioNetHeader.FlagNeedsCsum, output.Header.Flags);
        Assert.Equal(30, output.Segments);
        Assert.Equal(packets, KernelView(buffers, output));
    }

    [Fact]
    public void Coalesce_InterleavedFlows_EachFlowRoundTrips()
    {
        var a = Burst(4, 5, 700, sourcePort: 1111, seed: 10);
        var b = Burst(4, 5, 300, seq: 99999, sourcePort: 2222, seed: 20);
        var c = Burst(6, 5, 1448, sourcePort: 3333, seed: 30);
        var mixed = new List<byte[]>();
        for (var i = 0; i < 5; i++)
        {
            mixed.Add(a[i]);
            mixed.Add(b[i]);
            mixed.Add(c[i]);
        }
        var (buffers, sizes) = Load(mixed);

        var outputs = new GroCoalescer(udp: false, 128).Coalesce(buffers, sizes, Offset).ToArray();

        Assert.Equal(3, outputs.Length);
        Assert.Equal(a, KernelView(buffers, outputs[0]));
        Assert.Equal(b, KernelView(buffers, outputs[1]));
        Assert.Equal(c, KernelView(buffers, outputs[2]));
    }

    public static TheoryData<string> Uncoalescable => new()
    {
        "syn",
        "fin",
        "bad checksum",
        "udp without uso",
        "ipv4 options",
        "different ack",
        "sequence gap",
        "different options",
        "pure ack",
        "different ttl",
        "icmp",
    };

    [Theory]
    [MemberData(nameof(Uncoalescable))]
    public void Coalesce_NonCoalescable_PassesThroughUnchanged(string scenario)
    {
        var first = PacketBuilder.Tcp(4, 1, PacketBuilder.Payload(Mss, 1), options: PacketBuilder.Timestamps(1, 2));
        var next = 1u + Mss;
        var second = scenario switch
        {
            "syn" => PacketBuilder.Tcp(4, next, PacketBuilder.Payload(Mss, 2), PacketBuilder.Syn | PacketBuilder.Ack, options: PacketBuilder.Timestamps(1, 2)),
            "fin" => PacketBuilder.Tcp(4, next, PacketBuilder.Payload(Mss, 2), PacketBuilder.Fin | PacketBuilder.Ack, options: PacketBuilder.Timestamps(1, 2)),
            "different ack" => PacketBuilder.Tcp(4, next, PacketBuilder.Payload(Mss, 2), ack: 5, options: PacketBuilder.Timestamps(1, 2)),
            "sequence gap" => PacketBuilder.Tcp(4, next + 1, PacketBuilder.Payload(Mss, 2), options: PacketBuilder.Timestamps(1, 2)),
            "different options" => PacketBuilder.Tcp(4, next, PacketBuilder.Payload(Mss, 2), options: PacketBuilder.Timestamps(1, 3)),
            "pure ack" => PacketBuilder.Tcp(4, next, [], options: PacketBuilder.Timestamps(1, 2)),
            _ => PacketBuilder.Tcp(4, next, PacketBuilder.Payload(Mss, 2), options: PacketBuilder.Timestamps(1, 2)),
        };
        switch (scenario)
        {
            case "bad checksum":
                second[^1] ^= 0x5A;
                break;
            case "udp without uso":
                first = PacketBuilder.Udp(4, PacketBuilder.Payload(1000, 1));
                second = PacketBuilder.Udp(4, PacketBuilder.Payload(1000, 2));
                break;
            case "ipv4 options":
                first = WithIpv4Options(first);
                second = WithIpv4Options(second);
                break;
            case "different ttl":
                second[8] = 63;
                ReferenceChecksum.Fill(second);
                break;
            case "icmp":
                first = PacketBuilder.Udp(4, PacketBuilder.Payload(100, 1));
                second = PacketBuilder.Udp(4, PacketBuilder.Payload(100, 2));
                first[9] = 1;
                second[9] = 1;
                break;
        }
        var packets = new List<byte[]> { first, second };
        var (buffers, sizes) = Load(packets);

        var outputs = new GroCoalescer(udp: false, 128).Coalesce(buffers, sizes, Offset).ToArray();

        Assert.Equal(2, outputs.Length);
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(VirtioNetHeader.None, outputs[i].Header);
            Assert.Equal(packets[i], buffers[outputs[i].Buffer].AsSpan(Offset, outputs[i].Length).ToArray());
        }
    }

    [Fact]
    public void Coalesce_PacketOfOpenFlowThatCannotJoin_KeepsFlowOrder()
    {
        var burst = Burst(4, 4, Mss);
        var ackOnly = PacketBuilder.Tcp(4, 1 + (2u * Mss), [], options: PacketBuilder.Timestamps(77, 88));
        List<byte[]> packets = [burst[0], burst[1], ackOnly, burst[2], burst[3]];
        var (buffers, sizes) = Load(packets);

        var outputs = new GroCoalescer(udp: false, 128).Coalesce(buffers, sizes, Offset).ToArray();

        Assert.Equal(3, outputs.Length);
        Assert.Equal(burst[..2], KernelView(buffers, outputs[0]));
        Assert.Equal([ackOnly], KernelView(buffers, outputs[1]));
        Assert.Equal(burst[2..], KernelView(buffers, outputs[2]));
    }

    [Fact]
    public void Coalesce_ShortSegment_EndsTheSuperpacket()
    {
        var first = PacketBuilder.Tcp(4, 1, PacketBuilder.Payload(Mss, 1));
        var shortOne = PacketBuilder.Tcp(4, 1 + Mss, PacketBuilder.Payload(500, 2), ipId: 101);
        var after = PacketBuilder.Tcp(4, 1 + Mss + 500, PacketBuilder.Payload(Mss, 3), ipId: 102);
        var (buffers, sizes) = Load([first, shortOne, after]);

        var outputs = new GroCoalescer(udp: false, 128).Coalesce(buffers, sizes, Offset).ToArray();

        Assert.Equal(2, outputs.Length);
        Assert.Equal([first, shortOne], KernelView(buffers, outputs[0]));
        Assert.Equal(VirtioNetHeader.None, outputs[1].Header);
    }

    [Fact]
    public void Coalesce_MoreThan64KiB_StartsASecondSuperpacket()
    {
        var packets = Burst(4, 60, Mss);
        var (buffers, sizes) = Load(packets);

        var outputs = new GroCoalescer(udp: false, 128).Coalesce(buffers, sizes, Offset).ToArray();

        Assert.Equal(2, outputs.Length);
        Assert.All(outputs, o => Assert.InRange(o.Length, 0, Constants.MaxSegmentSize));
        var roundTrip = KernelView(buffers, outputs[0]);
        roundTrip.AddRange(KernelView(buffers, outputs[1]));
        Assert.Equal(packets, roundTrip);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void Coalesce_UdpWithUso_RoundTrips(int version)
    {
        var packets = new List<byte[]>();
        for (var i = 0; i < 6; i++)
        {
            packets.Add(PacketBuilder.Udp(version, PacketBuilder.Payload(i == 5 ? 300 : 1000, i), ipId: (ushort)(9 + i)));
        }
        var (buffers, sizes) = Load(packets);

        var outputs = new GroCoalescer(udp: true, 128).Coalesce(buffers, sizes, Offset).ToArray();

        var output = Assert.Single(outputs);
        Assert.Equal(VirtioNetHeader.GsoUdpL4, output.Header.GsoType);
        Assert.Equal(packets, KernelView(buffers, output));
    }

    private static byte[] WithIpv4Options(byte[] packet)
    {
        // Insert one 4-byte option word (NOP, NOP, NOP, end of list) after the fixed header.
        var longer = new byte[packet.Length + 4];
        packet.AsSpan(0, 20).CopyTo(longer);
        longer[20] = 1;
        longer[21] = 1;
        longer[22] = 1;
        longer[23] = 0;
        packet.AsSpan(20).CopyTo(longer.AsSpan(24));
        longer[0] = 0x46;
        BinaryPrimitives.WriteUInt16BigEndian(longer.AsSpan(2), (ushort)longer.Length);
        ReferenceChecksum.Fill(longer);
        return longer;
    }
}
