using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Weft.Node.PortMapping;

/// <summary>
/// Encodes requests and decodes answers of NAT-PMP (RFC 6886) and PCP (RFC 6887, MAP only). Decoding
/// never throws: anything short, of another version or opcode, or not an answer yields false.
/// </summary>
public static class PortMappingCodec
{
    /// <summary>The UDP port NAT-PMP and PCP servers listen on.</summary>
    public const int ServerPort = 5351;

    /// <summary>NAT-PMP's version byte.</summary>
    public const byte NatPmpVersion = 0;

    /// <summary>PCP's version byte.</summary>
    public const byte PcpVersion = 2;

    /// <summary>NAT-PMP opcode: ask for the external address.</summary>
    public const byte NatPmpOpExternalAddress = 0;

    /// <summary>NAT-PMP opcode: map a UDP port.</summary>
    public const byte NatPmpOpMapUdp = 1;

    /// <summary>PCP opcode MAP.</summary>
    public const byte PcpOpMap = 1;

    /// <summary>PCP's length of a MAP nonce.</summary>
    public const int PcpNonceLength = 12;

    /// <summary>IANA protocol number of UDP, as PCP carries it.</summary>
    public const byte UdpProtocolNumber = 17;

    /// <summary>Length of a NAT-PMP external address request.</summary>
    public const int NatPmpExternalAddressRequestLength = 2;

    /// <summary>Length of a NAT-PMP mapping request.</summary>
    public const int NatPmpMapRequestLength = 12;

    /// <summary>Length of a PCP MAP request (24 header + 36 opcode bytes).</summary>
    public const int PcpMapRequestLength = 60;

    private const int NatPmpExternalAddressResponseLength = 12;
    private const int NatPmpMapResponseLength = 16;
    private const int PcpHeaderLength = 24;
    private const byte ResponseBit = 0x80;

    /// <summary>Writes a NAT-PMP external address request; returns its length.</summary>
    public static int WriteNatPmpExternalAddressRequest(Span<byte> destination)
    {
        destination[0] = NatPmpVersion;
        destination[1] = NatPmpOpExternalAddress;
        return NatPmpExternalAddressRequestLength;
    }

