using System.Security.Cryptography;
using System.Text;

namespace Weft.Control.Identity;

/// <summary>
/// Bearer secrets for auth and API keys: "tag" + lookup prefix + "-" + 32 random bytes. The store keeps the
/// prefix (to find the row) and the SHA-256 of the whole token; a presented token is hashed and compared in
/// constant time, so neither the database nor timing gives the secret away.
/// </summary>
internal static class SecretToken
{
    private const int PrefixBytes = 6;
    private const int SecretBytes = 32;

    /// <summary>A fresh token with its prefix and hash.</summary>
    public static (string Token, string Prefix, string Hash) Create(string tag)
    {
        var prefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(PrefixBytes));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(SecretBytes));
        var token = tag + prefix + "-" + secret;
        return (token, prefix, Hash(token));
    }

    /// <summary>The lookup prefix of a presented token, or null when it is not shaped like one of <paramref name="tag"/>.</summary>
    public static string? PrefixOf(string token, string tag)
    {
        if (token is null || !token.StartsWith(tag, StringComparison.Ordinal) || token.Length < tag.Length + (PrefixBytes * 2) + 2)
        {
            return null;
        }

        var prefix = token.Substring(tag.Length, PrefixBytes * 2);
        return token[tag.Length + (PrefixBytes * 2)] == '-' ? prefix : null;
    }

    /// <summary>Hex SHA-256 of the whole token.</summary>
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>Constant-time comparison of a presented token against a stored hash.</summary>
    public static bool Matches(string token, string storedHash)
    {
        Span<byte> presented = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(token), presented);
        Span<byte> stored = stackalloc byte[SHA256.HashSizeInBytes];
        if (Convert.FromHexString(storedHash, stored, out _, out var written) != System.Buffers.OperationStatus.Done || written != stored.Length)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(presented, stored);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
