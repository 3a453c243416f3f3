using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Weft.Core.Crypto;
using Weft.Core.Keys;
using Weft.Relay.Stun;
using Weft.WireGuard.Conn;

namespace Weft.Node.Paths;

/// <summary>
/// The bind the WireGuard device uses on a node (Tailscale's magicsock, our own design): it wraps the real UDP bind
/// and the home relay, gives every peer a stable synthetic endpoint, and sends each packet for that endpoint over the
/// peer's best path right now — a direct UDP endpoint proven by disco pings, else the relay. Received datagrams from a
/// peer's known addresses and relayed packets come back with the synthetic endpoint as source, so WireGuard's roaming
/// never fights path selection. Disco and STUN share the socket and are told apart by their first bytes.
/// <para>
/// Daemon integration: create it with the real bind and a <see cref="RelayClientLink"/> and give it to the
/// <c>Device</c> instead of the bare bind; on every netmap call <see cref="SetPeers"/> and set each WireGuard
/// peer's endpoint to <see cref="SyntheticEndpoint"/> of its node key; run <see cref="NetcheckAsync"/> with the
/// netmap's relay map (for `weft netcheck`, and periodically: it also refreshes <see cref="LocalEndpoints"/>, which go
/// to control as the node's endpoints); show <see cref="PeerPath"/> in status and ping. The node's disco public key
/// (<see cref="DiscoPublic"/>) goes to control with its endpoints.
/// </para>
/// </summary>
public sealed partial class MagicBind : IBind
{
    private readonly IBind _inner;
    private readonly IRelayLink? _relay;
    private readonly PrivateKey _discoPrivate;
    private volatile StrongBox<NodePublic> _nodeKey;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ITimer _timer;

    private volatile PeerTable _peers = PeerTable.Empty;

    /// <summary>Direct addresses of peers (from the netmap, call-me-maybe and ping sources) → the peer, for inbound mapping.</summary>
    private readonly ConcurrentDictionary<UdpEndpoint, MagicPeer> _byDirect = new();

    // _gate guards Open, Close and the pump; the data path reads the volatile fields without it.
    private readonly Lock _gate = new();
    private volatile Channel<Inbound>? _inbound;
    private Thread? _pump;
    private ushort _port;

    private long _discoCounter;
    private volatile UdpEndpoint[] _localEndpoints = [];
    private long _discoForged;
    private long _discoUnknown;
    private long _discoReplayed;
    private long _discoMalformed;
    private long _inboundDropped;
    private long _relayUnknown;
    private int _disposed;

    /// <summary>Wraps <paramref name="inner"/>; <paramref name="relay"/> null means direct paths only.</summary>
    public MagicBind(IBind inner, IRelayLink? relay, PrivateKey discoPrivate, NodePublic nodeKey, ILogger logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(logger);
        _inner = inner;
        _relay = relay;
        _discoPrivate = discoPrivate;
        DiscoPublic = new DiscoPublic(discoPrivate.PublicKey());
        _nodeKey = new StrongBox<NodePublic>(nodeKey);
        _logger = logger;
        _time = time ?? TimeProvider.System;
        // A counter that starts from the clock keeps rising across restarts that reuse a disco key.
        _discoCounter = _time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
        _relay?.Start(OnRelayPacket);
        _timer = _time.CreateTimer(static s => ((MagicBind)s!).Tick(), this, PathConstants.TickInterval, PathConstants.TickInterval);
    }

    /// <summary>This bind's disco public key: peers need it (through the netmap) to talk disco with us.</summary>
    public DiscoPublic DiscoPublic { get; }

    public int BatchSize => _inner.BatchSize;

    /// <summary>The port of the last <see cref="Open"/>.</summary>
    public ushort Port => _port;

    /// <summary>Our candidate endpoints (interfaces and STUN), sent in call-me-maybe and reported to control.</summary>
    public IReadOnlyList<UdpEndpoint> LocalEndpoints => _localEndpoints;

    /// <summary>Our node key as pings carry it; changes when the key rotates.</summary>
    public void SetNodeKey(NodePublic nodeKey) => _nodeKey = new StrongBox<NodePublic>(nodeKey);

    /// <summary>True when <paramref name="nodeKey"/> is a peer this bind chooses paths for (it has a usable disco key).</summary>
    public bool HasPeer(NodePublic nodeKey) => _peers.ByNode.ContainsKey(nodeKey);

