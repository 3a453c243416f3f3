using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.Time.Testing;
using Weft.Node.Filter;
using static Weft.Node.Tests.Filter.FilterPackets;

namespace Weft.Node.Tests.Filter;

/// <summary>Random and mutated packets in both directions: the filter never throws and counts every inbound packet once.</summary>
public sealed class TailnetFilterPropertyTests
{
    [Fact]
    public void RandomPackets_NeverThrow_AndEveryInboundOutcomeIsCounted()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
        using var filter = new TailnetFilter(time, flowCapacity: 256);
        filter.SetRules(TailnetFilterTests.SshFromB, TailnetFilterTests.LocalAddresses);
        byte[][] seeds =
        [
            Tcp("100.64.0.2", 50000, "100.64.0.1", 22, Syn),
            Udp("fd7a:115c:a1e0::2", 53, "fd7a:115c:a1e0::1", 40000),
            EchoReply("100.64.0.2", "100.64.0.1", 3),
            IcmpError("100.64.0.2", "100.64.0.1", 3, 4, Udp("100.64.0.1", 40000, "100.64.0.2", 53)),
            IcmpError("fd7a:115c:a1e0::2", "fd7a:115c:a1e0::1", 2, 0, Udp("fd7a:115c:a1e0::1", 40000, "fd7a:115c:a1e0::2", 53)),
            Fragment("fd7a:115c:a1e0::2", "fd7a:115c:a1e0::1", 17, new byte[16], 9, 0, more: true),
            Fragment("100.64.0.2", "100.64.0.1", 6, new byte[16], 9, 2, more: false),
        ];
        var bytes = Gen.Choose(0, 255).Select(b => (byte)b);
        var random =
            from version in Gen.Elements<byte>(0x45, 0x46, 0x4F, 0x60, 0x00, 0x75)
            from length in Gen.Choose(0, 120)
            from body in Gen.ArrayOf(bytes, length)
            select WithFirst(body, version);
        var mutated =
            from seed in Gen.Elements(seeds)
            from flips in Gen.ArrayOf(Gen.Zip(Gen.Choose(0, seed.Length - 1), Gen.Choose(1, 255)), 3)
            from cut in Gen.Choose(0, seed.Length)
            select Mutate(seed, flips, cut);
        var packets =
            from direction in Gen.Elements(true, false)
            from packet in Gen.OneOf(random, mutated, Gen.Elements(seeds))
            select (Inbound: direction, Packet: packet);

        var inbound = 0L;
        Prop.ForAll(packets.ToArbitrary(), c =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            if (!c.Inbound)
            {
                return filter.AllowOutbound(c.Packet);
            }
            inbound++;
            filter.AllowInbound(c.Packet);
            return filter.Counters.Accepted + filter.Counters.Dropped == inbound;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(3000));
    }

    private static byte[] WithFirst(byte[] body, byte first)
    {
        if (body.Length > 0)
        {
            body[0] = first;
        }
        return body;
    }

    private static byte[] Mutate(byte[] seed, (int Index, int Xor)[] flips, int cut)
    {
        var copy = seed[..cut];
        foreach (var (index, xor) in flips)
        {
            if (index < copy.Length)
            {
                copy[index] ^= (byte)xor;
            }
        }
        return copy;
    }
}
