using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Weft.Node.PortMapping;
using static Weft.Node.Tests.PortMapping.GatewayMessages;

namespace Weft.Node.Tests.PortMapping;

/// <summary>NAT-PMP and PCP wire format: requests as the RFCs lay them out, answers decoded, garbage rejected without throwing.</summary>
public sealed class PortMappingCodecTests
{
    [Fact]
    public void NatPmpMapRequest_Layout()
    {
        var request = new byte[12];

        var length = PortMappingCodec.WriteNatPmpMapRequest(request, 41641, 50000, 7200);

        Assert.Equal(12, length);
        Assert.Equal(Convert.FromHexString("00010000A2A9C35000001C20"), request);
    }

    [Fact]
    public void NatPmpAnswers_Decode()
    {
        Assert.True(PortMappingCodec.TryParseResponse(NatPmpExternalAddress(IPAddress.Parse("203.0.113.9"), 77), out var address));
        Assert.True(PortMappingCodec.TryParseResponse(NatPmpMap(41641, 50000, 3600, 78), out var map));

        Assert.Equal((PortMappingProtocol.NatPmp, (byte)0, 77u, IPAddress.Parse("203.0.113.9")), (address!.Protocol, address.Opcode, address.Epoch, address.ExternalAddress));
        Assert.Equal(((byte)1, (ushort)41641, (ushort)50000, 3600u, 78u), (map!.Opcode, map.InternalPort, map.ExternalPort, map.LifetimeSeconds, map.Epoch));
        Assert.True(map.Succeeded);
    }

    [Fact]
    public void PcpMap_RoundTrip()
    {
        var nonce = Convert.FromHexString("0102030405060708090A0B0C");
        var request = new byte[60];
        PortMappingCodec.WritePcpMapRequest(request, nonce, IPAddress.Parse("10.0.0.5"), 41641, 0, null, 7200);

        Assert.True(PortMappingCodec.TryParseResponse(PcpMap(request, IPAddress.Parse("203.0.113.9"), 50000, 7000, 5), out var answer));

        Assert.Equal(PortMappingProtocol.Pcp, answer!.Protocol);
        Assert.Equal(nonce, answer.Nonce.ToArray());
        Assert.Equal(IPAddress.Parse("203.0.113.9"), answer.ExternalAddress);
        Assert.Equal(((ushort)41641, (ushort)50000, 7000u, 5u), (answer.InternalPort, answer.ExternalPort, answer.LifetimeSeconds, answer.Epoch));
        // A request is not an answer.
        Assert.False(PortMappingCodec.TryParseResponse(request, out _));
    }

    [Fact]
    public void RandomAndTruncatedDatagrams_NeverThrow()
    {
        var request = new byte[60];
        PortMappingCodec.WritePcpMapRequest(request, new byte[12], IPAddress.Loopback, 1, 0, null, 1);
        byte[][] valid = [NatPmpExternalAddress(IPAddress.Loopback, 1), NatPmpMap(1, 2, 3, 4), PcpMap(request, IPAddress.Loopback, 2, 3, 4)];
        var mutated =
            from seed in Gen.Elements(valid)
            from cut in Gen.Choose(0, 60)
            from position in Gen.Choose(0, 59)
            from value in Gen.Choose(0, 255)
            select Mutate(seed, cut, position, (byte)value);
        var datagrams = Gen.OneOf(ArbMap.Default.GeneratorFor<byte[]>(), mutated);

        Prop.ForAll(datagrams.ToArbitrary(), datagram =>
        {
            if (PortMappingCodec.TryParseResponse(datagram, out var response))
            {
                Assert.NotNull(response);
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(2000));
    }

    private static byte[] Mutate(byte[] seed, int cut, int position, byte value)
    {
        var copy = seed.AsSpan(0, Math.Min(cut, seed.Length)).ToArray();
        if (position < copy.Length)
        {
            copy[position] = value;
        }
        return copy;
    }
}
