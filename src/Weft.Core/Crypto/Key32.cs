using System.Buffers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Weft.Core.Crypto;

/// <summary>Thirty-two bytes of key material held inline (no heap), compared in constant time.</summary>
[InlineArray(Length)]
public struct Key32 : IEquatable<Key32>
{
    /// <summary>Length in bytes of every Curve25519 key, BLAKE2s hash and ChaCha20 key.</summary>
    public const int Length = 32;

    private byte _element0;

    /// <summary>Copies exactly 32 bytes into a new key.</summary>
    public static Key32 From(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"a key is {Length} bytes, not {bytes.Length}", nameof(bytes));
        }
        var key = default(Key32);
        bytes.CopyTo(key);
        return key;
    }

    /// <summary>True when every byte is zero (an unset key).</summary>
    public readonly bool IsZero
    {
        get
        {
            ReadOnlySpan<byte> self = this;
            var acc = 0;
            foreach (var b in self)
            {
                acc |= b;
            }
            return acc == 0;
        }
    }

    /// <summary>Constant-time comparison: secrets must not leak through timing.</summary>
    public readonly bool Equals(Key32 other)
    {
        ReadOnlySpan<byte> a = this;
        ReadOnlySpan<byte> b = other;
        return CryptographicOperations.FixedTimeEquals(a, b);
    }

    public override readonly bool Equals(object? obj) => obj is Key32 other && Equals(other);

    public override readonly int GetHashCode()
    {
        ReadOnlySpan<byte> self = this;
        return BitConverter.ToInt32(self);
    }

    public static bool operator ==(Key32 left, Key32 right) => left.Equals(right);

    public static bool operator !=(Key32 left, Key32 right) => !left.Equals(right);

    /// <summary>Lower-case hex, the form the WireGuard userspace API uses.</summary>
    public readonly string ToHex()
    {
        ReadOnlySpan<byte> self = this;
        return Convert.ToHexStringLower(self);
    }

    /// <summary>Standard base64, the form `wg` prints.</summary>
    public readonly string ToBase64()
    {
        ReadOnlySpan<byte> self = this;
        return Convert.ToBase64String(self);
    }

    /// <summary>Parses 64 hex digits.</summary>
    public static bool TryParseHex(ReadOnlySpan<char> text, out Key32 key)
    {
        key = default;
        if (text.Length != Length * 2)
        {
            return false;
        }
        Span<byte> bytes = key;
        return Convert.FromHexString(text, bytes, out _, out var written) == OperationStatus.Done && written == Length;
    }

    /// <summary>Parses standard base64 of exactly 32 bytes.</summary>
    public static bool TryParseBase64(ReadOnlySpan<char> text, out Key32 key)
    {
        key = default;
        Span<byte> buffer = stackalloc byte[Length + 2];
        if (!Convert.TryFromBase64Chars(text, buffer, out var written) || written != Length)
        {
            return false;
        }
        key = From(buffer[..Length]);
        return true;
    }

    /// <summary>Zeroes the key in place.</summary>
    public void Clear()
    {
        Span<byte> self = this;
        CryptographicOperations.ZeroMemory(self);
    }
}
