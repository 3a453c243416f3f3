using Weft.WireGuard.Conn;
using Weft.WireGuard.Noise;

namespace Weft.WireGuard;

/// <summary>
/// Up to <see cref="Capacity"/> packets of one peer under one keypair, moving through the engine as a
/// unit: queued once for a crypto worker and once, in order, for the thread that sends or writes it.
/// Pooled; one batch costs one queue operation and one wake-up, not one per packet.
/// </summary>
internal sealed class PacketBatch
{
    public PacketBatch(int capacity)
    {
        Buffers = new byte[capacity][];
        Sizes = new int[capacity];
        MessageSizes = new int[capacity];
        Counters = new ulong[capacity];
        Opened = new bool[capacity];
        Sources = new UdpEndpoint[capacity];
    }

    public int Capacity => Buffers.Length;

    /// <summary>Packets in the batch.</summary>
    public int Count;

    /// <summary>True for packets from the network to decrypt; false for packets from the TUN to encrypt.</summary>
    public bool Inbound;

    public Peer? Peer;

    public Keypair? Keypair;

    /// <summary>Where an outbound batch goes, fixed when it was queued.</summary>
    public UdpEndpoint Destination;

    /// <summary>Outbound: plaintext length, then message length. Inbound: message length, then plaintext length.</summary>
    public readonly int[] Sizes;

    /// <summary>Inbound: the message length as received (for rx_bytes).</summary>
    public readonly int[] MessageSizes;

    public readonly byte[][] Buffers;

    /// <summary>Outbound: the counter assigned in order. Inbound: the counter read from the authenticated message.</summary>
    public readonly ulong[] Counters;

    /// <summary>Inbound: whether the message authenticated.</summary>
    public readonly bool[] Opened;

    /// <summary>Inbound: the source of each message (for roaming).</summary>
    public readonly UdpEndpoint[] Sources;

    /// <summary>Set by the crypto worker once every packet is processed.</summary>
    public readonly ManualResetEventSlim Done = new(false, spinCount: 64);

    public bool IsFull => Count == Buffers.Length;

    /// <summary>Set on an empty marker batch: completed when the in-order thread reaches it (tests wait on it).</summary>
    public TaskCompletionSource? Fence;

    public void Add(byte[] buffer, int size)
    {
        Buffers[Count] = buffer;
        Sizes[Count] = size;
        Count++;
    }

    /// <summary>Forgets the packets (their buffers must already be back in the pool) for reuse.</summary>
    public void Reset()
    {
        Array.Clear(Buffers, 0, Count);
        Count = 0;
        Peer = null;
        Keypair = null;
        Destination = default;
        Fence = null;
        Done.Reset();
    }
}