    /// <summary>How many peers active in the last <see cref="PathConstants.ActiveWindow"/> go direct and how many through a relay.</summary>
    public (int Direct, int Relayed) ActivePaths()
    {
        var now = _time.GetTimestamp();
        var (direct, relayed) = (0, 0);
        foreach (var peer in _peers.ByNode.Values)
        {
            if (_time.GetElapsedTime(Volatile.Read(ref peer.LastActive), now) >= PathConstants.ActiveWindow || Volatile.Read(ref peer.LastActive) == 0)
            {
                continue;
            }
            if (peer.Current.IsDirect)
            {
                direct++;
            }
            else
            {
                relayed++;
            }
        }
        return (direct, relayed);
    }

    /// <summary>Disco messages whose seal did not verify, or whose relay source or node key did not match the sender.</summary>
    public long DiscoForged => Interlocked.Read(ref _discoForged);

    /// <summary>Disco messages from a disco key that is no peer's.</summary>
    public long DiscoUnknownKey => Interlocked.Read(ref _discoUnknown);

    /// <summary>Disco messages seen before (replayed).</summary>
    public long DiscoReplayed => Interlocked.Read(ref _discoReplayed);

    /// <summary>Disco messages that opened but did not parse.</summary>
    public long DiscoMalformed => Interlocked.Read(ref _discoMalformed);

    /// <summary>Datagrams dropped because the engine did not keep up (the inbound queue was full) or the bind was closed.</summary>
    public long InboundDropped => Interlocked.Read(ref _inboundDropped);

    /// <summary>Relayed packets from node keys that are no peer's.</summary>
    public long RelayUnknownSource => Interlocked.Read(ref _relayUnknown);

    /// <summary>
    /// The endpoint WireGuard should use for a peer: an address in the discard-only prefix 100::/64 (RFC 6666) with bits
    /// of a hash of the node key, so it can never be a real address and stays the same across netmaps.
    /// </summary>
    public static UdpEndpoint SyntheticEndpoint(NodePublic nodeKey)
    {
        Span<byte> hash = stackalloc byte[Blake2s.HashLength];
        var raw = nodeKey.Key;
        ReadOnlySpan<byte> key = raw;
        Blake2s.Hash(hash, "weft synthetic endpoint"u8, key);
        Span<byte> address = stackalloc byte[16];
        address[0] = 0x01;
        hash[..8].CopyTo(address[8..]);
        var port = (ushort)Math.Max((int)BinaryPrimitives.ReadUInt16BigEndian(hash[8..]), 1);
        return new UdpEndpoint(address, port);
    }

    /// <summary>
    /// Replaces the peer set from the netmap. Peers whose node and disco keys are unchanged keep their path state
    /// (only their netmap endpoints are added); others start on the relay. Peers with an unusable disco key are skipped.
    /// </summary>
    public void SetPeers(IReadOnlyList<MagicPeerConfig> peers)
    {
        ArgumentNullException.ThrowIfNull(peers);
        var old = _peers;
        var bySynthetic = new Dictionary<UdpEndpoint, MagicPeer>(peers.Count);
        var byNode = new Dictionary<NodePublic, MagicPeer>(peers.Count);
        var byDisco = new Dictionary<DiscoPublic, MagicPeer>(peers.Count);
        foreach (var config in peers)
        {
            if (!old.ByNode.TryGetValue(config.NodeKey, out var peer) || peer.DiscoKey != config.DiscoKey)
            {
                Key32 shared = default;
                if (config.DiscoKey != default && !DiscoCodec.TryDeriveKey(_discoPrivate, config.DiscoKey, out shared))
                {
                    LogBadDiscoKey(_logger, config.NodeKey.ToString());
                    continue;
                }
                peer = new MagicPeer(config.NodeKey, config.DiscoKey, shared, SyntheticEndpoint(config.NodeKey));
            }
            lock (peer.Gate)
            {
                peer.HardNat = config.HardNat;
                peer.PortMapped = config.PortMapped;
                foreach (var endpoint in config.Endpoints)
                {
                    peer.AddCandidate(endpoint, fromNetmap: true);
                }
            }
            if (!bySynthetic.TryAdd(peer.Synthetic, peer) || !byNode.TryAdd(peer.NodeKey, peer))
            {
                continue;
            }
            if (peer.HasDisco)
            {
                byDisco.TryAdd(peer.DiscoKey, peer);
            }
        }
        _peers = new PeerTable(bySynthetic, byNode, byDisco);
        foreach (var gone in old.ByNode.Values)
        {
            if (!byNode.TryGetValue(gone.NodeKey, out var kept) || kept != gone)
            {
                CloseBirthdaySockets(gone, keepWinners: false);
            }
        }
        foreach (var (endpoint, peer) in _byDirect)
        {
            if (!byNode.TryGetValue(peer.NodeKey, out var kept) || kept != peer)
            {
                _byDirect.TryRemove(endpoint, out _);
            }
        }
        foreach (var peer in byNode.Values)
        {
            lock (peer.Gate)
            {
                foreach (var candidate in peer.Candidates)
                {
                    _byDirect[candidate.Endpoint] = peer;
                }
            }
        }
    }

