using Weft.WireGuard.Tun.Offload;

namespace Weft.WireGuard.Tests.Tun;

public class ChecksumTests
{
    [Fact]
    public void Sum_Rfc1071Example_MatchesPublishedValue()
    {
        // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
        byte[] data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        Assert.Equal(0xddf2, Checksum.Sum(data));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(1447)]
    [InlineData(65535)]
    public void Sum_RandomData_MatchesReferenceRoutine(int length)
    {
        var data = PacketBuilder.Payload(length, length);
        Assert.Equal(ReferenceChecksum.OnesSum(data), Checksum.Sum(data));
    }

    [Fact]
    public void Sum_AllOnes_DoesNotOverflow()
    {
        var data = new byte[65535];
        data.AsSpan().Fill(0xFF);
        Assert.Equal(ReferenceChecksum.OnesSum(data), Checksum.Sum(data));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void PseudoHeader_PlusSegment_VerifiesReferencePacket(int version)
    {
        var packet = PacketBuilder.Tcp(version, 7, PacketBuilder.Payload(333, 1));
        var ip = version == 4 ? 20 : 40;
        var source = version == 4 ? packet.AsSpan(12, 4) : packet.AsSpan(8, 16);
        var destination = version == 4 ? packet.AsSpan(16, 4) : packet.AsSpan(24, 16);
        var sum = Checksum.PseudoHeader(source, destination, 6, packet.Length - ip);
        Assert.Equal(0xFFFF, Checksum.Sum(packet.AsSpan(ip), sum));
    }
}
