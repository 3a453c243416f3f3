using System.Buffers;
using System.IO.Pipelines;
using FsCheck;
using FsCheck.Fluent;
using Weft.Relay.Protocol;
using Weft.Relay.Stun;

namespace Weft.Relay.Tests.Protocol;

public sealed class FrameTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Header_RoundTrips()
    {
        var header = new byte[RelayConstants.FrameHeaderLength + 40];
        Frame.WriteHeader(header, FrameType.SendPacket, 40);

        Assert.Equal(FrameParse.Complete, Frame.TryReadHeader(header, RelayConstants.MaxFrameBody, out var type, out var length));
        Assert.Equal(FrameType.SendPacket, type);
        Assert.Equal(40, length);
        Assert.Equal(FrameParse.NeedMore, Frame.TryReadHeader(header.AsSpan(0, 30), RelayConstants.MaxFrameBody, out _, out _));
        Assert.Equal(FrameParse.NeedMore, Frame.TryReadHeader(header.AsSpan(0, 4), RelayConstants.MaxFrameBody, out _, out _));
    }

    [Theory]
    [InlineData(RelayConstants.MaxFrameBody + 1)]
    [InlineData(int.MaxValue)]
    [InlineData(-1)] // 0xFFFFFFFF on the wire
    public void Header_AboveTheLimit_IsTooLarge_BeforeTheBodyArrives(int declared)
    {
        var header = new byte[RelayConstants.FrameHeaderLength];
        Frame.WriteHeader(header, FrameType.SendPacket, declared);

        Assert.Equal(FrameParse.TooLarge, Frame.TryReadHeader(header, RelayConstants.MaxFrameBody, out _, out _));
    }

    [Theory]
    [InlineData(FrameType.SendPacket, 31, false)]
    [InlineData(FrameType.SendPacket, 32, true)]
    [InlineData(FrameType.SendPacket, 32 + RelayConstants.MaxPacketLength + 1, false)]
    [InlineData(FrameType.KeepAlive, 1, false)]
    [InlineData(FrameType.PeerGone, 33, true)]
    [InlineData(FrameType.Ping, 7, false)]
    [InlineData((FrameType)0x7F, 0, false)]
    public void BodyBounds_PerType(FrameType type, int length, bool valid) => Assert.Equal(valid, Frame.IsValidBody(type, length));

    /// <summary>Property: any bytes, however split into reads, parse into frames or a clean error; nothing throws anything else.</summary>
    [Fact]
    public void RandomBytes_NeverThrow_InTheClientReadLoop()
    {
        var input = Gen.Zip(Gen.ArrayOf(Gen.Choose(0, 255).Select(i => (byte)i)), Gen.Choose(1, 64));
        Prop.ForAll(input.ToArbitrary(), pair =>
        {
            var (bytes, chunk) = pair;
            var pipe = new Pipe();
            var frames = 0;
            var read = FrameLoop.RunAsync(pipe.Reader, TestCiphers.Direction().Opener, static (int[] count, FrameType type, in ReadOnlySequence<byte> body) =>
            {
                count[0]++;
                return type != FrameType.Ping || body.Length == 8;
            }, new[] { frames }, null, null, Ct);
            for (var i = 0; i < bytes.Length; i += chunk)
            {
                pipe.Writer.WriteAsync(bytes.AsMemory(i, Math.Min(chunk, bytes.Length - i)), Ct).AsTask().GetAwaiter().GetResult();
            }

            pipe.Writer.Complete();
            try
            {
                read.GetAwaiter().GetResult();
            }
            catch (RelayProtocolException)
            {
                // Malformed input ends the loop with this, and only this.
            }
        }).QuickCheckThrowOnFailure();
    }

    /// <summary>Property: the STUN codec never throws on random datagrams, nor on mutations of a valid message.</summary>
    [Fact]
    public void RandomDatagrams_NeverThrow_InTheStunCodec()
    {
        var valid = new byte[StunConstants.MaxMessageLength];
        var n = StunMessage.WriteBindingSuccess(valid, TransactionId.NewRandom(), System.Net.IPAddress.Parse("192.0.2.1"), 1);
        var mutated = Gen.Zip(Gen.Choose(0, n - 1), Gen.Choose(0, 255)).Select(p =>
        {
            var copy = valid.AsSpan(0, n).ToArray();
            copy[p.Item1] = (byte)p.Item2;
            return copy;
        });
        var input = Gen.OneOf(Gen.ArrayOf(Gen.Choose(0, 255).Select(i => (byte)i)), mutated);
        var client = new StunClient();
        Prop.ForAll(input.ToArbitrary(), bytes =>
        {
            if (StunMessage.TryParseHeader(bytes, out _, out _))
            {
                StunMessage.CheckFingerprint(bytes);
                StunMessage.CheckMessageIntegrity(bytes, "key"u8);
                StunMessage.TryReadMappedAddress(bytes, out _);
            }

            client.TryAcceptResponse(bytes, out _, out _);
        }).QuickCheckThrowOnFailure();
    }
}
