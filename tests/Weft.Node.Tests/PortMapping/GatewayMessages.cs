using System.Buffers.Binary;
using System.Net;

namespace Weft.Node.Tests.PortMapping;

/// <summary>Answers as a NAT-PMP/PCP gateway writes them, built byte by byte from RFC 6886 and RFC 6887 for the tests.</summary>
internal static class GatewayMessages
{
    public static byte[] NatPmpExternalAddress(IPAddress external, uint epoch, ushort result = 0)
    {
        var answer = new byte[12];
        answer[1] = 128;
        BinaryPrimitives.WriteUInt16BigEndian(answer.AsSpan(2), result);
        BinaryPrimitives.WriteUInt32BigEndian(answer.AsSpan(4), epoch);
        external.TryWriteBytes(answer.AsSpan(8), out _);
        return answer;
    }

    public static byte[] NatPmpMap(ushort internalPort, ushort externalPort, uint lifetime, uint epoch, ushort result = 0)
    {
        var answer = new byte[16];
        answer[1] = 129;
        BinaryPrimitives.WriteUInt16BigEndian(answer.AsSpan(2), result);
        BinaryPrimitives.WriteUInt32BigEndian(answer.AsSpan(4), epoch);
        BinaryPrimitives.WriteUInt16BigEndian(answer.AsSpan(8), internalPort);
        BinaryPrimitives.WriteUInt16BigEndian(answer.AsSpan(10), externalPort);
        BinaryPrimitives.WriteUInt32BigEndian(answer.AsSpan(12), lifetime);
        return answer;
    }

    /// <summary>A PCP MAP answer echoing <paramref name="request"/>'s nonce and internal port unless told otherwise.</summary>
    public static byte[] PcpMap(ReadOnlySpan<byte> request, IPAddress external, ushort externalPort, uint lifetime, uint epoch, byte result = 0, byte[]? nonce = null)
    {
        var answer = new byte[60];
        answer[0] = 2;
        answer[1] = 0x81;
        answer[3] = result;
        BinaryPrimitives.WriteUInt32BigEndian(answer.AsSpan(4), lifetime);
        BinaryPrimitives.WriteUInt32BigEndian(answer.AsSpan(8), epoch);
        request.Slice(24, 36).CopyTo(answer.AsSpan(24));
        nonce?.CopyTo(answer.AsSpan(24));
        BinaryPrimitives.WriteUInt16BigEndian(answer.AsSpan(24 + 18), externalPort);
        external.MapToIPv6().TryWriteBytes(answer.AsSpan(24 + 20), out _);
        return answer;
    }
}
