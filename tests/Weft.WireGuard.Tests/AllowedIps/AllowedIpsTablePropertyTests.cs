using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Weft.WireGuard.AllowedIps;

namespace Weft.WireGuard.Tests.AllowedIps;

public class AllowedIpsTablePropertyTests
{
    private sealed class Owner(int id)
    {
        public int Id { get; } = id;
    }

    private enum Op
    {
        Insert,
        Remove,
        RemoveByOwner,
    }

    // Addresses drawn from a few small neighbourhoods so prefixes overlap, nest and share long common
    // runs of bits; plus fully random ones.
    private static Gen<byte[]> AddressGen(bool v4)
    {
        var size = v4 ? 4 : 16;
        var random = Gen.ArrayOf(Gen.Choose(0, 255).Select(i => (byte)i), size);
        var near = from seed in Gen.Choose(0, 3)
                   from tail in Gen.ArrayOf(Gen.Choose(0, 255).Select(i => (byte)i), size)
                   from keep in Gen.Choose(0, size)
                   select Near(seed, tail, keep, size);
        return Gen.Frequency((1, random), (3, near));
    }

    private static byte[] Near(int seed, byte[] tail, int keep, int size)
    {
        var bytes = new byte[size];
        for (var i = 0; i < size; i++)
        {
            bytes[i] = i < keep ? (byte)(0x0A + (seed * 0x11) + i) : tail[i];
        }
        return bytes;
    }

    private static IPNetwork MakePrefix(byte[] address, int length)
    {
        var bytes = (byte[])address.Clone();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(length - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xff << (8 - keep));
        }
        return new IPNetwork(new IPAddress(bytes), length);
    }

    private static readonly Gen<IPNetwork> PrefixGen =
        from v4 in Gen.Elements(true, false)
        from address in AddressGen(v4)
        from length in v4 ? Gen.Frequency((1, Gen.Elements(0, 32)), (6, Gen.Choose(0, 32))) : Gen.Frequency((1, Gen.Elements(0, 128)), (6, Gen.Choose(0, 128)))
        select MakePrefix(address, length);

    private static readonly Gen<(Op, IPNetwork, int)> StepGen =
        from op in Gen.Frequency((6, Gen.Constant(Op.Insert)), (2, Gen.Constant(Op.Remove)), (1, Gen.Constant(Op.RemoveByOwner)))
        from prefix in PrefixGen
        from owner in Gen.Choose(0, 3)
        select (op, prefix, owner);

    private static readonly Gen<IPAddress> ProbeGen =
        from v4 in Gen.Elements(true, false)
        from address in AddressGen(v4)
        select new IPAddress(address);

    [Fact]
    public void Lookup_AfterRandomChanges_MatchesLinearLongestPrefixScan()
    {
        var gen = from steps in Gen.ListOf(StepGen)
                  from probes in Gen.ListOf(ProbeGen)
                  select (steps, probes);
        Prop.ForAll(gen.ToArbitrary(), input =>
        {
            Owner[] owners = [new(0), new(1), new(2), new(3)];
            var table = new AllowedIpsTable<Owner>();
            var model = new PrefixModel<Owner>();
            var probes = new List<IPAddress>(input.probes);
            foreach (var (op, prefix, ownerIndex) in input.steps)
            {
                var owner = owners[ownerIndex];
                switch (op)
                {
                    case Op.Insert:
                        table.Insert(prefix, owner);
                        model.Insert(prefix, owner);
                        break;
                    case Op.Remove:
                        if (table.Remove(prefix, owner) != model.Remove(prefix, owner))
                        {
                            return false;
                        }
                        break;
                    default:
                        table.RemoveByOwner(owner);
                        model.RemoveByOwner(owner);
                        break;
                }
                // Probe the edges of each prefix touched: its first and last address.
                probes.Add(prefix.BaseAddress);
                probes.Add(LastAddress(prefix));
            }
            if (table.Count != model.Count)
            {
                return false;
            }
            foreach (var probe in probes)
            {
                if (!ReferenceEquals(table.Lookup(probe.GetAddressBytes()), model.Lookup(probe)))
                {
                    return false;
                }
            }
            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void CopyPrefixesOf_AfterRandomInserts_ListsExactlyTheOwnedPrefixes()
    {
        Prop.ForAll(Gen.ListOf(StepGen).ToArbitrary(), steps =>
        {
            Owner[] owners = [new(0), new(1), new(2), new(3)];
            var table = new AllowedIpsTable<Owner>();
            var expected = new Dictionary<IPNetwork, Owner>();
            foreach (var (_, prefix, ownerIndex) in steps)
            {
                table.Insert(prefix, owners[ownerIndex]);
                expected[prefix] = owners[ownerIndex];
            }
            foreach (var owner in owners)
            {
                var listed = new List<IPNetwork>();
                table.CopyPrefixesOf(owner, listed);
                var wanted = expected.Where(e => e.Value == owner).Select(e => e.Key).ToHashSet();
                if (listed.Count != wanted.Count || !wanted.SetEquals(listed))
                {
                    return false;
                }
            }
            return true;
        }).QuickCheckThrowOnFailure();
    }

    private static IPAddress LastAddress(IPNetwork prefix)
    {
        var bytes = prefix.BaseAddress.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(prefix.PrefixLength - (i * 8), 0, 8);
            bytes[i] |= (byte)(0xff >> keep);
        }
        return new IPAddress(bytes);
    }
}
