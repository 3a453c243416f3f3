using System.Numerics;

namespace Weft.Node.Filter;

/// <summary>
/// The connection-tracking table: a fixed-size, open-addressed hash table of <see cref="FlowKey"/>s with
/// expiry times. Lookups take no lock and never allocate; inserts are serialised by a lock and reuse
/// expired slots, evicting the entry nearest to expiry when a key's neighbourhood is full.
/// </summary>
/// <remarks>
/// Each slot carries a version (a sequence lock): a writer makes it odd while it rewrites the slot, and a
/// reader that saw an odd or changed version reads again, so a reader never acts on a torn key. A
/// separate array of 32-bit hash tags lets a miss look at one cache line instead of sixteen slots. Tags
/// are never cleared, so an empty tag ends a probe: no key was ever placed beyond it.
/// The expiry stamp is the expiry timestamp shifted left by one, its low bit set once a TCP flow is
/// closing; readers refresh it with compare-and-swap, so a refresh racing a rewrite of the slot is lost
/// instead of landing on another flow.
/// </remarks>
internal sealed class FlowTable
{
    private readonly Slot[] _slots;
    private readonly uint[] _tags;
    private readonly int _mask;
    private readonly FlowHashKey _hashKey;

    // _gate serialises writers (inserts); readers never take it.
    private readonly Lock _gate = new();

    private long _created;
    private long _evicted;

    public FlowTable(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, FilterConstants.ProbeWindow));
        _slots = new Slot[size];
        _tags = new uint[size];
        _mask = size - 1;
        _hashKey = FlowHashKey.Create();
    }

    /// <summary>Slots in the table.</summary>
    public int Capacity => _slots.Length;

    /// <summary>Entries inserted since the table was made.</summary>
    public long Created => Interlocked.Read(ref _created);

    /// <summary>Live entries pushed out because their neighbourhood was full.</summary>
    public long Evicted => Interlocked.Read(ref _evicted);

    /// <summary>
    /// True when <paramref name="key"/> is tracked and not expired at <paramref name="now"/>; then its expiry
    /// moves to <paramref name="now"/> plus <paramref name="idle"/>, or plus <paramref name="closingIdle"/>
    /// once <paramref name="close"/> was seen for it.
    /// </summary>
    public bool TryTouch(in FlowKey key, long now, long idle, long closingIdle, bool close)
    {
        var index = Find(in key, now, out var stamp);
        if (index < 0)
        {
            return false;
        }
        var wasClosing = (stamp & 1) != 0;
        var closing = wasClosing | close;
        var expiry = now + (closing ? closingIdle : idle);
        // Refresh only when the expiry moves by more than 1/64 of the timeout: most packets then only read the slot.
        if (closing != wasClosing || expiry - (stamp >> 1) > (idle >> 6))
        {
            Interlocked.CompareExchange(ref _slots[index].Stamp, expiry << 1 | (closing ? 1L : 0L), stamp);
        }
        return true;
    }

    /// <summary>True when <paramref name="key"/> is tracked and not expired at <paramref name="now"/>; leaves its expiry alone.</summary>
    public bool Contains(in FlowKey key, long now) => Find(in key, now, out _) >= 0;

    /// <summary>Tracks <paramref name="key"/> until <paramref name="expiry"/>, or extends it when already tracked.</summary>
    public void Add(in FlowKey key, long now, long expiry)
    {
        var hash = key.Hash(in _hashKey);
        var tag = Tag(hash);
        var home = (int)hash & _mask;
        lock (_gate)
        {
            var free = -1;
            var oldest = -1;
            var oldestExpiry = long.MaxValue;
            for (var i = 0; i < FilterConstants.ProbeWindow; i++)
            {
                var index = (home + i) & _mask;
                var slotTag = _tags[index];
                if (slotTag == 0)
                {
                    if (free < 0)
                    {
                        free = index;
                    }
                    break;
                }
                ref var slot = ref _slots[index];
                var slotExpiry = Volatile.Read(ref slot.Stamp) >> 1;
                if (slotTag == tag && slot.Key.Equals(in key))
                {
                    // Only this writer changes keys, so the key read needs no version check here.
                    Interlocked.Exchange(ref slot.Stamp, expiry << 1);
                    if (slotExpiry <= now)
                    {
                        Interlocked.Increment(ref _created);
                    }
                    return;
                }
                if (slotExpiry <= now)
                {
                    if (free < 0)
                    {
                        free = index;
                    }
                }
                else if (slotExpiry < oldestExpiry)
                {
                    oldest = index;
                    oldestExpiry = slotExpiry;
                }
            }
            if (free < 0)
            {
                free = oldest;
                Interlocked.Increment(ref _evicted);
            }
            Write(free, tag, in key, expiry << 1);
            Interlocked.Increment(ref _created);
        }
    }

    /// <summary>Entries not expired at <paramref name="now"/>; walks the whole table, for diagnostics only.</summary>
    public int CountLive(long now)
    {
        var live = 0;
        for (var i = 0; i < _slots.Length; i++)
        {
            if (Volatile.Read(ref _tags[i]) != 0 && Volatile.Read(ref _slots[i].Stamp) >> 1 > now)
            {
                live++;
            }
        }
        return live;
    }

    /// <summary>The slot holding a live <paramref name="key"/>, or -1.</summary>
    private int Find(in FlowKey key, long now, out long stamp)
    {
        var hash = key.Hash(in _hashKey);
        var tag = Tag(hash);
        var home = (int)hash & _mask;
        for (var i = 0; i < FilterConstants.ProbeWindow; i++)
        {
            var index = (home + i) & _mask;
            var slotTag = Volatile.Read(ref _tags[index]);
            if (slotTag == 0)
            {
                break;
            }
            if (slotTag != tag)
            {
                continue;
            }
            if (TryMatch(index, in key, out stamp))
            {
                return stamp >> 1 > now ? index : -1;
            }
        }
        stamp = 0;
        return -1;
    }

    /// <summary>
    /// Compares a slot's key with <paramref name="key"/> in place and reads its stamp, under the sequence
    /// lock: an answer from a slot that changed meanwhile is thrown away and the slot read again.
    /// </summary>
    private bool TryMatch(int index, in FlowKey key, out long stamp)
    {
        ref var slot = ref _slots[index];
        var spin = default(SpinWait);
        while (true)
        {
            var version = Volatile.Read(ref slot.Version);
            if ((version & 1) == 0)
            {
                var equal = slot.Key.Equals(in key);
                stamp = Volatile.Read(ref slot.Stamp);
                // The reads above must complete before the version is read again (free on x64, a fence on Arm).
                Volatile.ReadBarrier();
                if (Volatile.Read(ref slot.Version) == version)
                {
                    return equal;
                }
            }
            spin.SpinOnce();
        }
    }

    /// <summary>Rewrites a slot; caller holds _gate.</summary>
    private void Write(int index, uint tag, in FlowKey key, long stamp)
    {
        ref var slot = ref _slots[index];
        var version = slot.Version;
        Volatile.Write(ref slot.Version, version + 1);
        // Readers must see the odd version before any byte of the new key.
        Volatile.WriteBarrier();
        Volatile.Write(ref _tags[index], tag);
        slot.Key = key;
        Interlocked.Exchange(ref slot.Stamp, stamp);
        Volatile.Write(ref slot.Version, version + 2);
    }

    // Never 0: 0 marks a slot that was never used.
    private static uint Tag(ulong hash) => (uint)(hash >> 32) | 1;

    private struct Slot
    {
        public int Version;
        public long Stamp;
        public FlowKey Key;
    }
}
