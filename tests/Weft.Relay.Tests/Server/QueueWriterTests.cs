using System.Buffers;
using System.IO.Pipelines;
using Weft.Core.Crypto;
using Weft.Relay.Protocol;
using Weft.Relay.Server;
using Weft.Relay.Tests.Protocol;

namespace Weft.Relay.Tests.Server;

public sealed class QueueWriterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task QueuedFrames_OfAnySize_AreSealedInFewRecords_AndArriveWhole_InOrder()
    {
        var (sealer, opener) = TestCiphers.Direction();
        var queue = new OutboundQueue(4096, 4096, 64);
        var sender = Key32.From(new byte[32]);
        sender[0] = 1;
        // Small packets batch into one record each 64; largest ones force records (and writes) to split.
        int[] sizes = [.. Enumerable.Repeat(1400, 200), 65535, 65535, 0, 65535, .. Enumerable.Repeat(60, 70), 65535, 1];
        var packets = sizes.Select((size, i) =>
        {
            var packet = new byte[size];
            new Random(i).NextBytes(packet);
            return packet;
        }).ToArray();
        foreach (var packet in packets)
        {
            var length = RelayConstants.FrameHeaderLength + 32 + packet.Length;
            var buffer = ArrayPool<byte>.Shared.Rent(length);
            Frame.WriteHeader(buffer, FrameType.RecvPacket, 32 + packet.Length);
            packet.CopyTo(buffer, RelayConstants.FrameHeaderLength + 32);
            Assert.Equal(EnqueueResult.Queued, queue.TryEnqueue(sender, buffer, length));
        }

        queue.Complete();
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        var received = new List<byte[]>();
        var metrics = new RelayMetrics();

        await QueueWriter.PumpAsync(queue, pipe.Writer.AsStream(), sealer, metrics, null, Ct);
        await pipe.Writer.CompleteAsync();
        await FrameLoop.RunAsync(pipe.Reader, opener, static (List<byte[]> got, FrameType _, in ReadOnlySequence<byte> body) =>
        {
            got.Add(body.Slice(32).ToArray());
            return true;
        }, received, null, null, Ct);

        Assert.Equal(packets.Length, received.Count);
        for (var i = 0; i < packets.Length; i++)
        {
            Assert.Equal(packets[i], received[i]);
        }

        Assert.Equal(packets.Length, metrics.PacketsOut);
        // One AEAD per record, not per packet: far fewer records than frames.
        Assert.InRange(opener.Counter, 1UL, (ulong)(packets.Length / 8));
        Assert.Equal(sealer.Counter, opener.Counter);
    }
}
