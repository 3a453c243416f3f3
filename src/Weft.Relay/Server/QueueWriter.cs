using System.Buffers;
using Weft.Core.Crypto;
using Weft.Relay.Protocol;

namespace Weft.Relay.Server;

/// <summary>
/// Drains an <see cref="OutboundQueue"/> into a stream: each frame is sealed (in the order written, which is the
/// order its counter says) straight from its queued buffer into one pooled batch buffer, and the batch is written
/// with one call, so a busy connection costs a syscall (or TLS record) per batch, not per packet, and no copy
/// besides the encryption's own pass.
/// </summary>
internal static class QueueWriter
{
    // Our choice: 64 frames or 256 KiB per write, whichever fills first; large enough to amortise the write,
    // small enough that one connection does not hold the writer for long.
    private const int BatchFrames = 64;
    // The largest sealed frame (about 64 KiB) always fits one batch, so no frame is ever written on its own.
    private const int BatchBytes = 256 << 10;

    /// <summary>Writes until the queue closes or <paramref name="ct"/> fires; the caller closes the queue afterwards.</summary>
    /// <param name="written">Called after each batch with the time of writing (for keepalive bookkeeping); may be null.</param>
    /// <param name="sealer">Seals each frame with this side's transport cipher.</param>
    public static async Task PumpAsync(OutboundQueue queue, Stream stream, FrameSealer sealer, RelayMetrics? metrics, Action? written, CancellationToken ct)
    {
        var frames = new QueuedFrame[BatchFrames];
        var buffer = ArrayPool<byte>.Shared.Rent(BatchBytes);
        try
        {
            while (true)
            {
                await queue.WaitAsync(ct).ConfigureAwait(false);
                int n;
                var any = false;
                while ((n = queue.DequeueBatch(frames)) > 0)
                {
                    any = true;
                    var used = 0;
                    var packets = 0;
                    long bytes = 0;
                    for (var i = 0; i < n; i++)
                    {
                        var frame = frames[i];
                        frames[i] = default;
                        if (frame.Buffer[0] == (byte)FrameType.RecvPacket)
                        {
                            packets++;
                            bytes += frame.Length - RelayConstants.FrameHeaderLength - 32;
                        }

                        if (used + frame.Length + Aead.TagLength > buffer.Length)
                        {
                            await stream.WriteAsync(buffer.AsMemory(0, used), ct).ConfigureAwait(false);
                            used = 0;
                        }

                        used += sealer.Seal(frame.Buffer.AsSpan(0, frame.Length), buffer.AsSpan(used));
                        ArrayPool<byte>.Shared.Return(frame.Buffer);
                    }

                    if (used > 0)
                    {
                        await stream.WriteAsync(buffer.AsMemory(0, used), ct).ConfigureAwait(false);
                    }

                    metrics?.PacketsWritten(packets, bytes);
                }

                if (any)
                {
                    await stream.FlushAsync(ct).ConfigureAwait(false);
                    written?.Invoke();
                }

                if (queue.IsClosed && queue.Count == 0)
                {
                    return;
                }
            }
        }
        finally
        {
            foreach (var frame in frames)
            {
                if (frame.Buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(frame.Buffer);
                }
            }

            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
