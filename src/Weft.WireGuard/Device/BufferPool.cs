namespace Weft.WireGuard;

/// <summary>
/// Pinned packet buffers of <see cref="Constants.BufferSize"/> bytes, reused for the life of the
/// device so the data path allocates nothing. Pinned because the Linux bind and TUN hand their
/// addresses to the kernel in batches.
/// </summary>
internal sealed class BufferPool
{
    // _gate guards the fields below.
    private readonly Lock _gate = new();
    private readonly byte[][] _free;
    private int _freeCount;
    private int _created;

    /// <summary>Most buffers the pool keeps; beyond it returned buffers are left to the collector.</summary>
    public int Capacity => _free.Length;

    public BufferPool(int capacity) => _free = new byte[capacity][];

    /// <summary>Buffers handed out and not yet returned, plus those idle: memory held by the pool.</summary>
    public int Created => Volatile.Read(ref _created);

    public byte[] Rent()
    {
        lock (_gate)
        {
            if (_freeCount > 0)
            {
                var buffer = _free[--_freeCount];
                _free[_freeCount] = null!;
                return buffer;
            }
            _created++;
        }
        return GC.AllocateUninitializedArray<byte>(Constants.BufferSize, pinned: true);
    }

    /// <summary>Fills every slot of <paramref name="slots"/> that is null.</summary>
    public void RentInto(Span<byte[]> slots)
    {
        for (var i = 0; i < slots.Length; i++)
        {
            slots[i] ??= Rent();
        }
    }

    public void Return(byte[] buffer)
    {
        lock (_gate)
        {
            if (_freeCount < _free.Length)
            {
                _free[_freeCount++] = buffer;
            }
        }
    }

    public void Return(ReadOnlySpan<byte[]> buffers)
    {
        lock (_gate)
        {
            foreach (var buffer in buffers)
            {
                if (buffer is not null && _freeCount < _free.Length)
                {
                    _free[_freeCount++] = buffer;
                }
            }
        }
    }
}
