using System.Net;
using Weft.WireGuard.AllowedIps;

namespace Weft.WireGuard.Tests.AllowedIps;

public class AllowedIpsTableTests
{
    private sealed class Peer(string name)
    {
        public override string ToString() => name;
    }

    private readonly Peer _a = new("a");
    private readonly Peer _b = new("b");
    private readonly Peer _c = new("c");
    private readonly AllowedIpsTable<Peer> _table = new();

    private static IPNetwork P(string text) => IPNetwork.Parse(text);

    private Peer? Find(string address) => _table.Lookup(IPAddress.Parse(address).GetAddressBytes());

    [Fact]
    public void Lookup_EmptyTable_IsNull()
    {
        Assert.Null(Find("10.0.0.1"));
        Assert.Null(Find("fd00::1"));
        Assert.Equal(0, _table.Count);
    }

    [Fact]
    public void Lookup_DefaultRouteV4_MatchesEveryV4AddressButNoV6()
    {
        _table.Insert(P("0.0.0.0/0"), _a);
        Assert.Same(_a, Find("0.0.0.0"));
        Assert.Same(_a, Find("255.255.255.255"));
        Assert.Same(_a, Find("192.0.2.1"));
        Assert.Null(Find("::"));
        Assert.Null(Find("::ffff:192.0.2.1"));
    }

