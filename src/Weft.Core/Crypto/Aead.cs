using System.Buffers.Binary;
using System.Security.Cryptography;


namespace Weft.Core.Crypto;

/// <summary>
/// One-shot AEAD helpers for handshakes and control messages: ChaCha20-Poly1305 with WireGuard's
/// nonce layout (32 zero bits then a 64-bit little-endian counter) and XChaCha20-Poly1305 for cookies.
/// The data path keeps keyed contexts instead (see the engine's keypairs).
/// </summary>
public static class Aead
{
    /// <summary>Length of the Poly1305 tag appended to every ciphertext.</summary>
    public const int TagLength = 16;

    /// <summary>Length of an XChaCha20 nonce.</summary>
    public const int XNonceLength = 24;

    /// <summary>Writes WireGuard's 12-byte nonce for a counter.</summary>
    public static void Nonce(Span<byte> nonce12, ulong counter)
    {
        nonce12[..4].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(nonce12[4..12], counter);
    }

    /// <summary>AEAD(key, counter, plaintext, ad): ciphertext is plaintext.Length + 16 bytes.</summary>
    public static void Seal(ReadOnlySpan<byte> key, ulong counter, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> ciphertext)
    {
        Span<byte> nonce = stackalloc byte[12];
        Nonce(nonce, counter);
        using var aead = new System.Security.Cryptography.ChaCha20Poly1305(key);
        aead.Encrypt(nonce, plaintext, ciphertext[..plaintext.Length], ciphertext.Slice(plaintext.Length, TagLength), associatedData);
    }

    /// <summary>Opens what <see cref="Seal"/> made; false on a bad tag (nothing useful is left in plaintext).</summary>
    public static bool TryOpen(ReadOnlySpan<byte> key, ulong counter, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        if (ciphertext.Length < TagLength)
        {
            return false;
        }
        Span<byte> nonce = stackalloc byte[12];
        Nonce(nonce, counter);
        var length = ciphertext.Length - TagLength;
        using var aead = new System.Security.Cryptography.ChaCha20Poly1305(key);
        try
        {
            aead.Decrypt(nonce, ciphertext[..length], ciphertext[length..], plaintext[..length], associatedData);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }

    /// <summary>XAEAD(key, nonce24, plaintext, ad) with XChaCha20-Poly1305 (libsodium through NSec).</summary>
    public static void XSeal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce24, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> ciphertext)
    {
        using var k = NSec.Cryptography.Key.Import(NSec.Cryptography.AeadAlgorithm.XChaCha20Poly1305, key, NSec.Cryptography.KeyBlobFormat.RawSymmetricKey);
        NSec.Cryptography.AeadAlgorithm.XChaCha20Poly1305.Encrypt(k, nonce24, associatedData, plaintext, ciphertext[..(plaintext.Length + TagLength)]);
    }

    /// <summary>Opens what <see cref="XSeal"/> made; false on a bad tag.</summary>
    public static bool TryXOpen(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce24, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        if (ciphertext.Length < TagLength)
        {
            return false;
        }
        using var k = NSec.Cryptography.Key.Import(NSec.Cryptography.AeadAlgorithm.XChaCha20Poly1305, key, NSec.Cryptography.KeyBlobFormat.RawSymmetricKey);
        return NSec.Cryptography.AeadAlgorithm.XChaCha20Poly1305.Decrypt(k, nonce24, associatedData, ciphertext, plaintext[..(ciphertext.Length - TagLength)]);
    }
}
