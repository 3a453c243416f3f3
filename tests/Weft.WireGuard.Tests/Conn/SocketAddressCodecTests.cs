using System.Net;
using Weft.WireGuard.Conn;
using Weft.WireGuard.Interop;

namespace Weft.WireGuard.Tests.Conn;

public sealed class SocketAddressCodecTests
{
    [Theory]
    [InlineData("192.0.2.1:51820")]
    [InlineData("[2001:db8::5]:443")]
    public void Write_DualStack_RoundTripsThroughSockaddrIn6(string text)
    {
        var endpoint = UdpEndpoint.From(IPEndPoint.Parse(text));
        Span<byte> sockaddr = stackalloc byte[LibcNet.SockaddrIn6Size];

        var length = SocketAddressCodec.Write(sockaddr, LibcNet.AF_INET6, endpoint);

        Assert.Equal(LibcNet.SockaddrIn6Size, length);
        Assert.True(SocketAddressCodec.TryRead(sockaddr[..length], out var read));
        Assert.Equal(endpoint, read);
        Assert.Equal(IPEndPoint.Parse(text), read.ToIPEndPoint());
    }

    [Fact]
    public void Write_IPv4Socket_WritesSockaddrInWithPortInNetworkOrder()
    {
        var endpoint = UdpEndpoint.From(IPEndPoint.Parse("10.1.2.3:258"));
        Span<byte> sockaddr = stackalloc byte[LibcNet.SockaddrIn6Size];

        var length = SocketAddressCodec.Write(sockaddr, LibcNet.AF_INET, endpoint);

        Assert.Equal(LibcNet.SockaddrInSize, length);
        Assert.Equal(new byte[] { 2, 0, 1, 2, 10, 1, 2, 3 }, sockaddr[..8].ToArray());
        Assert.True(SocketAddressCodec.TryRead(sockaddr[..length], out var read));
        Assert.True(read.IsIPv4);
        Assert.Equal(endpoint, read);
    }

    [Fact]
    public void Write_IPv6EndpointOnIPv4Socket_ReturnsZero()
    {
        Span<byte> sockaddr = stackalloc byte[LibcNet.SockaddrIn6Size];

        Assert.Equal(0, SocketAddressCodec.Write(sockaddr, LibcNet.AF_INET, UdpEndpoint.From(IPEndPoint.Parse("[::1]:1"))));
    }

    [Theory]
    [InlineData(new byte[] { 1, 0, 0, 0 })]
    [InlineData(new byte[] { 10, 0, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 2 })]
    public void TryRead_UnknownFamilyOrShort_IsRejected(byte[] sockaddr)
    {
        Assert.False(SocketAddressCodec.TryRead(sockaddr, out _));
    }
}
