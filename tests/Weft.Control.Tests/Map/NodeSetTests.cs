using Weft.Control.Map;

namespace Weft.Control.Tests.Map;

/// <summary>Bitset node sets over shared slots: membership, enumeration and slot reuse.</summary>
public sealed class NodeSetTests
{
    [Fact]
    public void AddRemove_ManyIds_EnumeratesExactlyTheMembers()
    {
        var slots = new NodeSlots();
        var set = new NodeSet(slots);
        for (long id = 1000; id < 1200; id++)
        {
            Assert.True(set.Add(id));
        }

        Assert.False(set.Add(1000));
        for (long id = 1000; id < 1200; id += 2)
        {
            Assert.True(set.Remove(id));
        }

        Assert.False(set.Remove(1000));
        Assert.False(set.Contains(1000));
        Assert.True(set.Contains(1001));
        Assert.Equal(100, set.Count);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => 1001L + (2 * i)), set.Order());
    }

    [Fact]
    public void Release_SlotReusedByAnotherNode_OtherSetsDoNotSeeIt()
    {
        var slots = new NodeSlots();
        var a = new NodeSet(slots);
        var b = new NodeSet(slots);
        a.Add(1);
        a.Add(2);
        b.Add(2);
        a.Remove(1);
        slots.Release(1);

        b.Add(3);
        Assert.Equal(2, slots.Capacity); // id 3 took the freed slot
        Assert.False(a.Contains(3));
        Assert.Equal([2L], a);
        Assert.Equal([2L, 3L], b.Order());
    }

    [Fact]
    public void CloneAndUnion_AreIndependentCopies()
    {
        var slots = new NodeSlots();
        var a = new NodeSet(slots);
        a.Add(5);
        var copy = a.Clone();
        a.Add(6);
        var other = new NodeSet(slots);
        for (long id = 100; id < 300; id++)
        {
            other.Add(id);
        }

        copy.UnionWith(other);

        Assert.Equal([5L], copy.Where(id => id < 100));
        Assert.Equal(201, copy.Count);
        Assert.Equal(2, a.Count);
    }

    [Fact]
    public void Except_IsTheDifferenceInBothDirections_AndCountsMatch()
    {
        var slots = new NodeSlots();
        var a = new NodeSet(slots);
        var b = new NodeSet(slots);
        for (long id = 1; id <= 150; id++)
        {
            a.Add(id);
        }

        for (long id = 100; id <= 300; id++)
        {
            b.Add(id);
        }

        var ids = slots.SnapshotIds();
        var aOnly = a.Except(b, ids);
        var bOnly = b.Except(a, ids);

        Assert.Equal(Enumerable.Range(1, 99).Select(i => (long)i), aOnly);
        Assert.Equal(Enumerable.Range(151, 150).Select(i => (long)i), bOnly);
        Assert.Equal(99, a.CountExcept(b));
        Assert.Equal(150, bOnly.Count);
        Assert.Equal(151L, bOnly[0]);
        Assert.Equal(300L, bOnly[149]);
        Assert.Throws<ArgumentOutOfRangeException>(() => bOnly[150]);
    }

    [Fact]
    public void Except_SlotReusedAfterTheSnapshot_StillNamesTheNodeOfThatMoment()
    {
        var slots = new NodeSlots();
        var before = new NodeSet(slots);
        before.Add(7);
        before.Add(8);
        var removed = before.Except(new NodeSet(slots), slots.SnapshotIds());

        before.Remove(7);
        slots.Release(7);
        var other = new NodeSet(slots);
        other.Add(99);

        Assert.Equal(0, slots.SlotOf(99));
        Assert.Equal([7L, 8L], removed);
    }
}
