using System.Runtime.InteropServices;

namespace Weft.WireGuard.Interop;

/// <summary>Owns one file descriptor of the TUN device (the device fd, its wake-up eventfd, its ioctl socket).</summary>
internal sealed class SafeTunFileHandle : SafeHandle
{
    public SafeTunFileHandle()
        : base(-1, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle < 0;

    /// <summary>The raw descriptor, for poll(2); valid only while the caller holds a reference.</summary>
    internal int Fd => (int)handle;

    protected override bool ReleaseHandle() => TunLibc.close(handle) == 0;
}
