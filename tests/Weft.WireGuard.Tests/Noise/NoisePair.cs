using Microsoft.Extensions.Time.Testing;
using Weft.Core.Crypto;
using Weft.WireGuard.Noise;

namespace Weft.WireGuard.Tests.Noise;

/// <summary>Two devices' identities and their handshake state for each other, plus helpers that run the handshake.</summary>
internal sealed class NoisePair
{
    public const uint InitiatorIndex = 0x0a0b0c0d;
    public const uint ResponderIndex = 0x01020304;

    public NoisePair(Key32 presharedKey = default)
        : this(new StaticIdentity(Curve25519.GeneratePrivateKey()), new StaticIdentity(Curve25519.GeneratePrivateKey()), presharedKey)
    {
    }

    public NoisePair(StaticIdentity initiator, StaticIdentity responder, Key32 presharedKey = default)
    {
        Initiator = initiator;
        Responder = responder;
        InitiatorSide = new Handshake(responder.PublicKey) { PresharedKey = presharedKey };
        ResponderSide = new Handshake(initiator.PublicKey) { PresharedKey = presharedKey };
        Assert.True(InitiatorSide.SetLocalIdentity(initiator));
        Assert.True(ResponderSide.SetLocalIdentity(responder));
    }

    public StaticIdentity Initiator { get; }

    public StaticIdentity Responder { get; }

    /// <summary>The initiator's state for the responder.</summary>
    public Handshake InitiatorSide { get; }

    /// <summary>The responder's state for the initiator.</summary>
    public Handshake ResponderSide { get; }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero));

    public Tai64n Now => Tai64n.FromDateTime(Time.GetUtcNow());

    public byte[] CreateInitiation()
    {
        var message = new byte[Constants.MessageInitiationSize];
        Assert.True(NoiseProtocol.TryCreateInitiation(Initiator, InitiatorSide, InitiatorIndex, Now, message));
        return message;
    }

    public bool ConsumeInitiation(ReadOnlySpan<byte> message) =>
        NoiseProtocol.TryConsumeInitiation(Responder, message, FindByStatic, Time.GetTimestamp(), Time, out _, out _);

    public byte[] CreateResponse()
    {
        var message = new byte[Constants.MessageResponseSize];
        Assert.True(NoiseProtocol.TryCreateResponse(ResponderSide, ResponderIndex, message));
        return message;
    }

    public bool ConsumeResponse(ReadOnlySpan<byte> message) =>
        NoiseProtocol.TryConsumeResponse(Initiator, message, index => index == InitiatorIndex ? InitiatorSide : null, out _);

    /// <summary>Runs the whole handshake and returns (initiator's keypair, responder's keypair).</summary>
    public (Keypair Initiator, Keypair Responder) Complete()
    {
        Assert.True(ConsumeInitiation(CreateInitiation()));
        Assert.True(ConsumeResponse(CreateResponse()));
        var initiatorKeys = NoiseProtocol.BeginSession(InitiatorSide, Time.GetTimestamp());
        var responderKeys = NoiseProtocol.BeginSession(ResponderSide, Time.GetTimestamp());
        Assert.NotNull(initiatorKeys);
        Assert.NotNull(responderKeys);
        return (initiatorKeys, responderKeys);
    }

    private Handshake? FindByStatic(Key32 key) => key == Initiator.PublicKey ? ResponderSide : null;
}
