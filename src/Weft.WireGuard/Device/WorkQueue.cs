namespace Weft.WireGuard;

/// <summary>
/// A bounded first-in first-out queue for the engine's dedicated threads: blocking take, non-blocking
/// add that reports a full queue, and a close that wakes every waiter. Allocation-free after construction.
/// </summary>
internal sealed class WorkQueue<T> where T : class
{
    // _gate guards the fields below.
    private readonly object _gate = new();
    private readonly T?[] _ring;
    private int _head;
    private int _count;
    private bool _closed;

    public WorkQueue(int capacity) => _ring = new T?[capacity];

    /// <summary>Items waiting; a racy snapshot, good enough for load decisions.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Adds an item; false when the queue is full or closed (the caller drops and counts).</summary>
    public bool TryAdd(T item)
    {
        lock (_gate)
        {
            if (_closed || _count == _ring.Length)
            {
                return false;
            }
            _ring[(_head + _count) % _ring.Length] = item;
            _count++;
            Monitor.PulseAll(_gate);
            return true;
        }
    }

    /// <summary>Adds an item, waiting while the queue is full (backpressure); false once closed.</summary>
    public bool Add(T item)
    {
        lock (_gate)
        {
            while (_count == _ring.Length && !_closed)
            {
                Monitor.Wait(_gate);
            }
            if (_closed)
            {
                return false;
            }
            _ring[(_head + _count) % _ring.Length] = item;
            _count++;
            Monitor.PulseAll(_gate);
            return true;
        }
    }

    /// <summary>Blocks until an item is available; null once the queue is closed and drained.</summary>
    public T? Take()
    {
        lock (_gate)
        {
            while (_count == 0)
            {
                if (_closed)
                {
                    return null;
                }
                Monitor.Wait(_gate);
            }
            var item = _ring[_head];
            _ring[_head] = null;
            _head = (_head + 1) % _ring.Length;
            _count--;
            if (_count == _ring.Length - 1)
            {
                // A producer may be waiting for room.
                Monitor.PulseAll(_gate);
            }
            return item;
        }
    }

    /// <summary>Wakes all waiters; later adds fail and takes drain what is left, then return null.</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
            Monitor.PulseAll(_gate);
        }
    }
}
