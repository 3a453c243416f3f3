using System.Buffers;
using Weft.Relay.Protocol;

namespace Weft.Relay.Server;

/// <summary>
/// Drains an <see cref="OutboundQueue"/> into a stream: the frames of a batch are gathered into one pooled buffer,
/// sealed there in place as one record (one AEAD call for up to 64 packets, in the order written, which is the order
/// of the record counter), and written with one call, so a busy connection costs a syscall (or TLS record) and an
/// AEAD per batch, not per packet.
/// </summary>
internal static class QueueWriter
{
    // Our choice: 64 frames per batch; large enough to amortise the write and the AEAD, small enough that one
    // connection does not hold the writer for long.
    private const int BatchFrames = 64;

    // Room for two whole records, so a record that fills up is sealed and the next one starts without a write.
    private const int BatchBytes = 2 * (RelayConstants.RecordHeaderLength + RelayConstants.MaxSealedRecord);

    /// <summary>Writes until the queue closes or <paramref name="ct"/> fires; the caller closes the queue afterwards.</summary>
    /// <param name="sealer">Seals each record with this side's transport cipher.</param>
    /// <param name="written">Called after each batch with the time of writing (for keepalive bookkeeping); may be null.</param>
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
                    var record = -1;
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

                        // A frame never spans records: seal the open record when this frame would overfill it.
                        if (record >= 0 && used - record - RelayConstants.RecordHeaderLength + frame.Length > RelayConstants.MaxRecordPlaintext)
                        {
                            used = record + sealer.Seal(buffer.AsSpan(record), used - record - RelayConstants.RecordHeaderLength);
                            record = -1;
                        }

                        if (record < 0)
                        {
                            // A new record starts only where a whole one fits, so it never needs a write half-way.
                            if (used + RelayConstants.RecordHeaderLength + RelayConstants.MaxSealedRecord > buffer.Length)
                            {
                                await stream.WriteAsync(buffer.AsMemory(0, used), ct).ConfigureAwait(false);
                                used = 0;
                            }

                            record = used;
                            used += RelayConstants.RecordHeaderLength;
                        }

                        frame.Buffer.AsSpan(0, frame.Length).CopyTo(buffer.AsSpan(used));
                        used += frame.Length;
                        ArrayPool<byte>.Shared.Return(frame.Buffer);
                    }

                    used = record + sealer.Seal(buffer.AsSpan(record), used - record - RelayConstants.RecordHeaderLength);
                    await stream.WriteAsync(buffer.AsMemory(0, used), ct).ConfigureAwait(false);
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
