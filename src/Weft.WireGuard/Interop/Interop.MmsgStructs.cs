using System.Runtime.InteropServices;

namespace Weft.WireGuard.Interop;

// Layouts of <sys/socket.h> and <sys/uio.h> on LP64 Linux (x86_64, arm64); natural alignment of the
// nint/nuint fields reproduces the C padding.

/// <summary>struct iovec.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Iovec
{
    public nint Base;
    public nuint Length;
}

/// <summary>struct msghdr.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MsgHdr
{
    public nint Name;
    public uint NameLength;
    public nint Iov;
    public nuint IovLength;
    public nint Control;
    public nuint ControlLength;
    public int Flags;
}

/// <summary>struct mmsghdr: one message of recvmmsg/sendmmsg and the bytes the kernel moved for it.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MMsgHdr
{
    public MsgHdr Header;
    public uint Length;
}

/// <summary>struct cmsghdr; its data follows at <see cref="LibcNet.CmsgHeaderSize"/>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CMsgHdr
{
    public nuint Length;
    public int Level;
    public int Type;
}

internal static partial class LibcNet
{
    /// <summary>CMSG_LEN(0): the header rounded to the alignment of size_t.</summary>
    internal const int CmsgHeaderSize = 16;

    /// <summary>CMSG_ALIGN: control messages are laid out on size_t boundaries.</summary>
    internal static int CmsgAlign(int length) => (length + 7) & ~7;

    /// <summary>sizeof(struct sockaddr_in6), big enough for either family.</summary>
    internal const int SockaddrIn6Size = 28;

    /// <summary>sizeof(struct sockaddr_in).</summary>
    internal const int SockaddrInSize = 16;
}
