using System.Runtime.InteropServices;

namespace Weft.WireGuard.Interop;

internal static partial class LibcNet
{
    /// <summary>recvmmsg(2): fills up to <paramref name="length"/> messages; returns how many, or -1 with errno.</summary>
    [LibraryImport(Library, SetLastError = true)]
    internal static unsafe partial int recvmmsg(SafeUdpSocketHandle socket, MMsgHdr* messages, uint length, int flags, void* timeout);
}
