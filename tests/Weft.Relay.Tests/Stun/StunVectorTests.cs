using System.Net;
using System.Text;
using Weft.Relay.Stun;

namespace Weft.Relay.Tests.Stun;

/// <summary>The sample messages of RFC 5769 (test vectors for STUN), parsed and checked by our codec.</summary>
public sealed class StunVectorTests
{
    // RFC 5769 §2: short-term credentials password of every sample but 2.4.
    private static readonly byte[] Password = Encoding.UTF8.GetBytes("VOkJxbRl1RmTxUk/WvJxBt");

    private static readonly byte[] SampleTransaction = Convert.FromHexString("b7e7a701bc34d686fa87dfae");

    // RFC 5769 §2.1: Binding request with SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME, MESSAGE-INTEGRITY, FINGERPRINT.
    internal static readonly byte[] SampleRequest = Convert.FromHexString(
        "000100582112a442b7e7a701bc34d686fa87dfae" +
        "802200105354554e207465737420636c69656e74" +
        "002400046e0001ff" +
        "80290008932ff9b151263b36" +
        "000600096576746a3a68367659202020" +
        "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2" +
        "80280004e57a3bcf");

    // RFC 5769 §2.2: Binding success response for 192.0.2.1:32853.
    private static readonly byte[] SampleIPv4Response = Convert.FromHexString(
        "0101003c2112a442b7e7a701bc34d686fa87dfae" +
        "8022000b7465737420766563746f7220" +
        "002000080001a147e112a643" +
        "000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7" +
        "80280004c07d4c96");

    // RFC 5769 §2.3: Binding success response for [2001:db8:1234:5678:11:2233:4455:6677]:32853.
    private static readonly byte[] SampleIPv6Response = Convert.FromHexString(
        "010100482112a442b7e7a701bc34d686fa87dfae" +
        "8022000b7465737420766563746f7220" +
        "002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9" +
        "00080014a382954e4be67bf11784c97c8292c275bfe3ed41" +
        "80280004c8fb0b4c");

    [Fact]
    public void SampleRequest_IsABindingRequest_WithValidFingerprintAndIntegrity()
    {
        Assert.True(StunMessage.TryParseHeader(SampleRequest, out var type, out var transaction));
        Assert.Equal(StunConstants.BindingRequest, type);
        Assert.Equal(TransactionId.From(SampleTransaction), transaction);
        Assert.Equal(FingerprintCheck.Valid, StunMessage.CheckFingerprint(SampleRequest));
        Assert.True(StunMessage.CheckMessageIntegrity(SampleRequest, Password));
        Assert.False(StunMessage.CheckMessageIntegrity(SampleRequest, "wrong password"u8));
        Assert.True(StunMessage.TryFindAttribute(SampleRequest, StunConstants.AttrUsername, out var username));
        Assert.Equal("evtj:h6vY", Encoding.UTF8.GetString(username));
    }

