using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Weft.Core.Crypto;
using Weft.Core.Keys;

namespace Weft.Node.Paths;

/// <summary>
/// Weft's disco wire format, carried on the WireGuard UDP socket and through the relay:
/// <code>
/// magic "weft\xd1\x5c" (6) ‖ sender disco public key (32) ‖ nonce (24) ‖ XChaCha20-Poly1305(key, nonce, plaintext, ad = the first 38 bytes)
/// </code>
/// The key is BLAKE2s("weft disco v1" ‖ X25519(own disco private, peer disco public)): the same for both directions
/// of a pair, so the nonce is the sender's 64-bit message counter (little-endian) followed by 16 random bytes.
/// The counter lets the receiver drop replays with a sliding window; the magic cannot be a WireGuard message (first
/// byte 1–4) nor STUN (first two bits zero).
/// </summary>
public static class DiscoCodec
{
    private static readonly byte[] Magic = [(byte)'w', (byte)'e', (byte)'f', (byte)'t', 0xd1, 0x5c];
    private static readonly byte[] KeyLabel = Encoding.ASCII.GetBytes("weft disco v1");

    private const int SenderOffset = PathConstants.MagicLength;
    private const int NonceOffset = SenderOffset + Key32.Length;
    private const int NonceLength = Aead.XNonceLength;

    /// <summary>Bytes a sealed message adds to its plaintext.</summary>
    public const int Overhead = NonceOffset + NonceLength + Aead.TagLength;

    /// <summary>Largest sealed message.</summary>
    public const int MaxLength = Overhead + DiscoMessage.MaxLength;

    /// <summary>True when the datagram starts with the disco magic (cheap: checked on every received datagram).</summary>
    public static bool LooksLikeDisco(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= Overhead && datagram[..PathConstants.MagicLength].SequenceEqual(Magic);

    /// <summary>The pair's symmetric key; false for a low-order peer key (which would make the key public).</summary>
    public static bool TryDeriveKey(in PrivateKey own, in DiscoPublic peer, out Key32 key)
    {
        key = default;
        if (!Curve25519.TryAgree(own.Key, peer.Key, out var shared))
        {
            return false;
        }
        Span<byte> hash = stackalloc byte[Blake2s.HashLength];
        ReadOnlySpan<byte> sharedBytes = shared;
        Blake2s.Hash(hash, KeyLabel, sharedBytes);
        key = Key32.From(hash);
        CryptographicOperations.ZeroMemory(hash);
        shared.Clear();
        return true;
    }

    /// <summary>Seals <paramref name="plaintext"/> into <paramref name="destination"/> and returns the message length.</summary>
    public static int Seal(Span<byte> destination, in DiscoPublic sender, in Key32 key, ulong counter, ReadOnlySpan<byte> plaintext)
    {
        var length = Overhead + plaintext.Length;
        Magic.CopyTo(destination);
        var senderKey = sender.Key;
        ReadOnlySpan<byte> senderBytes = senderKey;
        senderBytes.CopyTo(destination[SenderOffset..]);
        var nonce = destination.Slice(NonceOffset, NonceLength);
        BinaryPrimitives.WriteUInt64LittleEndian(nonce, counter);
        RandomNumberGenerator.Fill(nonce[8..]);
        ReadOnlySpan<byte> keyBytes = key;
        Aead.XSeal(keyBytes, nonce, plaintext, destination[..NonceOffset], destination[(NonceOffset + NonceLength)..length]);
        return length;
    }

    /// <summary>The claimed sender of a message that <see cref="LooksLikeDisco"/> (not yet authenticated).</summary>
    public static DiscoPublic ReadSender(ReadOnlySpan<byte> message) => new(Key32.From(message.Slice(SenderOffset, Key32.Length)));

    /// <summary>Opens a message with the pair's key; false when the tag does not verify (forged, or sealed for someone else).</summary>
    public static bool TryOpen(ReadOnlySpan<byte> message, in Key32 key, Span<byte> plaintext, out int length, out ulong counter)
    {
        length = message.Length - Overhead;
        counter = 0;
        if (length < 0 || length > plaintext.Length)
        {
            return false;
        }
        var nonce = message.Slice(NonceOffset, NonceLength);
        ReadOnlySpan<byte> keyBytes = key;
        if (!Aead.TryXOpen(keyBytes, nonce, message[(NonceOffset + NonceLength)..], message[..NonceOffset], plaintext[..length]))
        {
            return false;
        }
        counter = BinaryPrimitives.ReadUInt64LittleEndian(nonce);
        return true;
    }
}
