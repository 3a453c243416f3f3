using System.Buffers;
using System.IO.Pipelines;
using Weft.Core.Crypto;
using Weft.Relay.Protocol;

namespace Weft.Relay.Server;

/// <summary>
/// One authenticated connection on the relay (a node, or a mesh peer that dialled us): a reader that opens records
/// and parses their frames in place and routes packets, and a writer that drains this connection's
/// <see cref="OutboundQueue"/> and seals what it writes.
/// </summary>
internal sealed class RelayConnection
{
    // Our choice: mesh peers carry presence for every client of a relay and the packets of many senders.
    private const int MeshControlFrames = 1 << 20;
    private const int NodeControlFrames = 256;

    // Our choice: every frame costs at least this many tokens, so floods of tiny frames are limited too.
    private const int MinFrameCost = 64;

    // Our choice: long enough to flush a goodbye on a healthy connection, short enough not to hold a shutdown.
    private static readonly TimeSpan RetireGrace = TimeSpan.FromSeconds(2);

    private readonly RelayServer _server;
    private readonly Stream _stream;
    private readonly PipeReader _reader;
    private readonly FrameSealer _sealer;
    private readonly FrameOpener _opener;
    private readonly TimeProvider _time;
    private readonly TokenBucket? _rate;
    private readonly CancellationTokenSource _stop;
    private long _lastRead;
    private long _lastWrite;
    private Key32 _lastNotHere;
    private long _lastNotHereAt;
    private bool _throttleNoticed;

    public RelayConnection(RelayServer server, Stream stream, PipeReader reader, RelaySession session, RelayServerOptions options, TimeProvider time)
    {
        _server = server;
        _stream = stream;
        _reader = reader;
        _sealer = new FrameSealer(session.Send);
        _opener = new FrameOpener(session.Receive);
        _time = time;
        _stop = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        Key = session.RemoteKey;
        Kind = session.Kind;
        var mesh = Kind == ClientKind.Mesh;
        Queue = new OutboundQueue(mesh ? options.QueuePackets * 8 : options.QueuePackets, options.PerSenderPackets, mesh ? MeshControlFrames : NodeControlFrames);
        // Mesh peers are relays of our own region holding the mesh key: their clients were rate limited where they connected.
        _rate = mesh ? null : new TokenBucket(options.RateBytesPerSecond, options.BurstBytes, time);
        _lastRead = _lastWrite = time.GetTimestamp();
    }

    /// <summary>The authenticated node key (for a mesh peer: its relay key).</summary>
    public Key32 Key { get; }

    /// <summary>Node or mesh peer.</summary>
    public ClientKind Kind { get; }

    /// <summary>Frames waiting for this connection's writer.</summary>
    public OutboundQueue Queue { get; }

    /// <summary>Runs the reader and the writer until either ends, the peer misbehaves, or <paramref name="ct"/> fires.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _stop.Token);
        await using var timer = _time.CreateTimer(static s => ((RelayConnection)s!).Tick(), this, RelayConstants.KeepAliveInterval, RelayConstants.KeepAliveInterval);
        var writer = WriteLoopAsync(linked.Token);
        try
        {
            await ReadLoopAsync(linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The peer went away or we closed it: both are the normal end of a connection.
        }
        finally
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            Queue.Close();
            try
            {
                await writer.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
            {
                // Writes to a closed connection fail; nothing more to send.
            }
        }
    }

    /// <summary>Ends the connection at once (control overflow, idle, malformed).</summary>
    public void Abort() => _stop.Cancel();

    /// <summary>Sends <paramref name="notice"/> and what is queued, then ends the connection (a client that does not read is cut off after a grace period).</summary>
    public void Retire(string notice)
    {
        Notice(NoticeLevel.Warning, notice);
        Queue.Complete();
        _stop.CancelAfter(RetireGrace);
    }

