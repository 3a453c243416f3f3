namespace Weft.Control.Map;

/// <summary>
/// Dense small numbers for the node ids of one tailnet, reused after a node leaves, so that sets of nodes
/// can be bitsets. Not thread-safe: the map's lock guards it.
/// </summary>
internal sealed class NodeSlots
{
    private readonly Dictionary<long, int> _slotOf = [];
    private readonly List<long> _idOf = [];
    private readonly Stack<int> _free = new();

    /// <summary>Slots handed out so far (the size a bitset needs).</summary>
    public int Capacity => _idOf.Count;

    /// <summary>The slot of <paramref name="id"/>, assigning one if it has none.</summary>
    public int Acquire(long id)
    {
        if (_slotOf.TryGetValue(id, out var slot))
        {
            return slot;
        }

        if (_free.TryPop(out slot))
        {
            _idOf[slot] = id;
        }
        else
        {
            slot = _idOf.Count;
            _idOf.Add(id);
        }

        _slotOf[id] = slot;
        return slot;
    }

    /// <summary>Frees the slot of a node that left; no set may still hold it.</summary>
    public void Release(long id)
    {
        if (_slotOf.Remove(id, out var slot))
        {
            _free.Push(slot);
        }
    }

    /// <summary>The slot of <paramref name="id"/>, or -1.</summary>
    public int SlotOf(long id) => _slotOf.TryGetValue(id, out var slot) ? slot : -1;

    /// <summary>The id of every slot now, for lists that are read after the slots may have been reused.</summary>
    public long[] SnapshotIds() => [.. _idOf];

    /// <summary>The node id in <paramref name="slot"/>.</summary>
    public long IdOf(int slot) => _idOf[slot];
}
