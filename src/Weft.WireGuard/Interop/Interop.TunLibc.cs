namespace Weft.WireGuard.Interop;

/// <summary>
/// The libc calls and kernel numbers the Linux TUN device needs (linux/if_tun.h, linux/virtio_net.h,
/// linux/sockios.h, asm-generic fcntl/errno/poll). The ioctl numbers are the asm-generic encoding
/// shared by x86-64 and arm64, the only targets Weft builds for.
/// </summary>
internal static partial class TunLibc
{
    internal const string Library = "libc";

    internal const int O_RDWR = 0x2;
    internal const int O_NONBLOCK = 0x800;
    internal const int O_CLOEXEC = 0x80000;

    internal const int EFD_NONBLOCK = 0x800;
    internal const int EFD_CLOEXEC = 0x80000;

    internal const int AF_INET = 2;
    internal const int SOCK_DGRAM = 2;
    internal const int SOCK_CLOEXEC = 0x80000;

    internal const short POLLIN = 0x1;
    internal const short POLLERR = 0x8;
    internal const short POLLHUP = 0x10;
    internal const short POLLNVAL = 0x20;

    internal const int EINTR = 4;
    internal const int EIO = 5;
    internal const int EBADF = 9;
    internal const int EAGAIN = 11;
    internal const int EINVAL = 22;
    internal const int EBADFD = 77;

    /// <summary>_IOW('T', 202, int): attaches the fd to a (new) interface described by an ifreq.</summary>
    internal const nuint TUNSETIFF = 0x400454ca;

    /// <summary>_IOW('T', 208, unsigned int): announces which offloads the reader can take (TUN_F_*).</summary>
    internal const nuint TUNSETOFFLOAD = 0x400454d0;

    /// <summary>_IOW('T', 216, int): size of the virtio_net_hdr prefixed to each packet.</summary>
    internal const nuint TUNSETVNETHDRSZ = 0x400454d8;

    internal const nuint SIOCGIFMTU = 0x8921;
    internal const nuint SIOCSIFMTU = 0x8922;

    internal const short IFF_TUN = 0x0001;
    internal const short IFF_NO_PI = 0x1000;
    internal const short IFF_VNET_HDR = 0x4000;

    internal const uint TUN_F_CSUM = 0x01;
    internal const uint TUN_F_TSO4 = 0x02;
    internal const uint TUN_F_TSO6 = 0x04;
    internal const uint TUN_F_USO4 = 0x20;
    internal const uint TUN_F_USO6 = 0x40;

    /// <summary>IFNAMSIZ: interface names are at most 15 bytes plus the terminator.</summary>
    internal const int IFNAMSIZ = 16;
}
