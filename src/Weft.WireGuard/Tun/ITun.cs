namespace Weft.WireGuard.Tun;

/// <summary>
/// A TUN device seen as batches of IP packets. Buffers are <see cref="Constants.BufferSize"/> bytes;
/// a packet sits at <c>buffers[i][offset..offset+sizes[i]]</c> so the engine can build its header in
/// the headroom before it. Reads and writes block; the engine calls them from dedicated threads.
/// </summary>
public interface ITun : IDisposable
{
    /// <summary>Interface name, such as wg0.</summary>
    string Name { get; }

    /// <summary>Current MTU of the interface.</summary>
    int Mtu { get; }

    /// <summary>Most packets one <see cref="Read"/> returns (an offloaded superpacket is split into many).</summary>
    int BatchSize { get; }

    /// <summary>Blocks until at least one packet is read, then returns how many; 0 when the device is closed or deleted.</summary>
    int Read(Span<byte[]> buffers, Span<int> sizes, int offset);

    /// <summary>Writes each packet at <c>buffers[i][offset..]</c>; may coalesce them first (GRO), so buffers may change.</summary>
    void Write(ReadOnlySpan<byte[]> buffers, ReadOnlySpan<int> sizes, int offset);
}
