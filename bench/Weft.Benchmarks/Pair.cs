using Weft.Core.Crypto;
using Weft.WireGuard.Noise;

namespace Weft.Benchmarks;

/// <summary>Two identities that know each other, and helpers to run a handshake between them.</summary>
internal sealed class Pair
{
    public StaticIdentity Initiator { get; } = new(Curve25519.GeneratePrivateKey());

    public StaticIdentity Responder { get; } = new(Curve25519.GeneratePrivateKey());

    private readonly byte[] _initiation = new byte[148];
    private readonly byte[] _response = new byte[92];
    private uint _index;

    /// <summary>Runs one complete handshake and returns both sides' keypairs.</summary>
    public (Keypair Initiator, Keypair Responder) Handshake()
    {
        var time = TimeProvider.System;
        var atInitiator = new Handshake(Responder.PublicKey);
        atInitiator.SetLocalIdentity(Initiator);
        var atResponder = new Handshake(Initiator.PublicKey);
        atResponder.SetLocalIdentity(Responder);
        if (!NoiseProtocol.TryCreateInitiation(Initiator, atInitiator, ++_index, Tai64n.FromDateTime(time.GetUtcNow()), _initiation) ||
            !NoiseProtocol.TryConsumeInitiation(Responder, _initiation, _ => atResponder, time.GetTimestamp(), time, out _, out _) ||
            !NoiseProtocol.TryCreateResponse(atResponder, ++_index, _response) ||
            !NoiseProtocol.TryConsumeResponse(Initiator, _response, _ => atInitiator, out _))
        {
            throw new InvalidOperationException("handshake failed");
        }
        var now = time.GetTimestamp();
        return (NoiseProtocol.BeginSession(atInitiator, now)!, NoiseProtocol.BeginSession(atResponder, now)!);
    }
}
