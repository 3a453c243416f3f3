namespace Weft.WireGuard.Conn;

/// <summary>
/// Hands each concurrent caller its own <see cref="MessageBatch"/>: Send runs on several threads at
/// once. Batches are made on demand and kept, so steady state allocates nothing.
/// </summary>
internal sealed class MessageBatchPool : IDisposable
{
    private readonly int _capacity;
    private readonly int _arenaSize;

    // _gate guards the fields below.
    private readonly Lock _gate = new();
    private readonly Stack<MessageBatch> _free = new();
    private bool _disposed;

    public MessageBatchPool(int capacity, int arenaSize)
    {
        _capacity = capacity;
        _arenaSize = arenaSize;
    }

    /// <summary>A batch for this caller, or null once the pool is disposed (the bind is gone).</summary>
    public MessageBatch? Rent()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return null;
            }
            if (_free.TryPop(out var batch))
            {
                return batch;
            }
        }
        return new MessageBatch(_capacity, _arenaSize);
    }

    public void Return(MessageBatch batch)
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _free.Push(batch);
                return;
            }
        }
        batch.Dispose();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            while (_free.TryPop(out var batch))
            {
                batch.Dispose();
            }
        }
    }
}
