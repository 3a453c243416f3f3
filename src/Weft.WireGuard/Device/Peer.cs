using System.Net;
using Weft.Core.Crypto;
using Weft.WireGuard.Conn;
using Weft.WireGuard.Noise;

namespace Weft.WireGuard;

/// <summary>
/// One remote WireGuard peer: its handshake, its three keypairs (previous, current, next), its
/// endpoint, packets waiting for a session, its timers and counters.
/// </summary>
public sealed partial class Peer
{
    private readonly Device _device;

    // _keypairsGate guards the three keypair slots; readers on the data path read _current without it.
    private readonly Lock _keypairsGate = new();
    private Keypair? _previous;
    private volatile Keypair? _current;
    private Keypair? _next;
    private volatile bool _currentExpired;

    // _endpointGate guards _endpoint (a 20-byte struct cannot be written atomically).
    private readonly Lock _endpointGate = new();
    private UdpEndpoint _endpoint;

    // _stagedGate guards the staging ring: packets waiting for a usable keypair, oldest dropped first.
    private readonly Lock _stagedGate = new();
    private readonly byte[]?[] _staged = new byte[Constants.MaxStagedPackets][];
    private readonly int[] _stagedSizes = new int[Constants.MaxStagedPackets];
    private int _stagedHead;
    private int _stagedCount;

    /// <summary>Held while assigning counters and queueing a batch, so batches enter the queues in counter order.</summary>
    internal readonly Lock SendGate = new();

    /// <summary>The batch the TUN reader is filling for this peer; touched only by that thread.</summary>
    internal PacketBatch? Building;

    /// <summary>The batch the socket reader is filling for this peer; touched only by that thread.</summary>
    internal PacketBatch? Receiving;

    private long _rxBytes;
    private long _txBytes;
    private long _lastHandshakeUnixNanoseconds;
    private int _initiationQueued;
    private long _lastInitiationSentTimestamp;

    internal Peer(Device device, Key32 publicKey)
    {
        _device = device;
        PublicKey = publicKey;
        Handshake = new Handshake(publicKey);
        CookieGenerator = new CookieGenerator(publicKey, device.Time);
        InitializeTimers(device.Time);
    }

    /// <summary>The peer's static public key, its identity.</summary>
    public Key32 PublicKey { get; }

    internal Handshake Handshake { get; }

    internal CookieGenerator CookieGenerator { get; }

    /// <summary>Where the peer's index-table entries for keypairs and the current handshake live.</summary>
    internal IndexEntry? HandshakeEntry { get; set; }

    /// <summary>Our initiation won a tie with the peer's and was sent again (once per initiation).</summary>
    internal bool YieldResent { get; set; }

    /// <summary>The last handshake initiation we sent this peer, byte for byte.</summary>
    internal byte[]? LastInitiation { get; set; }

    /// <summary>Persistent keepalive interval in seconds; 0 turns it off.</summary>
    public ushort PersistentKeepaliveInterval { get; internal set; }

    /// <summary>False while the device's private key makes this peer unusable (a zero shared secret).</summary>
    internal bool Usable { get; set; } = true;

    /// <summary>Bytes of authenticated messages received from the peer.</summary>
    public long RxBytes => Interlocked.Read(ref _rxBytes);

    /// <summary>Bytes of messages sent to the peer.</summary>
    public long TxBytes => Interlocked.Read(ref _txBytes);

    /// <summary>When the last handshake completed, or null if never.</summary>
    public DateTimeOffset? LastHandshake
    {
        get
        {
            var ns = Interlocked.Read(ref _lastHandshakeUnixNanoseconds);
            return ns == 0 ? null : DateTimeOffset.UnixEpoch.AddTicks(ns / 100);
        }
    }

    /// <summary>The current endpoint; empty until configured or learned from an authenticated packet.</summary>
    public UdpEndpoint Endpoint
    {
        get
        {
            lock (_endpointGate)
            {
                return _endpoint;
            }
        }
    }

    /// <summary>The keypair used for sending, if any and not expired by a key change.</summary>
    private bool _endpointPinned;

    internal Keypair? Current => _currentExpired ? null : _current;

    internal void SetEndpoint(in UdpEndpoint endpoint, bool pinned = false)
    {
        lock (_endpointGate)
        {
            _endpoint = endpoint;
            _endpointPinned = pinned;
        }
    }

    /// <summary>
    /// Roaming: an authenticated packet came from <paramref name="source"/>, so that is where the peer is now —
    /// unless the endpoint is pinned (a bind that chooses paths itself maps every path of the peer to one endpoint).
    /// </summary>
    internal void Roam(in UdpEndpoint source)
    {
        lock (_endpointGate)
        {
            if (!_endpointPinned)
            {
                _endpoint = source;
            }
        }
    }

    internal void AddRx(long bytes) => Interlocked.Add(ref _rxBytes, bytes);

    internal void AddTx(long bytes) => Interlocked.Add(ref _txBytes, bytes);

    internal void MarkHandshakeCompleted()
    {
        var now = _device.Time.GetUtcNow();
        Interlocked.Exchange(ref _lastHandshakeUnixNanoseconds, (now - DateTimeOffset.UnixEpoch).Ticks * 100);
    }

    /// <summary>Whether the keypair may still carry traffic: young enough and with counters left.</summary>
    internal bool IsUsableForSending(Keypair keypair) =>
        _device.Time.GetElapsedTime(keypair.CreatedTimestamp) < _device.Times.RejectAfterTime;

