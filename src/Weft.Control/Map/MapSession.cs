using System.Threading.Channels;
using Weft.Core.Control;

namespace Weft.Control.Map;

/// <summary>One node's live map stream: the deltas waiting to be written to its channel.</summary>
internal sealed class MapSession(long nodeId)
{
    private readonly Channel<MapResponse> _outbox = Channel.CreateUnbounded<MapResponse>(new UnboundedChannelOptions { SingleReader = true });

    public long NodeId { get; } = nodeId;

    /// <summary>Queued responses, read by the stream's writer.</summary>
    public ChannelReader<MapResponse> Outbox => _outbox.Reader;

    /// <summary>Queues one response; ignored once the session ended.</summary>
    public void Enqueue(MapResponse response) => _outbox.Writer.TryWrite(response);

    /// <summary>Ends the stream (node deleted or expired): the writer drains what is queued, then stops.</summary>
    public void Close() => _outbox.Writer.TryComplete();
}
