using System.Runtime.InteropServices;

namespace Weft.WireGuard.Interop;

internal static partial class LibcNet
{
    /// <summary>getsockopt(2).</summary>
    [LibraryImport(Library, SetLastError = true)]
    internal static unsafe partial int getsockopt(SafeUdpSocketHandle socket, int level, int name, void* value, uint* valueLength);
}
