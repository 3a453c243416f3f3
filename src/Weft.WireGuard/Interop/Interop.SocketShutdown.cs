using System.Runtime.InteropServices;

namespace Weft.WireGuard.Interop;

internal static partial class LibcNet
{
    /// <summary>
    /// shutdown(2). On an unconnected UDP socket it fails with ENOTCONN yet still marks the socket shut
    /// and wakes a thread blocked in recvmmsg, which is all the bind wants from it.
    /// </summary>
    [LibraryImport(Library, SetLastError = true)]
    internal static partial int shutdown(SafeUdpSocketHandle socket, int how);
}
