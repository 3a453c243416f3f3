using System.Buffers;
using System.IO.Pipelines;
using Weft.Relay.Server;

namespace Weft.Relay.Protocol;

/// <summary>Handles one frame parsed in place; false when it is malformed (the loop then stops with an error).</summary>
internal delegate bool FrameHandler<TState>(TState state, FrameType type, in ReadOnlySequence<byte> body);

/// <summary>
/// The dialling side's read loop (nodes and outgoing mesh links): opens records in place from a
/// <see cref="PipeReader"/> and hands each frame's body to a handler without copying or allocating. Unknown frame
/// types are skipped, so a newer relay can talk to an older client.
/// </summary>
internal static class FrameLoop
{
    /// <summary>Reads until the stream ends cleanly; throws <see cref="RelayProtocolException"/> on a record that does not authenticate or a malformed frame.</summary>
    /// <param name="metrics">Where faults are counted (a mesh link counts on its relay); null for a node.</param>
    public static async Task RunAsync<TState>(PipeReader reader, FrameOpener opener, FrameHandler<TState> handler, TState state, Action? onRead, RelayMetrics? metrics, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(ct).ConfigureAwait(false);
                onRead?.Invoke();
                var buffer = result.Buffer;
                string? fault = null;
                while (fault is null)
                {
                    var parse = opener.TryOpen(buffer, out var frames, out var consumed);
                    if (parse == SealedParse.NeedMore)
                    {
                        break;
                    }

                    fault = parse switch
                    {
                        SealedParse.TooLarge => Fault(metrics, DropReason.TooLarge, $"record {opener.Counter} declares more than {RelayConstants.MaxSealedRecord} bytes"),
                        SealedParse.Forged => Fault(metrics, DropReason.Unauthenticated, $"record {opener.Counter} does not authenticate (altered, replayed or injected)"),
                        _ => HandleRecord(frames, handler, state, metrics),
                    };
                    if (fault is null)
                    {
                        buffer = buffer.Slice(consumed);
                    }
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
        finally
        {
            opener.Release();
        }
    }

    private static string? HandleRecord<TState>(ReadOnlySequence<byte> frames, FrameHandler<TState> handler, TState state, RelayMetrics? metrics)
    {
        while (!frames.IsEmpty)
        {
            if (!FrameOpener.TryTakeFrame(ref frames, out var type, out var body))
            {
                return Fault(metrics, DropReason.Malformed, "a record ends inside a frame");
            }

            if (Frame.TryGetBodyBounds(type, out var min, out var max) && (body.Length < min || body.Length > max || !handler(state, type, body)))
            {
                return Fault(metrics, DropReason.Malformed, $"malformed frame of type {(byte)type} ({body.Length} bytes)");
            }
        }

        return null;
    }

    private static string Fault(RelayMetrics? metrics, DropReason reason, string message)
    {
        metrics?.Drop(reason);
        return message;
    }
}