    [Fact]
    public void SampleIPv4Response_Gives192_0_2_1_Port32853()
    {
        Assert.True(StunMessage.TryParseHeader(SampleIPv4Response, out var type, out _));
        Assert.Equal(StunConstants.BindingSuccess, type);
        Assert.Equal(FingerprintCheck.Valid, StunMessage.CheckFingerprint(SampleIPv4Response));
        Assert.True(StunMessage.CheckMessageIntegrity(SampleIPv4Response, Password));
        Assert.True(StunMessage.TryReadMappedAddress(SampleIPv4Response, out var mapped));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 32853), mapped);
    }

    [Fact]
    public void SampleIPv6Response_Gives2001db8_Port32853()
    {
        Assert.True(StunMessage.TryParseHeader(SampleIPv6Response, out _, out _));
        Assert.Equal(FingerprintCheck.Valid, StunMessage.CheckFingerprint(SampleIPv6Response));
        Assert.True(StunMessage.CheckMessageIntegrity(SampleIPv6Response, Password));
        Assert.True(StunMessage.TryReadMappedAddress(SampleIPv6Response, out var mapped));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("2001:db8:1234:5678:11:2233:4455:6677"), 32853), mapped);
    }

    [Fact]
    public void OurBindingSuccess_EncodesTheSampleAddressesAsRfc5769Does()
    {
        var transaction = TransactionId.From(SampleTransaction);
        var buffer = new byte[StunConstants.MaxMessageLength];

        var n = StunMessage.WriteBindingSuccess(buffer, transaction, IPAddress.Parse("192.0.2.1"), 32853);
        Assert.True(StunMessage.TryFindAttribute(buffer.AsSpan(0, n), StunConstants.AttrXorMappedAddress, out var v4));
        Assert.Equal(Convert.FromHexString("0001a147e112a643"), v4.ToArray());
        Assert.Equal(FingerprintCheck.Valid, StunMessage.CheckFingerprint(buffer.AsSpan(0, n)));

        n = StunMessage.WriteBindingSuccess(buffer, transaction, IPAddress.Parse("2001:db8:1234:5678:11:2233:4455:6677"), 32853);
        Assert.True(StunMessage.TryFindAttribute(buffer.AsSpan(0, n), StunConstants.AttrXorMappedAddress, out var v6));
        Assert.Equal(Convert.FromHexString("0002a1470113a9faa5d3f179bc25f4b5bed2b9d9"), v6.ToArray());
    }

    [Fact]
    public void OurBindingRequest_ParsesBack_AndABitFlipBreaksItsFingerprint()
    {
        var transaction = TransactionId.NewRandom();
        var buffer = new byte[StunConstants.MaxMessageLength];
        var n = StunMessage.WriteBindingRequest(buffer, transaction);
        var request = buffer.AsSpan(0, n);

        Assert.True(StunMessage.TryParseHeader(request, out var type, out var parsed));
        Assert.Equal(StunConstants.BindingRequest, type);
        Assert.Equal(transaction, parsed);
        Assert.Equal(FingerprintCheck.Valid, StunMessage.CheckFingerprint(request));

        request[10] ^= 0x01;
        Assert.Equal(FingerprintCheck.Invalid, StunMessage.CheckFingerprint(request));
    }

    [Fact]
    public void Client_AcceptsOnlyResponsesToItsOwnTransactions_EachOnce()
    {
        var client = new StunClient();
        var buffer = new byte[StunConstants.MaxMessageLength];
        client.CreateRequest(buffer, out var ours);
        var response = new byte[StunConstants.MaxMessageLength];

        // A response to somebody else's request (RFC 5769's) is ignored and counted.
        Assert.False(client.TryAcceptResponse(SampleIPv4Response, out _, out _));
        Assert.Equal(1, client.Strangers);

        var n = StunMessage.WriteBindingSuccess(response, ours, IPAddress.Parse("198.51.100.7"), 4242);
        Assert.True(client.TryAcceptResponse(response.AsSpan(0, n), out var answered, out var mapped));
        Assert.Equal(ours, answered);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("198.51.100.7"), 4242), mapped);

        // A replay of the same answer is a stranger now.
        Assert.False(client.TryAcceptResponse(response.AsSpan(0, n), out _, out _));
        Assert.Equal(2, client.Strangers);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0001000c2112a442b7e7a701bc34d686fa87dfae")] // length says 12, no body
    [InlineData("000100042112a442b7e7a701bc34d686fa87dfae00200008")] // attribute longer than the message
    [InlineData("000100002112a443b7e7a701bc34d686fa87dfae")] // wrong cookie
    [InlineData("c00100002112a442b7e7a701bc34d686fa87dfae")] // top bits set
    public void MalformedMessages_AreRejected(string hex)
    {
        Assert.False(StunMessage.TryParseHeader(Convert.FromHexString(hex), out _, out _));
    }
}
