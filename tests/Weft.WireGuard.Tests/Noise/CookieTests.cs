using System.Net;
using Microsoft.Extensions.Time.Testing;
using Weft.Core.Crypto;
using Weft.WireGuard.Conn;
using Weft.WireGuard.Noise;

namespace Weft.WireGuard.Tests.Noise;

public class CookieTests
{
    private static readonly UdpEndpoint Source = UdpEndpoint.From(IPEndPoint.Parse("192.0.2.7:51820"));
    private static readonly UdpEndpoint OtherPort = UdpEndpoint.From(IPEndPoint.Parse("192.0.2.7:51821"));
    private static readonly UdpEndpoint OtherAddress = UdpEndpoint.From(IPEndPoint.Parse("[2001:db8::7]:51820"));

    private readonly FakeTimeProvider _time = new();
    private readonly Key32 _responderPublic = new StaticIdentity(Curve25519.GeneratePrivateKey()).PublicKey;
    private readonly CookieChecker _checker;
    private readonly CookieGenerator _generator;

    public CookieTests()
    {
        _checker = new CookieChecker(_responderPublic, _time);
        _generator = new CookieGenerator(_responderPublic, _time);
    }

    private static byte[] Initiation()
    {
        var message = new byte[Constants.MessageInitiationSize];
        Random.Shared.NextBytes(message);
        message[0] = Constants.MessageInitiationType;
        message[1] = message[2] = message[3] = 0;
        return message;
    }

    /// <summary>The responder answers with a cookie reply and the initiator takes the cookie.</summary>
    private void GetCookie(byte[] sent, UdpEndpoint source)
    {
        var reply = new byte[Constants.MessageCookieReplySize];
        Assert.True(_checker.TryCreateReply(sent, Messages.ReadSenderIndex(sent), source, reply));
        Assert.Equal(MessageType.CookieReply, Messages.Classify(reply));
        Assert.Equal(Messages.ReadSenderIndex(sent), Messages.ReadReceiverIndex(reply, MessageType.CookieReply));
        Assert.True(_generator.TryConsumeReply(reply));
    }

