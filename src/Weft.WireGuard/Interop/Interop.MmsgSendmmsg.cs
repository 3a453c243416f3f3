using System.Runtime.InteropServices;

namespace Weft.WireGuard.Interop;

internal static partial class LibcNet
{
    /// <summary>sendmmsg(2): sends up to <paramref name="length"/> messages; returns how many, or -1 with errno for the first.</summary>
    [LibraryImport(Library, SetLastError = true)]
    internal static unsafe partial int sendmmsg(SafeUdpSocketHandle socket, MMsgHdr* messages, uint length, int flags);
}
