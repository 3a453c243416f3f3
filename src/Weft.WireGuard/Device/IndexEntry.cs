using Weft.WireGuard.Noise;

namespace Weft.WireGuard;

/// <summary>
/// What a receiver index names: a peer's pending handshake, and once the handshake completes the
/// keypair derived from it (the index carries over from handshake to session, as in the protocol).
/// </summary>
internal sealed class IndexEntry(Peer peer)
{
    public Peer Peer { get; } = peer;

    /// <summary>Null while the index belongs to a handshake in progress.</summary>
    public volatile Keypair? Keypair;

    /// <summary>The index itself, once allocated.</summary>
    public uint Index;
}
