using System.Text;

namespace Weft.LoadGen;

/// <summary>
/// One change under measurement: the bytes that mark its delta in a map frame, when it was made, and
/// each affected node's first receipt of a frame carrying the marker.
/// </summary>
internal sealed class Probe
{
    private readonly byte[] _marker;
    private readonly long[] _receivedAt;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _remaining;
    private long _bytes;
    private long _start;

    /// <param name="marker">Text only the change's delta contains (a unique endpoint, "peersRemoved").</param>
    /// <param name="nodes">Number of simulated nodes (indexes of <see cref="Offer"/>).</param>
    /// <param name="expected">How many of them the change affects.</param>
    public Probe(string marker, int nodes, int expected)
    {
        _marker = Encoding.UTF8.GetBytes(marker);
        _receivedAt = new long[nodes];
        _remaining = expected;
        Expected = expected;
        if (expected <= 0)
        {
            _done.SetResult();
        }
    }

    public int Expected { get; }

    /// <summary>Completes when every affected node has the delta.</summary>
    public Task Done => _done.Task;

    /// <summary>Nodes that received the delta so far.</summary>
    public int Received => Expected - Volatile.Read(ref _remaining);

    /// <summary>Sum of the wire sizes of the frames carrying the delta.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Marks the moment the change was made; call just before sending it.</summary>
    public void Start() => _start = TimeProvider.System.GetTimestamp();

    /// <summary>Records the frame if it carries the marker and is the node's first such frame.</summary>
    public void Offer(int index, ReadOnlySpan<byte> plaintext, int wireSize)
    {
        if (plaintext.IndexOf(_marker) < 0)
        {
            return;
        }

        Interlocked.Add(ref _bytes, wireSize);
        if (Interlocked.CompareExchange(ref _receivedAt[index], TimeProvider.System.GetTimestamp(), 0) == 0
            && Interlocked.Decrement(ref _remaining) == 0)
        {
            _done.TrySetResult();
        }
    }

    /// <summary>Milliseconds from <see cref="Start"/> to each receipt (only nodes that received it).</summary>
    public void CollectLatencies(List<double> into)
    {
        foreach (var at in _receivedAt)
        {
            if (at != 0)
            {
                into.Add(TimeProvider.System.GetElapsedTime(_start, at).TotalMilliseconds);
            }
        }
    }
}
