using System.Threading.Channels;
using Weft.Core.Control;

namespace Weft.Control.Map;

/// <summary>
/// One node's live map stream. Deltas queued while the writer is busy are merged into one response
/// (<see cref="PendingDelta"/>), so a burst of joins reaches a node as one frame and a slow node holds at
/// most one pending entry per peer instead of an unbounded queue.
/// </summary>
internal sealed class MapSession
{
    /// <summary>_gate guards the fields below.</summary>
    private readonly Lock _gate = new();
    private readonly PendingDelta _pending = new();
    private bool _closed;
    private TaskCompletionSource? _waiter;

    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public MapSession(long nodeId)
    {
        NodeId = nodeId;
        Outbox = new Reader(this);
    }

    public long NodeId { get; }

    /// <summary>Merged responses, read by the stream's writer; completes after <see cref="Close"/> once drained.</summary>
    public ChannelReader<MapResponse> Outbox { get; }

    /// <summary>Peer entries waiting to be written (tests and diagnostics).</summary>
    public int PendingPeerEntries
    {
        get
        {
            lock (_gate)
            {
                return _pending.PeerEntries;
            }
        }
    }

    /// <summary>Queues one response, merged with whatever is still waiting, and wakes the writer; ignored once the session ended.</summary>
    public void Enqueue(MapResponse response) => Enqueue(response, wake: true);

    /// <summary>
    /// Queues one response merged with whatever is still waiting. With <paramref name="wake"/> false an idle
    /// writer is left asleep until <see cref="Wake"/>, so a batch of changes leaves as one frame.
    /// </summary>
    public void Enqueue(MapResponse response, bool wake)
    {
        TaskCompletionSource? waiter = null;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _pending.Merge(response);
            if (wake)
            {
                waiter = _waiter;
                _waiter = null;
            }
        }

        waiter?.TrySetResult();
    }

    /// <summary>Wakes a writer waiting for deltas (the map's batch is complete).</summary>
    public void Wake()
    {
        TaskCompletionSource? waiter;
        lock (_gate)
        {
            waiter = _waiter;
            _waiter = null;
        }

        waiter?.TrySetResult();
    }

    /// <summary>Ends the stream (node deleted or expired): the writer drains what is queued, then stops.</summary>
    public void Close()
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            if (_pending.IsEmpty)
            {
                _completion.TrySetResult();
            }

            wake = _waiter;
            _waiter = null;
        }

        wake?.TrySetResult();
    }

    private bool TryTake(out MapResponse response)
    {
        lock (_gate)
        {
            if (_pending.IsEmpty)
            {
                response = null!;
                return false;
            }

            response = _pending.Take();
            if (_closed)
            {
                _completion.TrySetResult();
            }

            return true;
        }
    }

    /// <summary>True when a response waits, false once closed and drained; otherwise the task to await (caller loops).</summary>
    private bool? Ready(out Task wait)
    {
        lock (_gate)
        {
            wait = Task.CompletedTask;
            if (!_pending.IsEmpty)
            {
                return true;
            }

            if (_closed)
            {
                return false;
            }

            _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            wait = _waiter.Task;
            return null;
        }
    }

    /// <summary>The channel-shaped view the writer reads; one reader only.</summary>
    private sealed class Reader(MapSession session) : ChannelReader<MapResponse>
    {
        public override Task Completion => session._completion.Task;

        public override bool TryRead(out MapResponse item) => session.TryTake(out item);

        public override async ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
        {
            while (true)
            {
                if (session.Ready(out var wait) is { } ready)
                {
                    return ready;
                }

                await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
