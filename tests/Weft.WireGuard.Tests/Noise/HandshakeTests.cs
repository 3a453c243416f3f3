using Weft.Core.Crypto;
using Weft.WireGuard.Noise;

namespace Weft.WireGuard.Tests.Noise;

public class HandshakeTests
{
    private static readonly Key32 Psk = Key32.From(Enumerable.Repeat((byte)0x5a, 32).ToArray());

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Handshake_BothSides_DeriveInteroperableKeypairs(bool withPsk)
    {
        var pair = new NoisePair(withPsk ? Psk : default);

        var initiation = pair.CreateInitiation();
        Assert.Equal(HandshakeState.InitiationCreated, pair.InitiatorSide.State);
        Assert.True(NoiseProtocol.TryConsumeInitiation(pair.Responder, initiation, k => k == pair.Initiator.PublicKey ? pair.ResponderSide : null,
            pair.Time.GetTimestamp(), pair.Time, out var found, out var remoteIndex));
        Assert.Same(pair.ResponderSide, found);
        Assert.Equal(NoisePair.InitiatorIndex, remoteIndex);
        Assert.Equal(HandshakeState.InitiationConsumed, pair.ResponderSide.State);

        var response = pair.CreateResponse();
        Assert.Equal(HandshakeState.ResponseCreated, pair.ResponderSide.State);
        Assert.True(NoiseProtocol.TryConsumeResponse(pair.Initiator, response, i => i == NoisePair.InitiatorIndex ? pair.InitiatorSide : null, out var owner));
        Assert.Same(pair.InitiatorSide, owner);
        Assert.Equal(HandshakeState.ResponseConsumed, pair.InitiatorSide.State);

        using var initiatorKeys = NoiseProtocol.BeginSession(pair.InitiatorSide, 1);
        using var responderKeys = NoiseProtocol.BeginSession(pair.ResponderSide, 2);
        Assert.NotNull(initiatorKeys);
        Assert.NotNull(responderKeys);
        Assert.True(initiatorKeys.IsInitiator);
        Assert.False(responderKeys.IsInitiator);
        Assert.Equal(NoisePair.InitiatorIndex, initiatorKeys.LocalIndex);
        Assert.Equal(NoisePair.ResponderIndex, initiatorKeys.RemoteIndex);
        Assert.Equal(NoisePair.ResponderIndex, responderKeys.LocalIndex);
        Assert.Equal(NoisePair.InitiatorIndex, responderKeys.RemoteIndex);
        Assert.Equal(HandshakeState.Zeroed, pair.InitiatorSide.State);
        Assert.Equal(HandshakeState.Zeroed, pair.ResponderSide.State);

        KeypairTests.AssertRoundTrip(initiatorKeys, responderKeys, "ping"u8);
        KeypairTests.AssertRoundTrip(responderKeys, initiatorKeys, "pong, a little longer than sixteen bytes"u8);
    }

    [Fact]
    public void Handshake_MismatchedPresharedKeys_ResponseIsRejected()
    {
        var pair = new NoisePair(Psk);
        pair.InitiatorSide.PresharedKey = default;
        Assert.True(pair.ConsumeInitiation(pair.CreateInitiation()));
        Assert.False(pair.ConsumeResponse(pair.CreateResponse()));
        Assert.Equal(HandshakeState.InitiationCreated, pair.InitiatorSide.State);
    }

    [Fact]
    public void ConsumeInitiation_SameTimestampTwice_IsRejectedAsReplay()
    {
        var pair = new NoisePair();
        var initiation = pair.CreateInitiation();
        Assert.True(pair.ConsumeInitiation(initiation));
        pair.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(pair.ConsumeInitiation(initiation));
        Assert.Equal(pair.Now.Seconds - 1, pair.ResponderSide.LastTimestamp.Seconds);
    }

    [Fact]
    public void ConsumeInitiation_OlderTimestamp_IsRejectedAsReplay()
    {
        var pair = new NoisePair();
        var old = pair.CreateInitiation();
        pair.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(pair.ConsumeInitiation(pair.CreateInitiation()));
        pair.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(pair.ConsumeInitiation(old));
    }

