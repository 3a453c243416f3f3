using System.Buffers.Binary;
using System.Security.Cryptography;
using Weft.Core.Crypto;
using Weft.WireGuard.Conn;

namespace Weft.WireGuard.Noise;

/// <summary>
/// The receiving half of WireGuard's DoS defence (whitepaper 5.4.7), one per device and keyed by our
/// public key: checks mac1 (proves the sender knows our public key), checks mac2 (proves the sender
/// can receive at its source address) and, under load, answers with an encrypted cookie for that
/// address. Thread-safe.
/// </summary>
public sealed class CookieChecker
{
    // Cookie = MAC(secret, source address || port); the address is held IPv4-mapped.
    private const int SourceLength = 16 + 2;

    private readonly Key32 _mac1Key;
    private readonly Key32 _cookieKey;
    private readonly TimeProvider _time;

    // _gate guards the rotating secret below.
    private readonly Lock _gate = new();
    private Key32 _secret;
    private long _secretCreated;
    private bool _hasSecret;

    public CookieChecker(Key32 localPublic, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        Blake2s.Hash(_mac1Key, Constants.LabelMac1, localPublic);
        Blake2s.Hash(_cookieKey, Constants.LabelCookie, localPublic);
    }

    /// <summary>True when an initiation or response carries a correct mac1 for our public key.</summary>
    public bool CheckMac1(ReadOnlySpan<byte> message)
    {
        if (!IsHandshake(message))
        {
            return false;
        }
        var mac1Offset = message.Length - 2 * Messages.MacLength;
        Span<byte> expected = stackalloc byte[Messages.MacLength];
        Blake2s.Mac(expected, _mac1Key, message[..mac1Offset]);
        return CryptographicOperations.FixedTimeEquals(expected, message.Slice(mac1Offset, Messages.MacLength));
    }

    /// <summary>
    /// True when mac2 is correct for the cookie we would give <paramref name="source"/> now; false
    /// also when no cookie secret younger than <see cref="Constants.CookieRefreshTime"/> exists.
    /// </summary>
    public bool CheckMac2(ReadOnlySpan<byte> message, UdpEndpoint source)
    {
        if (!IsHandshake(message))
        {
            return false;
        }
        Span<byte> cookie = stackalloc byte[Blake2s.MacLength];
        Span<byte> expected = stackalloc byte[Messages.MacLength];
        var mac2Offset = message.Length - Messages.MacLength;
        try
        {
            if (!TryMakeCookie(source, refresh: false, cookie))
            {
                return false;
            }
            Blake2s.Mac(expected, cookie, message[..mac2Offset]);
            return CryptographicOperations.FixedTimeEquals(expected, message[mac2Offset..]);
        }
        finally
        {
            cookie.Clear();
        }
    }

    /// <summary>
    /// Writes a 64-byte cookie reply to <paramref name="message"/> (an initiation or response from
    /// <paramref name="source"/> whose sender index is <paramref name="receiverIndex"/>): the cookie
    /// for that source, encrypted with the message's mac1 as associated data.
    /// </summary>
    public bool TryCreateReply(ReadOnlySpan<byte> message, uint receiverIndex, UdpEndpoint source, Span<byte> reply64)
    {
        if (!IsHandshake(message) || reply64.Length < Constants.MessageCookieReplySize)
        {
            return false;
        }
        Span<byte> cookie = stackalloc byte[Blake2s.MacLength];
        try
        {
            TryMakeCookie(source, refresh: true, cookie);
            var reply = reply64[..Constants.MessageCookieReplySize];
            Messages.WriteType(reply, Constants.MessageCookieReplyType);
            BinaryPrimitives.WriteUInt32LittleEndian(reply[Messages.CookieReplyReceiver..], receiverIndex);
            var nonce = reply.Slice(Messages.CookieReplyNonce, Aead.XNonceLength);
            RandomNumberGenerator.Fill(nonce);
            var mac1 = message.Slice(message.Length - 2 * Messages.MacLength, Messages.MacLength);
            Aead.XSeal(_cookieKey, nonce, cookie, mac1, reply.Slice(Messages.CookieReplyCookie, Messages.CookieReplyCookieLength));
            return true;
        }
        finally
        {
            cookie.Clear();
        }
    }

    internal static bool IsHandshake(ReadOnlySpan<byte> message) =>
        Messages.Classify(message) is MessageType.Initiation or MessageType.Response;

    // The cookie for a source under the current secret; with refresh a new secret replaces an expired one.
    private bool TryMakeCookie(UdpEndpoint source, bool refresh, Span<byte> cookie)
    {
        Span<byte> sourceBytes = stackalloc byte[SourceLength];
        source.WriteAddress(sourceBytes);
        BinaryPrimitives.WriteUInt16BigEndian(sourceBytes[16..], source.Port);
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            var fresh = _hasSecret && _time.GetElapsedTime(_secretCreated, now) < Constants.CookieRefreshTime;
            if (!fresh)
            {
                if (!refresh)
                {
                    return false;
                }
                // A new random secret every two minutes: old cookies stop working, so they cannot be hoarded.
                RandomNumberGenerator.Fill(_secret);
                _secretCreated = now;
                _hasSecret = true;
            }
            Blake2s.Mac(cookie, _secret, sourceBytes);
            return true;
        }
    }
}
