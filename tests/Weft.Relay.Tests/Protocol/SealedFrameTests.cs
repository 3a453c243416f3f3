using System.Buffers;
using System.IO.Pipelines;
using FsCheck;
using FsCheck.Fluent;
using Weft.Relay.Protocol;
using Weft.Relay.Server;

namespace Weft.Relay.Tests.Protocol;

public sealed class SealedFrameTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Record_Opens_IntoItsFrames_AndHidesThem()
    {
        var (sealer, opener) = TestCiphers.Direction();
        var body = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();

        var wire = TestCiphers.SealRecord(sealer, TestCiphers.Frame(FrameType.SendPacket, body), TestCiphers.Frame(FrameType.KeepAlive, []));

        Assert.Equal(4 + 5 + 100 + 5 + 16, wire.Length);
        Assert.Equal(5u + 100 + 5 + 16, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(wire));
        Assert.DoesNotContain(body.AsSpan(10, 16).ToArray(), Windows(wire, 16));
        Assert.Equal(SealedParse.Complete, opener.TryOpen(new ReadOnlySequence<byte>(wire), out var frames, out var consumed));
        Assert.Equal(wire.Length, consumed);
        Assert.True(FrameOpener.TryTakeFrame(ref frames, out var type, out var opened));
        Assert.Equal(FrameType.SendPacket, type);
        Assert.Equal(body, opened.ToArray());
        Assert.True(FrameOpener.TryTakeFrame(ref frames, out type, out opened));
        Assert.Equal(FrameType.KeepAlive, type);
        Assert.True(opened.IsEmpty);
        Assert.True(frames.IsEmpty);
    }

    [Fact]
    public async Task RecordEndingInsideAFrame_IsMalformed()
    {
        var (sealer, opener) = TestCiphers.Direction();
        var metrics = new RelayMetrics();
        var frame = TestCiphers.Frame(FrameType.PeerPresent, new byte[32]);
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(TestCiphers.SealRecord(sealer, frame, frame[..20]), Ct);

        var loop = FrameLoop.RunAsync(pipe.Reader, opener, static (int _, FrameType _, in ReadOnlySequence<byte> _) => true, 0, null, metrics, Ct);

        await Assert.ThrowsAsync<RelayProtocolException>(() => loop);
        Assert.Equal(1, metrics.Drops(DropReason.Malformed));
    }

    [Fact]
    public void RecordSplitAcrossSegments_IsGathered_AndOpens()
    {
        var (sealer, opener) = TestCiphers.Direction();
        var body = new byte[1400];
        Random.Shared.NextBytes(body);
        var wire = TestCiphers.Seal(sealer, FrameType.RecvPacket, body);

        var split = Segments.Of(wire.AsMemory(0, 700), wire.AsMemory(700));

        Assert.False(split.IsSingleSegment);
        Assert.Equal(SealedParse.Complete, opener.TryOpen(split, out var frames, out _));
        Assert.True(FrameOpener.TryTakeFrame(ref frames, out _, out var opened));
        Assert.Equal(body, opened.ToArray());
        opener.Release();
    }

    [Fact]
    public void EveryBitOfTheCiphertextAndTag_IsAuthenticated()
    {
        var body = new byte[40];
        var probe = TestCiphers.Seal(TestCiphers.Direction().Sealer, FrameType.SendPacket, body);
        for (var bit = 4 * 8; bit < probe.Length * 8; bit++)
        {
            var (sealer, opener) = TestCiphers.Direction();
            var wire = TestCiphers.Seal(sealer, FrameType.SendPacket, body);
            wire[bit / 8] ^= (byte)(1 << (bit % 8));

            Assert.Equal(SealedParse.Forged, opener.TryOpen(new ReadOnlySequence<byte>(wire), out _, out _));
        }
    }

    [Fact]
    public void ReplayedRecord_DoesNotOpen_NorDoesAReorderedOne()
    {
        var (sealer, opener) = TestCiphers.Direction();
        var first = TestCiphers.Seal(sealer, FrameType.KeepAlive, []);
        var second = TestCiphers.Seal(sealer, FrameType.KeepAlive, []);
        var third = TestCiphers.Seal(sealer, FrameType.KeepAlive, []);

        Assert.Equal(SealedParse.Complete, opener.TryOpen(new ReadOnlySequence<byte>(first.ToArray()), out _, out _));
        // The same bytes again carry counter 0 where 1 is due.
        Assert.Equal(SealedParse.Forged, opener.TryOpen(new ReadOnlySequence<byte>(first), out _, out _));
        Assert.Equal(SealedParse.Forged, opener.TryOpen(new ReadOnlySequence<byte>(third), out _, out _));
        Assert.Equal(SealedParse.Complete, opener.TryOpen(new ReadOnlySequence<byte>(second), out _, out _));
    }

    [Fact]
    public void PlaintextFrameInjected_IsTooLarge_BeforeAnyBodyIsWaitedFor()
    {
        var (_, opener) = TestCiphers.Direction();
        // A version 1 frame: its type byte leads, so read as a sealed length it is at least 16 MiB.
        var frame = TestCiphers.Frame(FrameType.SendPacket, new byte[40]);

        Assert.Equal(SealedParse.TooLarge, opener.TryOpen(new ReadOnlySequence<byte>(frame), out _, out _));
    }

    [Fact]
    public void SealedLengthTooShortForAFrameAndATag_IsForged()
    {
        var (_, opener) = TestCiphers.Direction();

        Assert.Equal(SealedParse.Forged, opener.TryOpen(new ReadOnlySequence<byte>([0, 0, 0, 20, 1, 2, 3]), out _, out _));
        Assert.Equal(SealedParse.NeedMore, opener.TryOpen(new ReadOnlySequence<byte>([0, 0, 0, 21, 1, 2, 3]), out _, out _));
    }

    [Fact]
    public async Task FrameLoop_CountsAForgedFrame_AndStops()
    {
        var (sealer, opener) = TestCiphers.Direction();
        var metrics = new RelayMetrics();
        var pipe = new Pipe();
        var good = TestCiphers.Seal(sealer, FrameType.PeerPresent, new byte[32]);
        var bad = TestCiphers.Seal(sealer, FrameType.PeerPresent, new byte[32]);
        bad[^1] ^= 1;
        await pipe.Writer.WriteAsync(good.Concat(bad).ToArray(), Ct);
        var handled = new List<FrameType>();

        var loop = FrameLoop.RunAsync(pipe.Reader, opener, static (List<FrameType> seen, FrameType type, in ReadOnlySequence<byte> _) =>
        {
            seen.Add(type);
            return true;
        }, handled, null, metrics, Ct);

        var error = await Assert.ThrowsAsync<RelayProtocolException>(() => loop);
        Assert.Contains("does not authenticate", error.Message, StringComparison.Ordinal);
        Assert.Equal([FrameType.PeerPresent], handled);
        Assert.Equal(1, metrics.Drops(DropReason.Unauthenticated));
    }

    /// <summary>Property: sealed frames cut into reads of any size all open, in order, through the read loop.</summary>
    [Fact]
    public void SealedFrames_InAnyReadSizes_AllOpen_InOrder()
    {
        var input = Gen.Zip(Gen.ArrayOf(Gen.Choose(0, 2000)), Gen.Choose(1, 3000));
        Prop.ForAll(input.ToArbitrary(), pair =>
        {
            var (sizes, chunk) = pair;
            var (sealer, opener) = TestCiphers.Direction();
            var wire = sizes.SelectMany((size, i) => TestCiphers.Seal(sealer, FrameType.SendPacket, Body(i, 32 + size))).ToArray();
            var pipe = new Pipe(new PipeOptions(minimumSegmentSize: 512));
            var seen = new List<byte[]>();
            var read = FrameLoop.RunAsync(pipe.Reader, opener, static (List<byte[]> got, FrameType _, in ReadOnlySequence<byte> body) =>
            {
                got.Add(body.ToArray());
                return true;
            }, seen, null, null, Ct);
            for (var i = 0; i < wire.Length; i += chunk)
            {
                pipe.Writer.WriteAsync(wire.AsMemory(i, Math.Min(chunk, wire.Length - i)), Ct).AsTask().GetAwaiter().GetResult();
            }

            pipe.Writer.Complete();
            read.GetAwaiter().GetResult();
            Assert.Equal(sizes.Length, seen.Count);
            for (var i = 0; i < sizes.Length; i++)
            {
                Assert.Equal(Body(i, 32 + sizes[i]), seen[i]);
            }
        }).QuickCheckThrowOnFailure();
    }

    private static byte[] Body(int seed, int length)
    {
        var body = new byte[length];
        new Random(seed).NextBytes(body);
        return body;
    }

    private static IEnumerable<byte[]> Windows(byte[] bytes, int width)
    {
        for (var i = 0; i + width <= bytes.Length; i++)
        {
            yield return bytes.AsSpan(i, width).ToArray();
        }
    }

    /// <summary>A sequence of two or more segments, as a pipe hands out when a frame straddles its buffers.</summary>
    private sealed class Segments : ReadOnlySequenceSegment<byte>
    {
        private Segments(ReadOnlyMemory<byte> memory, long index)
        {
            Memory = memory;
            RunningIndex = index;
        }

        public static ReadOnlySequence<byte> Of(ReadOnlyMemory<byte> first, ReadOnlyMemory<byte> second)
        {
            var head = new Segments(first, 0);
            var tail = new Segments(second, first.Length);
            head.Next = tail;
            return new ReadOnlySequence<byte>(head, 0, tail, second.Length);
        }
    }
}
