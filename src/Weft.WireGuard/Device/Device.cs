using System.Net;
using Microsoft.Extensions.Logging;
using Weft.Core.Crypto;
using Weft.WireGuard.AllowedIps;
using Weft.WireGuard.Conn;
using Weft.WireGuard.Noise;
using Weft.WireGuard.Tun;

namespace Weft.WireGuard;

/// <summary>
/// A userspace WireGuard interface: reads IP packets from a TUN, encrypts them for the peer whose
/// allowed IPs match, sends them over UDP, and the reverse; runs handshakes and timers. Configured
/// through its methods or the userspace API.
/// </summary>
/// <remarks>
/// Threads: one reads the TUN, one reads the socket, <see cref="DeviceOptions.CryptoWorkers"/> encrypt
/// and decrypt batches in parallel, one sends finished outbound batches in order, one writes finished
/// inbound batches to the TUN in order, one runs handshakes. Order per peer is kept because batches
/// enter the in-order queues in the order their counters were assigned.
/// </remarks>
public sealed partial class Device : IDisposable
{
    /// <summary>Batches in flight per direction; bounds memory and gives backpressure to the readers.</summary>
    private const int QueuedBatches = 32;

    private readonly ITun _tun;
    private readonly IBind _bind;
    private readonly ILogger _logger;
    private readonly DeviceOptions _options;
    private readonly IndexTable<IndexEntry> _indexes = new();
    private readonly WorkQueue<PacketBatch> _cryptoQueue = new(QueuedBatches * 2);
    private readonly WorkQueue<PacketBatch> _outboundInOrder = new(QueuedBatches);
    private readonly WorkQueue<PacketBatch> _inboundInOrder = new(QueuedBatches);
    private readonly WorkQueue<HandshakeWork> _handshakeQueue = new(Constants.MaxQueuedHandshakes);
    private readonly HandshakeRateLimiter _rateLimiter;
    private readonly List<Thread> _threads = [];
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _batchCapacity;

    // With inline crypto the reader threads seal, open, send and write themselves (no hand-offs).
    private readonly bool _inlineCrypto;
    private readonly byte[][] _inlineWriteBuffers;
    private readonly int[] _inlineWriteSizes;

    // _bindSignal guards _bindGeneration (written under it, read anywhere): bumped at each reopen of the socket.
    private readonly object _bindSignal = new();
    private int _bindGeneration;

    // The MTU used for padding, refreshed from the TUN now and then (see CurrentMtu).
    private int _mtu;
    private long _mtuCheckedAt = long.MinValue / 2;

    // _batchGate guards _freeBatches.
    private readonly Lock _batchGate = new();
    private readonly Stack<PacketBatch> _freeBatches = new();

    // _configGate guards the configuration fields below and membership of _peers.
    private readonly Lock _configGate = new();
    private readonly Dictionary<Key32, Peer> _peers = [];
    private volatile StaticIdentity? _identity;
    private volatile CookieChecker? _cookieChecker;
    private ushort _listenPort;
    private ushort _configuredPort;
    private uint _fwMark;
    private volatile bool _disposed;
    private long _underLoadUntil;

    // Read once per batch by the data path; swapped whole, so no lock.
    private volatile IPacketFilter? _packetFilter;

    public Device(ITun tun, IBind bind, DeviceOptions options, ILogger logger)
    {
        _tun = tun;
        _bind = bind;
        _options = options;
        _logger = logger;
        Time = options.Time;
        Times = options.Times;
        _rateLimiter = new HandshakeRateLimiter(Time);
        _batchCapacity = Math.Max(Math.Max(tun.BatchSize, bind.BatchSize), 1);
        Pool = new BufferPool(options.MaxPooledBuffers);
        _inlineCrypto = options.CryptoWorkers == 0;
        _inlineWriteBuffers = new byte[_batchCapacity][];
        _inlineWriteSizes = new int[_batchCapacity];
    }

