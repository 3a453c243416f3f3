using System.Globalization;
using System.Security.Cryptography;

namespace Weft.Control.Auth;

/// <summary>
/// Password hashes for local accounts: PBKDF2-HMAC-SHA256 with a random salt, stored as
/// "pbkdf2-sha256$iterations$salt$hash" (base64), compared in constant time.
/// </summary>
internal static class PasswordHash
{
    /// <summary>OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256; paid once per login attempt (and rate-limited per source).</summary>
    public const int Iterations = 600_000;

    /// <summary>Shortest password accepted: NIST SP 800-63B asks for at least 8; we ask for more since nothing else guards the console.</summary>
    public const int MinLength = 12;

    private const string Scheme = "pbkdf2-sha256";
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    /// <summary>A fresh hash of <paramref name="password"/> with a new salt.</summary>
    public static string Create(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, Iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Create(CultureInfo.InvariantCulture, $"{Scheme}${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    /// <summary>True when <paramref name="password"/> matches <paramref name="stored"/>; false for a malformed stored value.</summary>
    public static bool Verify(string password, string stored)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(stored);
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) || iterations < 1)
        {
            return false;
        }

        byte[] salt, expected;
        try
        {
            salt = Convert.FromBase64String(parts[2]);
            expected = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            return false;
        }

        var actual = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        // Constant time: how many leading bytes matched must not show in the answer's timing.
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }
}
