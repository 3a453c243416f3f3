using System.Buffers;
using System.IO.Pipelines;

namespace Weft.Relay.Protocol;

/// <summary>
/// Reads and writes whole small frames during the handshake, where a few allocations per connection are fine.
/// The packet path does not come here: it parses frames in place (see the server connection and the client).
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
}
