using System.Buffers.Binary;
using Weft.Core.Crypto;

namespace Weft.Core.Control;

/// <summary>
/// One Noise_IK_25519_ChaChaPoly_BLAKE2s handshake (pattern: &lt;- s ... -&gt; e, es, s, ss; &lt;- e, ee, se)
/// between a node's machine key (initiator) and the server's static key (responder). Two messages prove
/// both static keys and yield one transport cipher per direction. Not thread-safe; use once.
/// </summary>
public sealed class NoiseIK
{
    private readonly bool _initiator;
    private readonly Key32 _staticPrivate;
    private readonly Key32 _ephemeralPrivate;
    private Key32 _remoteStatic;
    private Key32 _remoteEphemeral;
    private Key32 _ck;
    private Key32 _h;
    private Key32 _k;
    private ulong _n;
    private int _step;

    private NoiseIK(bool initiator, in Key32 staticPrivate, in Key32 remoteStatic, in Key32 ephemeralPrivate)
    {
        _initiator = initiator;
        _staticPrivate = staticPrivate;
        _ephemeralPrivate = ephemeralPrivate;
        _remoteStatic = remoteStatic;
        // The protocol name is longer than HASHLEN, so h = HASH(name); ck = h.
        Blake2s.Hash(_h, System.Text.Encoding.ASCII.GetBytes(ControlProtocol.Construction));
        _ck = _h;
        MixHash(System.Text.Encoding.ASCII.GetBytes(ControlProtocol.Prologue));
        // Pre-message: the responder's static key is known to both.
        var responderStatic = initiator ? remoteStatic : Curve25519.PublicKey(staticPrivate);
        MixHash(responderStatic);
    }

    /// <summary>The initiator's (node's) side, knowing the server's public key in advance.</summary>
    public static NoiseIK Initiator(in Key32 machinePrivate, in Key32 serverPublic) => Initiator(machinePrivate, serverPublic, Curve25519.GeneratePrivateKey());

    /// <summary>The responder's (server's) side.</summary>
    public static NoiseIK Responder(in Key32 serverPrivate) => Responder(serverPrivate, Curve25519.GeneratePrivateKey());

    /// <summary>An initiator with a chosen ephemeral key: only for test vectors (a reused ephemeral key breaks forward secrecy).</summary>
    public static NoiseIK Initiator(in Key32 machinePrivate, in Key32 serverPublic, in Key32 ephemeralPrivate) => new(true, machinePrivate, serverPublic, ephemeralPrivate);

    /// <summary>A responder with a chosen ephemeral key: only for test vectors.</summary>
    public static NoiseIK Responder(in Key32 serverPrivate, in Key32 ephemeralPrivate) => new(false, serverPrivate, default, ephemeralPrivate);

    /// <summary>The peer's static public key: known in advance by the initiator, learned from message 1 by the responder.</summary>
    public Key32 RemoteStatic => _remoteStatic;

    /// <summary>The handshake hash after the last message: a transcript digest both sides share.</summary>
    public Key32 HandshakeHash => _h;

    /// <summary>Length of message 1 for a payload of <paramref name="payloadLength"/> bytes.</summary>
    public static int Message1Length(int payloadLength) => Key32.Length + Key32.Length + Aead.TagLength + payloadLength + Aead.TagLength;

    /// <summary>Length of message 2 for a payload of <paramref name="payloadLength"/> bytes.</summary>
    public static int Message2Length(int payloadLength) => Key32.Length + payloadLength + Aead.TagLength;

    /// <summary>Initiator: -&gt; e, es, s, ss, payload.</summary>
    public byte[] WriteMessage1(ReadOnlySpan<byte> payload)
    {
        Expect(_initiator && _step == 0);
        var message = new byte[Message1Length(payload.Length)];
        var e = Curve25519.PublicKey(_ephemeralPrivate);
        ((ReadOnlySpan<byte>)e).CopyTo(message);
        MixHash(e);
        MixDh(_ephemeralPrivate, _remoteStatic);
        var s = Curve25519.PublicKey(_staticPrivate);
        EncryptAndHash(s, message.AsSpan(Key32.Length, Key32.Length + Aead.TagLength));
        MixDh(_staticPrivate, _remoteStatic);
        EncryptAndHash(payload, message.AsSpan((Key32.Length * 2) + Aead.TagLength));
        _step = 1;
        return message;
    }

