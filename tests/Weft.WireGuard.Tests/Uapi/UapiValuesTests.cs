using System.Net;
using Weft.WireGuard.Conn;
using Weft.WireGuard.Uapi;

namespace Weft.WireGuard.Tests.Uapi;

public class UapiValuesTests
{
    [Theory]
    [InlineData("0", 0UL)]
    [InlineData("65535", 65535UL)]
    [InlineData("0080", 80UL)]
    public void TryParseUnsigned_Digits_Parse(string text, ulong expected)
    {
        Assert.True(UapiValues.TryParseUnsigned(text, ushort.MaxValue, out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("65536")]
    [InlineData("99999999999999999999999")]
    [InlineData("1 ")]
    [InlineData("+1")]
    [InlineData("1_000")]
    public void TryParseUnsigned_Other_Fails(string text) => Assert.False(UapiValues.TryParseUnsigned(text, ushort.MaxValue, out _));

    [Fact]
    public void TryParseUnsigned_LargestValues_Parse()
    {
        Assert.True(UapiValues.TryParseUnsigned("18446744073709551615", ulong.MaxValue, out var max));
        Assert.Equal(ulong.MaxValue, max);
        Assert.False(UapiValues.TryParseUnsigned("18446744073709551616", ulong.MaxValue, out _));
        Assert.True(UapiValues.TryParseUnsigned("0", 0, out _));
        Assert.False(UapiValues.TryParseUnsigned("1", 0, out _));
    }

    [Theory]
    [InlineData("192.0.2.1:51820", "192.0.2.1:51820")]
    [InlineData("0.0.0.0:0", "0.0.0.0:0")]
    [InlineData("[2001:db8::1]:1", "[2001:db8::1]:1")]
    [InlineData("[::ffff:192.0.2.1]:7", "192.0.2.1:7")]
    public void TryParseEndpoint_StandardForms_Parse(string text, string expected)
    {
        Assert.True(UapiValues.TryParseEndpoint(text, out var endpoint));
        Assert.Equal(UdpEndpoint.From(IPEndPoint.Parse(expected)), endpoint);
    }

    [Theory]
    [InlineData("192.0.2.1")]
    [InlineData("192.0.2:80")]
    [InlineData("192.0.2.1.5:80")]
    [InlineData("256.0.0.1:80")]
    [InlineData("1:80")]
    [InlineData("[::1]")]
    [InlineData("[::1]:")]
    [InlineData("::1:80")]
    [InlineData("[1.2.3.4]:80")]
    [InlineData("[::1%lo]:80")]
    [InlineData("[[::1]]:80")]
    [InlineData(":80")]
    public void TryParseEndpoint_Other_Fails(string text) => Assert.False(UapiValues.TryParseEndpoint(text, out _));

    [Theory]
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]
    [InlineData("::/0", "::/0")]
    [InlineData("192.0.2.1/32", "192.0.2.1/32")]
    [InlineData("192.0.2.255/25", "192.0.2.128/25")]
    [InlineData("2001:db8::1/128", "2001:db8::1/128")]
    [InlineData("::ffff:192.0.2.1/128", "::ffff:192.0.2.1/128")]
    public void TryParsePrefix_StandardForms_Parse(string text, string expected)
    {
        Assert.True(UapiValues.TryParsePrefix(text, out var prefix));
        Assert.Equal(IPNetwork.Parse(expected), prefix);
    }

    [Theory]
    [InlineData("10.0.0.0")]
    [InlineData("10.0.0.0/")]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.0/01")]
    [InlineData("10.0.0/8")]
    [InlineData("[::1]/128")]
    [InlineData("::1/129")]
    [InlineData("/8")]
    [InlineData("10.0.0.0/8/8")]
    public void TryParsePrefix_Other_Fails(string text) => Assert.False(UapiValues.TryParsePrefix(text, out _));
}
