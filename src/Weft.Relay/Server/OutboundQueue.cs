using System.Buffers;
using Weft.Core.Crypto;

namespace Weft.Relay.Server;

/// <summary>One whole frame waiting to be written: a buffer rented from <see cref="ArrayPool{T}.Shared"/> and its used length.</summary>
internal readonly record struct QueuedFrame(byte[] Buffer, int Length);

/// <summary>What became of a frame offered to an <see cref="OutboundQueue"/>.</summary>
internal enum EnqueueResult
{
    Queued,
    QueueFull,
    SenderShareFull,
    Closed,
}

/// <summary>
/// The frames waiting for one connection's writer, bounded in total and per sender, served round-robin across
/// senders so one flooding sender gets one slot per turn like everyone else (fair scheduling). A full queue drops
/// the new frame (drop-new: the sender learns nothing, like a full router queue, and what is queued keeps its order);
/// the caller counts it. Frames from the relay itself (keepalives, notices, presence) use the zero key's lane.
/// Thread-safe: many readers enqueue, one writer dequeues.
/// </summary>
internal sealed class OutboundQueue
{
    private readonly int _maxFrames;
    private readonly int _maxPerSender;
    private readonly int _maxControl;
    private readonly SemaphoreSlim _signal = new(0);

    /// <summary>_gate guards every field below.</summary>
    private readonly Lock _gate = new();
    private readonly Dictionary<Key32, Lane> _lanes = [];
    private readonly Queue<Lane> _active = new();
    private int _count;
    private bool _closed;

    /// <param name="maxFrames">Packets queued in all.</param>
    /// <param name="maxPerSender">Packets one sender may have queued.</param>
    /// <param name="maxControl">Frames of the relay's own queued (they do not count against <paramref name="maxFrames"/>).</param>
    public OutboundQueue(int maxFrames, int maxPerSender, int maxControl)
    {
        _maxFrames = maxFrames;
        _maxPerSender = maxPerSender;
        _maxControl = maxControl;
    }

    /// <summary>Frames queued now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>True once <see cref="Close"/> has run.</summary>
    public bool IsClosed
    {
        get
        {
            lock (_gate)
            {
                return _closed;
            }
        }
    }

    /// <summary>Queues a frame from <paramref name="sender"/>; on anything but <see cref="EnqueueResult.Queued"/> the caller still owns the buffer.</summary>
    /// <param name="control">A frame of the relay's own (keepalive, notice, presence): not counted against the bounds of packets.</param>
    public EnqueueResult TryEnqueue(in Key32 sender, byte[] buffer, int length, bool control = false)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return EnqueueResult.Closed;
            }

            if (!control && _count >= _maxFrames)
            {
                return EnqueueResult.QueueFull;
            }

            if (!_lanes.TryGetValue(sender, out var lane))
            {
                TrimIdleLanes();
                lane = new Lane(sender, control ? _maxControl : _maxPerSender);
                _lanes[sender] = lane;
            }

            if (!lane.TryPush(new QueuedFrame(buffer, length)))
            {
                return control ? EnqueueResult.QueueFull : EnqueueResult.SenderShareFull;
            }

            _count++;
            if (!lane.Active)
            {
                lane.Active = true;
                _active.Enqueue(lane);
            }

            Wake();
            return EnqueueResult.Queued;
        }
    }

    /// <summary>Waits until frames may be queued (or the queue closed).</summary>
    public Task WaitAsync(CancellationToken ct) => _signal.WaitAsync(ct);

    /// <summary>Takes up to <paramref name="into"/>.Length frames, one per sender per turn; the caller returns their buffers.</summary>
    public int DequeueBatch(Span<QueuedFrame> into)
    {
        lock (_gate)
        {
            var n = 0;
            while (n < into.Length && _active.TryDequeue(out var lane))
            {
                into[n++] = lane.Pop();
                _count--;
                if (lane.Count > 0)
                {
                    _active.Enqueue(lane);
                }
                else
                {
                    lane.Active = false;
                }
            }

            return n;
        }
    }

    /// <summary>The senders that currently have a lane here (those who sent to this connection recently).</summary>
    public void CopySenders(List<Key32> into)
    {
        lock (_gate)
        {
            foreach (var key in _lanes.Keys)
            {
                into.Add(key);
            }
        }
    }

    /// <summary>Refuses further frames, returns every queued buffer to the pool and wakes the writer; the number of frames discarded.</summary>
    public int Close()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return 0;
            }

            _closed = true;
            var discarded = _count;
            foreach (var lane in _lanes.Values)
            {
                while (lane.Count > 0)
                {
                    ArrayPool<byte>.Shared.Return(lane.Pop().Buffer);
                }
            }

            _count = 0;
            _active.Clear();
            Wake();
            return discarded;
        }
    }

    /// <summary>Refuses further frames but lets the writer send what is queued, then end (a goodbye notice goes out).</summary>
    public void Complete()
    {
        lock (_gate)
        {
            _closed = true;
            Wake();
        }
    }

    /// <summary>Caller holds _gate. Wakes the writer; a count already pending means it will wake anyway (spurious wakeups are harmless).</summary>
    private void Wake()
    {
        if (_signal.CurrentCount == 0)
        {
            _signal.Release();
        }
    }

    /// <summary>Caller holds _gate. Forgets empty lanes once there are many, so senders long gone cost nothing.</summary>
    private void TrimIdleLanes()
    {
        // Our choice: a destination rarely hears from more than a few hundred senders at once.
        if (_lanes.Count < 1024)
        {
            return;
        }

        List<Key32>? idle = null;
        foreach (var (key, lane) in _lanes)
        {
            if (lane.Count == 0)
            {
                (idle ??= []).Add(key);
            }
        }

        foreach (var key in idle ?? [])
        {
            _lanes.Remove(key);
        }
    }

    /// <summary>One sender's frames in arrival order: a ring buffer that grows up to its bound.</summary>
    private sealed class Lane(Key32 sender, int max)
    {
        private QueuedFrame[] _ring = new QueuedFrame[Math.Min(max, 16)];
        private int _head;

        public Key32 Sender { get; } = sender;

        public int Count { get; private set; }

        public bool Active { get; set; }

        public bool TryPush(QueuedFrame frame)
        {
            if (Count == max)
            {
                return false;
            }

            if (Count == _ring.Length)
            {
                var bigger = new QueuedFrame[Math.Min(max, _ring.Length * 2)];
                for (var i = 0; i < Count; i++)
                {
                    bigger[i] = _ring[(_head + i) % _ring.Length];
                }

                _ring = bigger;
                _head = 0;
            }

            _ring[(_head + Count) % _ring.Length] = frame;
            Count++;
            return true;
        }

        public QueuedFrame Pop()
        {
            var frame = _ring[_head];
            _ring[_head] = default;
            _head = (_head + 1) % _ring.Length;
            Count--;
            return frame;
        }
    }
}
