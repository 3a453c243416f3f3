using Weft.Core.Crypto;

namespace Weft.WireGuard.Noise;

/// <summary>
/// The Noise IKpsk2 state with one peer: its static key, the optional preshared key, and the
/// chaining key, hash and ephemeral keys of the handshake in flight. The device holds one per peer;
/// <see cref="NoiseProtocol"/> advances it. Thread-safe: every member takes the one lock inside.
/// </summary>
public sealed class Handshake
{
    // _gate guards every mutable field below. NoiseProtocol takes it through Gate.
    private readonly Lock _gate = new();

    private Key32 _presharedKey;
    private Key32 _precomputedStaticStatic;
    private HandshakeState _state;
    private Key32 _chainKey;
    private Key32 _hash;
    private Key32 _localEphemeral;
    private Key32 _remoteEphemeral;
    private uint _localIndex;
    private uint _remoteIndex;
    private Tai64n _lastTimestamp;
    private long _lastInitiationConsumed;
    private bool _hasConsumedInitiation;

    public Handshake(Key32 remoteStatic)
    {
        RemoteStatic = remoteStatic;
    }

    /// <summary>The peer's static public key (what identifies the peer).</summary>
    public Key32 RemoteStatic { get; }

    /// <summary>The preshared key mixed in by psk2; all zero means none.</summary>
    public Key32 PresharedKey
    {
        get
        {
            lock (_gate)
            {
                return _presharedKey;
            }
        }
        set
        {
            lock (_gate)
            {
                _presharedKey = value;
            }
        }
    }

    /// <summary>Where the handshake is.</summary>
    public HandshakeState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>Greatest initiation timestamp accepted from this peer (default when none yet).</summary>
    public Tai64n LastTimestamp
    {
        get
        {
            lock (_gate)
            {
                return _lastTimestamp;
            }
        }
    }

    /// <summary>Our index for the handshake in flight (0 when none).</summary>
    public uint LocalIndex
    {
        get
        {
            lock (_gate)
            {
                return _localIndex;
            }
        }
    }

    /// <summary>The peer's index for the handshake in flight (0 when none).</summary>
    public uint RemoteIndex
    {
        get
        {
            lock (_gate)
            {
                return _remoteIndex;
            }
        }
    }

    /// <summary>
    /// Precomputes DH(our static, peer static), which every handshake with this peer needs. Returns
    /// false (the peer cannot be used) when it is all zero or when <paramref name="local"/> is null.
    /// Clears a handshake in flight, since it was made with the old key.
    /// </summary>
    public bool SetLocalIdentity(StaticIdentity? local)
    {
        var shared = default(Key32);
        var ok = local is not null && Curve25519.TryAgree(local.PrivateKey, RemoteStatic, out shared);
        lock (_gate)
        {
            _precomputedStaticStatic = ok ? shared : default;
            ClearLocked();
        }
        shared.Clear();
        return ok;
    }

    /// <summary>Forgets the handshake in flight (keys, hash, indexes); the replay and flood history stays.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            ClearLocked();
        }
    }

    /// <summary>The lock NoiseProtocol holds while it reads or writes the fields below.</summary>
    internal Lock Gate => _gate;

    // Caller holds _gate for every member below.

    internal ref Key32 PresharedKeyLocked => ref _presharedKey;

    internal ref Key32 PrecomputedStaticStatic => ref _precomputedStaticStatic;

    internal ref Key32 ChainKey => ref _chainKey;

    internal ref Key32 Hash => ref _hash;

    internal ref Key32 LocalEphemeral => ref _localEphemeral;

    internal ref Key32 RemoteEphemeral => ref _remoteEphemeral;

    internal ref HandshakeState StateLocked => ref _state;

    internal ref uint LocalIndexLocked => ref _localIndex;

    internal ref uint RemoteIndexLocked => ref _remoteIndex;

    internal ref Tai64n LastTimestampLocked => ref _lastTimestamp;

    /// <summary>True when an initiation from this peer was consumed less than the flood interval ago.</summary>
    internal bool IsFloodingLocked(long nowTimestamp, TimeProvider time) =>
        _hasConsumedInitiation && time.GetElapsedTime(_lastInitiationConsumed, nowTimestamp) <= Constants.HandshakeInitiationRate;

    internal void MarkInitiationConsumedLocked(long nowTimestamp)
    {
        _lastInitiationConsumed = nowTimestamp;
        _hasConsumedInitiation = true;
    }

    internal void ClearLocked()
    {
        _chainKey.Clear();
        _hash.Clear();
        _localEphemeral.Clear();
        _remoteEphemeral.Clear();
        _localIndex = 0;
        _remoteIndex = 0;
        _state = HandshakeState.Zeroed;
    }
}