    [Fact]
    public void ConsumeInitiation_FasterThanInitiationRate_IsRejectedAsFlood()
    {
        var pair = new NoisePair();
        Assert.True(pair.ConsumeInitiation(pair.CreateInitiation()));
        // Newer timestamp (past the whitening granularity) but inside the 50 ms flood interval.
        pair.Time.Advance(TimeSpan.FromMilliseconds(20));
        Assert.False(pair.ConsumeInitiation(pair.CreateInitiation()));
        pair.Time.Advance(Constants.HandshakeInitiationRate);
        Assert.True(pair.ConsumeInitiation(pair.CreateInitiation()));
    }

    [Fact]
    public void ConsumeInitiation_EachByteTampered_IsRejected()
    {
        var pair = new NoisePair();
        var initiation = pair.CreateInitiation();
        // mac1/mac2 are the cookie layer's to check; every byte before them is authenticated by Noise,
        // except the sender index, which only routes the answer. The reserved bytes fail Classify.
        for (var i = 0; i < Constants.MessageInitiationSize - 32; i++)
        {
            if (i is >= 4 and < 8)
            {
                continue;
            }
            var tampered = (byte[])initiation.Clone();
            tampered[i] ^= 0x01;
            Assert.False(pair.ConsumeInitiation(tampered), $"flipped byte {i} was accepted");
        }
        Assert.Equal(HandshakeState.Zeroed, pair.ResponderSide.State);
        Assert.True(pair.ConsumeInitiation(initiation));
    }

    [Fact]
    public void ConsumeResponse_EachByteTampered_IsRejected()
    {
        var pair = new NoisePair(Psk);
        Assert.True(pair.ConsumeInitiation(pair.CreateInitiation()));
        var response = pair.CreateResponse();
        for (var i = 0; i < Constants.MessageResponseSize - 32; i++)
        {
            if (i is >= 4 and < 8)
            {
                continue; // the responder's sender index is not authenticated; the initiator learns it here
            }
            var tampered = (byte[])response.Clone();
            tampered[i] ^= 0x80;
            Assert.False(pair.ConsumeResponse(tampered), $"flipped byte {i} was accepted");
        }
        Assert.Equal(HandshakeState.InitiationCreated, pair.InitiatorSide.State);
        Assert.True(pair.ConsumeResponse(response));
    }

    [Fact]
    public void ConsumeInitiation_UnknownPeer_IsRejected()
    {
        var pair = new NoisePair();
        var initiation = pair.CreateInitiation();
        Assert.False(NoiseProtocol.TryConsumeInitiation(pair.Responder, initiation, _ => null, pair.Time.GetTimestamp(), pair.Time, out var hs, out _));
        Assert.Null(hs);
    }

    [Fact]
    public void ConsumeInitiation_LookupReturnsAnotherPeersHandshake_IsRejected()
    {
        var pair = new NoisePair();
        var otherPeer = new Handshake(new StaticIdentity(Curve25519.GeneratePrivateKey()).PublicKey);
        Assert.True(otherPeer.SetLocalIdentity(pair.Responder));
        Assert.False(NoiseProtocol.TryConsumeInitiation(pair.Responder, pair.CreateInitiation(), _ => otherPeer, pair.Time.GetTimestamp(), pair.Time, out _, out _));
        Assert.Equal(HandshakeState.Zeroed, otherPeer.State);
    }

    [Fact]
    public void ConsumeInitiation_AddressedToAnotherDevice_IsRejected()
    {
        var pair = new NoisePair();
        var stranger = new StaticIdentity(Curve25519.GeneratePrivateKey());
        Assert.False(NoiseProtocol.TryConsumeInitiation(stranger, pair.CreateInitiation(), _ => pair.ResponderSide, pair.Time.GetTimestamp(), pair.Time, out _, out _));
    }

