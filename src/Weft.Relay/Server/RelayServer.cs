using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using Microsoft.Extensions.Logging;
using Weft.Core.Crypto;
using Weft.Core.Keys;
using Weft.Relay.Protocol;

namespace Weft.Relay.Server;

/// <summary>
/// The relay: authenticates connections, knows which node key is connected where (here, or on a mesh peer of the
/// region), and moves opaque packets between them. Transport-agnostic: the hosting layer hands it upgraded streams.
/// Thread-safe.
/// </summary>
public sealed partial class RelayServer : IAsyncDisposable
{
    private readonly Key32 _privateKey;
    private readonly RelayServerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly ConcurrentDictionary<Key32, RelayConnection> _local = new();
    private readonly ConcurrentDictionary<Key32, MeshLink> _remote = new();
    private readonly List<MeshLink> _links = [];
    private readonly HandshakeLimiter _handshakes;

    /// <summary>_presenceGate orders registrations against watcher snapshots; it guards _watchers.</summary>
    private readonly Lock _presenceGate = new();
    private readonly List<RelayConnection> _watchers = [];

    public RelayServer(Key32 privateKey, RelayServerOptions options, ILogger logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _privateKey = privateKey;
        _options = options;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _handshakes = new HandshakeLimiter(options.HandshakesPerSecond, options.HandshakeBurst, _time);
        PublicKey = Curve25519.PublicKey(privateKey);
    }

    /// <summary>The relay's public key: what clients are told to expect.</summary>
    public Key32 PublicKey { get; }

    /// <summary>Counters for /metrics.</summary>
    public RelayMetrics Metrics { get; } = new();

    /// <summary>True when <paramref name="node"/> is connected to this relay.</summary>
    public bool IsLocal(NodePublic node) => _local.ContainsKey(node.Key);

    /// <summary>True when <paramref name="node"/> is connected to a mesh peer that told us so.</summary>
    public bool IsOnMeshPeer(NodePublic node) => _remote.ContainsKey(node.Key);

    /// <summary>Outgoing mesh links that are connected now.</summary>
    public int MeshLinksUp
    {
        get
        {
            lock (_links)
            {
                var up = 0;
                foreach (var link in _links)
                {
                    up += link.IsUp ? 1 : 0;
                }

                return up;
            }
        }
    }

    /// <summary>Starts dialling every relay in <see cref="RelayServerOptions.MeshWith"/> (and redialling them with backoff).</summary>
    public void StartMesh()
    {
        if (_options.MeshWith.Count == 0)
        {
            return;
        }

        if (_options.MeshKey is not { Length: > 0 } meshKey)
        {
            throw new InvalidOperationException("meshing with other relays needs a mesh key");
        }

        lock (_links)
        {
            foreach (var url in _options.MeshWith)
            {
                var link = new MeshLink(this, url, _privateKey, meshKey, _options, _logger, _time);
                _links.Add(link);
                link.Start(_shutdown.Token);
            }
        }
    }

