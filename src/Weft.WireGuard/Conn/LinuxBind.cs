using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.WireGuard.Interop;

namespace Weft.WireGuard.Conn;

/// <summary>
/// The Linux UDP bind: one dual-stack IPv6 socket (IPV6_V6ONLY off, so IPv4 peers appear IPv4-mapped)
/// that receives with recvmmsg and UDP_GRO and sends with sendmmsg and UDP_SEGMENT. One socket rather
/// than wireguard-go's one per family keeps a single receive thread; hosts without IPv6 get an IPv4
/// socket. Receive pins the caller's buffers for each call, so any byte[] works (pinned ones cost least).
/// </summary>
public sealed partial class LinuxBind : IBind
{
    private readonly ILogger _logger;
    private readonly LinuxBindOptions _options;
    private readonly MessageBatchPool _sendBatches = new(BindConstants.BatchSize, BindConstants.SendArenaSize);
    private readonly MessageBatchPool _receiveBatches = new(BindConstants.BatchSize, 0);

    // _gate guards Open, Close, SetMark and Dispose and the fields below; the data path reads
    // _socket once per call without it and relies on the SafeHandle to outlive calls in flight.
    private readonly Lock _gate = new();
    private volatile SafeUdpSocketHandle? _socket;
    private int _family;
    private ushort _port;
    private uint _mark;
    private bool _disposed;

    // Offload state: set at Open, GSO turned off by the first send the kernel refuses.
    private volatile bool _gso;
    private volatile bool _gro;
    private volatile bool _gsoConfirmed;

    private long _datagramsSent;
    private long _datagramsReceived;
    private long _sendErrors;
    private long _receiveErrors;
    private long _segmentsDropped;

    public LinuxBind(LinuxBindOptions? options = null, ILogger<LinuxBind>? logger = null)
    {
        _options = options ?? new LinuxBindOptions();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    public int BatchSize => BindConstants.BatchSize;

    /// <summary>The port bound by the last <see cref="Open"/>, 0 when closed.</summary>
    public ushort Port => _socket is null ? (ushort)0 : _port;

    /// <summary>True while sends are coalesced with UDP_SEGMENT.</summary>
    public bool SegmentationOffload => _gso;

    /// <summary>True while coalesced receives (UDP_GRO) are enabled.</summary>
    public bool ReceiveOffload => _gro;

    /// <summary>Datagrams handed to the kernel successfully.</summary>
    public long DatagramsSent => Interlocked.Read(ref _datagramsSent);

    /// <summary>Datagrams returned by Receive (after splitting).</summary>
    public long DatagramsReceived => Interlocked.Read(ref _datagramsReceived);

    /// <summary>Datagrams the kernel refused to send (unreachable, refused, no buffer space, wrong family); counted and dropped.</summary>
    public long SendErrors => Interlocked.Read(ref _sendErrors);

    /// <summary>Receive errors skipped, and datagrams dropped as truncated or from an unreadable address.</summary>
    public long ReceiveErrors => Interlocked.Read(ref _receiveErrors);

    /// <summary>Segments of coalesced receives dropped because the caller's buffers ran out.</summary>
    public long SegmentsDropped => Interlocked.Read(ref _segmentsDropped);

    public ushort Open(ushort port)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            CloseLocked();
            var family = LibcNet.AF_INET6;
            var fd = LibcNet.socket(family, LibcNet.SOCK_DGRAM | LibcNet.SOCK_CLOEXEC, LibcNet.IPPROTO_UDP);
            if (fd < 0 && Marshal.GetLastPInvokeError() == LibcNet.EAFNOSUPPORT)
            {
                family = LibcNet.AF_INET;
                fd = LibcNet.socket(family, LibcNet.SOCK_DGRAM | LibcNet.SOCK_CLOEXEC, LibcNet.IPPROTO_UDP);
            }
            if (fd < 0)
            {
                throw Failure("socket", port);
            }
            var socket = new SafeUdpSocketHandle(fd);
            try
            {
                if (family == LibcNet.AF_INET6)
                {
                    SetOption(socket, LibcNet.IPPROTO_IPV6, LibcNet.IPV6_V6ONLY, 0, "IPV6_V6ONLY", port);
                }
                SetBufferSize(socket, LibcNet.SO_RCVBUFFORCE, LibcNet.SO_RCVBUF, port);
                SetBufferSize(socket, LibcNet.SO_SNDBUFFORCE, LibcNet.SO_SNDBUF, port);
                if (_mark != 0)
                {
                    SetOption(socket, LibcNet.SOL_SOCKET, LibcNet.SO_MARK, unchecked((int)_mark), "SO_MARK", port);
                }
                BindTo(socket, family, port);
                _port = LocalPort(socket, port);
                _gro = _options.UdpGenericReceive && TrySetOption(socket, LibcNet.SOL_UDP, LibcNet.UDP_GRO, 1);
                _gso = _options.UdpSegmentation && SupportsSegmentation(socket);
                _gsoConfirmed = false;
                _family = family;
                Log.Opened(_logger, _port, family == LibcNet.AF_INET6 ? "dual-stack" : "IPv4-only", _gso, _gro);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            _socket = socket;
            return _port;
        }
    }

