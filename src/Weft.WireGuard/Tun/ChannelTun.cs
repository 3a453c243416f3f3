using System.Threading.Channels;

namespace Weft.WireGuard.Tun;

/// <summary>
/// An in-memory TUN for engine tests and benchmarks: packets a test <see cref="Inject"/>s are what the
/// engine reads, and packets the engine writes appear on <see cref="Written"/>. No kernel needed.
/// </summary>
public sealed class ChannelTun : ITun
{
    private readonly Channel<byte[]> _toEngine;
    private readonly Channel<byte[]> _fromEngine;
    private volatile bool _closed;

    public ChannelTun(string name = "chan0", int mtu = Constants.DefaultMtu, int batchSize = 64, int capacity = 4096)
    {
        Name = name;
        Mtu = mtu;
        BatchSize = batchSize;
        _toEngine = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait });
        _fromEngine = Channel.CreateUnbounded<byte[]>();
    }

    public string Name { get; }

    public int Mtu { get; }

    public int BatchSize { get; }

    /// <summary>Packets the engine wrote, each a copy of the IP packet.</summary>
    public ChannelReader<byte[]> Written => _fromEngine.Reader;

    /// <summary>Queues an IP packet for the engine to read, as if the OS routed it into the interface.</summary>
    public ValueTask Inject(byte[] packet, CancellationToken cancellationToken = default) =>
        _toEngine.Writer.WriteAsync(packet, cancellationToken);

    /// <summary>Makes the engine's next read return 0, as a deleted interface does.</summary>
    public void Close()
    {
        _closed = true;
        _toEngine.Writer.TryComplete();
        _fromEngine.Writer.TryComplete();
    }

    public int Read(Span<byte[]> buffers, Span<int> sizes, int offset)
    {
        var reader = _toEngine.Reader;
        byte[]? packet;
        while (!reader.TryRead(out packet))
        {
            if (_closed || !reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                return 0;
            }
        }
        var count = 0;
        do
        {
            packet.CopyTo(buffers[count].AsSpan(offset));
            sizes[count] = packet.Length;
            count++;
        }
        while (count < buffers.Length && reader.TryRead(out packet));
        return count;
    }

    public void Write(ReadOnlySpan<byte[]> buffers, ReadOnlySpan<int> sizes, int offset)
    {
        for (var i = 0; i < buffers.Length; i++)
        {
            _fromEngine.Writer.TryWrite(buffers[i].AsSpan(offset, sizes[i]).ToArray());
        }
    }

    public void Dispose() => Close();
}