    /// <summary>
    /// Runs one connection that the hosting layer has upgraded: handshake, then frames until it ends.
    /// Never throws for anything the peer does; faults are counted and logged.
    /// </summary>
    public async Task RunConnectionAsync(Stream stream, IPAddress source, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _shutdown.Token);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 << 10, minimumReadSize: 16 << 10, leaveOpen: true));
        try
        {
            RelaySession session;
            using (var deadline = new CancellationTokenSource(RelayConstants.HandshakeTimeout, _time))
            using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(linked.Token, deadline.Token))
            {
                try
                {
                    session = await RelayHandshake.AcceptAsync(stream, reader, _privateKey, _options.MeshKey, handshake.Token).ConfigureAwait(false);
                }
                catch (RelayProtocolException ex)
                {
                    Metrics.Drop(DropReason.AuthFailed);
                    LogHandshakeFailed(source, ex.Message);
                    return;
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested && !linked.IsCancellationRequested)
                {
                    Metrics.Drop(DropReason.HandshakeTimeout);
                    LogHandshakeTimeout(source);
                    return;
                }
            }

            Metrics.HandshakeDone();
            var connection = new RelayConnection(this, stream, reader, session, _options, _time);
            await RunAuthenticatedAsync(connection, source, linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The peer vanished mid-handshake or we are shutting down.
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>False when <paramref name="source"/> has started too many handshakes lately (counted).</summary>
    public bool TryAdmit(IPAddress source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (_handshakes.TryAcquire(source))
        {
            return true;
        }

        Metrics.Drop(DropReason.HandshakeRateLimited);
        return false;
    }

    private async Task RunAuthenticatedAsync(RelayConnection connection, IPAddress source, CancellationToken ct)
    {
        var mesh = connection.Kind == ClientKind.Mesh;
        Metrics.ClientConnected(mesh);
        if (mesh)
        {
            AddWatcher(connection);
            LogMeshPeerConnected(source, connection.Key.ToHex());
        }
        else
        {
            Register(connection);
            LogClientConnected(new NodePublic(connection.Key), source);
        }

        try
        {
            await connection.RunAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            if (mesh)
            {
                RemoveWatcher(connection);
            }
            else
            {
                Unregister(connection);
            }

            Metrics.ClientDisconnected(mesh);
            LogDisconnected(connection.Key.ToHex());
        }
    }

    /// <summary>Routes a packet from a local client: to the destination here, else to the mesh peer it is on. False when neither.</summary>
    internal bool Route(in Key32 src, in Key32 dst, in ReadOnlySequence<byte> packet)
    {
        if (_local.TryGetValue(dst, out var local))
        {
            Enqueue(local.Queue, src, FrameType.RecvPacket, src, default, packet);
            return true;
        }

        if (_remote.TryGetValue(dst, out var link) && link.Queue is { } queue)
        {
            if (Enqueue(queue, src, FrameType.ForwardPacket, src, dst, packet))
            {
                Metrics.Forwarded();
            }

            return true;
        }

        Metrics.Drop(DropReason.NoRoute);
        return false;
    }

    /// <summary>Delivers a packet a mesh peer forwarded to a client connected here; never forwards again (no loops).</summary>
    internal void DeliverLocal(in Key32 src, in Key32 dst, in ReadOnlySequence<byte> packet)
    {
        if (_local.TryGetValue(dst, out var local))
        {
            Enqueue(local.Queue, src, FrameType.RecvPacket, src, default, packet);
        }
        else
        {
            Metrics.Drop(DropReason.NoRoute);
        }
    }

    /// <summary>Builds one frame in a pooled buffer and queues it; counts a drop when it does not fit.</summary>
    private bool Enqueue(OutboundQueue queue, in Key32 lane, FrameType type, in Key32 first, in Key32 second, in ReadOnlySequence<byte> packet)
    {
        var keys = type == FrameType.ForwardPacket ? 2 : 1;
        var body = (keys * Key32.Length) + (int)packet.Length;
        var length = RelayConstants.FrameHeaderLength + body;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        Frame.WriteHeader(buffer, type, body);
        ((ReadOnlySpan<byte>)first).CopyTo(buffer.AsSpan(RelayConstants.FrameHeaderLength));
        if (keys == 2)
        {
            ((ReadOnlySpan<byte>)second).CopyTo(buffer.AsSpan(RelayConstants.FrameHeaderLength + Key32.Length));
        }

        packet.CopyTo(buffer.AsSpan(RelayConstants.FrameHeaderLength + (keys * Key32.Length)));
        var result = queue.TryEnqueue(lane, buffer, length);
        if (result == EnqueueResult.Queued)
        {
            return true;
        }

        ArrayPool<byte>.Shared.Return(buffer);
        Metrics.Drop(result switch
        {
            EnqueueResult.SenderShareFull => DropReason.SenderShareFull,
            EnqueueResult.Closed => DropReason.DestinationGone,
            _ => DropReason.QueueFull,
        });
        return false;
    }

    private void Register(RelayConnection connection)
    {
        RelayConnection? replaced = null;
        var key = connection.Key;
        lock (_presenceGate)
        {
            if (_local.TryGetValue(connection.Key, out var old))
            {
                replaced = old;
            }

            _local[connection.Key] = connection;
            foreach (var watcher in _watchers)
            {
                watcher.EnqueueControl(FrameType.PeerPresent, key);
            }
        }

        if (replaced is not null)
        {
            // One node key, one home: the newest connection wins (the node restarted or roamed).
            replaced.Retire("replaced by a newer connection with the same node key");
        }
    }

    private void Unregister(RelayConnection connection)
    {
        var key = connection.Key;
        lock (_presenceGate)
        {
            if (!_local.TryRemove(new KeyValuePair<Key32, RelayConnection>(connection.Key, connection)))
            {
                return;
            }

            Span<byte> gone = stackalloc byte[Key32.Length + 1];
            ((ReadOnlySpan<byte>)key).CopyTo(gone);
            gone[Key32.Length] = (byte)PeerGoneReason.Disconnected;
            foreach (var watcher in _watchers)
            {
                watcher.EnqueueControl(FrameType.PeerGone, gone);
            }
        }

        // Tell the local clients that sent to it lately, so they stop sending into the void.
        var senders = new List<Key32>();
        connection.Queue.CopySenders(senders);
        Span<byte> body = stackalloc byte[Key32.Length + 1];
        ((ReadOnlySpan<byte>)key).CopyTo(body);
        body[Key32.Length] = (byte)PeerGoneReason.Disconnected;
        foreach (var sender in senders)
        {
            if (!sender.IsZero && _local.TryGetValue(sender, out var peer))
            {
                peer.EnqueueControl(FrameType.PeerGone, body);
            }
        }
    }

    private void AddWatcher(RelayConnection watcher)
    {
        lock (_presenceGate)
        {
            _watchers.Add(watcher);
            foreach (var key in _local.Keys)
            {
                watcher.EnqueueControl(FrameType.PeerPresent, key);
            }
        }
    }

    private void RemoveWatcher(RelayConnection watcher)
    {
        lock (_presenceGate)
        {
            _watchers.Remove(watcher);
        }
    }

    /// <summary>A mesh link learned that <paramref name="key"/> is connected on its relay.</summary>
    internal void AddRemote(in Key32 key, MeshLink link) => _remote[key] = link;

    /// <summary>A mesh link learned that <paramref name="key"/> left its relay.</summary>
    internal void RemoveRemote(in Key32 key, MeshLink link) => _remote.TryRemove(new KeyValuePair<Key32, MeshLink>(key, link));

    /// <summary>A mesh link went down: forget every route through it.</summary>
    internal void RemoveAllRemote(MeshLink link)
    {
        foreach (var (key, value) in _remote)
        {
            if (value == link)
            {
                _remote.TryRemove(new KeyValuePair<Key32, MeshLink>(key, link));
            }
        }
    }

    /// <summary>Tells every client the relay is going away, then closes every connection and mesh link.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _local.Values)
        {
            connection.Retire("relay shutting down");
        }

        // Each retired connection ends once its goodbye is written, or after its grace period.
        var deadline = _time.GetTimestamp();
        while (Metrics.Clients > 0 && _time.GetElapsedTime(deadline) < TimeSpan.FromSeconds(3))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), _time).ConfigureAwait(false);
        }

        await _shutdown.CancelAsync().ConfigureAwait(false);
        MeshLink[] links;
        lock (_links)
        {
            links = [.. _links];
        }

        foreach (var link in links)
        {
            await link.DisposeAsync().ConfigureAwait(false);
        }

        _shutdown.Dispose();
    }
}