    /// <summary>
    /// Installs the keypair of a handshake we initiated: it becomes current at once (the responder has
    /// already derived it), the old current becomes previous.
    /// </summary>
    internal void InstallAsInitiator(Keypair keypair)
    {
        Keypair? dropA, dropB = null;
        lock (_keypairsGate)
        {
            if (_next is not null)
            {
                // An unconfirmed session from the peer's own initiation is superseded by ours.
                dropA = _previous;
                _previous = _next;
                _next = null;
                dropB = _current;
            }
            else
            {
                dropA = _previous;
                _previous = _current;
            }
            _current = keypair;
            _currentExpired = false;
        }
        _device.Retire(dropA);
        _device.Retire(dropB);
    }

    /// <summary>
    /// Installs the keypair of a handshake the peer initiated: it waits as next until the peer sends
    /// on it, which proves the peer received our response (whitepaper 5.4.6: the responder must not send first).
    /// </summary>
    internal void InstallAsResponder(Keypair keypair)
    {
        Keypair? dropA, dropB;
        lock (_keypairsGate)
        {
            dropA = _next;
            dropB = _previous;
            _next = keypair;
            _previous = null;
        }
        _device.Retire(dropA);
        _device.Retire(dropB);
    }

    /// <summary>Called for each authenticated batch: promotes next to current on its first use. True when it did.</summary>
    internal bool ReceivedWith(Keypair keypair)
    {
        if (!ReferenceEquals(Volatile.Read(ref _next), keypair))
        {
            return false;
        }
        Keypair? drop;
        lock (_keypairsGate)
        {
            if (!ReferenceEquals(_next, keypair))
            {
                return false;
            }
            drop = _previous;
            _previous = _current;
            _current = keypair;
            _currentExpired = false;
            _next = null;
        }
        _device.Retire(drop);
        return true;
    }

    /// <summary>Forgets every session and the handshake (key change, peer removal, or the zero-key-material timer).</summary>
    internal void ZeroKeyMaterial()
    {
        Keypair? a, b, c;
        lock (_keypairsGate)
        {
            a = _previous;
            b = _current;
            c = _next;
            _previous = _current = _next = null;
        }
        _device.Retire(a);
        _device.Retire(b);
        _device.Retire(c);
        Handshake.Clear();
        _device.ForgetHandshakeIndex(this);
    }

    /// <summary>Makes the current keypair unusable for sending so the next packet starts a handshake.</summary>
    internal void ExpireCurrentKeypairs()
    {
        Handshake.Clear();
        _device.ForgetHandshakeIndex(this);
        _currentExpired = true;
    }

    /// <summary>Keeps a packet until a session exists; the oldest is dropped when the ring is full.</summary>
    internal void Stage(byte[] buffer, int size)
    {
        byte[]? dropped = null;
        lock (_stagedGate)
        {
            if (_stagedCount == _staged.Length)
            {
                dropped = _staged[_stagedHead];
                _staged[_stagedHead] = null;
                _stagedHead = (_stagedHead + 1) % _staged.Length;
                _stagedCount--;
            }
            var slot = (_stagedHead + _stagedCount) % _staged.Length;
            _staged[slot] = buffer;
            _stagedSizes[slot] = size;
            _stagedCount++;
        }
        if (dropped is not null)
        {
            Interlocked.Increment(ref _device.Stats._stagedDropped);
            _device.Pool.Return(dropped);
        }
    }

    /// <summary>Moves up to <paramref name="batch"/>'s capacity of staged packets into it, oldest first.</summary>
    internal void TakeStaged(PacketBatch batch)
    {
        lock (_stagedGate)
        {
            while (_stagedCount > 0 && !batch.IsFull)
            {
                batch.Add(_staged[_stagedHead]!, _stagedSizes[_stagedHead]);
                _staged[_stagedHead] = null;
                _stagedHead = (_stagedHead + 1) % _staged.Length;
                _stagedCount--;
            }
        }
    }

    internal bool HasStaged
    {
        get
        {
            lock (_stagedGate)
            {
                return _stagedCount > 0;
            }
        }
    }

    /// <summary>Drops every staged packet (the handshake gave up).</summary>
    internal void ClearStaged()
    {
        lock (_stagedGate)
        {
            while (_stagedCount > 0)
            {
                _device.Pool.Return(_staged[_stagedHead]!);
                _staged[_stagedHead] = null;
                _stagedHead = (_stagedHead + 1) % _staged.Length;
                _stagedCount--;
            }
        }
    }

    /// <summary>True once per queued initiation request so a burst of packets queues one handshake.</summary>
    internal bool TryMarkInitiationQueued() => Interlocked.Exchange(ref _initiationQueued, 1) == 0;

    internal void ClearInitiationQueued() => Volatile.Write(ref _initiationQueued, 0);

    /// <summary>Initiations are not resent more often than REKEY_TIMEOUT unless the retransmit timer asks.</summary>
    internal bool InitiationSentRecently()
    {
        var last = Interlocked.Read(ref _lastInitiationSentTimestamp);
        return last != 0 && _device.Time.GetElapsedTime(last) < _device.Times.RekeyTimeout;
    }

    internal void MarkInitiationSent() => Interlocked.Exchange(ref _lastInitiationSentTimestamp, _device.Time.GetTimestamp());

    /// <summary>The prefixes routed to this peer, for display.</summary>
    public IReadOnlyList<IPNetwork> AllowedIps
    {
        get
        {
            var list = new List<IPNetwork>();
            _device.AllowedIps.CopyPrefixesOf(this, list);
            return list;
        }
    }

    public override string ToString() => $"peer({PublicKey.ToBase64()[..8]}…)";
}