    /// <summary>Responder: reads message 1; false (and the handshake is dead) when it does not authenticate.</summary>
    public bool TryReadMessage1(ReadOnlySpan<byte> message, out byte[] payload)
    {
        Expect(!_initiator && _step == 0);
        payload = [];
        _step = -1;
        if (message.Length < Message1Length(0))
        {
            return false;
        }

        _remoteEphemeral = Key32.From(message[..Key32.Length]);
        MixHash(_remoteEphemeral);
        if (!TryMixDh(_staticPrivate, _remoteEphemeral))
        {
            return false;
        }

        Span<byte> s = stackalloc byte[Key32.Length];
        if (!DecryptAndHash(message.Slice(Key32.Length, Key32.Length + Aead.TagLength), s))
        {
            return false;
        }

        _remoteStatic = Key32.From(s);
        if (!TryMixDh(_staticPrivate, _remoteStatic))
        {
            return false;
        }

        var rest = message[((Key32.Length * 2) + Aead.TagLength)..];
        var plain = new byte[rest.Length - Aead.TagLength];
        if (!DecryptAndHash(rest, plain))
        {
            return false;
        }

        payload = plain;
        _step = 1;
        return true;
    }

    /// <summary>Responder: &lt;- e, ee, se, payload.</summary>
    public byte[] WriteMessage2(ReadOnlySpan<byte> payload)
    {
        Expect(!_initiator && _step == 1);
        var message = new byte[Message2Length(payload.Length)];
        var e = Curve25519.PublicKey(_ephemeralPrivate);
        ((ReadOnlySpan<byte>)e).CopyTo(message);
        MixHash(e);
        MixDh(_ephemeralPrivate, _remoteEphemeral);
        MixDh(_ephemeralPrivate, _remoteStatic);
        EncryptAndHash(payload, message.AsSpan(Key32.Length));
        _step = 2;
        return message;
    }

    /// <summary>Initiator: reads message 2; false when it does not come from the holder of the server key.</summary>
    public bool TryReadMessage2(ReadOnlySpan<byte> message, out byte[] payload)
    {
        Expect(_initiator && _step == 1);
        payload = [];
        _step = -1;
        if (message.Length < Message2Length(0))
        {
            return false;
        }

        _remoteEphemeral = Key32.From(message[..Key32.Length]);
        MixHash(_remoteEphemeral);
        if (!TryMixDh(_ephemeralPrivate, _remoteEphemeral) || !TryMixDh(_staticPrivate, _remoteEphemeral))
        {
            return false;
        }

        var rest = message[Key32.Length..];
        var plain = new byte[rest.Length - Aead.TagLength];
        if (!DecryptAndHash(rest, plain))
        {
            return false;
        }

        payload = plain;
        _step = 2;
        return true;
    }

    /// <summary>After both messages: (send, receive) ciphers for this side. Wipes the handshake secrets.</summary>
    public (ControlCipher Send, ControlCipher Receive) Split()
    {
        Expect(_step == 2);
        var k1 = default(Key32);
        var k2 = default(Key32);
        Blake2s.Kdf(_ck, [], k1, k2);
        _ck.Clear();
        _k.Clear();
        _step = 3;
        return _initiator ? (new ControlCipher(k1), new ControlCipher(k2)) : (new ControlCipher(k2), new ControlCipher(k1));
    }

    private void MixHash(ReadOnlySpan<byte> data)
    {
        Span<byte> next = stackalloc byte[Key32.Length];
        Blake2s.Hash(next, _h, data);
        next.CopyTo(_h);
    }

    private void MixKey(ReadOnlySpan<byte> input)
    {
        Span<byte> ck = stackalloc byte[Key32.Length];
        Blake2s.Kdf(_ck, input, ck, _k);
        ck.CopyTo(_ck);
        ck.Clear();
        _n = 0;
    }

    private void MixDh(in Key32 priv, in Key32 pub)
    {
        if (!TryMixDh(priv, pub))
        {
            throw new System.Security.Cryptography.CryptographicException("Noise DH with a low-order point");
        }
    }

    private bool TryMixDh(in Key32 priv, in Key32 pub)
    {
        if (!Curve25519.TryAgree(priv, pub, out var shared))
        {
            return false;
        }

        MixKey(shared);
        shared.Clear();
        return true;
    }

    private void EncryptAndHash(ReadOnlySpan<byte> plaintext, Span<byte> ciphertext)
    {
        Aead.Seal(_k, _n++, plaintext, _h, ciphertext);
        MixHash(ciphertext[..(plaintext.Length + Aead.TagLength)]);
    }

    private bool DecryptAndHash(ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        if (!Aead.TryOpen(_k, _n++, ciphertext, _h, plaintext))
        {
            return false;
        }

        MixHash(ciphertext);
        return true;
    }

    private static void Expect(bool ok)
    {
        if (!ok)
        {
            throw new InvalidOperationException("Noise handshake step out of order");
        }
    }

    /// <summary>The version payload the initiator sends: 16-bit big-endian.</summary>
    internal static byte[] VersionPayload(ushort version)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(b, version);
        return b;
    }
}
