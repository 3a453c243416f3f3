namespace Weft.WireGuard.Interop;

/// <summary>
/// libc's socket calls used by the UDP bind. A class of its own (not a shared <c>Libc</c>) so the TUN
/// interop beside it can import the same functions without the two colliding.
/// Numbers are Linux's, identical on x86_64 and arm64.
/// </summary>
internal static partial class LibcNet
{
    internal const string Library = "libc";

    internal const int AF_INET = 2;
    internal const int AF_INET6 = 10;
    internal const int SOCK_DGRAM = 2;
    internal const int SOCK_CLOEXEC = 0x80000;
    internal const int IPPROTO_UDP = 17;

    internal const int SOL_SOCKET = 1;
    internal const int SO_SNDBUF = 7;
    internal const int SO_RCVBUF = 8;
    internal const int SO_SNDBUFFORCE = 32;
    internal const int SO_RCVBUFFORCE = 33;
    internal const int SO_MARK = 36;

    internal const int IPPROTO_IPV6 = 41;
    internal const int IPV6_V6ONLY = 26;

    /// <summary>SOL_UDP: level of UDP's own options and control messages.</summary>
    internal const int SOL_UDP = 17;

    /// <summary>UDP_SEGMENT (Linux 4.18): segment size for generic segmentation offload on send.</summary>
    internal const int UDP_SEGMENT = 103;

    /// <summary>UDP_GRO (Linux 5.0): deliver coalesced datagrams with their segment size in a control message.</summary>
    internal const int UDP_GRO = 104;

    internal const int SHUT_RDWR = 2;

    /// <summary>recvmmsg flag: block for the first message only, then take what is queued.</summary>
    internal const int MSG_WAITFORONE = 0x10000;

    internal const int EPERM = 1;
    internal const int EINTR = 4;
    internal const int EIO = 5;
    internal const int EBADF = 9;
    internal const int EAGAIN = 11;
    internal const int EINVAL = 22;
    internal const int EMSGSIZE = 90;
    internal const int ENOPROTOOPT = 92;
    internal const int EAFNOSUPPORT = 97;
    internal const int ENETUNREACH = 101;
    internal const int ENOBUFS = 105;
    internal const int ECONNREFUSED = 111;
    internal const int EHOSTUNREACH = 113;
}
