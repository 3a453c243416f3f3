using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Parameters;

namespace Weft.Core.Crypto;

/// <summary>BLAKE2s (RFC 7693) through BouncyCastle: the hash, the keyed MAC and HMAC that Noise and WireGuard use.</summary>
public static class Blake2s
{
    /// <summary>Output length of HASH and HMAC in bytes.</summary>
    public const int HashLength = 32;

    /// <summary>Output length of the keyed MAC that WireGuard's mac1/mac2 and cookies use.</summary>
    public const int MacLength = 16;

    /// <summary>HASH(a || b || c): unkeyed BLAKE2s-256 of the concatenation.</summary>
    public static void Hash(Span<byte> output, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b = default, ReadOnlySpan<byte> c = default)
    {
        var digest = new Blake2sDigest(HashLength * 8);
        digest.BlockUpdate(a);
        digest.BlockUpdate(b);
        digest.BlockUpdate(c);
        digest.DoFinal(output[..HashLength]);
    }

    /// <summary>MAC(key, a || b): keyed BLAKE2s with a 16-byte output.</summary>
    public static void Mac(Span<byte> output, ReadOnlySpan<byte> key, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b = default)
    {
        var digest = new Blake2sDigest(key.ToArray(), MacLength, null, null);
        digest.BlockUpdate(a);
        digest.BlockUpdate(b);
        digest.DoFinal(output[..MacLength]);
    }

    /// <summary>HMAC(key, a || b) with BLAKE2s-256 (RFC 2104, 64-byte blocks).</summary>
    public static void Hmac(Span<byte> output, ReadOnlySpan<byte> key, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b = default)
    {
        var hmac = new HMac(new Blake2sDigest(HashLength * 8));
        hmac.Init(new KeyParameter(key));
        hmac.BlockUpdate(a);
        hmac.BlockUpdate(b);
        hmac.DoFinal(output[..HashLength]);
    }

    /// <summary>
    /// The Noise HKDF with BLAKE2s: derives one, two or three 32-byte outputs from a chaining key
    /// and input key material. Pass an empty span for outputs not wanted.
    /// </summary>
    public static void Kdf(ReadOnlySpan<byte> chainingKey, ReadOnlySpan<byte> input, Span<byte> t1, Span<byte> t2 = default, Span<byte> t3 = default)
    {
        Span<byte> t0 = stackalloc byte[HashLength];
        Span<byte> previous = stackalloc byte[HashLength + 1];
        try
        {
            Hmac(t0, chainingKey, input);
            previous[0] = 1;
            Hmac(previous[..HashLength], t0, previous[..1]);
            previous[..HashLength].CopyTo(t1);
            if (t2.IsEmpty)
            {
                return;
            }
            previous[HashLength] = 2;
            Hmac(previous[..HashLength], t0, previous);
            previous[..HashLength].CopyTo(t2);
            if (t3.IsEmpty)
            {
                return;
            }
            previous[HashLength] = 3;
            Hmac(previous[..HashLength], t0, previous);
            previous[..HashLength].CopyTo(t3);
        }
        finally
        {
            t0.Clear();
            previous.Clear();
        }
    }
}
