using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace Weft.WireGuard.Tests.Device;

/// <summary>Hostile datagrams at a running device: every one is dropped and counted, and traffic goes on.</summary>
public sealed class DeviceFuzzTests
{
    private static readonly byte[] Hello = Encoding.ASCII.GetBytes("still working");

    [Fact]
    public async Task Receive_RandomAndMutatedDatagrams_AreAllDroppedAndCountedAndTrafficContinues()
    {
        using var pair = new DevicePair(fakeTime: false);
        var good = Packets.Udp4("10.0.0.1", "10.0.0.2", Hello);
        DevicePair.DrainSent(pair.BindA);
        Assert.Equal(good, await pair.SendAToB(good));
        var initiation = (await DevicePair.NextSent(pair.BindA, d => DevicePair.IsType(d, 1))).Datagram;
        var transport = (await DevicePair.NextSent(pair.BindA, d => DevicePair.IsType(d, 4) && d.Datagram.Length > 32)).Datagram;

        var random = Gen.Choose(0, 220).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), n));
        var typed =
            from type in Gen.Elements<byte>(1, 2, 3, 4)
            from length in Gen.Elements(148, 92, 64, 32, 33, 100, 1500)
            from body in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), length)
            select WithType(body, type);
        var mutated =
            from source in Gen.Elements(initiation, transport)
            from index in Gen.Choose(0, source.Length - 1)
            from flip in Gen.Choose(1, 255)
            select Mutate(source, index, (byte)flip);
        var datagrams =
            from count in Gen.Choose(1, 30)
            from list in Gen.ArrayOf(Gen.OneOf(random, typed, mutated), count)
            select list;

        var cases = 0;
        Prop.ForAll(datagrams.ToArbitrary(), list =>
        {
            cases++;
            var before = Dropped(pair.B.Stats);
            foreach (var datagram in list)
            {
                pair.BindB.Inject(datagram, pair.BindA.LocalEndpoint);
            }
            // The next real packet still arrives, behind everything injected.
            var probe = Packets.Udp4("10.0.0.1", "10.0.0.2", BitConverter.GetBytes(cases));
            var arrived = pair.SendAToB(probe).GetAwaiter().GetResult();
            pair.B.Drained().GetAwaiter().GetResult();
            return arrived.AsSpan().SequenceEqual(probe) && Dropped(pair.B.Stats) - before == list.Length;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(150));
    }

    private static byte[] WithType(byte[] body, byte type)
    {
        body[0] = type;
        if (body.Length > 3)
        {
            body[1] = body[2] = body[3] = 0;
        }
        return body;
    }

    private static byte[] Mutate(byte[] source, int index, byte flip)
    {
        var copy = source.ToArray();
        copy[index] ^= flip;
        return copy;
    }

    private static long Dropped(DeviceStats s) =>
        s.Malformed + s.UnknownIndex + s.ExpiredKeypair + s.DecryptFailed + s.Replayed + s.NotAllowedSource +
        s.InvalidInnerPacket + s.HandshakeQueueFull + s.HandshakeRejected + s.HandshakeMac1Failed + s.RateLimited;
}
