using System.Collections;
using System.Numerics;

namespace Weft.Control.Map;

/// <summary>
/// Node ids held as a bitset over slots with the slot-to-id table of one moment, for the long id lists a
/// policy edit queues in every session at once: 10,000 removals take 1.25 KB instead of 80 KB each, and the
/// table is shared by every list of that edit. Immutable, so writers read it without the map's lock.
/// Meant to be enumerated; the indexer walks the bits.
/// </summary>
internal sealed class NodeIdList : IReadOnlyList<long>
{
    private readonly ulong[] _bits;
    private readonly long[] _idOfSlot;

    /// <param name="bits">Set bits are slots; the list owns the array.</param>
    /// <param name="idOfSlot">The id of each slot when the bits were taken; shared, never changed.</param>
    public NodeIdList(ulong[] bits, long[] idOfSlot)
    {
        _bits = bits;
        _idOfSlot = idOfSlot;
        var count = 0;
        foreach (var word in bits)
        {
            count += BitOperations.PopCount(word);
        }

        Count = count;
    }

    public int Count { get; }

    public long this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            var i = 0;
            foreach (var id in this)
            {
                if (i++ == index)
                {
                    return id;
                }
            }

            throw new InvalidOperationException("unreachable: index was checked against the count");
        }
    }

    public IEnumerator<long> GetEnumerator()
    {
        for (var word = 0; word < _bits.Length; word++)
        {
            var rest = _bits[word];
            while (rest != 0)
            {
                var bit = BitOperations.TrailingZeroCount(rest);
                rest &= rest - 1;
                yield return _idOfSlot[(word << 6) + bit];
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