    /// <summary>Writes a NAT-PMP UDP mapping request (lifetime 0 with external port 0 deletes); returns its length.</summary>
    public static int WriteNatPmpMapRequest(Span<byte> destination, ushort internalPort, ushort suggestedExternalPort, uint lifetimeSeconds)
    {
        destination = destination[..NatPmpMapRequestLength];
        destination.Clear();
        destination[0] = NatPmpVersion;
        destination[1] = NatPmpOpMapUdp;
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], internalPort);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], suggestedExternalPort);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], lifetimeSeconds);
        return NatPmpMapRequestLength;
    }

    /// <summary>
    /// Writes a PCP MAP request for UDP from <paramref name="clientAddress"/> (our address as the gateway sees it);
    /// lifetime 0 deletes. Returns its length.
    /// </summary>
    public static int WritePcpMapRequest(
        Span<byte> destination, ReadOnlySpan<byte> nonce, IPAddress clientAddress, ushort internalPort,
        ushort suggestedExternalPort, IPAddress? suggestedExternalAddress, uint lifetimeSeconds)
    {
        ArgumentNullException.ThrowIfNull(clientAddress);
        if (nonce.Length != PcpNonceLength)
        {
            throw new ArgumentException($"a PCP nonce is {PcpNonceLength} bytes", nameof(nonce));
        }
        destination = destination[..PcpMapRequestLength];
        destination.Clear();
        destination[0] = PcpVersion;
        destination[1] = PcpOpMap;
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], lifetimeSeconds);
        WriteAddress(destination.Slice(8, 16), clientAddress);
        var map = destination[PcpHeaderLength..];
        nonce.CopyTo(map);
        map[12] = UdpProtocolNumber;
        BinaryPrimitives.WriteUInt16BigEndian(map[16..], internalPort);
        BinaryPrimitives.WriteUInt16BigEndian(map[18..], suggestedExternalPort);
        // All zeros (the IPv4-mapped or plain unspecified address) means "no preference".
        WriteAddress(map.Slice(20, 16), suggestedExternalAddress ?? IPAddress.Any);
        return PcpMapRequestLength;
    }

    /// <summary>Decodes a NAT-PMP or PCP answer; false for anything else (requests, other opcodes, short or malformed datagrams).</summary>
    public static bool TryParseResponse(ReadOnlySpan<byte> datagram, out PortMappingResponse? response)
    {
        response = null;
        if (datagram.Length < 2 || (datagram[1] & ResponseBit) == 0)
        {
            return false;
        }
        var opcode = (byte)(datagram[1] & ~ResponseBit);
        return datagram[0] switch
        {
            NatPmpVersion => TryParseNatPmp(datagram, opcode, out response),
            PcpVersion => TryParsePcp(datagram, opcode, out response),
            _ => false,
        };
    }

    private static bool TryParseNatPmp(ReadOnlySpan<byte> datagram, byte opcode, out PortMappingResponse? response)
    {
        response = null;
        if (datagram.Length < 8)
        {
            return false;
        }
        var result = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        var epoch = BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]);
        if (opcode == NatPmpOpExternalAddress)
        {
            // An error answer may stop after the epoch (RFC 6886 §3.5: the client must not rely on the rest).
            IPAddress? external = null;
            if (result == 0)
            {
                if (datagram.Length < NatPmpExternalAddressResponseLength)
                {
                    return false;
                }
                external = new IPAddress(datagram.Slice(8, 4));
            }
            response = new PortMappingResponse(PortMappingProtocol.NatPmp, opcode, result, epoch, external, 0, 0, 0, default);
            return true;
        }
        if (opcode is NatPmpOpMapUdp or 2)
        {
            if (datagram.Length < NatPmpMapResponseLength)
            {
                if (result == 0)
                {
                    return false;
                }
                response = new PortMappingResponse(PortMappingProtocol.NatPmp, opcode, result, epoch, null, 0, 0, 0, default);
                return true;
            }
            response = new PortMappingResponse(
                PortMappingProtocol.NatPmp, opcode, result, epoch, null,
                BinaryPrimitives.ReadUInt16BigEndian(datagram[8..]),
                BinaryPrimitives.ReadUInt16BigEndian(datagram[10..]),
                BinaryPrimitives.ReadUInt32BigEndian(datagram[12..]),
                default);
            return true;
        }
        return false;
    }

    private static bool TryParsePcp(ReadOnlySpan<byte> datagram, byte opcode, out PortMappingResponse? response)
    {
        response = null;
        // Every PCP message is a multiple of 4 bytes, at most 1100 (RFC 6887 §7).
        if (datagram.Length < PcpHeaderLength || datagram.Length % 4 != 0 || datagram.Length > 1100)
        {
            return false;
        }
        var result = datagram[3];
        var lifetime = BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]);
        var epoch = BinaryPrimitives.ReadUInt32BigEndian(datagram[8..]);
        if (opcode != PcpOpMap)
        {
            return false;
        }
        if (datagram.Length < PcpMapRequestLength)
        {
            // Some errors (e.g. UNSUPP_VERSION) come back with the header only.
            if (result == 0)
            {
                return false;
            }
            response = new PortMappingResponse(PortMappingProtocol.Pcp, opcode, result, epoch, null, 0, 0, lifetime, default);
            return true;
        }
        var map = datagram.Slice(PcpHeaderLength, 36);
        if (map[12] != UdpProtocolNumber)
        {
            return false;
        }
        response = new PortMappingResponse(
            PortMappingProtocol.Pcp, opcode, result, epoch,
            ReadAddress(map.Slice(20, 16)),
            BinaryPrimitives.ReadUInt16BigEndian(map[16..]),
            BinaryPrimitives.ReadUInt16BigEndian(map[18..]),
            lifetime,
            map[..PcpNonceLength].ToArray());
        return true;
    }

    private static void WriteAddress(Span<byte> destination, IPAddress address)
    {
        var v6 = address.AddressFamily == AddressFamily.InterNetwork ? address.MapToIPv6() : address;
        if (!v6.TryWriteBytes(destination, out _))
        {
            throw new ArgumentException($"{address} is not an IP address PCP can carry", nameof(address));
        }
    }

    private static IPAddress ReadAddress(ReadOnlySpan<byte> source)
    {
        var address = new IPAddress(source);
        return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }
}
