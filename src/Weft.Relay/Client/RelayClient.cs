using System.Buffers;
using Microsoft.Extensions.Logging;
using Weft.Core.Crypto;
using Weft.Core.Keys;
using Weft.Relay.Protocol;
using Weft.Relay.Server;

namespace Weft.Relay.Client;

/// <summary>Receives one relayed packet. The span is valid only during the call (it points into the receive buffer).</summary>
public delegate void RelayPacketHandler(NodePublic source, ReadOnlySpan<byte> packet);

/// <summary>
/// A node's connection to its home relay: authenticates with the node key, sends packets to other node keys,
/// hands received packets to a callback, and reconnects with jittered exponential backoff whenever the
/// connection drops (also when a frame from the relay does not authenticate). Sending rents pooled buffers and
/// seals into the writer's batch, receiving opens and parses in place.
/// </summary>
public sealed partial class RelayClient : IAsyncDisposable
{
    private readonly RelayClientOptions _options;
    private readonly PrivateKey _nodeKey;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private RelayPacketHandler? _onPacket;
    private Task _run = Task.CompletedTask;
    private volatile OutboundQueue? _queue;
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _lastRead;
    private long _dropped;
    private int _connects;
    private int _disposed;

    public RelayClient(RelayClientOptions options, PrivateKey nodeKey, ILogger logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options;
        _nodeKey = nodeKey;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The relay of the last successful connect (the options' URL or one of its alternates); null before any.</summary>
    public Uri? CurrentUrl { get; private set; }

    /// <summary>True while connected and authenticated.</summary>
    public bool IsConnected => _queue is not null;

    /// <summary>Successful connects so far (a reconnect adds one).</summary>
    public int Connects => Volatile.Read(ref _connects);

    /// <summary>Packets <see cref="TrySend"/> refused (not connected, or the send queue was full).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>The last notice the relay sent (rate limited, shutting down), for health; null when none.</summary>
    public string? LastNotice { get; private set; }

    /// <summary>Raised when the relay says a peer left or is not connected here (so the caller can stop using this relay for it).</summary>
    public event Action<NodePublic, PeerGoneReason>? PeerGone;

    /// <summary>Starts connecting (and reconnecting) in the background; <paramref name="onPacket"/> gets every received packet.</summary>
    public void Start(RelayPacketHandler onPacket)
    {
        ArgumentNullException.ThrowIfNull(onPacket);
        if (_onPacket is not null)
        {
            throw new InvalidOperationException("the relay client is already started");
        }

        _onPacket = onPacket;
        _run = RunAsync(_stop.Token);
    }

    /// <summary>Completes when the client is connected (now or after the next successful connect).</summary>
    public Task WaitConnectedAsync(CancellationToken ct = default) => Volatile.Read(ref _connected).Task.WaitAsync(ct);

    /// <summary>
    /// Queues a packet for <paramref name="destination"/>; while not connected up to 64 packets wait for the connection.
    /// False (and counted) when those or the connection's queue are full.
    /// </summary>
    public bool TrySend(NodePublic destination, ReadOnlySpan<byte> packet)
    {
        if (packet.Length > RelayConstants.MaxPacketLength)
        {
            throw new ArgumentException($"a relayed packet is at most {RelayConstants.MaxPacketLength} bytes, not {packet.Length}", nameof(packet));
        }

        var queue = _queue;
        if (queue is null && Volatile.Read(ref _pendingCount) >= PendingWhileConnecting)
        {
            Interlocked.Increment(ref _dropped);
            return false;
        }

        var body = Key32.Length + packet.Length;
        var length = RelayConstants.FrameHeaderLength + body;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        Frame.WriteHeader(buffer, FrameType.SendPacket, body);
        var key = destination.Key;
        ((ReadOnlySpan<byte>)key).CopyTo(buffer.AsSpan(RelayConstants.FrameHeaderLength));
        packet.CopyTo(buffer.AsSpan(RelayConstants.FrameHeaderLength + Key32.Length));
        if (queue is null)
        {
            // Not connected (yet): hold a few packets for the connection, so a node's first handshake is not lost
            // to the moment it takes to dial the relay (WireGuard would resend it only after 5 s).
            if (Interlocked.Increment(ref _pendingCount) <= PendingWhileConnecting)
            {
                _pending.Enqueue((destination.Key, buffer, length));
                if (_queue is { } justConnected)
                {
                    FlushPending(justConnected);
                }
                return true;
            }
            Interlocked.Decrement(ref _pendingCount);
            ArrayPool<byte>.Shared.Return(buffer);
            Interlocked.Increment(ref _dropped);
            return false;
        }
        if (queue.TryEnqueue(destination.Key, buffer, length) == EnqueueResult.Queued)
        {
            return true;
        }

        ArrayPool<byte>.Shared.Return(buffer);
        Interlocked.Increment(ref _dropped);
        return false;
    }

    private async Task RunAsync(CancellationToken ct)
    {
        var backoff = _options.FirstBackoff;
        RelayAddress[] relays = [new RelayAddress(_options.Url, _options.RelayPublic), .. _options.Alternates];
        var next = 0;
        while (!ct.IsCancellationRequested)
        {
            var relay = relays[next];
            // Whatever happens to this connection, the next attempt goes to the region's next relay (if it has one).
            next = (next + 1) % relays.Length;
            try
            {
                var relayKey = relay.PublicKey ?? await RelayTransport.FetchKeyAsync(relay.Url, ct).ConfigureAwait(false);
                await using var transport = _options.Dial is { } dial
                    ? await dial(_nodeKey.Key, relayKey, ct).ConfigureAwait(false)
                    : await RelayTransport.ConnectAsync(relay.Url, _nodeKey.Key, relayKey, ClientKind.Node, default, _options.CertificateValidation, ct).ConfigureAwait(false);
                backoff = _options.FirstBackoff;
                CurrentUrl = relay.Url;
                LogConnected(relay.Url);
                await RunConnectedAsync(transport, ct).ConfigureAwait(false);
                LogDisconnected(relay.Url, "closed by the relay");
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is RelayProtocolException or IOException or System.Net.Sockets.SocketException or HttpRequestException or OperationCanceledException)
            {
                LogDisconnected(relay.Url, ex.Message);
            }

            try
            {
                // Jittered so many nodes do not come back in lockstep after a relay restart.
                await Task.Delay(backoff * (0.5 + Random.Shared.NextDouble()), _time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
        }
    }

    private async Task RunConnectedAsync(RelayTransport transport, CancellationToken ct)
    {
        var queue = new OutboundQueue(_options.SendQueuePackets, _options.SendQueuePackets, 64);
        using var connected = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Volatile.Write(ref _lastRead, _time.GetTimestamp());
        await using var timer = _time.CreateTimer(static s => ((RelayClient)s!).Tick(), this, RelayConstants.KeepAliveInterval, RelayConstants.KeepAliveInterval);
        var writer = QueueWriter.PumpAsync(queue, transport.Stream, transport.Sealer, null, null, connected.Token);
        _queue = queue;
        FlushPending(queue);
        _idle = connected;
        Interlocked.Increment(ref _connects);
        Volatile.Read(ref _connected).TrySetResult();
        try
        {
            await FrameLoop.RunAsync(transport.Reader, transport.Opener, static (client, type, in body) => client.Handle(type, body), this,
                () => Volatile.Write(ref _lastRead, _time.GetTimestamp()), null, connected.Token).ConfigureAwait(false);
        }
        finally
        {
            _queue = null;
            _idle = null;
            Volatile.Write(ref _connected, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            await connected.CancelAsync().ConfigureAwait(false);
            queue.Close();
            try
            {
                await writer.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
            {
                // The connection is gone; queued packets go with it (WireGuard retransmits what matters).
            }
        }
    }

    private volatile CancellationTokenSource? _idle;

    /// <summary>Packets held while not connected; more are dropped (and counted).</summary>
    private const int PendingWhileConnecting = 64;

    private readonly System.Collections.Concurrent.ConcurrentQueue<(Key32 Destination, byte[] Frame, int Length)> _pending = new();
    private int _pendingCount;

    /// <summary>Moves packets held while connecting into the connection's queue.</summary>
    private void FlushPending(OutboundQueue queue)
    {
        while (_pending.TryDequeue(out var item))
        {
            Interlocked.Decrement(ref _pendingCount);
            if (queue.TryEnqueue(item.Destination, item.Frame, item.Length) != EnqueueResult.Queued)
            {
                ArrayPool<byte>.Shared.Return(item.Frame);
                Interlocked.Increment(ref _dropped);
            }
        }
    }

    private bool Handle(FrameType type, in ReadOnlySequence<byte> body)
    {
        switch (type)
        {
            case FrameType.RecvPacket:
            {
                var source = new NodePublic(RelayConnection.ReadKey(body));
                var packet = body.Slice(Key32.Length);
                if (packet.IsSingleSegment)
                {
                    _onPacket!(source, packet.FirstSpan);
                }
                else
                {
                    // A packet split across two pipe segments: copy it out once through a pooled buffer.
                    var copy = ArrayPool<byte>.Shared.Rent((int)packet.Length);
                    packet.CopyTo(copy);
                    _onPacket!(source, copy.AsSpan(0, (int)packet.Length));
                    ArrayPool<byte>.Shared.Return(copy);
                }

                return true;
            }

            case FrameType.PeerGone:
            {
                var key = new NodePublic(RelayConnection.ReadKey(body));
                var reason = (PeerGoneReason)body.Slice(Key32.Length).FirstSpan[0];
                PeerGone?.Invoke(key, reason);
                return true;
            }

            case FrameType.Notice:
            {
                var text = RelayHandshake.NoticeText(body.ToArray());
                LastNotice = text;
                LogNotice(_options.Url, text);
                return true;
            }

            case FrameType.Ping:
            {
                Span<byte> data = stackalloc byte[8];
                body.CopyTo(data);
                Enqueue(FrameType.Pong, data);
                return true;
            }

            case FrameType.KeepAlive or FrameType.Pong:
                return true;

            default:
                return false;
        }
    }

    private void Tick()
    {
        if (_time.GetElapsedTime(Volatile.Read(ref _lastRead)) > RelayConstants.IdleTimeout)
        {
            // The relay went silent past three keepalives: the connection is dead even if TCP has not noticed.
            _idle?.Cancel();
            return;
        }

        Enqueue(FrameType.KeepAlive, []);
    }

    private void Enqueue(FrameType type, ReadOnlySpan<byte> body)
    {
        var queue = _queue;
        if (queue is null)
        {
            return;
        }

        var length = RelayConstants.FrameHeaderLength + body.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        Frame.WriteHeader(buffer, type, body.Length);
        body.CopyTo(buffer.AsSpan(RelayConstants.FrameHeaderLength));
        if (queue.TryEnqueue(default, buffer, length, control: true) != EnqueueResult.Queued)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _run.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping is the point.
        }

        while (_pending.TryDequeue(out var item))
        {
            ArrayPool<byte>.Shared.Return(item.Frame);
        }
        _stop.Dispose();
    }
}
