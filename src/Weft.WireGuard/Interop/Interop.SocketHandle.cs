using System.Runtime.InteropServices;

namespace Weft.WireGuard.Interop;

/// <summary>
/// Owns one socket descriptor. Every import takes the handle rather than the number, so a descriptor
/// closed while another thread is inside recvmmsg is only released after that call returns and can
/// never be reused under it.
/// </summary>
internal sealed class SafeUdpSocketHandle : SafeHandle
{
    public SafeUdpSocketHandle()
        : base(new IntPtr(-1), ownsHandle: true)
    {
    }

    internal SafeUdpSocketHandle(int fd)
        : base(new IntPtr(-1), ownsHandle: true) => SetHandle(fd);

    public override bool IsInvalid => handle.ToInt64() < 0;

    protected override bool ReleaseHandle() => LibcNet.close((int)handle.ToInt64()) == 0;
}
