using System.Buffers;
using System.IO.Pipelines;

namespace Weft.Relay.Protocol;

/// <summary>Handles one frame parsed in place; false when it is malformed (the loop then stops with an error).</summary>
internal delegate bool FrameHandler<TState>(TState state, FrameType type, in ReadOnlySequence<byte> body);

/// <summary>
/// The client side's read loop: parses frames in place from a <see cref="PipeReader"/> and hands each body to a
/// handler without copying or allocating. Unknown frame types are skipped, so a newer relay can talk to an older client.
/// </summary>
internal static class FrameLoop
{
    /// <summary>Reads until the stream ends cleanly; throws <see cref="RelayProtocolException"/> on a malformed frame.</summary>
    public static async Task RunAsync<TState>(PipeReader reader, FrameHandler<TState> handler, TState state, Action? onRead, CancellationToken ct)
    {
        while (true)
        {
            var result = await reader.ReadAsync(ct).ConfigureAwait(false);
            onRead?.Invoke();
            var buffer = result.Buffer;
            string? fault = null;
            while (fault is null)
            {
                var parse = Frame.TryReadHeader(buffer, RelayConstants.MaxFrameBody, out var type, out var length);
                if (parse == FrameParse.TooLarge)
                {
                    fault = $"frame of type {(byte)type} is larger than {RelayConstants.MaxFrameBody} bytes";
                    break;
                }

                if (parse == FrameParse.NeedMore)
                {
                    break;
                }

                var body = buffer.Slice(RelayConstants.FrameHeaderLength, length);
                if (Frame.TryGetBodyBounds(type, out var min, out var max) && (length < min || length > max || !handler(state, type, body)))
                {
                    fault = $"malformed frame of type {(byte)type} ({length} bytes)";
                    break;
                }

                buffer = buffer.Slice(RelayConstants.FrameHeaderLength + length);
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (fault is not null)
            {
                throw new RelayProtocolException(fault);
            }

            if (result.IsCompleted)
            {
                return;
            }
        }
    }
}