    /// <summary>Drop and handshake counters.</summary>
    public DeviceStats Stats { get; } = new();

    /// <summary>Completes when the device stops: its TUN was closed or deleted, or it was disposed.</summary>
    public Task Closed => _closed.Task;

    /// <summary>The TUN interface's name.</summary>
    public string InterfaceName => _tun.Name;

    /// <summary>The UDP port in use, 0 before <see cref="Start"/>.</summary>
    public ushort ListenPort
    {
        get
        {
            lock (_configGate)
            {
                return _listenPort;
            }
        }
    }

    /// <summary>The public key of the device's private key, if one is set.</summary>
    public Key32? PublicKey => _identity?.PublicKey;

    /// <summary>
    /// Decides which packets pass: outbound ones after routing and before encryption, inbound ones after the
    /// cryptokey-routing check and before the TUN write. Null (the default) passes everything.
    /// </summary>
    public IPacketFilter? PacketFilter
    {
        get => _packetFilter;
        set => _packetFilter = value;
    }

    internal TimeProvider Time { get; }

    internal ProtocolTimes Times { get; }

    internal BufferPool Pool { get; }

    internal AllowedIpsTable<Peer> AllowedIps { get; } = new();

    internal StaticIdentity? Identity => _identity;

    /// <summary>Opens the socket and starts the engine's threads.</summary>
    public void Start()
    {
        lock (_configGate)
        {
            _listenPort = _bind.Open(_configuredPort);
            BindReopened();
            if (_fwMark != 0)
            {
                _bind.SetMark(_fwMark);
            }
        }
        StartThread("weft-tun-read", RoutineReadFromTun);
        StartThread("weft-udp-read", RoutineReceiveFromBind);
        StartThread("weft-send", RoutineSendInOrder);
        StartThread("weft-tun-write", RoutineWriteInOrder);
        StartThread("weft-handshake", RoutineHandshakes);
        for (var i = 0; i < _options.CryptoWorkers; i++)
        {
            StartThread($"weft-crypto-{i}", RoutineCrypto);
        }
        Log.Started(_logger, _tun.Name, _listenPort);
    }

    private void StartThread(string name, ThreadStart body)
    {
        var thread = new Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception ex) when (_disposed || ex is ObjectDisposedException)
            {
                // Closing the TUN or socket under a blocked call ends the routine.
            }
            catch (Exception ex)
            {
                Log.RoutineFailed(_logger, name, ex);
                _closed.TrySetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        _threads.Add(thread);
        thread.Start();
    }

    /// <summary>Sets or clears the private key; peers whose shared secret would be zero become unusable.</summary>
    public void SetPrivateKey(Key32? privateKey)
    {
        lock (_configGate)
        {
            StaticIdentity? identity = null;
            if (privateKey is { IsZero: false } key)
            {
                // Stored clamped, as the kernel and wireguard-go do (and as `wg showconf` then prints it).
                Curve25519.Clamp(key);
                identity = new StaticIdentity(key);
            }
            if (identity is not null && _identity is not null && identity.PublicKey == _identity.PublicKey)
            {
                return;
            }
            // A peer with our own public key would be ourselves: remove it, as the reference does.
            if (identity is not null && _peers.TryGetValue(identity.PublicKey, out var self))
            {
                RemovePeerLocked(self);
            }
            _identity = identity;
            _cookieChecker = identity is null ? null : new CookieChecker(identity.PublicKey, Time);
            foreach (var peer in _peers.Values)
            {
                peer.Usable = peer.Handshake.SetLocalIdentity(identity);
                peer.ExpireCurrentKeypairs();
            }
        }
    }

    /// <summary>Changes the UDP port (0 picks one); reopens the socket if the device runs.</summary>
    public void SetListenPort(ushort port)
    {
        lock (_configGate)
        {
            _configuredPort = port;
            if (_threads.Count > 0 && (port == 0 || port != _listenPort))
            {
                _listenPort = _bind.Open(port);
                BindReopened();
                if (_fwMark != 0)
                {
                    _bind.SetMark(_fwMark);
                }
            }
        }
    }

