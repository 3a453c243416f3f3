using System.Security.Cryptography;
using NSec.Cryptography;

namespace Weft.Core.Crypto;

/// <summary>X25519 key generation and agreement (RFC 7748) through libsodium (NSec).</summary>
public static class Curve25519
{

    /// <summary>A fresh private key, clamped as RFC 7748 and `wg genkey` do.</summary>
    public static Key32 GeneratePrivateKey()
    {
        var key = default(Key32);
        Span<byte> bytes = key;
        RandomNumberGenerator.Fill(bytes);
        Clamp(bytes);
        return key;
    }

    /// <summary>Clears the three low bits, clears the top bit and sets the second-highest bit.</summary>
    public static void Clamp(Span<byte> privateKey)
    {
        privateKey[0] &= 248;
        privateKey[31] = (byte)((privateKey[31] & 127) | 64);
    }

    /// <summary>The public key of a private key.</summary>
    public static Key32 PublicKey(in Key32 privateKey)
    {
        ReadOnlySpan<byte> priv = privateKey;
        using var key = Key.Import(KeyAgreementAlgorithm.X25519, priv, KeyBlobFormat.RawPrivateKey);
        var pub = default(Key32);
        Span<byte> output = pub;
        if (!key.PublicKey.TryExport(KeyBlobFormat.RawPublicKey, output, out var written) || written != Key32.Length)
        {
            throw new CryptographicException("X25519 public key export failed");
        }
        return pub;
    }

    /// <summary>
    /// X25519(privateKey, publicKey). False when the result is all zeros (a low-order point),
    /// which WireGuard and Noise require rejecting.
    /// </summary>
    public static bool TryAgree(in Key32 privateKey, in Key32 publicKey, out Key32 shared)
    {
        shared = default;
        ReadOnlySpan<byte> priv = privateKey;
        ReadOnlySpan<byte> pubBytes = publicKey;
        using var key = Key.Import(KeyAgreementAlgorithm.X25519, priv, KeyBlobFormat.RawPrivateKey);
        if (!NSec.Cryptography.PublicKey.TryImport(KeyAgreementAlgorithm.X25519, pubBytes, KeyBlobFormat.RawPublicKey, out var pub) || pub is null)
        {
            return false;
        }
        var secretParameters = new SharedSecretCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
        using var secret = KeyAgreementAlgorithm.X25519.Agree(key, pub, in secretParameters);
        if (secret is null)
        {
            return false;
        }
        var raw = secret.Export(SharedSecretBlobFormat.RawSharedSecret);
        try
        {
            shared = Key32.From(raw);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(raw);
        }
        return !shared.IsZero;
    }
}