    private async Task WriteLoopAsync(CancellationToken ct)
    {
        try
        {
            await QueueWriter.PumpAsync(Queue, _stream, _sealer, _server.Metrics, () => Volatile.Write(ref _lastWrite, _time.GetTimestamp()), ct).ConfigureAwait(false);
        }
        finally
        {
            // The writer ends when the queue is retired or writing failed: either way the connection is over.
            await _stop.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Queues a frame of the relay's own; a connection that cannot take it is closed so its peer resyncs.</summary>
    public void EnqueueControl(FrameType type, ReadOnlySpan<byte> body)
    {
        var length = RelayConstants.FrameHeaderLength + body.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        Frame.WriteHeader(buffer, type, body.Length);
        body.CopyTo(buffer.AsSpan(RelayConstants.FrameHeaderLength));
        var result = Queue.TryEnqueue(default, buffer, length, control: true);
        if (result != EnqueueResult.Queued)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (result != EnqueueResult.Closed)
            {
                _server.Metrics.Drop(DropReason.ControlOverflow);
                Abort();
            }
        }
    }

    /// <summary>Sends a notice (health text) to the client.</summary>
    public void Notice(NoticeLevel level, string text)
    {
        Span<byte> body = stackalloc byte[1 + System.Text.Encoding.UTF8.GetMaxByteCount(text.Length)];
        body[0] = (byte)level;
        var n = System.Text.Encoding.UTF8.GetBytes(text, body[1..]);
        EnqueueControl(FrameType.Notice, body[..Math.Min(1 + n, 1024)]);
    }

    private async Task ReadLoopAsync(CancellationToken ct)
    {
        try
        {
            await ReadFramesAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _opener.Release();
        }
    }

    private async Task ReadFramesAsync(CancellationToken ct)
    {
        while (true)
        {
            var result = await _reader.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            Volatile.Write(ref _lastRead, _time.GetTimestamp());
            DropReason? fault = null;
            while (true)
            {
                var parse = _opener.TryOpen(buffer, out var frames, out var consumed);
                if (parse == SealedParse.NeedMore)
                {
                    break;
                }

                fault = parse switch
                {
                    SealedParse.TooLarge => DropReason.TooLarge,
                    SealedParse.Forged => DropReason.Unauthenticated,
                    _ when !HandleRecord(frames) => DropReason.Malformed,
                    _ => null,
                };
                if (fault is not null)
                {
                    break;
                }

                buffer = buffer.Slice(consumed);
            }

            _reader.AdvanceTo(buffer.Start, buffer.End);
            if (fault is { } reason)
            {
                // Anything but an authentic record of well-formed frames ends the connection: after one forged record
                // the stream cannot be trusted to be in step, and the client reconnects with fresh keys.
                _server.Metrics.Drop(reason);
                _server.LogFrameFault(Key, reason, _opener.Counter);
                return;
            }

            if (result.IsCompleted)
            {
                return;
            }

            // Backpressure: a client above its rate is not read until it is back within it, so its TCP window
            // closes and it slows down; nobody else waits for it.
            if (_rate?.Debt() is { } debt && debt > TimeSpan.Zero)
            {
                _server.Metrics.Throttle();
                if (!_throttleNoticed)
                {
                    _throttleNoticed = true;
                    Notice(NoticeLevel.Warning, "rate limited: sending above this relay's per-client rate");
                }

                await Task.Delay(debt, _time, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Acts on each frame of an opened record; false when one is malformed or not allowed from this kind of client.</summary>
    private bool HandleRecord(ReadOnlySequence<byte> frames)
    {
        while (!frames.IsEmpty)
        {
            if (!FrameOpener.TryTakeFrame(ref frames, out var type, out var body) || !Handle(type, body))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Acts on one frame; false when it is malformed or not allowed from this kind of client.</summary>
    private bool Handle(FrameType type, ReadOnlySequence<byte> body)
    {
        var length = (int)body.Length;
        if (!Frame.TryGetBodyBounds(type, out var min, out var max))
        {
            // Unknown types are skipped so a newer client can talk to an older relay; they still cost tokens.
            _rate?.Take(Math.Max(MinFrameCost, length));
            return true;
        }

        if (length < min || length > max)
        {
            return false;
        }

        _rate?.Take(Math.Max(MinFrameCost, RelayConstants.FrameHeaderLength + length));

        switch (type)
        {
            case FrameType.SendPacket when Kind == ClientKind.Node:
            {
                var dst = ReadKey(body);
                _server.Metrics.PacketIn(length - Key32.Length);
                if (!_server.Route(Key, dst, body.Slice(Key32.Length)))
                {
                    NoteNoRoute(dst);
                }

                return true;
            }

            case FrameType.ForwardPacket when Kind == ClientKind.Mesh:
            {
                var src = ReadKey(body);
                var dst = ReadKey(body.Slice(Key32.Length));
                _server.Metrics.PacketIn(length - (2 * Key32.Length));
                _server.DeliverLocal(src, dst, body.Slice(2 * Key32.Length));
                return true;
            }

            case FrameType.KeepAlive or FrameType.Pong or FrameType.Notice:
                return true;

            case FrameType.Ping:
            {
                Span<byte> data = stackalloc byte[8];
                body.CopyTo(data);
                EnqueueControl(FrameType.Pong, data);
                return true;
            }

            default:
                // A known frame in the wrong direction or from the wrong kind of client.
                return false;
        }
    }

    /// <summary>Tells a sender once a second at most that its destination is not here, so it can stop trying this relay.</summary>
    private void NoteNoRoute(in Key32 dst)
    {
        var now = _time.GetTimestamp();
        if (dst == _lastNotHere && _time.GetElapsedTime(_lastNotHereAt, now) < TimeSpan.FromSeconds(1))
        {
            return;
        }

        _lastNotHere = dst;
        _lastNotHereAt = now;
        Span<byte> body = stackalloc byte[Key32.Length + 1];
        ((ReadOnlySpan<byte>)dst).CopyTo(body);
        body[Key32.Length] = (byte)PeerGoneReason.NotHere;
        EnqueueControl(FrameType.PeerGone, body);
    }

    private void Tick()
    {
        var now = _time.GetTimestamp();
        if (_time.GetElapsedTime(Volatile.Read(ref _lastRead), now) > RelayConstants.IdleTimeout)
        {
            _server.Metrics.Drop(DropReason.IdleTimeout);
            Abort();
            return;
        }

        if (_time.GetElapsedTime(Volatile.Read(ref _lastWrite), now) >= RelayConstants.KeepAliveInterval)
        {
            EnqueueControl(FrameType.KeepAlive, []);
        }
    }

    internal static Key32 ReadKey(in ReadOnlySequence<byte> body)
    {
        var key = default(Key32);
        body.Slice(0, Key32.Length).CopyTo(key);
        return key;
    }
}