    [Fact]
    public void Lookup_DefaultRouteV6_MatchesEveryV6AddressButNoV4()
    {
        _table.Insert(P("::/0"), _a);
        Assert.Same(_a, Find("::"));
        Assert.Same(_a, Find("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
        Assert.Null(Find("10.0.0.1"));
    }

    [Fact]
    public void Lookup_HostRoutes_MatchOnlyTheirAddress()
    {
        _table.Insert(P("192.0.2.7/32"), _a);
        _table.Insert(P("2001:db8::7/128"), _b);
        Assert.Same(_a, Find("192.0.2.7"));
        Assert.Null(Find("192.0.2.6"));
        Assert.Null(Find("192.0.2.8"));
        Assert.Same(_b, Find("2001:db8::7"));
        Assert.Null(Find("2001:db8::6"));
        Assert.Null(Find("2001:db8::8"));
    }

    [Fact]
    public void Lookup_OverlappingPrefixes_LongestWins()
    {
        _table.Insert(P("10.0.0.0/8"), _a);
        _table.Insert(P("10.1.0.0/16"), _b);
        _table.Insert(P("10.1.2.0/24"), _c);
        Assert.Same(_a, Find("10.2.0.1"));
        Assert.Same(_b, Find("10.1.3.1"));
        Assert.Same(_c, Find("10.1.2.200"));
        Assert.Null(Find("11.0.0.1"));
    }

    [Fact]
    public void Lookup_InsertedBroadestLast_LongestStillWins()
    {
        _table.Insert(P("10.1.2.0/24"), _c);
        _table.Insert(P("10.1.0.0/16"), _b);
        _table.Insert(P("10.0.0.0/8"), _a);
        Assert.Same(_c, Find("10.1.2.3"));
        Assert.Same(_b, Find("10.1.200.3"));
        Assert.Same(_a, Find("10.200.2.3"));
    }

    [Fact]
    public void Lookup_SiblingPrefixes_BranchCorrectly()
    {
        _table.Insert(P("192.168.0.0/24"), _a);
        _table.Insert(P("192.168.1.0/24"), _b);
        _table.Insert(P("fd00:1::/32"), _a);
        _table.Insert(P("fd00:2::/32"), _b);
        Assert.Same(_a, Find("192.168.0.9"));
        Assert.Same(_b, Find("192.168.1.9"));
        Assert.Null(Find("192.168.2.9"));
        Assert.Same(_a, Find("fd00:1::9"));
        Assert.Same(_b, Find("fd00:2::9"));
        Assert.Null(Find("fd00:3::9"));
    }

    [Fact]
    public void Insert_HostBitsSet_AreMaskedOff()
    {
        _table.Insert(new IPNetwork(IPAddress.Parse("10.1.0.0"), 16), _a);
        Assert.Same(_a, Find("10.1.255.255"));
        var prefixes = new List<IPNetwork>();
        _table.CopyPrefixesOf(_a, prefixes);
        Assert.Equal([P("10.1.0.0/16")], prefixes);
    }

    [Fact]
    public void Insert_SamePrefixOtherOwner_MovesOwnership()
    {
        _table.Insert(P("10.0.0.0/24"), _a);
        _table.Insert(P("10.0.0.0/24"), _b);
        Assert.Same(_b, Find("10.0.0.1"));
        Assert.Equal(1, _table.Count);
        var ofA = new List<IPNetwork>();
        _table.CopyPrefixesOf(_a, ofA);
        Assert.Empty(ofA);
        Assert.False(_table.Remove(P("10.0.0.0/24"), _a));
        Assert.True(_table.Remove(P("10.0.0.0/24"), _b));
        Assert.Null(Find("10.0.0.1"));
    }

    [Fact]
    public void Insert_SamePrefixSameOwnerTwice_CountsOnce()
    {
        _table.Insert(P("10.0.0.0/24"), _a);
        _table.Insert(P("10.0.0.0/24"), _a);
        Assert.Equal(1, _table.Count);
    }

    [Fact]
    public void Remove_OtherOwner_LeavesPrefix()
    {
        _table.Insert(P("10.0.0.0/24"), _a);
        Assert.False(_table.Remove(P("10.0.0.0/24"), _b));
        Assert.False(_table.Remove(P("10.0.0.0/25"), _a));
        Assert.Same(_a, Find("10.0.0.1"));
    }

    [Fact]
    public void Remove_MiddlePrefix_KeepsShorterAndLonger()
    {
        _table.Insert(P("10.0.0.0/8"), _a);
        _table.Insert(P("10.1.0.0/16"), _b);
        _table.Insert(P("10.1.2.0/24"), _c);
        Assert.True(_table.Remove(P("10.1.0.0/16"), _b));
        Assert.Same(_a, Find("10.1.3.1"));
        Assert.Same(_c, Find("10.1.2.1"));
        Assert.Equal(2, _table.Count);
    }

    [Fact]
    public void Remove_LeafUnderBranch_KeepsSibling()
    {
        _table.Insert(P("192.168.0.0/24"), _a);
        _table.Insert(P("192.168.1.0/24"), _b);
        Assert.True(_table.Remove(P("192.168.0.0/24"), _a));
        Assert.Null(Find("192.168.0.1"));
        Assert.Same(_b, Find("192.168.1.1"));
        _table.Insert(P("192.168.0.0/24"), _c);
        Assert.Same(_c, Find("192.168.0.1"));
    }

    [Fact]
    public void RemoveByOwner_RemovesOnlyThatOwnersPrefixes()
    {
        _table.Insert(P("10.0.0.0/8"), _a);
        _table.Insert(P("10.1.0.0/16"), _b);
        _table.Insert(P("10.1.1.0/24"), _a);
        _table.Insert(P("fd00::/8"), _a);
        _table.Insert(P("fd00:1::/32"), _b);
        _table.RemoveByOwner(_a);
        Assert.Equal(2, _table.Count);
        Assert.Null(Find("10.2.0.1"));
        Assert.Same(_b, Find("10.1.1.1"));
        Assert.Same(_b, Find("fd00:1::1"));
        Assert.Null(Find("fd00:2::1"));
        _table.RemoveByOwner(_a);
        Assert.Equal(2, _table.Count);
    }

    [Fact]
    public void Clear_EmptiesBothFamilies()
    {
        _table.Insert(P("10.0.0.0/8"), _a);
        _table.Insert(P("::/0"), _b);
        _table.Clear();
        Assert.Equal(0, _table.Count);
        Assert.Null(Find("10.0.0.1"));
        Assert.Null(Find("::1"));
        var prefixes = new List<IPNetwork>();
        _table.CopyPrefixesOf(_a, prefixes);
        Assert.Empty(prefixes);
    }

    [Fact]
    public void CopyPrefixesOf_ListsV4ThenV6InAddressOrder()
    {
        _table.Insert(P("fd00::/64"), _a);
        _table.Insert(P("10.0.0.0/24"), _a);
        _table.Insert(P("10.0.0.0/8"), _a);
        _table.Insert(P("1.2.3.4/32"), _a);
        _table.Insert(P("::/0"), _a);
        _table.Insert(P("10.9.0.0/16"), _b);
        var prefixes = new List<IPNetwork>();
        _table.CopyPrefixesOf(_a, prefixes);
        Assert.Equal([P("1.2.3.4/32"), P("10.0.0.0/8"), P("10.0.0.0/24"), P("::/0"), P("fd00::/64")], prefixes);
    }

    [Fact]
    public void Lookup_WrongAddressLength_IsNull()
    {
        _table.Insert(P("0.0.0.0/0"), _a);
        _table.Insert(P("::/0"), _a);
        Assert.Null(_table.Lookup([1, 2, 3]));
        Assert.Null(_table.Lookup(new byte[5]));
        Assert.Null(_table.Lookup([]));
    }

    [Fact]
    public void LookupV4AndV6_HostOrder_MatchSpanLookup()
    {
        _table.Insert(P("10.1.0.0/16"), _a);
        _table.Insert(P("2001:db8::/32"), _b);
        Assert.Same(_a, _table.LookupV4(0x0A01_0203));
        Assert.Null(_table.LookupV4(0x0A02_0203));
        Assert.Same(_b, _table.LookupV6(new UInt128(0x2001_0db8_0000_0000, 1)));
        Assert.Null(_table.LookupV6(new UInt128(0x2001_0db9_0000_0000, 1)));
    }

    [Fact]
    public async Task Lookup_WhileWriterChurns_StablePrefixAlwaysFound()
    {
        // Readers must never see a half-built trie: a prefix that stays in the table is found on every
        // lookup while a writer inserts and removes neighbours above, below and beside it.
        _table.Insert(P("10.0.0.0/8"), _a);
        var done = 0;
        var failures = 0;
        var readers = new Task[2];
        for (var r = 0; r < readers.Length; r++)
        {
            readers[r] = Task.Run(() =>
            {
                byte[] inside = [10, 77, 5, 9];
                while (Volatile.Read(ref done) == 0)
                {
                    var owner = _table.Lookup(inside);
                    if (owner is null)
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
            }, TestContext.Current.CancellationToken);
        }
        var random = new Random(7);
        for (var i = 0; i < 20_000; i++)
        {
            var length = 9 + random.Next(24);
            var address = new IPAddress([10, (byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)]);
            var masked = new IPNetwork(Mask(address, length), length);
            _table.Insert(masked, _b);
            _table.Insert(P("0.0.0.0/1"), _c);
            _table.Remove(masked, _b);
            _table.Remove(P("0.0.0.0/1"), _c);
        }
        Volatile.Write(ref done, 1);
        await Task.WhenAll(readers);
        Assert.Equal(0, failures);
        Assert.Equal(1, _table.Count);
    }

    [Fact]
    public void Lookup_SteadyState_AllocatesNothing()
    {
        var random = new Random(3);
        for (var i = 0; i < 1000; i++)
        {
            var length = random.Next(8, 33);
            _table.Insert(new IPNetwork(Mask(new IPAddress(random.NextInt64(0, 1L << 32)), length), length), i % 2 == 0 ? _a : _b);
        }
        _table.Insert(P("fd00::/8"), _c);
        byte[] v4 = [10, 1, 2, 3];
        byte[] v6 = IPAddress.Parse("fd00::1").GetAddressBytes();
        _table.Lookup(v4);
        _table.Lookup(v6);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            v4[3] = (byte)i;
            _table.Lookup(v4);
            _table.Lookup(v6);
            _table.LookupV4((uint)i * 2654435761u);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static IPAddress Mask(IPAddress address, int length)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(length - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xff << (8 - keep));
        }
        return new IPAddress(bytes);
    }
}