    public void Close()
    {
        lock (_gate)
        {
            CloseLocked();
        }
    }

    public void SetMark(uint mark)
    {
        lock (_gate)
        {
            _mark = mark;
            if (_socket is { } socket)
            {
                SetOption(socket, LibcNet.SOL_SOCKET, LibcNet.SO_MARK, unchecked((int)mark), "SO_MARK", _port);
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            CloseLocked();
        }
        _sendBatches.Dispose();
        _receiveBatches.Dispose();
    }

    // Caller holds _gate.
    private void CloseLocked()
    {
        var socket = _socket;
        if (socket is null)
        {
            return;
        }
        _socket = null;
        // Wakes a thread blocked in recvmmsg (it then sees _socket changed and returns 0); the descriptor
        // itself is closed by the SafeHandle once the last call using it has returned.
        _ = LibcNet.shutdown(socket, LibcNet.SHUT_RDWR);
        socket.Dispose();
    }

    private static unsafe void BindTo(SafeUdpSocketHandle socket, int family, ushort port)
    {
        Span<byte> sockaddr = stackalloc byte[LibcNet.SockaddrIn6Size];
        Span<byte> any = stackalloc byte[16];
        var length = SocketAddressCodec.Write(sockaddr, family, new UdpEndpoint(any, port));
        if (family == LibcNet.AF_INET)
        {
            length = SocketAddressCodec.Write(sockaddr, family, UdpEndpoint.FromIPv4(any[..4], port));
        }
        fixed (byte* address = sockaddr)
        {
            if (LibcNet.bind(socket, address, (uint)length) != 0)
            {
                throw Failure("bind", port);
            }
        }
    }

    private static unsafe ushort LocalPort(SafeUdpSocketHandle socket, ushort port)
    {
        Span<byte> sockaddr = stackalloc byte[LibcNet.SockaddrIn6Size];
        var length = (uint)sockaddr.Length;
        fixed (byte* address = sockaddr)
        {
            if (LibcNet.getsockname(socket, address, &length) != 0)
            {
                throw Failure("getsockname", port);
            }
        }
        return SocketAddressCodec.TryRead(sockaddr[..(int)length], out var local) ? local.Port : port;
    }

    private void SetBufferSize(SafeUdpSocketHandle socket, int forceName, int name, ushort port)
    {
        // The FORCE variants ignore net.core.[rw]mem_max but need CAP_NET_ADMIN; without it take what the limit allows.
        if (!TrySetOption(socket, LibcNet.SOL_SOCKET, forceName, BindConstants.SocketBufferSize))
        {
            Log.BufferNotForced(_logger, port, Marshal.GetLastPInvokeError());
            _ = TrySetOption(socket, LibcNet.SOL_SOCKET, name, BindConstants.SocketBufferSize);
        }
    }

    private static unsafe bool SupportsSegmentation(SafeUdpSocketHandle socket)
    {
        // Kernels before 4.18 do not know UDP_SEGMENT and fail the query with ENOPROTOOPT.
        int value = 0;
        uint length = sizeof(int);
        return LibcNet.getsockopt(socket, LibcNet.SOL_UDP, LibcNet.UDP_SEGMENT, &value, &length) == 0;
    }

    private static unsafe bool TrySetOption(SafeUdpSocketHandle socket, int level, int name, int value) =>
        LibcNet.setsockopt(socket, level, name, &value, sizeof(int)) == 0;

    private static void SetOption(SafeUdpSocketHandle socket, int level, int name, int value, string what, ushort port)
    {
        if (!TrySetOption(socket, level, name, value))
        {
            throw Failure($"setsockopt {what}", port);
        }
    }

    private static IOException Failure(string call, ushort port)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"UDP bind on port {port}: {call} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
    }
}