    [Fact]
    public void ConsumeInitiation_WrongLength_IsRejected()
    {
        var pair = new NoisePair();
        var initiation = pair.CreateInitiation();
        Assert.False(pair.ConsumeInitiation(initiation.AsSpan(0, Constants.MessageInitiationSize - 1)));
        Assert.False(pair.ConsumeInitiation(initiation.Concat(new byte[1]).ToArray()));
    }

    [Fact]
    public void ConsumeResponse_WithoutInitiation_IsRejected()
    {
        var pair = new NoisePair();
        Assert.True(pair.ConsumeInitiation(pair.CreateInitiation()));
        var response = pair.CreateResponse();
        pair.InitiatorSide.Clear();
        Assert.False(pair.ConsumeResponse(response));
    }

    [Fact]
    public void ConsumeResponse_Twice_SecondIsRejected()
    {
        var pair = new NoisePair();
        Assert.True(pair.ConsumeInitiation(pair.CreateInitiation()));
        var response = pair.CreateResponse();
        Assert.True(pair.ConsumeResponse(response));
        Assert.False(pair.ConsumeResponse(response));
    }

    [Fact]
    public void CreateResponse_WithoutConsumedInitiation_Fails()
    {
        var pair = new NoisePair();
        Assert.False(NoiseProtocol.TryCreateResponse(pair.ResponderSide, 1, new byte[Constants.MessageResponseSize]));
    }

    [Fact]
    public void BeginSession_BeforeHandshakeCompletes_ReturnsNull()
    {
        var pair = new NoisePair();
        Assert.Null(NoiseProtocol.BeginSession(pair.InitiatorSide, 0));
        pair.CreateInitiation();
        Assert.Null(NoiseProtocol.BeginSession(pair.InitiatorSide, 0));
        Assert.Equal(HandshakeState.InitiationCreated, pair.InitiatorSide.State);
    }

    [Fact]
    public void SetLocalIdentity_LowOrderPeerKey_MakesPeerUnusable()
    {
        var local = new StaticIdentity(Curve25519.GeneratePrivateKey());
        var hs = new Handshake(default);
        Assert.False(hs.SetLocalIdentity(local));
        Assert.False(NoiseProtocol.TryCreateInitiation(local, hs, 1, Tai64n.FromDateTime(DateTimeOffset.UnixEpoch), new byte[Constants.MessageInitiationSize]));
    }

    [Fact]
    public void SetLocalIdentity_Null_MakesPeerUnusable()
    {
        var pair = new NoisePair();
        Assert.False(pair.InitiatorSide.SetLocalIdentity(null));
        Assert.False(NoiseProtocol.TryCreateInitiation(pair.Initiator, pair.InitiatorSide, 1, pair.Now, new byte[Constants.MessageInitiationSize]));
    }

    [Fact]
    public void ConsumeInitiation_LowOrderEphemeral_IsRejected()
    {
        var pair = new NoisePair();
        var initiation = pair.CreateInitiation();
        initiation.AsSpan(8, 32).Clear();
        Assert.False(pair.ConsumeInitiation(initiation));
    }

    [Fact]
    public void Handshake_Rerun_ProducesFreshKeys()
    {
        var pair = new NoisePair();
        var (first, _) = pair.Complete();
        pair.Time.Advance(TimeSpan.FromSeconds(1));
        var (second, secondResponder) = pair.Complete();
        var buffer = new byte[64];
        first.Seal(buffer, 8, 0);
        Assert.False(secondResponder.TryOpen(buffer, 48, out _, out _));
        first.Dispose();
        second.Dispose();
        secondResponder.Dispose();
    }

    [Fact]
    public void StaticIdentity_ToString_DoesNotContainPrivateKey()
    {
        var identity = new StaticIdentity(Curve25519.GeneratePrivateKey());
        var text = identity.ToString();
        Assert.DoesNotContain(identity.PrivateKey.ToBase64(), text, StringComparison.Ordinal);
        Assert.Contains(identity.PublicKey.ToBase64(), text, StringComparison.Ordinal);
    }
}