    /// <summary>The current path to a peer; null when it is not a peer.</summary>
    public PeerPath? PeerPath(NodePublic nodeKey)
    {
        if (!_peers.ByNode.TryGetValue(nodeKey, out var peer))
        {
            return null;
        }
        var current = peer.Current;
        var region = _relay?.RegionFor(nodeKey) ?? "";
        if (current.IsDirect)
        {
            return new PeerPath(true, current.Direct, current.Latency, region);
        }
        lock (peer.Gate)
        {
            return new PeerPath(false, default, peer.RelayLatency, region);
        }
    }

    public ushort Open(ushort port)
    {
        lock (_gate)
        {
            CloseLocked();
            var opened = _inner.Open(port);
            _port = opened;
            var inbound = Channel.CreateBounded<Inbound>(new BoundedChannelOptions(PathConstants.InboundQueue)
            {
                FullMode = BoundedChannelFullMode.Wait,
                SingleReader = false,
            });
            _inbound = inbound;
            _pump = new Thread(() => Pump(inbound)) { IsBackground = true, Name = "weft-magic-read" };
            _pump.Start();
            return opened;
        }
    }

    public void Close()
    {
        lock (_gate)
        {
            CloseLocked();
        }
    }

    public void SetMark(uint mark) => _inner.SetMark(mark);