    [Fact]
    public void CheckMac1_FromGenerator_IsAccepted()
    {
        var message = Initiation();
        _generator.AddMacs(message);
        Assert.True(_checker.CheckMac1(message));
        Assert.All(message[^16..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void CheckMac1_Response_IsAccepted()
    {
        var message = new byte[Constants.MessageResponseSize];
        message[0] = Constants.MessageResponseType;
        _generator.AddMacs(message);
        Assert.True(_checker.CheckMac1(message));
    }

    [Fact]
    public void CheckMac1_AnyByteChanged_IsRejected()
    {
        var message = Initiation();
        _generator.AddMacs(message);
        for (var i = 4; i < Constants.MessageInitiationSize - 16; i++)
        {
            var tampered = (byte[])message.Clone();
            tampered[i] ^= 0x10;
            Assert.False(_checker.CheckMac1(tampered), $"flipped byte {i} was accepted");
        }
    }

    [Fact]
    public void CheckMac1_KeyedForAnotherDevice_IsRejected()
    {
        var message = Initiation();
        new CookieGenerator(new StaticIdentity(Curve25519.GeneratePrivateKey()).PublicKey, _time).AddMacs(message);
        Assert.False(_checker.CheckMac1(message));
    }

    [Fact]
    public void CheckMac1_WrongLengthOrType_IsRejected()
    {
        Assert.False(_checker.CheckMac1(new byte[Constants.MessageCookieReplySize]));
        var transport = new byte[Constants.MessageInitiationSize];
        transport[0] = Constants.MessageTransportType;
        Assert.False(_checker.CheckMac1(transport));
    }

    [Fact]
    public void CheckMac2_WithoutCookie_IsRejected()
    {
        var message = Initiation();
        _generator.AddMacs(message);
        Assert.False(_checker.CheckMac2(message, Source));
        GetCookie(message, Source);
        // The cookie only shows up on the next message; this one still has mac2 zero.
        Assert.False(_checker.CheckMac2(message, Source));
    }

    [Fact]
    public void CookieReply_RoundTrip_Mac2IsAcceptedFromSameSource()
    {
        var first = Initiation();
        _generator.AddMacs(first);
        GetCookie(first, Source);

        var second = Initiation();
        _generator.AddMacs(second);
        Assert.True(_checker.CheckMac1(second));
        Assert.True(_checker.CheckMac2(second, Source));
    }

    [Fact]
    public void CheckMac2_CookieFromDifferentSource_IsRejected()
    {
        var first = Initiation();
        _generator.AddMacs(first);
        GetCookie(first, Source);
        var second = Initiation();
        _generator.AddMacs(second);
        Assert.False(_checker.CheckMac2(second, OtherPort));
        Assert.False(_checker.CheckMac2(second, OtherAddress));
    }

    [Fact]
    public void CheckMac2_TamperedMac2_IsRejected()
    {
        var first = Initiation();
        _generator.AddMacs(first);
        GetCookie(first, Source);
        var second = Initiation();
        _generator.AddMacs(second);
        second[^1] ^= 1;
        Assert.False(_checker.CheckMac2(second, Source));
    }

    [Fact]
    public void TryConsumeReply_ForMessageNotLastSent_IsRejected()
    {
        var old = Initiation();
        _generator.AddMacs(old);
        var reply = new byte[Constants.MessageCookieReplySize];
        Assert.True(_checker.TryCreateReply(old, 1, Source, reply));
        _generator.AddMacs(Initiation());
        Assert.False(_generator.TryConsumeReply(reply));
    }

    [Fact]
    public void TryConsumeReply_Replayed_IsRejected()
    {
        var sent = Initiation();
        _generator.AddMacs(sent);
        var reply = new byte[Constants.MessageCookieReplySize];
        Assert.True(_checker.TryCreateReply(sent, 1, Source, reply));
        Assert.True(_generator.TryConsumeReply(reply));
        Assert.False(_generator.TryConsumeReply(reply));
    }

    [Fact]
    public void TryConsumeReply_EachByteTampered_IsRejected()
    {
        var sent = Initiation();
        _generator.AddMacs(sent);
        var reply = new byte[Constants.MessageCookieReplySize];
        Assert.True(_checker.TryCreateReply(sent, 1, Source, reply));
        for (var i = 0; i < reply.Length; i++)
        {
            if (i is >= 4 and < 8)
            {
                continue; // the receiver index only routes the reply to the peer
            }
            var tampered = (byte[])reply.Clone();
            tampered[i] ^= 0x02;
            Assert.False(_generator.TryConsumeReply(tampered), $"flipped byte {i} was accepted");
        }
        Assert.True(_generator.TryConsumeReply(reply));
    }

    [Fact]
    public void TryConsumeReply_BeforeAnythingSent_IsRejected()
    {
        var reply = new byte[Constants.MessageCookieReplySize];
        Assert.True(_checker.TryCreateReply(Initiation(), 1, Source, reply));
        Assert.False(_generator.TryConsumeReply(reply));
    }

    [Fact]
    public void Mac2_AfterCookieAgesPastRefreshTimeMinusMargin_IsNoLongerSent()
    {
        var first = Initiation();
        _generator.AddMacs(first);
        GetCookie(first, Source);
        _time.Advance(Constants.CookieRefreshTime - Constants.CookieRefreshMargin);
        var message = Initiation();
        _generator.AddMacs(message);
        Assert.All(message[^16..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void CheckMac2_AfterSecretRotates_OldCookieIsRejected()
    {
        var first = Initiation();
        _generator.AddMacs(first);
        GetCookie(first, Source);
        _time.Advance(Constants.CookieRefreshTime - Constants.CookieRefreshMargin - TimeSpan.FromSeconds(1));
        var message = Initiation();
        _generator.AddMacs(message);
        Assert.True(_checker.CheckMac2(message, Source));
        _time.Advance(Constants.CookieRefreshMargin + TimeSpan.FromSeconds(1));
        // The checker's secret is now two minutes old: gone until a new reply makes a new one.
        Assert.False(_checker.CheckMac2(message, Source));
        GetCookie(message, Source);
        var fresh = Initiation();
        _generator.AddMacs(fresh);
        Assert.True(_checker.CheckMac2(fresh, Source));
    }

    [Fact]
    public void AddMacs_NotAHandshakeMessage_Throws()
    {
        Assert.Throws<ArgumentException>(() => _generator.AddMacs(new byte[Constants.MessageTransportSize]));
    }
}
