namespace Weft.LoadGen;

/// <summary>
/// What every simulated node reports each received frame to: running totals, the time of the last frame
/// (to tell when the streams went quiet), and the change currently being measured, if any.
/// </summary>
internal sealed class ProbeBoard
{
    private static readonly byte[] KeepAlive = System.Text.Encoding.UTF8.GetBytes("\"keepAlive\":true");

    private long _frames;
    private long _bytes;
    private long _lastFrameTimestamp;

    /// <summary>The change being measured; swapped whole, read once per frame.</summary>
    private volatile Probe? _current;

    /// <summary>Frames received by all nodes since start.</summary>
    public long Frames => Interlocked.Read(ref _frames);

    /// <summary>Bytes on the wire (length prefix + ciphertext + tag) received by all nodes since start.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary><see cref="TimeProvider.GetTimestamp"/> of the last frame any node received.</summary>
    public long LastFrameTimestamp => Interlocked.Read(ref _lastFrameTimestamp);

    /// <summary>Starts measuring <paramref name="probe"/>; the previous one stops collecting.</summary>
    public void Begin(Probe? probe) => _current = probe;

    /// <summary>Called by node <paramref name="index"/> for every frame after its first map.</summary>
    public void OnFrame(int index, ReadOnlySpan<byte> plaintext, int wireSize)
    {
        Interlocked.Increment(ref _frames);
        Interlocked.Add(ref _bytes, wireSize);
        // Keepalives (one per session every 50 s) never stop: with thousands of sessions they would keep
        // the streams from ever looking quiet, so only real deltas count as activity.
        if (plaintext.IndexOf(KeepAlive) < 0)
        {
            Interlocked.Exchange(ref _lastFrameTimestamp, TimeProvider.System.GetTimestamp());
        }

        _current?.Offer(index, plaintext, wireSize);
    }
}
