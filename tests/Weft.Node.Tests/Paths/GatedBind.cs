using Weft.WireGuard.Conn;

namespace Weft.Node.Tests.Paths;

/// <summary>A bind that passes everything to an inner one until told to drop what it sends: a direct path that dies and comes back.</summary>
internal sealed class GatedBind(IBind inner) : IBind
{
    private long _dropped;

    /// <summary>While true every sent datagram is dropped (and counted).</summary>
    public volatile bool DropSends;

    public long Dropped => Interlocked.Read(ref _dropped);

    public int BatchSize => inner.BatchSize;

    public ushort Open(ushort port) => inner.Open(port);

    public void Close() => inner.Close();

    public void SetMark(uint mark) => inner.SetMark(mark);

    public int Receive(Span<byte[]> buffers, Span<int> sizes, Span<UdpEndpoint> endpoints) => inner.Receive(buffers, sizes, endpoints);

    public void Send(ReadOnlySpan<byte[]> buffers, ReadOnlySpan<int> sizes, in UdpEndpoint endpoint)
    {
        if (DropSends)
        {
            Interlocked.Add(ref _dropped, buffers.Length);
            return;
        }
        inner.Send(buffers, sizes, endpoint);
    }

    public void Dispose() => inner.Dispose();
}
