using System.Buffers.Binary;
using Weft.WireGuard.Tun.Offload;

namespace Weft.WireGuard.Tests.Tun;

public class GsoSegmenterTests
{
    private const int Offset = Constants.MessageOffset;

    public static TheoryData<int, bool> VersionsAndPlacement => new()
    {
        { 4, false },
        { 4, true },
        { 6, false },
        { 6, true },
    };

    [Theory]
    [MemberData(nameof(VersionsAndPlacement))]
    public void Split_TsoSuperpacket64K_EverySegmentIsValid(int version, bool inPlace)
    {
        var ip = version == 4 ? 20 : 40;
        const int tcpLength = 32;
        const int gsoSize = 1448;
        var payload = PacketBuilder.Payload(65535 - ip - tcpLength, 42);
        const uint seq = 0xFFFF_0000; // wraps inside the superpacket
        var super = PacketBuilder.Tcp(version, seq, payload, PacketBuilder.Ack | PacketBuilder.Psh | PacketBuilder.Fin,
            options: PacketBuilder.Timestamps(5, 6), ipId: 0xFFF0);
        var header = new VirtioNetHeader(VirtioNetHeader.FlagNeedsCsum,
            version == 4 ? VirtioNetHeader.GsoTcpV4 : VirtioNetHeader.GsoTcpV6, (ushort)(ip + tcpLength), gsoSize, (ushort)ip, 16);
        var buffers = PacketBuilder.Buffers(128);
        var sizes = new int[128];
        Span<byte> source = super;
        if (inPlace)
        {
            super.CopyTo(buffers[0], Offset);
            source = buffers[0].AsSpan(Offset, super.Length);
        }

        var count = GsoSegmenter.Split(source, header, buffers, sizes, Offset);

        var expected = (payload.Length + gsoSize - 1) / gsoSize;
        Assert.Equal(expected, count);
        for (var i = 0; i < count; i++)
        {
            var segment = buffers[i].AsSpan(Offset, sizes[i]);
            var segmentPayload = Math.Min(gsoSize, payload.Length - (i * gsoSize));
            Assert.Equal(ip + tcpLength + segmentPayload, segment.Length);
            if (version == 4)
            {
                Assert.Equal(segment.Length, BinaryPrimitives.ReadUInt16BigEndian(segment[2..]));
                Assert.Equal((ushort)(0xFFF0 + i), BinaryPrimitives.ReadUInt16BigEndian(segment[4..]));
                Assert.True(ReferenceChecksum.Ipv4HeaderValid(segment), $"IPv4 header checksum of segment {i}");
            }
            else
            {
                Assert.Equal(segment.Length - 40, BinaryPrimitives.ReadUInt16BigEndian(segment[4..]));
            }
            Assert.Equal(unchecked(seq + (uint)(i * gsoSize)), BinaryPrimitives.ReadUInt32BigEndian(segment[(ip + 4)..]));
            var last = i == count - 1;
            Assert.Equal(last ? (byte)(PacketBuilder.Ack | PacketBuilder.Psh | PacketBuilder.Fin) : PacketBuilder.Ack, segment[ip + 13]);
            Assert.True(ReferenceChecksum.TransportValid(segment), $"TCP checksum of segment {i}");
            Assert.True(segment[(ip + 20)..(ip + tcpLength)].SequenceEqual(PacketBuilder.Timestamps(5, 6)));
            Assert.True(segment[(ip + tcpLength)..].SequenceEqual(payload.AsSpan(i * gsoSize, segmentPayload)), $"payload of segment {i}");
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void Split_UsoSuperpacket_DatagramsHaveLengthsAndChecksums(int version)
    {
        var ip = version == 4 ? 20 : 40;
        const int gsoSize = 1200;
        var payload = PacketBuilder.Payload((gsoSize * 10) + 77, 3);
        var super = PacketBuilder.Udp(version, payload);
        var header = new VirtioNetHeader(VirtioNetHeader.FlagNeedsCsum, VirtioNetHeader.GsoUdpL4, (ushort)(ip + 8), gsoSize, (ushort)ip, 6);
        var buffers = PacketBuilder.Buffers(16);
        var sizes = new int[16];

        var count = GsoSegmenter.Split(super, header, buffers, sizes, Offset);

        Assert.Equal(11, count);
        for (var i = 0; i < count; i++)
        {
            var segment = buffers[i].AsSpan(Offset, sizes[i]);
            var segmentPayload = Math.Min(gsoSize, payload.Length - (i * gsoSize));
            Assert.Equal(8 + segmentPayload, BinaryPrimitives.ReadUInt16BigEndian(segment[(ip + 4)..]));
            Assert.True(ReferenceChecksum.TransportValid(segment), $"UDP checksum of datagram {i}");
            Assert.True(segment[(ip + 8)..].SequenceEqual(payload.AsSpan(i * gsoSize, segmentPayload)));
        }
    }

    [Theory]
    [InlineData(4, 6)]
    [InlineData(6, 6)]
    [InlineData(4, 17)]
    public void Split_PartialChecksum_IsCompleted(int version, int protocol)
    {
        var packet = protocol == 6 ? PacketBuilder.Tcp(version, 1, PacketBuilder.Payload(999, 9)) : PacketBuilder.Udp(version, PacketBuilder.Payload(999, 9));
        var complete = (byte[])packet.Clone();
        var ip = version == 4 ? 20 : 40;
        var field = ip + (protocol == 6 ? 16 : 6);
        // What the kernel hands over with NEEDS_CSUM: the folded pseudo-header sum in the field.
        packet[field] = 0;
        packet[field + 1] = 0;
        var pseudo = ReferenceChecksum.OnesSum(ReferenceChecksum.WithPseudoHeader(packet)[..^(packet.Length - ip)]);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(field), pseudo);
        var header = new VirtioNetHeader(VirtioNetHeader.FlagNeedsCsum, VirtioNetHeader.GsoNone, 0, 0, (ushort)ip, (ushort)(field - ip));
        var buffers = PacketBuilder.Buffers(1);
        var sizes = new int[1];

        var count = GsoSegmenter.Split(packet, header, buffers, sizes, Offset);

        Assert.Equal(1, count);
        Assert.Equal(complete, buffers[0].AsSpan(Offset, sizes[0]).ToArray());
    }

    public static TheoryData<string> MalformedCases => new()
    {
        "ipv6 under tcpv4",
        "wrong csum_start",
        "wrong csum_offset",
        "zero gso_size",
        "truncated headers",
        "unsupported ufo",
        "too many segments",
        "partial checksum beyond end",
        "not ip",
    };

    [Theory]
    [MemberData(nameof(MalformedCases))]
    public void Split_Malformed_ReturnsMinusOne(string scenario)
    {
        var v4 = PacketBuilder.Tcp(4, 1, PacketBuilder.Payload(3000, 1));
        var v6 = PacketBuilder.Tcp(6, 1, PacketBuilder.Payload(3000, 1));
        var good = new VirtioNetHeader(VirtioNetHeader.FlagNeedsCsum, VirtioNetHeader.GsoTcpV4, 40, 1000, 20, 16);
        var (packet, header) = scenario switch
        {
            "ipv6 under tcpv4" => (v6, good),
            "wrong csum_start" => (v4, good with { CsumStart = 14 }),
            "wrong csum_offset" => (v4, good with { CsumOffset = 6 }),
            "zero gso_size" => (v4, good with { GsoSize = 0 }),
            "truncated headers" => (v4[..30], good),
            "unsupported ufo" => (v4, good with { GsoType = VirtioNetHeader.GsoUdp }),
            "too many segments" => (v4, good with { GsoSize = 1 }),
            "partial checksum beyond end" => (v4, good with { GsoType = VirtioNetHeader.GsoNone, CsumStart = 3030, CsumOffset = 16 }),
            _ => ((byte[])[0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21], good),
        };
        var buffers = PacketBuilder.Buffers(128);

        Assert.Equal(-1, GsoSegmenter.Split(packet, header, buffers, new int[128], Offset));
    }

    [Fact]
    public void Split_RandomHeadersAndBytes_NeverThrows()
    {
        var random = new Random(1234);
        var buffers = PacketBuilder.Buffers(8);
        var sizes = new int[8];
        var headerBytes = new byte[VirtioNetHeader.Size];
        for (var round = 0; round < 20000; round++)
        {
            var packet = round % 2 == 0
                ? PacketBuilder.Payload(random.Next(0, 2000), round)
                : PacketBuilder.Tcp(random.Next(2) == 0 ? 4 : 6, 1, PacketBuilder.Payload(random.Next(0, 4000), round));
            if (round % 2 == 1)
            {
                // Corrupt a few header bytes of a well-formed packet.
                for (var k = 0; k < 3; k++)
                {
                    packet[random.Next(Math.Min(packet.Length, 60))] = (byte)random.Next(256);
                }
            }
            random.NextBytes(headerBytes);
            var header = VirtioNetHeader.Decode(headerBytes);
            if (random.Next(2) == 0)
            {
                header = header with { GsoType = (byte)random.Next(6) };
            }

            var count = GsoSegmenter.Split(packet, header, buffers, sizes, Offset);

            Assert.InRange(count, -1, buffers.Length);
        }
    }
}
