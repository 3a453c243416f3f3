using Weft.WireGuard.Noise;

namespace Weft.WireGuard.Tests.Noise;

public class IndexTableTests
{
    [Fact]
    public void NewIndex_ManyOwners_AreUniqueNonZeroAndLookUp()
    {
        var table = new IndexTable<object>();
        var owners = new Dictionary<uint, object>();
        for (var i = 0; i < 10_000; i++)
        {
            var owner = new object();
            var index = table.NewIndex(owner);
            Assert.NotEqual(0u, index);
            owners.Add(index, owner);
        }
        Assert.Equal(10_000, table.Count);
        foreach (var (index, owner) in owners)
        {
            Assert.Same(owner, table.Lookup(index));
        }
    }

    [Fact]
    public void Remove_ThenLookup_ReturnsNull()
    {
        var table = new IndexTable<string>();
        var index = table.NewIndex("handshake");
        table.Remove(index);
        Assert.Null(table.Lookup(index));
        table.Remove(index);
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void TryReplace_KnownIndex_ChangesOwner()
    {
        var table = new IndexTable<string>();
        var index = table.NewIndex("handshake");
        Assert.True(table.TryReplace(index, "keypair"));
        Assert.Equal("keypair", table.Lookup(index));
        table.Remove(index);
        Assert.False(table.TryReplace(index, "keypair"));
        Assert.Null(table.Lookup(index));
    }

    [Fact]
    public void NewIndex_ManyThreads_NeverHandsOutTheSameIndexTwice()
    {
        var table = new IndexTable<object>();
        var indexes = new uint[4][];
        Parallel.For(0, indexes.Length, t =>
        {
            indexes[t] = new uint[5000];
            for (var i = 0; i < indexes[t].Length; i++)
            {
                indexes[t][i] = table.NewIndex(indexes);
            }
        });
        Assert.Equal(20_000, indexes.SelectMany(x => x).Distinct().Count());
    }
}
