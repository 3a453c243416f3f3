using System.Buffers.Binary;
using Weft.Core.Crypto;

namespace Weft.WireGuard.Noise;

/// <summary>
/// WireGuard's Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s handshake (whitepaper 5.4.2 to 5.4.5): making
/// and consuming initiations and responses, then deriving the transport keypair. mac1 and mac2 are
/// not touched here: <see cref="CookieGenerator"/> fills them and <see cref="CookieChecker"/> checks them.
/// Every failure returns false and leaves the handshake as it was.
/// </summary>
public static class NoiseProtocol
{
    // C = HASH(construction) and H = HASH(C || identifier) are the same for every handshake.
    private static readonly Key32 InitialChainKey = ComputeInitialChainKey();
    private static readonly Key32 InitialHash = ComputeInitialHash();

    /// <summary>Initiator: writes a 148-byte initiation into <paramref name="message"/> (mac1/mac2 zero); false if the peer is unusable.</summary>
    public static bool TryCreateInitiation(StaticIdentity local, Handshake hs, uint localIndex, Tai64n now, Span<byte> message) =>
        TryCreateInitiation(local, hs, localIndex, now, message, Curve25519.GeneratePrivateKey());

    /// <summary>As above with a chosen ephemeral private key (test vectors only).</summary>
    internal static bool TryCreateInitiation(StaticIdentity local, Handshake hs, uint localIndex, Tai64n now, Span<byte> message, Key32 ephemeralPrivate)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(hs);
        RequireLength(message, Constants.MessageInitiationSize);
        message = message[..Constants.MessageInitiationSize];
        Span<byte> key = stackalloc byte[Key32.Length];
        Span<byte> timestamp = stackalloc byte[Tai64n.Size];
        var dh = default(Key32);
        var remoteStatic = hs.RemoteStatic;
        var localStatic = local.PublicKey;
        var ephemeralPublic = Curve25519.PublicKey(ephemeralPrivate);
        try
        {
            lock (hs.Gate)
            {
                if (hs.PrecomputedStaticStatic.IsZero || !Curve25519.TryAgree(ephemeralPrivate, remoteStatic, out dh))
                {
                    return false;
                }
                ref var ck = ref hs.ChainKey;
                ref var hash = ref hs.Hash;
                ck = InitialChainKey;
                hash = InitialHashFor(remoteStatic);

                message.Clear();
                Messages.WriteType(message, Constants.MessageInitiationType);
                BinaryPrimitives.WriteUInt32LittleEndian(message[Messages.InitiationSender..], localIndex);
                ((ReadOnlySpan<byte>)ephemeralPublic).CopyTo(message[Messages.InitiationEphemeral..]);
                MixKey(ref ck, ephemeralPublic);
                MixHash(ref hash, ephemeralPublic);

                Blake2s.Kdf(ck, dh, ck, key);
                var encryptedStatic = message.Slice(Messages.InitiationStatic, Messages.InitiationStaticLength);
                Aead.Seal(key, 0, localStatic, hash, encryptedStatic);
                MixHash(ref hash, encryptedStatic);

                Blake2s.Kdf(ck, hs.PrecomputedStaticStatic, ck, key);
                now.WriteTo(timestamp);
                var encryptedTimestamp = message.Slice(Messages.InitiationTimestamp, Messages.InitiationTimestampLength);
                Aead.Seal(key, 0, timestamp, hash, encryptedTimestamp);
                MixHash(ref hash, encryptedTimestamp);

                hs.LocalEphemeral = ephemeralPrivate;
                hs.RemoteEphemeral.Clear();
                hs.LocalIndexLocked = localIndex;
                hs.RemoteIndexLocked = 0;
                hs.StateLocked = HandshakeState.InitiationCreated;
                return true;
            }
        }
        finally
        {
            key.Clear();
            dh.Clear();
            ephemeralPrivate.Clear();
        }
    }

    /// <summary>
    /// Responder: decrypts an initiation (mac1 already checked by the caller), finds the peer by its
    /// static key through <paramref name="findPeer"/>, and rejects replays (timestamp not after the
    /// last accepted) and floods (faster than <see cref="Constants.HandshakeInitiationRate"/>). On
    /// success the handshake is <see cref="HandshakeState.InitiationConsumed"/>.
    /// </summary>
    public static bool TryConsumeInitiation(
        StaticIdentity local,
        ReadOnlySpan<byte> message,
        Func<Key32, Handshake?> findPeer,
        long nowTimestamp,
        TimeProvider time,
        out Handshake? hs,
        out uint remoteIndex)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(findPeer);
        ArgumentNullException.ThrowIfNull(time);
        hs = null;
        remoteIndex = 0;
        if (Messages.Classify(message) != MessageType.Initiation)
        {
            return false;
        }

        Span<byte> key = stackalloc byte[Key32.Length];
        Span<byte> timestampBytes = stackalloc byte[Tai64n.Size];
        var ck = InitialChainKey;
        var hash = local.InitialHash;
        var dh = default(Key32);
        var remoteStatic = default(Key32);
        try
        {
            var ephemeral = Key32.From(message.Slice(Messages.InitiationEphemeral, Key32.Length));
            MixKey(ref ck, ephemeral);
            MixHash(ref hash, ephemeral);

            if (!Curve25519.TryAgree(local.PrivateKey, ephemeral, out dh))
            {
                return false;
            }
            Blake2s.Kdf(ck, dh, ck, key);
            var encryptedStatic = message.Slice(Messages.InitiationStatic, Messages.InitiationStaticLength);
            if (!Aead.TryOpen(key, 0, encryptedStatic, hash, remoteStatic))
            {
                return false;
            }
            MixHash(ref hash, encryptedStatic);

            var peer = findPeer(remoteStatic);
            if (peer is null || peer.RemoteStatic != remoteStatic)
            {
                return false;
            }

            lock (peer.Gate)
            {
                if (peer.PrecomputedStaticStatic.IsZero)
                {
                    return false;
                }
                Blake2s.Kdf(ck, peer.PrecomputedStaticStatic, ck, key);
                var encryptedTimestamp = message.Slice(Messages.InitiationTimestamp, Messages.InitiationTimestampLength);
                if (!Aead.TryOpen(key, 0, encryptedTimestamp, hash, timestampBytes))
                {
                    return false;
                }
                MixHash(ref hash, encryptedTimestamp);

                // Replay: an attacker who recorded an initiation must not be able to reset the session.
                var timestamp = Tai64n.Read(timestampBytes);
                if (!timestamp.After(peer.LastTimestampLocked))
                {
                    return false;
                }
                // Flood: even fresh initiations cost a responder DH work and end its sessions.
                if (peer.IsFloodingLocked(nowTimestamp, time))
                {
                    return false;
                }

                peer.ChainKey = ck;
                peer.Hash = hash;
                peer.RemoteEphemeral = ephemeral;
                peer.LocalEphemeral.Clear();
                peer.RemoteIndexLocked = Messages.ReadSenderIndex(message);
                peer.LocalIndexLocked = 0;
                peer.LastTimestampLocked = timestamp;
                peer.MarkInitiationConsumedLocked(nowTimestamp);
                peer.StateLocked = HandshakeState.InitiationConsumed;
                remoteIndex = peer.RemoteIndexLocked;
            }
            hs = peer;
            return true;
        }
        finally
        {
            key.Clear();
            ck.Clear();
            hash.Clear();
            dh.Clear();
        }
    }

    /// <summary>Responder: writes the 92-byte response (mac1/mac2 zero) to a consumed initiation; false in any other state.</summary>
    public static bool TryCreateResponse(Handshake hs, uint localIndex, Span<byte> message) =>
        TryCreateResponse(hs, localIndex, message, Curve25519.GeneratePrivateKey());

    /// <summary>As above with a chosen ephemeral private key (test vectors only).</summary>
    internal static bool TryCreateResponse(Handshake hs, uint localIndex, Span<byte> message, Key32 ephemeralPrivate)
    {
        ArgumentNullException.ThrowIfNull(hs);
        RequireLength(message, Constants.MessageResponseSize);
        message = message[..Constants.MessageResponseSize];
        Span<byte> key = stackalloc byte[Key32.Length];
        Span<byte> tau = stackalloc byte[Key32.Length];
        var ephemeralPublic = Curve25519.PublicKey(ephemeralPrivate);
        var remoteStatic = hs.RemoteStatic;
        var dhEphemeral = default(Key32);
        var dhStatic = default(Key32);
        try
        {
            lock (hs.Gate)
            {
                if (hs.StateLocked != HandshakeState.InitiationConsumed
                    || !Curve25519.TryAgree(ephemeralPrivate, hs.RemoteEphemeral, out dhEphemeral)
                    || !Curve25519.TryAgree(ephemeralPrivate, remoteStatic, out dhStatic))
                {
                    return false;
                }
                // Work on copies so a failure leaves the handshake untouched.
                var ck = hs.ChainKey;
                var hash = hs.Hash;

                message.Clear();
                Messages.WriteType(message, Constants.MessageResponseType);
                BinaryPrimitives.WriteUInt32LittleEndian(message[Messages.ResponseSender..], localIndex);
                BinaryPrimitives.WriteUInt32LittleEndian(message[Messages.ResponseReceiver..], hs.RemoteIndexLocked);
                ((ReadOnlySpan<byte>)ephemeralPublic).CopyTo(message[Messages.ResponseEphemeral..]);
                MixKey(ref ck, ephemeralPublic);
                MixHash(ref hash, ephemeralPublic);
                MixKey(ref ck, dhEphemeral);
                MixKey(ref ck, dhStatic);

                Blake2s.Kdf(ck, hs.PresharedKeyLocked, ck, tau, key);
                MixHash(ref hash, tau);
                var empty = message.Slice(Messages.ResponseEmpty, Messages.ResponseEmptyLength);
                Aead.Seal(key, 0, [], hash, empty);
                MixHash(ref hash, empty);

                hs.ChainKey = ck;
                hs.Hash = hash;
                hs.LocalEphemeral = ephemeralPrivate;
                hs.LocalIndexLocked = localIndex;
                hs.StateLocked = HandshakeState.ResponseCreated;
                ck.Clear();
                hash.Clear();
                return true;
            }
        }
        finally
        {
            key.Clear();
            tau.Clear();
            dhEphemeral.Clear();
            dhStatic.Clear();
            ephemeralPrivate.Clear();
        }
    }

    /// <summary>
    /// Initiator: validates a response (mac1 already checked by the caller) for the handshake that
    /// owns its receiver index, found through <paramref name="findByLocalIndex"/>. On success the
    /// handshake is <see cref="HandshakeState.ResponseConsumed"/>.
    /// </summary>
    public static bool TryConsumeResponse(StaticIdentity local, ReadOnlySpan<byte> message, Func<uint, Handshake?> findByLocalIndex, out Handshake? hs)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(findByLocalIndex);
        hs = null;
        if (Messages.Classify(message) != MessageType.Response)
        {
            return false;
        }
        var receiver = Messages.ReadReceiverIndex(message, MessageType.Response);
        var peer = findByLocalIndex(receiver);
        if (peer is null)
        {
            return false;
        }

        Span<byte> key = stackalloc byte[Key32.Length];
        Span<byte> tau = stackalloc byte[Key32.Length];
        var ephemeral = Key32.From(message.Slice(Messages.ResponseEphemeral, Key32.Length));
        var dhEphemeral = default(Key32);
        var dhStatic = default(Key32);
        var ck = default(Key32);
        var hash = default(Key32);
        try
        {
            lock (peer.Gate)
            {
                if (peer.StateLocked != HandshakeState.InitiationCreated
                    || peer.LocalIndexLocked != receiver
                    || !Curve25519.TryAgree(peer.LocalEphemeral, ephemeral, out dhEphemeral)
                    || !Curve25519.TryAgree(local.PrivateKey, ephemeral, out dhStatic))
                {
                    return false;
                }
                ck = peer.ChainKey;
                hash = peer.Hash;
                MixKey(ref ck, ephemeral);
                MixHash(ref hash, ephemeral);
                MixKey(ref ck, dhEphemeral);
                MixKey(ref ck, dhStatic);

                Blake2s.Kdf(ck, peer.PresharedKeyLocked, ck, tau, key);
                MixHash(ref hash, tau);
                var empty = message.Slice(Messages.ResponseEmpty, Messages.ResponseEmptyLength);
                if (!Aead.TryOpen(key, 0, empty, hash, []))
                {
                    return false;
                }
                MixHash(ref hash, empty);

                peer.ChainKey = ck;
                peer.Hash = hash;
                peer.RemoteEphemeral = ephemeral;
                peer.RemoteIndexLocked = Messages.ReadSenderIndex(message);
                peer.StateLocked = HandshakeState.ResponseConsumed;
            }
            hs = peer;
            return true;
        }
        finally
        {
            key.Clear();
            tau.Clear();
            dhEphemeral.Clear();
            dhStatic.Clear();
            ck.Clear();
            hash.Clear();
        }
    }

    /// <summary>
    /// Derives the transport keypair once a handshake completed on either side (state
    /// ResponseConsumed or ResponseCreated) and returns the handshake to Zeroed; null in any other state.
    /// </summary>
    public static Keypair? BeginSession(Handshake hs, long nowTimestamp)
    {
        ArgumentNullException.ThrowIfNull(hs);
        var first = default(Key32);
        var second = default(Key32);
        try
        {
            lock (hs.Gate)
            {
                var state = hs.StateLocked;
                if (state is not (HandshakeState.ResponseConsumed or HandshakeState.ResponseCreated))
                {
                    return null;
                }
                Blake2s.Kdf(hs.ChainKey, [], first, second);
                var isInitiator = state == HandshakeState.ResponseConsumed;
                var keypair = isInitiator
                    ? new Keypair(first, second, isInitiator, hs.LocalIndexLocked, hs.RemoteIndexLocked, nowTimestamp)
                    : new Keypair(second, first, isInitiator, hs.LocalIndexLocked, hs.RemoteIndexLocked, nowTimestamp);
                hs.ClearLocked();
                return keypair;
            }
        }
        finally
        {
            first.Clear();
            second.Clear();
        }
    }

    /// <summary>HASH(HASH(HASH(construction) || identifier) || responder's static public key).</summary>
    internal static Key32 InitialHashFor(Key32 responderStatic)
    {
        var hash = InitialHash;
        MixHash(ref hash, responderStatic);
        return hash;
    }

    private static void MixHash(ref Key32 hash, ReadOnlySpan<byte> data) => Blake2s.Hash(hash, hash, data);

    private static void MixKey(ref Key32 chainKey, ReadOnlySpan<byte> input) => Blake2s.Kdf(chainKey, input, chainKey);

    private static void RequireLength(Span<byte> message, int length)
    {
        if (message.Length < length)
        {
            throw new ArgumentException($"the message buffer holds {message.Length} bytes; this message needs {length}", nameof(message));
        }
    }

    private static Key32 ComputeInitialChainKey()
    {
        var ck = default(Key32);
        Blake2s.Hash(ck, Constants.NoiseConstruction);
        return ck;
    }

    private static Key32 ComputeInitialHash()
    {
        var hash = default(Key32);
        var ck = ComputeInitialChainKey();
        Blake2s.Hash(hash, ck, Constants.NoiseIdentifier);
        return hash;
    }
}
