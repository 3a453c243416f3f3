using System.Buffers;
using System.IO.Pipelines;

namespace Weft.Relay.Protocol;

/// <summary>
/// Reads and writes whole small frames during the handshake, where a few allocations per connection are fine.
/// The packet path does not come here: it opens and parses frames in place (see the server connection and the client).
/// </summary>
internal static class FrameIO
{
    /// <summary>Reads one frame, null on a clean end of stream before its first byte.</summary>
    public static async ValueTask<(FrameType Type, byte[] Body)?> ReadAsync(PipeReader reader, int maxBody, CancellationToken ct)
    {
        while (true)
        {
            var result = await reader.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            var parse = Frame.TryReadHeader(buffer, maxBody, out var type, out var length);
            if (parse == FrameParse.TooLarge)
            {
                reader.AdvanceTo(buffer.Start);
                throw new RelayProtocolException($"frame of type {(byte)type} declares a body larger than {maxBody} bytes");
            }

            if (parse == FrameParse.Complete)
            {
                var body = buffer.Slice(RelayConstants.FrameHeaderLength, length).ToArray();
                reader.AdvanceTo(buffer.GetPosition(RelayConstants.FrameHeaderLength + length));
                return (type, body);
            }

            if (result.IsCompleted)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (buffer.IsEmpty)
                {
                    return null;
                }

                throw new RelayProtocolException("stream ended inside a frame");
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Writes one frame and flushes.</summary>
    public static async ValueTask WriteAsync(Stream stream, FrameType type, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        var frame = ArrayPool<byte>.Shared.Rent(RelayConstants.FrameHeaderLength + body.Length);
        try
        {
            Frame.WriteHeader(frame, type, body.Length);
            body.Span.CopyTo(frame.AsSpan(RelayConstants.FrameHeaderLength));
            await stream.WriteAsync(frame.AsMemory(0, RelayConstants.FrameHeaderLength + body.Length), ct).ConfigureAwait(false);
            await stream.FlushAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <summary>Reads one record holding one frame (after the Noise messages); null on a clean end of stream before its first byte.</summary>
    public static async ValueTask<(FrameType Type, byte[] Body)?> ReadSealedAsync(PipeReader reader, FrameOpener opener, CancellationToken ct)
    {
        while (true)
        {
            var result = await reader.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            var parse = opener.TryOpen(buffer, out var frames, out var consumed);
            switch (parse)
            {
                case SealedParse.Complete:
                {
                    var whole = FrameOpener.TryTakeFrame(ref frames, out var type, out var body) && frames.IsEmpty;
                    var copy = body.ToArray();
                    reader.AdvanceTo(buffer.GetPosition(consumed));
                    opener.Release();
                    return whole ? (type, copy) : throw new RelayProtocolException("a handshake record does not hold exactly one frame");
                }

                case SealedParse.TooLarge or SealedParse.Forged:
                    reader.AdvanceTo(buffer.Start);
                    throw new RelayProtocolException("a sealed handshake record does not authenticate");
            }

            if (result.IsCompleted)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (buffer.IsEmpty)
                {
                    return null;
                }

                throw new RelayProtocolException("stream ended inside a record");
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Seals one frame as a record of its own, writes it and flushes.</summary>
    public static async ValueTask WriteSealedAsync(Stream stream, FrameSealer sealer, FrameType type, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        var plaintext = RelayConstants.FrameHeaderLength + body.Length;
        var record = ArrayPool<byte>.Shared.Rent(RelayConstants.RecordHeaderLength + plaintext + Weft.Core.Crypto.Aead.TagLength);
        try
        {
            Frame.WriteHeader(record.AsSpan(RelayConstants.RecordHeaderLength), type, body.Length);
            body.Span.CopyTo(record.AsSpan(RelayConstants.RecordHeaderLength + RelayConstants.FrameHeaderLength));
            var written = sealer.Seal(record, plaintext);
            await stream.WriteAsync(record.AsMemory(0, written), ct).ConfigureAwait(false);
            await stream.FlushAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(record);
        }
    }
}
