using Weft.Core.Crypto;

namespace Weft.WireGuard.Noise;

/// <summary>
/// The device's static Curve25519 key pair. Immutable: changing the private key means a new instance
/// (and every <see cref="Handshake"/> re-running <see cref="Handshake.SetLocalIdentity"/>).
/// </summary>
public sealed class StaticIdentity
{
    private readonly Key32 _initialHash;

    public StaticIdentity(Key32 privateKey)
    {
        PrivateKey = privateKey;
        PublicKey = Curve25519.PublicKey(privateKey);
        // Every initiation sent to us starts from HASH(HASH(HASH(construction) || identifier) || our public key).
        _initialHash = NoiseProtocol.InitialHashFor(PublicKey);
    }

    /// <summary>The private key; never logged or printed.</summary>
    public Key32 PrivateKey { get; }

    /// <summary>The public key peers know us by.</summary>
    public Key32 PublicKey { get; }

    /// <summary>The handshake hash responders begin with, precomputed because it depends only on our public key.</summary>
    internal Key32 InitialHash => _initialHash;

    /// <summary>Never prints the private key.</summary>
    public override string ToString() => "StaticIdentity(" + PublicKey.ToBase64() + ")";
}