    /// <summary>Wakes the socket reader blocked on a closed socket: a new one is open (or the device stops).</summary>
    private void BindReopened()
    {
        lock (_bindSignal)
        {
            _bindGeneration++;
            Monitor.PulseAll(_bindSignal);
        }
    }

    /// <summary>Sets SO_MARK on the socket (0 clears it).</summary>
    public void SetFwMark(uint mark)
    {
        lock (_configGate)
        {
            _fwMark = mark;
            if (_threads.Count > 0)
            {
                _bind.SetMark(mark);
            }
        }
    }

    public uint FwMark
    {
        get
        {
            lock (_configGate)
            {
                return _fwMark;
            }
        }
    }

    /// <summary>The peer with this public key, or null.</summary>
    public Peer? FindPeer(Key32 publicKey)
    {
        lock (_configGate)
        {
            return _peers.GetValueOrDefault(publicKey);
        }
    }

    /// <summary>A snapshot of the peers, in no particular order.</summary>
    public IReadOnlyList<Peer> Peers
    {
        get
        {
            lock (_configGate)
            {
                return [.. _peers.Values];
            }
        }
    }

    /// <summary>Adds a peer (or returns the existing one); null when the key is our own public key.</summary>
    public Peer? AddPeer(Key32 publicKey)
    {
        lock (_configGate)
        {
            if (_peers.TryGetValue(publicKey, out var existing))
            {
                return existing;
            }
            if (_identity is not null && _identity.PublicKey == publicKey)
            {
                return null;
            }
            if (_peers.Count >= Constants.MaxPeers)
            {
                throw new InvalidOperationException($"a device holds at most {Constants.MaxPeers} peers");
            }
            var peer = new Peer(this, publicKey);
            peer.Usable = peer.Handshake.SetLocalIdentity(_identity);
            _peers.Add(publicKey, peer);
            return peer;
        }
    }

    /// <summary>Removes a peer, its routes, sessions and timers.</summary>
    public bool RemovePeer(Key32 publicKey)
    {
        lock (_configGate)
        {
            if (!_peers.TryGetValue(publicKey, out var peer))
            {
                return false;
            }
            RemovePeerLocked(peer);
            return true;
        }
    }

    /// <summary>Removes every peer.</summary>
    public void RemoveAllPeers()
    {
        lock (_configGate)
        {
            foreach (var peer in _peers.Values.ToArray())
            {
                RemovePeerLocked(peer);
            }
        }
    }

    // Caller holds _configGate.
    private void RemovePeerLocked(Peer peer)
    {
        _peers.Remove(peer.PublicKey);
        AllowedIps.RemoveByOwner(peer);
        peer.StopTimers();
        peer.ZeroKeyMaterial();
        peer.ClearStaged();
    }

    /// <summary>Sets the peer's preshared key (zero for none).</summary>
    public static void SetPresharedKey(Peer peer, Key32 presharedKey)
    {
        ArgumentNullException.ThrowIfNull(peer);
        peer.Handshake.PresharedKey = presharedKey;
    }

    /// <summary>Sets where the peer is reached until an authenticated packet shows another address.</summary>
    public static void SetEndpoint(Peer peer, UdpEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(peer);
        peer.SetEndpoint(endpoint);
    }

    /// <summary>
    /// Sets the peer's endpoint for good: authenticated packets from other addresses do not move it. For a bind
    /// that gives each peer one stable endpoint and picks the real path per packet (the node's MagicBind).
    /// </summary>
    public static void PinEndpoint(Peer peer, UdpEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(peer);
        peer.SetEndpoint(endpoint, pinned: true);
    }