    public int Receive(Span<byte[]> buffers, Span<int> sizes, Span<UdpEndpoint> endpoints)
    {
        var inbound = _inbound;
        if (inbound is null)
        {
            return 0;
        }
        var reader = inbound.Reader;
        Inbound item;
        while (!reader.TryRead(out item))
        {
            if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                return 0;
            }
        }
        var slots = Math.Min(buffers.Length, Math.Min(sizes.Length, endpoints.Length));
        var count = 0;
        do
        {
            item.Data.AsSpan(0, item.Length).CopyTo(buffers[count]);
            sizes[count] = item.Length;
            endpoints[count] = item.From;
            ArrayPool<byte>.Shared.Return(item.Data);
            count++;
        }
        while (count < slots && reader.TryRead(out item));
        return count;
    }

    public void Send(ReadOnlySpan<byte[]> buffers, ReadOnlySpan<int> sizes, in UdpEndpoint endpoint)
    {
        if (!_peers.BySynthetic.TryGetValue(endpoint, out var peer))
        {
            // Not a synthetic endpoint (a peer configured by address, or a roamed one): plain UDP.
            _inner.Send(buffers, sizes, endpoint);
            return;
        }
        var now = _time.GetTimestamp();
        Volatile.Write(ref peer.LastActive, now);
        if (sizes.Length > 0 && sizes[0] == PathConstants.InitiationLength && buffers[0][0] == 1)
        {
            RememberInitiation(peer, buffers[0], now);
        }
        var path = peer.Current;
        if (path.IsDirect)
        {
            if (path.Via is { } via)
            {
                for (var i = 0; i < buffers.Length && i < sizes.Length; i++)
                {
                    via.Send(buffers[i].AsSpan(0, sizes[i]), path.Direct);
                }
            }
            else
            {
                _inner.Send(buffers, sizes, path.Direct);
            }
        }
        else if (_relay is not null)
        {
            for (var i = 0; i < buffers.Length && i < sizes.Length; i++)
            {
                _relay.TrySend(peer.NodeKey, buffers[i].AsSpan(0, sizes[i]));
            }
        }
        if (_time.GetElapsedTime(Volatile.Read(ref peer.LastProbe), now) >= PathConstants.HeartbeatInterval)
        {
            // At most once a heartbeat, so the data path pays for disco only when a peer wakes up.
            Probe(peer);
        }
    }

    /// <summary>Handshake initiations resent because a direct path appeared right after them.</summary>
    public long InitiationsResent => Interlocked.Read(ref _initiationsResent);

    private long _initiationsResent;

    // Handshakes are rare (one per peer every two minutes at most): one copy each is no data-path cost.
    private static void RememberInitiation(MagicPeer peer, byte[] datagram, long now)
    {
        lock (peer.Gate)
        {
            var copy = peer.LastInitiation ??= new byte[PathConstants.InitiationLength];
            datagram.AsSpan(0, PathConstants.InitiationLength).CopyTo(copy);
            peer.LastInitiationAt = now;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _timer.Dispose();
        Close();
        _inner.Dispose();
        foreach (var peer in _peers.ByNode.Values)
        {
            CloseBirthdaySockets(peer, keepWinners: false);
        }
    }

    // Caller holds _gate.
    private void CloseLocked()
    {
        var inbound = _inbound;
        _inbound = null;
        _inner.Close();
        inbound?.Writer.TryComplete();
        _pump?.Join(TimeSpan.FromSeconds(5));
        _pump = null;
        if (inbound is null)
        {
            return;
        }
        while (inbound.Reader.TryRead(out var item))
        {
            ArrayPool<byte>.Shared.Return(item.Data);
        }
    }

    /// <summary>Reads the real socket: disco and STUN are handled here, WireGuard is queued for the engine with its source mapped.</summary>
    private void Pump(Channel<Inbound> inbound)
    {
        var capacity = Math.Max(_inner.BatchSize, 1);
        var buffers = new byte[capacity][];
        var sizes = new int[capacity];
        var sources = new UdpEndpoint[capacity];
        for (var i = 0; i < capacity; i++)
        {
            buffers[i] = ArrayPool<byte>.Shared.Rent(BindConstants.MaxIPv6PayloadSize);
        }
        try
        {
            while (true)
            {
                var count = _inner.Receive(buffers, sizes, sources);
                if (count == 0 || _inbound != inbound)
                {
                    return;
                }
                for (var i = 0; i < count; i++)
                {
                    var datagram = buffers[i].AsSpan(0, sizes[i]);
                    if (DiscoCodec.LooksLikeDisco(datagram))
                    {
                        HandleDiscoSafely(datagram, sources[i], relayedFrom: null, via: null);
                        continue;
                    }
                    if (StunMessage.LooksLikeStun(datagram) && TryHandleStun(datagram))
                    {
                        continue;
                    }
                    var from = sources[i];
                    if (_byDirect.TryGetValue(from, out var peer))
                    {
                        from = peer.Synthetic;
                        Volatile.Write(ref peer.LastActive, _time.GetTimestamp());
                    }
                    Enqueue(inbound, datagram, from);
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // The inner bind was disposed under the pump: the bind is going away.
        }
        finally
        {
            foreach (var buffer in buffers)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private void OnRelayPacket(NodePublic source, ReadOnlySpan<byte> packet)
    {
        if (DiscoCodec.LooksLikeDisco(packet))
        {
            HandleDiscoSafely(packet, default, relayedFrom: source);
            return;
        }
        var inbound = _inbound;
        if (!_peers.ByNode.TryGetValue(source, out var peer))
        {
            Interlocked.Increment(ref _relayUnknown);
            return;
        }
        if (inbound is null)
        {
            Interlocked.Increment(ref _inboundDropped);
            return;
        }
        Volatile.Write(ref peer.LastActive, _time.GetTimestamp());
        Enqueue(inbound, packet, peer.Synthetic);
    }

    private void Enqueue(Channel<Inbound> inbound, ReadOnlySpan<byte> datagram, UdpEndpoint from)
    {
        var copy = ArrayPool<byte>.Shared.Rent(Math.Max(datagram.Length, 1));
        datagram.CopyTo(copy);
        if (!inbound.Writer.TryWrite(new Inbound(copy, datagram.Length, from)))
        {
            ArrayPool<byte>.Shared.Return(copy);
            Interlocked.Increment(ref _inboundDropped);
        }
    }

    private readonly record struct Inbound(byte[] Data, int Length, UdpEndpoint From);

    /// <summary>The peers of one netmap, indexed three ways; replaced whole so readers never lock.</summary>
    private sealed record PeerTable(
        Dictionary<UdpEndpoint, MagicPeer> BySynthetic,
        Dictionary<NodePublic, MagicPeer> ByNode,
        Dictionary<DiscoPublic, MagicPeer> ByDisco)
    {
        public static readonly PeerTable Empty = new(
            new Dictionary<UdpEndpoint, MagicPeer>(), new Dictionary<NodePublic, MagicPeer>(), new Dictionary<DiscoPublic, MagicPeer>());
    }
}
