namespace Weft.WireGuard.Noise;

/// <summary>
/// The sliding window of received transport counters (RFC 6479's ring of bitmap blocks): each
/// counter is accepted once, counters too far behind the newest are refused, and a counter ahead
/// of the window slides it forward clearing only the blocks it passes. Thread-safe.
/// </summary>
public sealed class ReplayWindow
{
    private const int BlockBits = 64;
    private const int BlockShift = 6;
    private const int Blocks = Constants.ReplayWindowSize / BlockBits;

    /// <summary>
    /// Counters this far behind the newest one or further are refused. One block less than the ring:
    /// the block holding the newest counter is only partly inside the window.
    /// </summary>
    public const int Size = Constants.ReplayWindowSize - BlockBits;

    // _gate guards _ring, _newest and _any.
    private readonly Lock _gate = new();
    private readonly ulong[] _ring = new ulong[Blocks];
    private ulong _newest;
    private bool _any;

    /// <summary>Accepts <paramref name="counter"/> once and marks it seen; false if seen, too old or at/beyond the reject limit.</summary>
    public bool TryAccept(ulong counter)
    {
        if (counter >= Constants.RejectAfterMessages)
        {
            return false;
        }
        var block = counter >> BlockShift;
        lock (_gate)
        {
            if (!_any || counter > _newest)
            {
                var newestBlock = _any ? _newest >> BlockShift : ulong.MaxValue;
                // Blocks between the old newest and the new one leave the window: clear them for reuse.
                var advance = _any ? Math.Min(block - newestBlock, Blocks) : Blocks;
                for (ulong i = 1; i <= advance; i++)
                {
                    _ring[(int)((newestBlock + i) % Blocks)] = 0;
                }
                _newest = counter;
                _any = true;
            }
            else if (_newest - counter >= Size)
            {
                return false;
            }
            ref var bits = ref _ring[(int)(block % Blocks)];
            var mask = 1UL << (int)(counter & (BlockBits - 1));
            if ((bits & mask) != 0)
            {
                return false;
            }
            bits |= mask;
            return true;
        }
    }

    /// <summary>Forgets everything seen.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            Array.Clear(_ring);
            _newest = 0;
            _any = false;
        }
    }
}