    /// <summary>Sets the persistent keepalive interval in seconds (0 turns it off).</summary>
    public static void SetPersistentKeepalive(Peer peer, ushort seconds)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var changed = peer.PersistentKeepaliveInterval != seconds;
        peer.PersistentKeepaliveInterval = seconds;
        if (changed)
        {
            peer.PersistentKeepaliveChanged();
        }
    }

    /// <summary>Routes a prefix to the peer (taking it from another peer if needed).</summary>
    public void AddAllowedIp(Peer peer, IPNetwork prefix) => AllowedIps.Insert(prefix, peer);

    /// <summary>Removes every prefix routed to the peer.</summary>
    public void ClearAllowedIps(Peer peer) => AllowedIps.RemoveByOwner(peer);

    /// <summary>Removes one prefix from the peer.</summary>
    public bool RemoveAllowedIp(Peer peer, IPNetwork prefix) => AllowedIps.Remove(prefix, peer);

    /// <summary>Disposes a keypair that left every slot, after removing its index so no new packet finds it.</summary>
    internal void Retire(Keypair? keypair)
    {
        if (keypair is null)
        {
            return;
        }
        _indexes.Remove(keypair.LocalIndex);
        // Packets already in flight under it are dropped, not corrupted: once disposed, Seal returns 0
        // (the sender skips the packet) and TryOpen returns false; contexts in use are freed when given back.
        keypair.Dispose();
    }

    /// <summary>Forgets the index of a handshake in progress.</summary>
    internal void ForgetHandshakeIndex(Peer peer)
    {
        var entry = peer.HandshakeEntry;
        if (entry is not null && entry.Keypair is null)
        {
            _indexes.Remove(entry.Index);
        }
        peer.HandshakeEntry = null;
    }

    internal PacketBatch RentBatch()
    {
        lock (_batchGate)
        {
            if (_freeBatches.TryPop(out var batch))
            {
                return batch;
            }
        }
        return new PacketBatch(_batchCapacity);
    }

    /// <summary>Returns the batch's buffers to the pool and the batch to the free list.</summary>
    internal void ReturnBatch(PacketBatch batch)
    {
        Pool.Return(batch.Buffers.AsSpan(0, batch.Count));
        batch.Reset();
        lock (_batchGate)
        {
            _freeBatches.Push(batch);
        }
    }

    /// <summary>
    /// Completes once the in-order threads and the handshake thread have processed everything queued
    /// before the call (each queue gets a marker). For tests, which must not sleep to synchronise.
    /// </summary>
    internal Task Drained()
    {
        var outbound = new PacketBatch(1) { Fence = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        var inbound = new PacketBatch(1) { Fence = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        var handshake = new HandshakeWork { Fence = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        var all = Task.WhenAll(outbound.Fence.Task, inbound.Fence.Task, handshake.Fence.Task);
        _outboundInOrder.Add(outbound);
        _inboundInOrder.Add(inbound);
        _handshakeQueue.Add(handshake);
        return all;
    }

    /// <summary>Stops the engine: closes the socket and TUN, ends the threads, zeroes keys.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _cryptoQueue.Close();
        _outboundInOrder.Close();
        _inboundInOrder.Close();
        _handshakeQueue.Close();
        _bind.Close();
        BindReopened();
        _tun.Dispose();
        foreach (var thread in _threads)
        {
            if (thread != Thread.CurrentThread)
            {
                thread.Join(TimeSpan.FromSeconds(5));
            }
        }
        lock (_configGate)
        {
            foreach (var peer in _peers.Values)
            {
                peer.StopTimers();
                peer.ZeroKeyMaterial();
                peer.ClearStaged();
            }
            _peers.Clear();
        }
        _bind.Dispose();
        // Allocation figures show whether the data path stays allocation-free over a long run.
        Log.Stopped(_logger, _tun.Name, Stats.ToString(), GC.GetTotalAllocatedBytes(), GC.CollectionCount(0), Pool.Created);
        _closed.TrySetResult();
    }
}
