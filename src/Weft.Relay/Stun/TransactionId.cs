using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Weft.Relay.Stun;

/// <summary>A 96-bit STUN transaction id held inline; random for every request so a stranger cannot guess one to answer.</summary>
[InlineArray(StunConstants.TransactionIdLength)]
public struct TransactionId : IEquatable<TransactionId>
{
    private byte _element0;

    /// <summary>A fresh id from the cryptographic random generator.</summary>
    public static TransactionId NewRandom()
    {
        var id = default(TransactionId);
        RandomNumberGenerator.Fill(id);
        return id;
    }

    /// <summary>Copies exactly 12 bytes.</summary>
    public static TransactionId From(ReadOnlySpan<byte> bytes)
    {
        var id = default(TransactionId);
        bytes[..StunConstants.TransactionIdLength].CopyTo(id);
        return id;
    }

    public readonly bool Equals(TransactionId other) => ((ReadOnlySpan<byte>)this).SequenceEqual(other);

    public override readonly bool Equals(object? obj) => obj is TransactionId other && Equals(other);

    public override readonly int GetHashCode()
    {
        var hash = default(HashCode);
        hash.AddBytes(this);
        return hash.ToHashCode();
    }

    public static bool operator ==(TransactionId left, TransactionId right) => left.Equals(right);

    public static bool operator !=(TransactionId left, TransactionId right) => !left.Equals(right);

    public override readonly string ToString() => Convert.ToHexStringLower(this);
}
