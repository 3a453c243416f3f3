using System.Buffers;
using System.Net;
using System.Threading.Channels;

namespace Weft.WireGuard.Conn;

/// <summary>
/// An in-memory bind for engine tests, like wireguard-go's bindtest: two made by <see cref="CreatePair"/>
/// deliver to each other what is sent to the other's <see cref="LocalEndpoint"/>, with the sender's
/// endpoint as source. Queues are bounded and drop (and count) when full. Tests can
/// <see cref="Inject"/> datagrams from any endpoint and read what was sent from <see cref="Sent"/>.
/// </summary>
public sealed class ChannelBind : IBind
{
    private static int s_nextPort = 40000;

    private readonly int _capacity;
    private readonly Channel<SentDatagram> _sent;
    private ChannelBind? _peer;

    // _gate guards Open and Close; the data path reads the volatile fields without it.
    private readonly Lock _gate = new();
    private volatile Channel<Queued>? _inbound;
    private volatile bool _open;
    private UdpEndpoint _local;

    private long _dropped;
    private long _unroutable;

    /// <summary>A lone bind (no peer): everything sent is only recorded on <see cref="Sent"/>.</summary>
    public ChannelBind(int batchSize = BindConstants.BatchSize, int capacity = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        BatchSize = batchSize;
        _capacity = capacity;
        _sent = Channel.CreateBounded<SentDatagram>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
    }

    /// <summary>Two binds wired to each other; each queue holds <paramref name="capacity"/> datagrams.</summary>
    public static void CreatePair(out ChannelBind a, out ChannelBind b, int batchSize = BindConstants.BatchSize, int capacity = 4096)
    {
        a = new ChannelBind(batchSize, capacity);
        b = new ChannelBind(batchSize, capacity);
        a._peer = b;
        b._peer = a;
    }

    public int BatchSize { get; }

    /// <summary>127.0.0.1 and the port of the last <see cref="Open"/>: the source of what this bind sends.</summary>
    public UdpEndpoint LocalEndpoint => _local;

    /// <summary>The mark last set, for tests that check the engine passes fwmark through.</summary>
    public uint Mark { get; private set; }

    /// <summary>Copies of sent datagrams with their destinations; keeps the newest <c>capacity</c> when nobody reads.</summary>
    public ChannelReader<SentDatagram> Sent => _sent.Reader;

    /// <summary>Datagrams dropped because this bind's receive queue was full or it was closed.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Datagrams sent to an endpoint other than the open peer's.</summary>
    public long Unroutable => Interlocked.Read(ref _unroutable);

    public ushort Open(ushort port)
    {
        lock (_gate)
        {
            CloseLocked();
            if (port == 0)
            {
                port = (ushort)Interlocked.Increment(ref s_nextPort);
            }
            _local = UdpEndpoint.From(new IPEndPoint(IPAddress.Loopback, port));
            _inbound = Channel.CreateBounded<Queued>(new BoundedChannelOptions(_capacity) { FullMode = BoundedChannelFullMode.Wait });
            _open = true;
            return port;
        }
    }

    public void Close()
    {
        lock (_gate)
        {
            CloseLocked();
        }
    }

    public void SetMark(uint mark) => Mark = mark;

    /// <summary>Queues a datagram as if <paramref name="from"/> had sent it; false (and counted) when full or closed.</summary>
    public bool Inject(ReadOnlySpan<byte> datagram, UdpEndpoint from)
    {
        var inbound = _inbound;
        if (!_open || inbound is null)
        {
            Interlocked.Increment(ref _dropped);
            return false;
        }
        var copy = ArrayPool<byte>.Shared.Rent(Math.Max(datagram.Length, 1));
        datagram.CopyTo(copy);
        if (!inbound.Writer.TryWrite(new Queued(copy, datagram.Length, from)))
        {
            ArrayPool<byte>.Shared.Return(copy);
            Interlocked.Increment(ref _dropped);
            return false;
        }
        return true;
    }

    public int Receive(Span<byte[]> buffers, Span<int> sizes, Span<UdpEndpoint> endpoints)
    {
        var inbound = _inbound;
        if (inbound is null)
        {
            return 0;
        }
        var reader = inbound.Reader;
        Queued item;
        while (!reader.TryRead(out item))
        {
            if (!_open || !reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                return 0;
            }
        }
        var slots = Math.Min(buffers.Length, Math.Min(sizes.Length, endpoints.Length));
        var count = 0;
        do
        {
            item.Data.AsSpan(0, item.Length).CopyTo(buffers[count]);
            sizes[count] = item.Length;
            endpoints[count] = item.From;
            ArrayPool<byte>.Shared.Return(item.Data);
            count++;
        }
        while (count < slots && reader.TryRead(out item));
        return count;
    }

    public void Send(ReadOnlySpan<byte[]> buffers, ReadOnlySpan<int> sizes, in UdpEndpoint endpoint)
    {
        var peer = _peer;
        var deliver = _open && peer is not null && peer._open && peer.LocalEndpoint == endpoint;
        var source = _local;
        for (var i = 0; i < buffers.Length && i < sizes.Length; i++)
        {
            var datagram = buffers[i].AsSpan(0, sizes[i]);
            _sent.Writer.TryWrite(new SentDatagram(datagram.ToArray(), endpoint));
            if (!deliver)
            {
                Interlocked.Increment(ref _unroutable);
                continue;
            }
            peer!.Inject(datagram, source);
        }
    }

    public void Dispose() => Close();

    // Caller holds _gate.
    private void CloseLocked()
    {
        _open = false;
        var inbound = _inbound;
        if (inbound is null)
        {
            return;
        }
        inbound.Writer.TryComplete();
        while (inbound.Reader.TryRead(out var item))
        {
            ArrayPool<byte>.Shared.Return(item.Data);
        }
    }

    private readonly record struct Queued(byte[] Data, int Length, UdpEndpoint From);
}
