namespace Weft.WireGuard.Conn;

/// <summary>
/// The engine's UDP socket(s), batch-shaped. Receive blocks and is called from dedicated threads;
/// Send may be called from several threads at once.
/// </summary>
public interface IBind : IDisposable
{
    /// <summary>Most datagrams one <see cref="Receive"/> returns and one <see cref="Send"/> takes.</summary>
    int BatchSize { get; }

    /// <summary>Opens the socket(s) on a port (0 picks one) and returns the port bound; reopening closes the old ones.</summary>
    ushort Open(ushort port);

    /// <summary>Closes the socket(s); blocked <see cref="Receive"/> calls return 0.</summary>
    void Close();

    /// <summary>Sets SO_MARK on the socket(s) (0 clears it).</summary>
    void SetMark(uint mark);

    /// <summary>
    /// Blocks until at least one datagram arrives: datagram i is <c>buffers[i][0..sizes[i]]</c> from
    /// <c>endpoints[i]</c>. Coalesced (GRO) datagrams come back split. Returns the count; 0 once closed.
    /// </summary>
    int Receive(Span<byte[]> buffers, Span<int> sizes, Span<UdpEndpoint> endpoints);

    /// <summary>Sends each <c>buffers[i][0..sizes[i]]</c> to one endpoint, segmenting with GSO where it can.</summary>
    void Send(ReadOnlySpan<byte[]> buffers, ReadOnlySpan<int> sizes, in UdpEndpoint endpoint);
}
