using System.Security.Cryptography;
using Weft.Core.Crypto;

namespace Weft.WireGuard.Noise;

/// <summary>
/// The sending half of WireGuard's DoS defence (whitepaper 5.4.7), one per peer and keyed by the
/// peer's public key: puts mac1 on every handshake message, and mac2 while we hold a fresh cookie
/// from the peer's cookie reply. Thread-safe.
/// </summary>
public sealed class CookieGenerator
{
    private readonly Key32 _mac1Key;
    private readonly Key32 _cookieKey;
    private readonly TimeProvider _time;

    // _gate guards the fields below.
    private readonly Lock _gate = new();
    private readonly byte[] _cookie = new byte[Blake2s.MacLength];
    private readonly byte[] _lastMac1 = new byte[Messages.MacLength];
    private long _cookieReceived;
    private bool _hasCookie;
    private bool _hasLastMac1;

    public CookieGenerator(Key32 remotePublic, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        Blake2s.Hash(_mac1Key, Constants.LabelMac1, remotePublic);
        Blake2s.Hash(_cookieKey, Constants.LabelCookie, remotePublic);
    }

    /// <summary>
    /// Fills mac1 of an initiation or response, and mac2 when we hold a cookie younger than
    /// <see cref="Constants.CookieRefreshTime"/> minus <see cref="Constants.CookieRefreshMargin"/> (zeros otherwise).
    /// </summary>
    public void AddMacs(Span<byte> message)
    {
        if (!CookieChecker.IsHandshake(message))
        {
            throw new ArgumentException($"macs go on a {Constants.MessageInitiationSize}-byte initiation or {Constants.MessageResponseSize}-byte response, not this {message.Length}-byte message", nameof(message));
        }
        var mac1Offset = message.Length - 2 * Messages.MacLength;
        var mac2Offset = message.Length - Messages.MacLength;
        var mac1 = message.Slice(mac1Offset, Messages.MacLength);
        var mac2 = message[mac2Offset..];
        Blake2s.Mac(mac1, _mac1Key, message[..mac1Offset]);
        lock (_gate)
        {
            mac1.CopyTo(_lastMac1);
            _hasLastMac1 = true;
            // The margin keeps us from using a cookie the checker is about to stop accepting.
            var usable = _hasCookie && _time.GetElapsedTime(_cookieReceived) < Constants.CookieRefreshTime - Constants.CookieRefreshMargin;
            if (usable)
            {
                Blake2s.Mac(mac2, _cookie, message[..mac2Offset]);
            }
            else
            {
                mac2.Clear();
            }
        }
    }

    /// <summary>
    /// Takes the cookie from a 64-byte cookie reply; false unless it decrypts with the mac1 we last
    /// sent as associated data (so an off-path attacker cannot plant cookies).
    /// </summary>
    public bool TryConsumeReply(ReadOnlySpan<byte> reply64)
    {
        if (Messages.Classify(reply64) != MessageType.CookieReply)
        {
            return false;
        }
        Span<byte> cookie = stackalloc byte[Blake2s.MacLength];
        try
        {
            lock (_gate)
            {
                if (!_hasLastMac1)
                {
                    return false;
                }
                var nonce = reply64.Slice(Messages.CookieReplyNonce, Aead.XNonceLength);
                var sealedCookie = reply64.Slice(Messages.CookieReplyCookie, Messages.CookieReplyCookieLength);
                if (!Aead.TryXOpen(_cookieKey, nonce, sealedCookie, _lastMac1, cookie))
                {
                    return false;
                }
                cookie.CopyTo(_cookie);
                _cookieReceived = _time.GetTimestamp();
                _hasCookie = true;
                // One reply per message sent: a replayed reply finds nothing to match.
                _hasLastMac1 = false;
                return true;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(cookie);
        }
    }
}
