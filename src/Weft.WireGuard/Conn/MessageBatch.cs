using System.Runtime.InteropServices;
using Weft.WireGuard.Interop;

namespace Weft.WireGuard.Conn;

/// <summary>
/// Native memory for one recvmmsg or sendmmsg call of up to <see cref="Capacity"/> messages: headers,
/// one iovec, one sockaddr and one control buffer each, and for sending an arena the datagrams are
/// copied into. Allocated once and reused, so the data path allocates nothing; one thread uses a batch
/// at a time (the bind hands them out from a pool).
/// </summary>
internal sealed unsafe class MessageBatch : IDisposable
{
    private byte* _memory;

    public MessageBatch(int capacity, int arenaSize)
    {
        Capacity = capacity;
        ArenaSize = arenaSize;
        var headers = (nuint)(sizeof(MMsgHdr) * capacity);
        var iovecs = (nuint)(sizeof(Iovec) * capacity);
        var names = (nuint)(LibcNet.SockaddrIn6Size * capacity);
        var controls = (nuint)(BindConstants.ReceiveControlSize * capacity);
        var total = headers + iovecs + Align(names) + controls + (nuint)arenaSize;
        _memory = (byte*)NativeMemory.AlignedAlloc(total, 64);
        NativeMemory.Clear(_memory, total);
        Messages = (MMsgHdr*)_memory;
        Iovecs = (Iovec*)(_memory + headers);
        Names = _memory + headers + iovecs;
        Controls = _memory + headers + iovecs + Align(names);
        Arena = Controls + controls;
        Pins = new GCHandle[capacity];
        FirstDatagram = new int[capacity];
    }

    /// <summary>Messages one call can carry.</summary>
    public int Capacity { get; }

    /// <summary>Bytes of <see cref="Arena"/>.</summary>
    public int ArenaSize { get; }

    public MMsgHdr* Messages { get; }

    public Iovec* Iovecs { get; }

    /// <summary>One sockaddr_in6-sized slot per message.</summary>
    public byte* Names { get; }

    /// <summary>One <see cref="BindConstants.ReceiveControlSize"/>-byte control buffer per message.</summary>
    public byte* Controls { get; }

    /// <summary>Where Send stages datagram bytes.</summary>
    public byte* Arena { get; }

    /// <summary>Receive: handles pinning the caller's buffers for the duration of one call.</summary>
    public GCHandle[] Pins { get; }

    /// <summary>Send: index of the first caller datagram in each message, to resume after a failure.</summary>
    public int[] FirstDatagram { get; }

    public byte* Name(int index) => Names + (index * LibcNet.SockaddrIn6Size);

    public byte* Control(int index) => Controls + (index * BindConstants.ReceiveControlSize);

    public void Dispose()
    {
        if (_memory != null)
        {
            NativeMemory.AlignedFree(_memory);
            _memory = null;
        }
    }

    private static nuint Align(nuint size) => (size + 63) & ~(nuint)63;
}
